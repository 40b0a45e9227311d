#!/bin/sh
# shellcheck disable=SC2034 # TREAL_OPTS is read by lib.sh's run
# lossy P, what the program and the peer see (sockfault-rules(5)): a noisy
# link. On TCP no byte is ever wrong: the relay paces the stream as a TCP
# sender over that link would go (windows of one round trip, a lost segment
# sent again a round trip later, or a timeout later when nothing follows
# it), so the transfer arrives whole, only slower; the round trip is the
# connection's own with the delays of its rules (40 ms here). On UDP a
# datagram is lost with chance P, the same ones for the same seed.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# A transfer's time depends on the draws (up to 15 s allowed below, with
# retransmissions doubling): treal's bound on each step must be above it.
TREAL_OPTS="-W 30"

LINK='tx => delay 20ms
rx => delay 20ms'

# --- TCP: intact and slower, both ways ---
# (The peer waits from before the first byte: its time is the transfer's.)
run "tx => lossy 0.1
$LINK" p:listen connect p:accept p\&:recvall,200000,30000 sendall=200000 pwait
transcript "tcp lossy on tx: all 200 000 bytes arrive, none flipped" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendall = 200000
rate = *
peer recvall = got 200000 bits=0 *
EOF2
slow_tx=$(field 'peer recvall' ms)
# 139 segments of 1448 bytes at 10 %, over a 40 ms round trip: four rounds
# of the window at least (it starts at 10 segments), and a round trip more
# for a loss; up to 15 s if retransmissions are lost in turn.
expect_between "tcp lossy on tx: the transfer took rounds and retransmissions (ms)" 150 15000 "$slow_tx"

run "rx => lossy 0.1
$LINK" p:listen connect p:accept mark p:send,200000 recvall=200000 since
transcript "tcp lossy on rx: all 200 000 bytes read, none flipped" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 200000
recvall = 200000 bits=0
rate = *
since = *
EOF2
expect_between "tcp lossy on rx: the transfer took rounds and retransmissions (ms)" 150 15000 "$(value since)"

run "$LINK" p:listen connect p:accept sendall=200000 p:recvall,200000,30000
expect_out '^peer recvall = got 200000 bits=0 ' "the latency alone: all of it"
fast=$(field 'peer recvall' ms)
expect_between "the latency alone delays the bytes, not the transfer (ms)" 0 140 "$fast"
if [ "$slow_tx" -gt "$fast" ]; then pass "lossy: slower than the latency alone ($slow_tx ms, $fast ms)"; else
	fail "lossy: not slower ($slow_tx ms, $fast ms with the latency alone)"
fi

# The server's side: an accepted connection is relayed and slowed the same.
run "tx => lossy 0.1
$LINK" listen p:connect accept p\&:recvall,200000,30000 sendall=200000 pwait
expect_out '^peer recvall = got 200000 bits=0 ' "tcp lossy, accepted: all of it, intact"
expect_between "tcp lossy, accepted: the transfer took rounds and retransmissions (ms)" 150 15000 \
	"$(field 'peer recvall' ms)"

# Without latency the round trip is the connection's own (a floor of 1 ms):
# a lost segment that others follow costs about that, so most transfers
# take a few ms; only a retransmission lost again near the end waits the
# timeout (200 ms), in about one run of ten at 5 %. A segment lost with
# every loss a timeout, as a link without fast retransmission, would take
# 200 ms in every run: one of up to 5 runs must be under 150 ms.
quick=
k=0
while [ "$k" -lt 5 ] && [ -z "$quick" ]; do
	run 'tx => lossy 0.05' p:listen connect p:accept sendall=200000 p:recvall,200000,30000
	expect_out '^peer recvall = got 200000 bits=0 ' "tcp lossy on a short round trip: all of it, intact"
	ms=$(field 'peer recvall' ms)
	[ "${ms:-999}" -ge 150 ] || quick=$ms
	k=$((k + 1))
done
if [ -n "$quick" ]; then pass "tcp lossy on a short round trip: losses repaired in a round trip ($quick ms)"; else
	fail "tcp lossy on a short round trip: every run took 150 ms or more (each loss a timeout?)"
fi

# Not relayed (SOCKFAULT_DELAY=call): each call is a segment and waits.
steps=
for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
	steps="$steps send=100"
