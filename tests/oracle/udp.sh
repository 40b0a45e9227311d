#!/bin/sh
# UDP, for real and by sockfault. Loss: the router drops every second
# datagram (iptables statistic, nth), sockfault drops the same ones
# (`tx when=2+2 => drop`): every send succeeds, the peer gets 5 of 10.
# Nothing listening on the port: the server's kernel answers each datagram
# with ICMP port unreachable; the connected socket's next call, whichever,
# fails once with ECONNREFUSED, poll says ERR before it.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up
need_iptables

L='p:listen connect send send send send send send send send send send'
for _i in 1 2 3 4 5 6 7 8 9 10; do
	L="$L p:udpexpect,300"
done
in_router iptables -A FORWARD -p udp -m statistic --mode nth --every 2 --packet 1 -j DROP
# shellcheck disable=SC2086 # the steps are words
real l -D $L
fw_clear
# shellcheck disable=SC2086
fake l 'tx when=2+2 => drop' -D $L
agree l "UDP loss: every send succeeds, the peer gets one datagram in two" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 4
send = 4
send = 4
send = 4
send = 4
send = 4
send = 4
send = 4
send = 4
send = 4
peer udpexpect = dgram 4 bits=0
peer udpexpect = dgram 4 bits=0
peer udpexpect = dgram 4 bits=0
peer udpexpect = dgram 4 bits=0
peer udpexpect = dgram 4 bits=0
peer udpexpect = silence
peer udpexpect = silence
peer udpexpect = silence
peer udpexpect = silence
peer udpexpect = silence
EOF2

U='p:listen connect send sleep=100 pollin=0 recvnb recvnb send sleep=100 send so_error recvnb sigpipes'
# shellcheck disable=SC2086
AT=$OR_SERVER:9 real u -D $U
# shellcheck disable=SC2086
fake u 'tx => error ECONNREFUSED' -D $U
agree u "UDP to a closed port: ICMP, then the next call fails once with ECONNREFUSED" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 4
pollin = ERR
recvnb = -1 ECONNREFUSED
recvnb = -1 EAGAIN
send = 4
send = -1 ECONNREFUSED
SO_ERROR = 0
recvnb = -1 EAGAIN
sigpipes = 0
EOF2

finish
