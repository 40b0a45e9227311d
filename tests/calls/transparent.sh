#!/bin/sh
# Without rules the library changes nothing: the same results, errno of the
# failing calls included (connect to a closed port, send on a bad fd, NULL
# pointers, calls on pipes), and errno untouched by successful calls. The
# same holds with rules that match nothing, and with SOCKFAULT_TRACE=1,
# which sends every call through the library's slow path.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

plain_run "$T/tclient" baseline
expect_rc 0 "the reference run"
cp "$tmp/out" "$tmp/ref"
expect_in "$tmp/ref" '^connect closed port = -1 ECONNREFUSED$' "the reference has failing calls"
expect_in "$tmp/ref" '^send bad fd = -1 EBADF$'

same_as_ref() { # WHAT
	expect_rc 0 "$1: exit status"
	if cmp -s "$tmp/ref" "$tmp/out"; then
		pass "$1: every result and errno as without the library"
	else
		fail "$1: results differ from the run without the library"
		diff "$tmp/ref" "$tmp/out" || :
	fi
}

sf_run "$T/tclient" baseline
same_as_ref "no rules"
expect_empty "$tmp/err" "no rules: nothing logged"

nomatch='connect peer=10.255.255.1 => error ETIMEDOUT
* peer=10.255.255.1:9 => error EIO
io peer=unix:/nonexistent/* => error ECONNRESET
tx exe=some-other-program => error EPIPE
socket proto=udp when=1000 => error EMFILE'
sf_run SOCKFAULT_RULES_TEXT="$nomatch" "$T/tclient" baseline
same_as_ref "rules that match nothing"
expect_empty "$tmp/err" "rules that match nothing: nothing logged"

sf_run SOCKFAULT_TRACE=1 "$T/tclient" baseline
same_as_ref "SOCKFAULT_TRACE=1"
expect_err 'trace connect fd=[0-9]+ peer=127\.0\.0\.1:[0-9]+ = -1 ECONNREFUSED$' "SOCKFAULT_TRACE=1: the refused connect is traced"

sf_run SOCKFAULT_TRACE=1 SOCKFAULT_RULES_TEXT="$nomatch" SOCKFAULT_LOG_FORMAT=json "$T/tclient" baseline
same_as_ref "trace, JSON and rules that match nothing"

# Each call of tcalls, with and without the library.
for op in socket socketpair bind listen accept accept4 dup dup2 dup3 fcntl-dupfd fcntl-dupfd-cloexec; do
	plain_run "$T/tcalls" -e ok "$op"
	cp "$tmp/out" "$tmp/ref"
	sf_run SOCKFAULT_RULES_TEXT="$nomatch" "$T/tcalls" -e ok "$op"
	same_as_ref "$op"
done
for op in connect shutdown close send sendto sendmsg write writev recv recvfrom recvmsg read readv \
	getsockopt getpeername; do
	peer_start p -n 1 -t 20 echo
	plain_run "$T/tcalls" -e ok "$op" "127.0.0.1:$p_port"
	cp "$tmp/out" "$tmp/ref"
	peer_wait p
	cp "$p_out" "$tmp/ref.peer"
	peer_start p -n 1 -t 20 echo
	sf_run SOCKFAULT_RULES_TEXT="$nomatch" "$T/tcalls" -e ok "$op" "127.0.0.1:$p_port"
	same_as_ref "$op"
	peer_wait p
	expect_eq "$op: what the peer saw" "$(cat "$tmp/ref.peer")" "$(cat "$p_out")"
done

finish
