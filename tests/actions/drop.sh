#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# drop on UDP, what the program and the peer see (sockfault-rules(5)): the
# datagram sent is lost on the way, the one received is lost before the
# program reads it. drop on each call is in tests/calls/data.sh.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

TREAL_OPTS=-D
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

finish
