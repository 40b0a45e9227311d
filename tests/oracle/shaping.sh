#!/bin/sh
# A bandwidth limit, for real (tc tbf on the router, 2 Mbit/s toward the
# server: 250 000 B/s) and by sockfault (`tx => throttle 250000B/s`): 300 000
# bytes arrive intact, and the peer measures the rate: within 80-110 % of
# 250 000 B/s in both runs. The sender's own rate differs (real: its send
# buffer takes the first part at once; logged as measured).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
need tc iproute2
rig_up

T='p:listen connect p:accept p&:recvall,300000,10000 sendall=300000 pwait'
rig in_router tc qdisc add dev rs root tbf rate 2mbit burst 16kb latency 200ms
# shellcheck disable=SC2086 # the steps are words
real t $T
fw_clear
# shellcheck disable=SC2086
fake t 'tx => throttle 250000B/s' $T
agree t "a slow link: every byte arrives, intact" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendall = 300000
rate = *
peer recvall = got 300000 bits=0 *
EOF2
for k in real fake; do
	cp "$tmp/t.$k" "$tmp/out"
	expect_between "$k: the peer's rate (B/s)" 200000 275000 "$(field 'peer recvall' rate)"
done
echo "measured: the sender's rate real $(sed -n 's/^rate = //p' "$tmp/t.real") B/s," \
	"sockfault $(sed -n 's/^rate = //p' "$tmp/t.fake") B/s"

finish