done
# shellcheck disable=SC2086 # the steps are words
RUN_ENV=SOCKFAULT_DELAY=call run 'tx => lossy 0.25' p:listen connect p:accept mark $steps since p:recvall,3000,5000
expect_out '^peer recvall = got 3000 bits=0 ' "tcp lossy in the calls: all of it, intact"
# 30 calls at 25 %: about 3 s of waits; none at all once in 5 000 runs.
expect_between "tcp lossy in the calls: the sends waited retransmissions (ms)" 200 40000 "$(value since)"
expect_err 'fired on send .*: lossy 0.25' "tcp lossy in the calls: the waits are logged"

# --- UDP: datagrams lost, the same ones for the same seed ---
TREAL_OPTS=-D
sends=
expects=
for n in 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29; do
	sends="$sends send=$n"
	expects="$expects p:udpexpect,200"
done
run '' p:listen
port=$(value 'peer udp' | sed 's/port //')
kept=
for seed in 5 5 6; do
	# shellcheck disable=SC2086 # the steps are words
	RUN_ENV="SOCKFAULT_SEED=$seed" run 'send => lossy 0.3' "p:listen,$port" connect $sends $expects
	expect_out "^peer udp = port $port\$" "the peer is on port $port again"
	expect_eq "udp lossy, seed $seed: every send says the datagram went" 20 "$(grep -c '^send = ' "$tmp/out")"
	got=$(sed -n 's/^peer udpexpect = dgram \([0-9]*\) bits=0$/\1/p' "$tmp/out" | tr '\n' ' ')
	n=$(echo "$got" | wc -w)
	expect_between "udp lossy 0.3, seed $seed: some of the 20 datagrams arrive, whole" 6 19 "$n"
	kept="$kept|$got"
done
first=$(echo "$kept" | cut -d'|' -f2)
second=$(echo "$kept" | cut -d'|' -f3)
third=$(echo "$kept" | cut -d'|' -f4)
expect_eq "udp lossy: seed 5 twice, the same datagrams lost" "$first" "$second"
expect_ne "udp lossy: seed 6 loses others ($third)" "$second" "$third"
# Replayed from a JSON log under another seed: the same datagrams lost.
# shellcheck disable=SC2086 # the steps are words
RUN_ENV="SOCKFAULT_SEED=5 SOCKFAULT_LOG_FORMAT=json SOCKFAULT_LOG=$tmp/lossy.jsonl" run 'send => lossy 0.3' \
	"p:listen,$port" connect $sends $expects
expect_eq "udp lossy: each datagram lost is logged" "$((20 - $(echo "$first" | wc -w)))" \
	"$(grep -c '"event":"fault"' "$tmp/lossy.jsonl")"
# shellcheck disable=SC2086 # the steps are words
RUN_ENV="SOCKFAULT_SEED=6 SOCKFAULT_REPLAY=$tmp/lossy.jsonl" run 'send => lossy 0.3' "p:listen,$port" connect \
	$sends $expects
expect_eq "udp lossy replayed under seed 6: the datagrams of seed 5 lost" "$first" \
	"$(sed -n 's/^peer udpexpect = dgram \([0-9]*\) bits=0$/\1/p' "$tmp/out" | tr '\n' ' ')"
# shellcheck disable=SC2086 # the steps are words
run '' "p:listen,$port" connect $sends $expects
expect_eq "udp without the rule: all 20 arrive" 20 "$(grep -c '^peer udpexpect = dgram ' "$tmp/out")"

# Receiving: a lost datagram is discarded, the call gets the next one.
peersends=
reads=
for n in 10 11 12 13 14 15 16 17 18 19; do
	peersends="$peersends p:udpsend,$n"
	reads="$reads recvnb"
done
# At 0.5 all ten arrive, or none, in 0.1 % of runs each (at 0.3, all ten
# arrived in 3 %): the draws of a receive are not the same from run to run
# even seeded, since the program's own port changes.
# shellcheck disable=SC2086 # the steps are words
RUN_ENV=SOCKFAULT_SEED=5 run 'recv => lossy 0.5' "p:listen,$port" connect $peersends sleep=200 $reads
got=$(grep -c '^recvnb = 1[0-9]$' "$tmp/out")
expect_between "udp lossy on recv: some of the 10 datagrams read" 1 9 "$got"
expect_eq "udp lossy on recv: the rest of the reads find nothing" $((10 - got)) \
	"$(grep -c '^recvnb = -1 EAGAIN$' "$tmp/out")"

finish
