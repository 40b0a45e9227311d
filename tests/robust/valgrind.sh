#!/bin/sh
# The library under valgrind (memcheck): faults of each kind, the log in
# both formats and tracing, threads; no invalid read or write, no use of
# uninitialised memory, in the library or because of it.
# shellcheck disable=SC2034 # TREAL_OPTS is read by lib.sh's run
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

need_valgrind

peer_start e -n 0 -t 120 echo
E=127.0.0.1:$e_port

# vg_run RULES PROGRAM [ARG...]: under memcheck (which follows env into the
# program), with tracing to a file and JSON.
vg_run() {
	_rules=$1
	shift
	echo "+ valgrind: $_rules: $*"
	set +e
	$tmo "$vg" -q --error-exitcode=99 --trace-children=yes --log-file="$tmp/vg.%p" \
		env LD_PRELOAD="$SF_LIB" SOCKFAULT_RULES_TEXT="$_rules" SOCKFAULT_TRACE=1 \
		SOCKFAULT_LOG="$tmp/sf.log" SOCKFAULT_LOG_FORMAT=json SOCKFAULT_STATS=1 "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
	cat "$tmp"/vg.* 2>/dev/null | sed 's/^/  valgrind| /'
	expect_rc 0 "valgrind: $*"
	if cat "$tmp"/vg.* 2>/dev/null | grep -q '^==[0-9]*== [A-Z]'; then
		fail "valgrind reported errors: $*"
	else
		pass "valgrind: no errors"
	fi
	rm -f "$tmp"/vg.*
}

# treal and its peer (rpeer, followed too) against each other.
vg_run 'connect => error ENETUNREACH' "$T/treal" -S "$tmp/u" p:listen connect-nb pollout=5000 so_error so_error peername
vg_run 'r1: send when=2 => error ECONNRESET sticky; recv p=0.5 => delay 1ms~1ms' "$T/treal" -S "$tmp/u" p:listen connect \
	p:accept sendns=1 sendns=1 sendns=1 write=1 p:send,3 pollin=5000 so_error so_error peername recvnb nonblock read
# shellcheck disable=SC2046 # the steps are words on purpose
vg_run 'send when=2+2 limit=3 => error EPIPE; recv => short 1' "$T/treal" -S "$tmp/u" p:listen \
	$(for c in 1 2; do printf ' connect p:accept%s' "$(printf ' p:send,4 recv=4%.0s' 1 2 3 4 5)"; done)
vg_run 'writev => short 3' "$T/treal" -S "$tmp/u" p:listen connect p:accept sendall=200,writev p:recvall,200
vg_run 'sendto proto=udp when=2 => drop' "$T/treal" -S "$tmp/u" -D p:listen socket sendto=1 sendto=2 sendto=3 \
	p:udpexpect,300 p:udpexpect,300 p:udpexpect,300
# The address's padding is uninitialised: the library must not decide on it.
# (The rule names the peer's UDP port, which a first run found free.)
TREAL_OPTS=-D
run '' p:listen
TREAL_OPTS=
uport=$(value 'peer udp' | sed 's/port //')
vg_run "sendto peer=127.0.0.1:$uport when=3 => drop" "$T/treal" -S "$tmp/u" -D "p:listen,$uport" socket sendtou=1 \
	sendtou=2 sendtou=3 sendtou=4 p:udpexpect,300 p:udpexpect,300 p:udpexpect,300 p:udpexpect,300
expect_eq "the careless address: the rule for its peer still counts (the third is lost)" "1 2 4 silence" \
	"$(sed -n 's/^peer udpexpect = \(dgram \)\{0,1\}\([0-9a-z]*\).*/\2/p' "$tmp/out" | tr '\n' ' ' | sed 's/ $//')"
vg_run 'send side=client when=2 => error ECONNRESET' "$T/treal" -S "$tmp/u" listen p:connect accept p:listen connect \
	use=1 bg=sends=6,5 use=2 bg=sends=6,5 join
vg_run 'accept4 once => error EMFILE; dup3 once => error EMFILE' "$T/tcalls" -e EMFILE accept4
vg_run 'close once => error EIO' "$T/tcalls" -e EIO close "$E"

kill "$e_pid" 2>/dev/null || :
peer_wait e
finish
