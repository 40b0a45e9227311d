#!/bin/sh
# delay relays TCP connections (sockfault-rules(5), delay) in the cases that
# once kept the delay inside the calls: the control channel on (a fault
# fired at the connection acts on its real socket: a reset reaches the peer
# as an RST after the data that came before it; a blackhole keeps what came
# before readable and polled, its close unheard; a timeout's deadline
# holds); and from python (tests/actions/delay-reach.py), against a peer
# without the library: a hundred connections at once; a socket in epoll
# sets before its connect (its registrations, level- and edge-triggered,
# follow it); a socket with a second number made before its connect; rules
# reloaded while it is carried (its delays follow the new rules, to none; a
# reset rule's RST reaches the peer; a receive waiting when the connection
# ends waits on, or gets the error). Each send returns at once and the peer
# has the bytes a delay later. "At once" is 0-60 ms; a delay of 100 ms is
# 80-180 ms, of 200 ms 150-350 ms.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# The control channel on: connections are relayed; a fault fired at one
# (sockfault ctl fire) acts on it as on any: fire_at_gate under delay rules
# of 100 ms each way.
delays='tx => delay 100ms
rx => delay 100ms'

# A reset: the program's numbers become the real socket, the data that came
# before it is read first, the peer gets an RST.
fire_at_gate "$delays" reset p:listen connect p:accept p\&:expect,1000 mark sendns since pwait p:send,1000 sleep=50 gate=r \
	pollin=0 recv=500 recv=500 recv send so_error sigpipes p:expect,500
transcript "control channel on: relayed; fire reset: the data before it read first, the peer gets an RST" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
since = *
peer expect = data 4 bits=0 ms=*
$(fired_reset_seen)
EOF2
expect_between "control channel on: the send returned at once (ms)" 0 60 "$(value since)"
expect_between "control channel on: the peer had the bytes a delay later (ms)" 90 200 \
	"$(grep '^peer expect = ' "$tmp/out" | sed -n 1p | sed -n 's/.* ms=\([0-9]*\).*/\1/p')"

# A blackhole keeps the pair: what came before stays readable, and poll says
# so between reads; nothing comes after it; what the program sends goes to
# the real socket, as without the relay (see blackhole: as root nothing new
# leaves it, nor does the close, and what the peer sends after the close is
# not answered; else the first window reaches the peer).
root=
[ "$(id -u)" -ne 0 ] || root=1
# shellcheck disable=SC2086 # the steps are words
fire_at_gate "$delays" blackhole p:listen connect p:accept p:send,1000 sleep=300 gate=r pollin=0 recv=500 pollin=0 \
	recv=500 recvnb sendns p:expect,1000 ${root:+close p:expect,500 p:send,4 p:expect,500}
# (The expected lines from a file: a transcript at the end of a pipeline
# would count its failure in a subshell.)
{
	cat <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 1000
gate r
pollin = IN
recv = 500
pollin = IN
recv = 500
recvnb = -1 EAGAIN
sendns = 4
EOF2
	if [ -n "$root" ]; then
		printf '%s\n' 'peer expect = silence' 'close = 0' 'peer expect = silence' 'peer send = sent 4' \
			'peer expect = silence'
	else
		echo 'peer expect = data 4 bits=0 ms=*'
	fi
} >"$tmp/blackhole.expect"
transcript "control channel on: fire blackhole: what came before readable, polled; nothing after" \
	<"$tmp/blackhole.expect"

# A timeout: a receive waiting for it gets ETIMEDOUT at its deadline, 300 ms
# after the fire. The fire falls between the mark and the gate's opening
# (took: how long the gate was shut), however slowly the script runs: the
# deadline is no sooner than 300 ms after the mark, and no later than 300 ms
# after the gate opened.
fire_at_gate "$delays" "timeout 300ms" p:listen connect p:accept mark gate=r took rcvtimeo=2000 recv since so_error
transcript "control channel on: fire timeout: ETIMEDOUT at the deadline" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
gate r
took = *
rcvtimeo = 0
recv = -1 ETIMEDOUT
since = *
SO_ERROR = 0
EOF2
since=$(value since) took=$(value took)
expect_between "control channel on: the deadline not before 300 ms after the fire (ms after the mark)" 290 10000 "$since"
expect_between "control channel on: nor later (ms after the gate opened)" 0 450 "$((${since:-0} - ${took:-0}))"

py=$(sf_python)
[ -z "$py" ] || foreign_ok "$py" -c pass || py=
! sf_musl || py=
if [ -z "$py" ]; then
	echo "no python3 that can load the library here: the python cases are left out"
	finish
fi
script=$SF_SRCDIR/tests/actions/delay-reach.py

