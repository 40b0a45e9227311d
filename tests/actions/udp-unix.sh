#!/bin/sh
# UDP (blackhole, drop, corrupt) and unix stream sockets (reset, eof,
# hangup, blackhole, timeout, a sticky error), program side and peer side.
# unix sockets have no RST and no receive filter: a reset or the end of a
# timeout shows the peer an end of file, and the silence of blackhole and
# timeout is kept by the library.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- UDP ---
TREAL_OPTS=-D
steps='p:listen connect send=10 p:udpexpect,300 p:udpsend,10 pollin=300 rcvtimeo=200 recv'
# shellcheck disable=SC2086
run 'send => blackhole' $steps
transcript "udp blackhole: the datagram vanishes, and the peer's never arrives" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 10
peer udpexpect = silence
peer udpsend = sent 10
pollin = none
rcvtimeo = 0
recv = -1 EAGAIN
EOF2
# shellcheck disable=SC2086
run '' $steps
transcript "udp without the rule: both datagrams arrive" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 10
peer udpexpect = dgram 10 bits=0
peer udpsend = sent 10
pollin = IN
rcvtimeo = 0
recv = 10
EOF2

run 'send when=2 => drop; recv once => drop' p:listen connect send=10 send=11 send=12 p:udpexpect,300 \
	p:udpexpect,300 p:udpexpect,300 p:udpsend,10 p:udpsend,20 pollin=300 recvnb recvnb
transcript "udp drop: the second datagram sent and the first received are lost" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 10
send = 11
send = 12
peer udpexpect = dgram 10 bits=0
peer udpexpect = dgram 12 bits=0
peer udpexpect = silence
peer udpsend = sent 10
peer udpsend = sent 20
pollin = IN
recvnb = 20
recvnb = -1 EAGAIN
EOF2

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
if [ "$2" != "$3" ]; then pass "udp corrupt: seed 8, another ($3)"; else fail "udp corrupt: seeds 7 and 8 flipped the same bits"; fi

# --- unix stream ---
TREAL_OPTS=-U
run 'send when=2 => reset' p:listen connect p:accept sendns sendns p:expect,1000 sendns send sigpipes recv recvnb \
	peername so_error pollin=0
transcript "unix reset: ECONNRESET; the peer sees the end; later EPIPE (SIGPIPE), 0, ENOTCONN" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
sendns = 4
sendns = -1 ECONNRESET
peer expect = data 4 bits=0 ms=*
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
recv = 0
recvnb = 0
getpeername = -1 ENOTCONN
SO_ERROR = 0
pollin = IN*
EOF2
# The peer read the 4 bytes of the first send above; the end comes next.
run 'send when=1 => reset' p:listen connect p:accept sendns p:expect,1000
transcript "unix reset: the peer sees an end of file" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
sendns = -1 ECONNRESET
peer expect = eof ms=*
EOF2

run 'recv => eof' p:listen connect p:accept recv pollin=0 sendns p:expect,1000 p:expect,300 p:send recv peername
transcript "unix eof: receives give 0, sends go; the peer's own sends fail (the kernel links the directions)" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
recv = 0
pollin = IN*
sendns = 4
peer expect = data 4 bits=0 ms=*
peer expect = silence
peer send = sent 0 err EPIPE
recv = 0
getpeername = 0
EOF2

run 'recv => hangup' p:listen connect p:accept recv p:expect,1000 sendns send sigpipes pollin=0
transcript "unix hangup: the peer sees the end; sends fail with EPIPE (SIGPIPE)" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
recv = 0
peer expect = eof ms=*
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
pollin = IN*
EOF2

steps='p:listen connect p:accept p:send,100 pollin=1000 recvnb p:send,100 rcvtimeo=300 recv took pollin=300 sendns
p:expect,300 peername p:send,100 nonblock recv'
# shellcheck disable=SC2086
run 'rx => blackhole' $steps
transcript "unix blackhole: what the peer sends is never read, the program's sends vanish" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
peer send = sent 100
pollin = IN
recvnb = -1 EAGAIN
peer send = sent 100
rcvtimeo = 0
recv = -1 EAGAIN
took = *
pollin = none
sendns = 4
peer expect = silence
getpeername = 0
peer send = sent 100
nonblock = 0
recv = -1 EAGAIN
EOF2
expect_between "unix blackhole: a blocking recv waits for SO_RCVTIMEO" 280 1500 "$(value took)"
# shellcheck disable=SC2086
run '' $steps
transcript "unix without the rule: the data is read, the send arrives" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
peer send = sent 100
pollin = IN
recvnb = 100
peer send = sent 100
rcvtimeo = 0
recv = 100
took = *
pollin = none
sendns = 4
peer expect = data 4 bits=0 ms=*
getpeername = 0
peer send = sent 100
nonblock = 0
recv = 100
EOF2
run 'connect => blackhole' p:listen connect p:accept,300 peername
transcript "unix blackhole on connect: EAGAIN (the kernel has no pending unix connect)" <<'EOF2'
peer listenu = port 0
connect = -1 EAGAIN
peer accept = none
getpeername = -1 ENOTCONN
EOF2

run 'connect => timeout 1s' p:listen connect took sleep=1100 reconnect peername so_error p:accept,200
transcript "unix timeout 1s on connect: EAGAIN during the silence (as blackhole), ETIMEDOUT after it" <<'EOF2'
peer listenu = port 0
connect = -1 EAGAIN
took = *
connect = -1 ETIMEDOUT
getpeername = -1 ENOTCONN
SO_ERROR = 0
peer accept = none
EOF2

run 'recv => timeout 1s' p:listen connect p:accept p\&:expect,5000 recv took pwait recv sendns peername so_error \
	so_error pollin=0
transcript "unix timeout 1s: ETIMEDOUT after the silence, the peer sees the end" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
recv = -1 ETIMEDOUT
took = *
peer expect = eof ms=*
recv = 0
sendns = -1 EPIPE
getpeername = -1 ENOTCONN
SO_ERROR = 0
SO_ERROR = 0
pollin = IN*
EOF2
expect_between "unix timeout 1s: after 0.9..2 s" 900 2000 "$(value took)"
expect_between "unix timeout 1s: the peer's end after 0.9..2 s" 900 2000 "$(field 'peer expect = eof' ms)"

run 'recv => error ECONNABORTED sticky' p:listen connect p:accept recvnb sendns recv peername so_error so_error \
	pollin=0 p:expect,300
transcript "unix sticky error: the connection is dead for the program, the peer hears nothing" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
recvnb = -1 ECONNABORTED
sendns = -1 ECONNABORTED
recv = -1 ECONNABORTED
getpeername = -1 ENOTCONN
SO_ERROR = ECONNABORTED
SO_ERROR = 0
pollin = IN*
peer expect = silence
EOF2

finish
