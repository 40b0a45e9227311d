#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# corrupt N, what the program and the peer see (sockfault-rules(5)): N bits
# of each call's data are flipped, the length unchanged, at positions the
# seed decides; on TCP and on UDP.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

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
expect_ne "corrupt: seed 12, other bytes ($3)" "$2" "$3"

# --- UDP ---
TREAL_OPTS=-D
steps='p:listen connect send=100 p:udpexpect,1000 p:udpsend,100 pollin=1000 recv bits'
# shellcheck disable=SC2086
run 'send => corrupt 3; recv => corrupt 2' $steps
transcript "udp corrupt: 3 bits flipped going out, 2 coming in, lengths unchanged" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 100
peer udpexpect = dgram 100 bits=3
peer udpsend = sent 100
pollin = IN
recv = 100
rxbits = 2 fnv=*
EOF2
# The same seed flips the same bits; another seed, others. The positions
# depend on the seed and on the peer, so the peer keeps its port.
port=$(value 'peer udp' | sed 's/port //')
sums=
for seed in 7 7 8; do
	# shellcheck disable=SC2046 # the steps are words
	RUN_ENV="SOCKFAULT_SEED=$seed" run 'recv => corrupt 2' "p:listen,$port" $(echo "$steps" | sed 's/^p:listen //')
	expect_out "^peer udp = port $port\$" "the peer is on port $port again"
	sums="$sums $(value rxbits | sed 's/.*fnv=//')"
done
# shellcheck disable=SC2086 # three words
set -- $sums
expect_eq "udp corrupt: seed 7 twice, the same datagram" "$1" "$2"
expect_ne "udp corrupt: seed 8, another ($3)" "$2" "$3"

finish
