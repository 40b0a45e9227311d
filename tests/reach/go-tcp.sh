#!/bin/sh
# shellcheck disable=SC2154 # peer_start and gonet_server set echo_port, many_port, rep_port, srv_port, srv2_port
# A Go program (gonet.go, its own system calls: nonblocking sockets, epoll,
# connect completed through SO_ERROR) under the seccomp supervisor: what the
# program and a real peer see, as a client and as a server.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/reach/rlib.sh"
reach_need_supervisor
reach_gonet

# gorun RULES STEP...: gonet under the supervisor with RULES ('' for none).
gorun() {
	_rules=$1
	shift
	if [ -n "$_rules" ]; then
		sf_run SOCKFAULT_RULES_TEXT="$_rules" "$R/gonet" "$@"
	else
		sf_run "$R/gonet" "$@"
	fi
	[ "$rc" = 0 ] || fail "gonet exited with $rc"
}

peer_start echo -n 3 -t 30 echo
addr=127.0.0.1:$echo_port

# No rule: the connection works, the peer gets the bytes and a FIN.
gorun '' dial="$addr" write=5 read=5 close
transcript "go: no rule, an echo" <<'EOF2'
dial = ok
write = 5
read = 5 xxxxx
close = ok
EOF2

# A refusal on Go's nonblocking connect (EINPROGRESS, then SO_ERROR).
gorun 'connect => error ECONNREFUSED' dial="$addr"
transcript "go: connect refused" <<'EOF2'
dial = ECONNREFUSED
EOF2
expect_log 'text-1 fired on connect fd=[0-9]+ peer=127.0.0.1:[0-9]+: error ECONNREFUSED' "go: the refusal logged"
gorun 'connect => error EHOSTUNREACH' dial="$addr"
transcript "go: another connect errno reaches Go as itself" <<'EOF2'
dial = EHOSTUNREACH
EOF2

# reset on the second write: ECONNRESET in the program, an RST for the peer.
gorun 'write when=2 => reset' dial="$addr" write=5 read=5 write=5 read=5
transcript "go: reset" <<'EOF2'
dial = ok
write = 5
read = 5 xxxxx
write = ECONNRESET
read = EOF
EOF2

# An error on a read, the connection left as it is.
gorun 'read => error ETIMEDOUT' dial="$addr" write=5 read=5 read=5
transcript "go: an error on read" <<'EOF2'
dial = ok
write = 5
read = ETIMEDOUT
read = ETIMEDOUT
EOF2

peer_wait echo
expect_in "$tmp/echo.out" 'conn 1: 5 bytes .* end=eof' "go: no rule: the peer got the bytes and a FIN"
expect_in "$tmp/echo.out" 'conn 2: 5 bytes .* end=ECONNRESET' "go: reset: the peer got an RST"
expect_in "$tmp/echo.out" 'done, 3 connections' "go: the refused connects never reached the peer"

# Many goroutines at once (Go's threads, its preemption signals, the
# supervisor's workers), every data call trapped and made by the supervisor
# (a rule on io that never fires), and --stats counting them.
peer_start many -n 160 -t 60 echo
sf_run SOCKFAULT_STATS=1 SOCKFAULT_RULES_TEXT='io when=1000000000 => error EIO' "$R/gonet" \
	parallel="127.0.0.1:$many_port,16,10"
transcript "go: 16 goroutines x 10 echoes, all supervised" <<'EOF2'
parallel = 160 0
EOF2
n=$(sed -n 's/.*stats text-1 (line 1): matched \([0-9]*\), fired 0$/\1/p' "$tmp/err")
expect_between "go: --stats counted every data call (2 or more per echo)" 320 100000 "${n:-0}"
peer_wait many

# Determinism and replay: faults drawn with p= under a seed, recorded in a
# JSON log, then replayed (with a different seed) call for call.
peer_start rep -n 2 -t 30 echo
steps="dial=127.0.0.1:$rep_port write=1 write=1 write=1 write=1 write=1 write=1 write=1 write=1"
# shellcheck disable=SC2086 # the steps are words
sf_run SOCKFAULT_SEED=7 SOCKFAULT_LOG_FORMAT=json SOCKFAULT_LOG="$tmp/rec.jsonl" \
	SOCKFAULT_RULES_TEXT='write p=0.5 => error EIO' "$R/gonet" $steps
cp "$tmp/out" "$tmp/recorded"
# shellcheck disable=SC2086
sf_run SOCKFAULT_SEED=8 SOCKFAULT_REPLAY="$tmp/rec.jsonl" SOCKFAULT_RULES_TEXT='write p=0.5 => error EIO' \
	"$R/gonet" $steps
if grep -q 'write = EIO' "$tmp/recorded" && grep -q 'write = 1' "$tmp/recorded" && cmp -s "$tmp/recorded" "$tmp/out"; then
	pass "go: a replay gives the recorded faults, call for call"
else
	fail "go: the replay differs from the recording (or the recording has no mix of faults)"
fi
peer_wait rep

# Go as the server: a reset on its first read; the peer sees the RST.
gonet_server srv 'read => reset' accept read=5 write=5 close
plain_run "$T/tpeer" connect "127.0.0.1:$srv_port"
expect_in "$tmp/out" 'ECONNRESET' "go server: the peer got an RST"
wait "$srv_pid" || :
expect_in "$tmp/srv.out" 'read = ECONNRESET' "go server: its read failed with ECONNRESET"
gonet_server srv2 '' accept read=5 write=5 close
plain_run "$T/tpeer" connect "127.0.0.1:$srv2_port"
expect_in "$tmp/out" 'peer: recv = 5' "go server: without the rule the peer gets its answer"
wait "$srv2_pid" || :
finish
