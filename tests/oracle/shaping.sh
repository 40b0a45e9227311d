#!/bin/sh
# A bandwidth limit, for real (tc tbf on the router, 2 Mbit/s toward the
# server: 250 000 B/s, a queue of 200 ms) and by sockfault (`tx => throttle
# 250000B/s`: the connection relayed, the relay's bottleneck at the rate).
# 300 000 bytes arrive intact, and the peer measures the rate: within
# 80-110 % of 250 000 B/s in both runs. The sender's own rate follows the
# buffers (the send buffer and the slow link's queue take the start of the
# transfer at once): both senders are ahead of the link, at 1.1 times the
# peer's rate at least, and sockfault's median of RUNS runs is not beyond
# the real runs' fastest by more than 25 %. The real one's varies from run
# to run with how far the kernel grows the send buffer (374 000 -
# 1 627 000 B/s in 17 runs here), sockfault's does not (the program's end
# holds what the real socket's first buffer does: 297 000 - 409 000). A
# nonblocking sender fills the buffers (EAGAIN, POLLOUT cleared) and finds
# the socket writable again as the link empties them: timed from the
# fill's start, as the link drains from then on (a third of the buffers
# takes 60 ms at the least here; timed from the EAGAIN, a busy machine
# could find the space made before the program looked).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
need tc iproute2
rig_up
# Each connection as the program's first: no metrics kept from the last.
ns_sysctl "$OR_C" net.ipv4.tcp_no_metrics_save 1

RUNS=3
T='p:listen connect p:accept p&:recvall,300000,10000 sendall=300000 pwait'
F='p:listen connect p:accept mark sendfill pollout=0 pollout=5000 since p:recvall,80000,10000'
real_all=
fake_all=
i=0
while [ "$i" -lt "$RUNS" ]; do
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
		peer_rate=$(field 'peer recvall' rate)
		expect_between "$k: the peer's rate (B/s)" 200000 275000 "$peer_rate"
		expect_between "$k: the sender is ahead of the link by its buffers (B/s)" $((peer_rate * 11 / 10)) \
			999999999 "$(value rate)"
	done
	real_all="$real_all $(sed -n 's/^rate = //p' "$tmp/t.real")"
	fake_all="$fake_all $(sed -n 's/^rate = //p' "$tmp/t.fake")"
	i=$((i + 1))
done
real_hi=$(echo "$real_all" | tr ' ' '\n' | grep . | sort -n | tail -n 1)
fake_rate=$(echo "$fake_all" | median)
echo "measured: the sender's rate (B/s) real$real_all, sockfault$fake_all (median $fake_rate)"
expect_between "sockfault agrees: the sender's rate not beyond the real runs' (median, B/s)" \
	0 $((real_hi * 5 / 4)) "$fake_rate"

# Nonblocking: the buffers fill, then empty at the link's rate.
rig in_router tc qdisc add dev rs root tbf rate 2mbit burst 16kb latency 200ms
# shellcheck disable=SC2086
real f $F
fw_clear
# shellcheck disable=SC2086
fake f 'tx => throttle 250000B/s' $F
agree f "a slow link, nonblocking: the buffers fill (EAGAIN, POLLOUT cleared), then empty" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendfill = * EAGAIN
pollout = none
pollout = OUT
since = *
peer recvall = got * bits=0 *
EOF2
for k in real fake; do
	cp "$tmp/f.$k" "$tmp/out"
	expect_between "$k: writable again as the slow link empties the buffers (ms)" 30 4000 "$(value since)"
done
echo "measured: the buffers took (bytes) real $(sed -n 's/^sendfill = //p' "$tmp/f.real"), sockfault" \
	"$(sed -n 's/^sendfill = //p' "$tmp/f.fake"); writable again after real $(sed -n 's/^since = //p' "$tmp/f.real")," \
	"sockfault $(sed -n 's/^since = //p' "$tmp/f.fake") ms"

finish