# The n-th value of the "KEY value" lines.
pv() { sed -n "s/^$1 //p" "$tmp/out" | sed -n "${2:-1}p"; }

# (python's own allocations are no leak of the library's.)
py_run() {
	sf_run "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" SOCKFAULT_LOG=off "$@"
}

py_run SOCKFAULT_RULES_TEXT='tx => delay 200ms' "$py" "$script" many 100
transcript "a hundred connections" <<'EOF2'
connections 100
took_max *
lag_min *
lag_max *
EOF2
expect_between "100 connections: the slowest send returned at once (ms)" 0 60 "$(pv took_max)"
expect_between "100 connections: the first peer had its bytes a delay later (ms)" 150 350 "$(pv lag_min)"
expect_between "100 connections: the last peer had its bytes a delay later (ms)" 150 350 "$(pv lag_max)"

py_run SOCKFAULT_RULES_TEXT='connect => delay 200ms
tx => delay 200ms' "$py" "$script" epoll
transcript "in epoll sets before the connect" <<'EOF2'
connect EINPROGRESS
took *
events True,True
writable *
so_error 0
took *
events True,True
lag *
took *
oneshot True
lag *
oneshot_again 0
other_set True
EOF2
expect_between "epoll: the connect returned at once (ms)" 0 60 "$(pv took 1)"
expect_between "epoll: the set saw it writable after the connect's delay (ms)" 150 350 "$(pv writable)"
expect_between "epoll: the send returned at once (ms)" 0 60 "$(pv took 2)"
expect_between "epoll: the peer had the bytes a delay later (ms)" 150 350 "$(pv lag 1)"
expect_between "epoll, one-shot: the send returned at once (ms)" 0 60 "$(pv took 3)"
expect_between "epoll, one-shot: the peer had the bytes a delay later (ms)" 150 350 "$(pv lag 2)"

py_run SOCKFAULT_RULES_TEXT='tx => delay 200ms' "$py" "$script" dup
transcript "a second number made before the connect" <<'EOF2'
took *
lag *
peer_same True
took *
lag *
EOF2
expect_between "dup: a send on the copy returned at once (ms)" 0 60 "$(pv took 1)"
expect_between "dup: the peer had the bytes a delay later (ms)" 150 350 "$(pv lag 1)"
expect_between "dup, the first closed: the send returned at once (ms)" 0 60 "$(pv took 2)"
expect_between "dup, the first closed: the peer had the bytes a delay later (ms)" 150 350 "$(pv lag 2)"

printf 'tx => delay 200ms\nrx => delay 200ms\n' >"$tmp/rules"
py_run SOCKFAULT_RELOAD=1 SOCKFAULT_RULES="$tmp/rules" "$py" "$script" reload "$tmp/rules"
transcript "rules reloaded: the delays follow them; a reset reaches the peer" <<'EOF2'
took *
round_trip *
took *
round_trip *
took *
round_trip *
send ECONNRESET
peer reset
EOF2
expect_between "reload on: the send returned at once (ms)" 0 60 "$(pv took 1)"
expect_between "reload on: a round trip of two delays of 200 ms (ms)" 320 600 "$(pv round_trip 1)"
expect_between "rules reloaded: the send returned at once (ms)" 0 60 "$(pv took 2)"
expect_between "rules reloaded: a round trip of two delays of 50 ms (ms)" 70 180 "$(pv round_trip 2)"
expect_between "no delay rule for it any more: the send returned at once (ms)" 0 60 "$(pv took 3)"
expect_between "no delay rule for it any more: the round trip at once (ms)" 0 60 "$(pv round_trip 3)"

# A receive waiting on the relayed connection when another thread's send
# ends it: a blackhole keeps the pair, and the receive waits its timeout; a
# sticky error hands the connection back, and the receive, woken by the
# pair's end, asks again and gets the error.
printf 'tx => delay 200ms\nrx => delay 200ms\n' >"$tmp/rules"
py_run SOCKFAULT_RELOAD=1 SOCKFAULT_RULES="$tmp/rules" "$py" "$script" waiting "$tmp/rules" 'tx => blackhole'
transcript "a receive waiting when a blackhole silences the connection" <<'EOF2'
recv EAGAIN
waited *
EOF2
expect_between "the receive waited for its timeout (ms)" 900 1600 "$(pv waited)"
printf 'tx => delay 200ms\nrx => delay 200ms\n' >"$tmp/rules"
py_run SOCKFAULT_RELOAD=1 SOCKFAULT_RULES="$tmp/rules" "$py" "$script" waiting "$tmp/rules" \
	'tx => error ECONNRESET sticky'
transcript "a receive waiting when a sticky error hands the connection back" <<'EOF2'
recv ECONNRESET
waited *
EOF2

finish
