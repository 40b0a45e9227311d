#!/bin/sh
# throttle and corrupt on TCP. throttle RATE: a transfer of 1.25 s keeps its
# average within 10 % of RATE, measured by the sender (its blocking sends
# wait for the slow link) and by the receiver, in each direction on its own;
# without the rule the same transfer is far faster. corrupt N: N bits of
# each call's data are flipped, the length unchanged, at positions the seed
# decides.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

rate=262144      # 256 KiB/s
bytes=327680     # 320 KiB: 1.25 s at that rate
lo=$((rate * 9 / 10)) hi=$((rate * 11 / 10))

# --- throttle, sending ---
steps="p:listen connect p:accept p&:recvall,$bytes,10000 sendall=$bytes pwait"
# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_LOG=off run 'send => throttle 256KiB/s' $steps
transcript "throttle on send: every byte arrives, intact" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendall = $bytes
rate = *
peer recvall = got $bytes bits=0 *
EOF2
expect_between "throttle 256KiB/s: the sender's average (B/s)" $lo $hi "$(value rate)"
expect_between "throttle 256KiB/s: the receiver's average (B/s)" $lo $hi "$(field 'peer recvall' rate)"
# shellcheck disable=SC2086
run '' $steps
expect_between "without the rule the same transfer is more than 4 times as fast" $((rate * 4)) 999999999999 \
	"$(field 'peer recvall' rate)"

# --- throttle, receiving ---
steps="p:listen connect p:accept p&:send,$bytes recvall=$bytes pwait"
# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_LOG=off run 'recv => throttle 256KiB/s' $steps
transcript "throttle on recv: every byte is read, intact" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
recvall = $bytes bits=0
rate = *
peer send = sent $bytes
EOF2
expect_between "throttle 256KiB/s on recv: the receiver's average (B/s)" $lo $hi "$(value rate)"

# Per direction: a slow sending side leaves receiving alone.
# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_LOG=off run 'send => throttle 64KiB/s' $steps
expect_between "throttle on send only: receiving runs at full speed" $((rate * 4)) 999999999999 "$(value rate)"

# --- corrupt ---
run 'send => corrupt 3' p:listen connect p:accept sendns=1000 p:recvall,1000,3000 sendns=1000 \
	p:recvall,1000,3000 sendns=100000 p:recvall,65536,3000
transcript "corrupt 3 on send: 3 bits of each call flipped, the length unchanged (at most 64 KiB a call)" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 1000
peer recvall = got 1000 bits=3 *
sendns = 1000
peer recvall = got 1000 bits=3 *
sendns = 65536
peer recvall = got 65536 bits=3 *
EOF2
run '' p:listen connect p:accept sendns=1000 p:recvall,1000,3000
transcript "without the rule the bytes arrive as sent" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 1000
peer recvall = got 1000 bits=0 *
EOF2
run 'recv => corrupt 5' p:listen connect p:accept p:send,1000 pollin=1000 recv=1000 bits
transcript "corrupt 5 on recv: 5 bits flipped in what the program read" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 1000
pollin = IN
recv = 1000
rxbits = 5 fnv=*
EOF2

# The seed decides where (with the same peer: it keeps its port).
run '' p:listen
port=$(value 'peer listen' | sed 's/port //')
sums=
for seed in 11 11 12; do
	RUN_ENV="SOCKFAULT_SEED=$seed" run 'send => corrupt 4' "p:listen,$port" connect p:accept sendns=2000 \
		p:recvall,2000,3000
	expect_out "^peer listen = port $port\$" "the peer is on port $port again"
	expect_out '^peer recvall = got 2000 bits=4 ' "seed $seed: 4 bits"
	sums="$sums $(field 'peer recvall' fnv)"
done
# shellcheck disable=SC2086
set -- $sums
expect_eq "corrupt: seed 11 twice, the same bytes" "$1" "$2"
if [ "$2" != "$3" ]; then pass "corrupt: seed 12, other bytes ($3)"; else fail "corrupt: seeds 11 and 12 flipped the same bits"; fi

finish
