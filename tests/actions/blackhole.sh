#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# blackhole, what the program and the peer see (sockfault-rules(5)):
# nothing arrives and nothing is acknowledged from the firing on, on TCP
# (over IPv4 and IPv6, connect included), UDP and unix stream sockets (where
# the library keeps the silence: the kernel has no such state).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# What the peer gets of a send into the silence, and of the end the
# program's keepalive gives the connection: nothing, with CAP_NET_ADMIN;
# without it the first window of the sends, and the keepalive's RST.
unheard=silence
kaend=silence
[ "$(id -u)" -eq 0 ] || { unheard='data 4 bits=0 ms=*' && kaend='err ECONNRESET ms=*'; }

tcp() {
# --- blackhole: from now on nothing arrives and nothing is acknowledged;
# what arrived before is read; sends go to the kernel, which keeps them
# unsent (as root: without CAP_NET_ADMIN the peer gets the first window of
# them, sockfault-rules(5)) ---
steps='p:listen connect p:accept p:send,100 pollin=2000 recvnb et-add p:send,100 sleep=300 p:outq et=0 pollin=300
epoll=100 select=100 rcvtimeo=300 recv took sendns=4 p:expect,300 peername so_error'
# shellcheck disable=SC2086
run 'rx => blackhole' $steps
transcript "$name blackhole" <<EOF
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 100
pollin = IN
recvnb = 100
et-add = OUT
peer send = sent 100
peer outq = outq 100
et = none
pollin = none
epoll = none
select = none
rcvtimeo = 0
recv = -1 EAGAIN
took = *
sendns = 4
peer expect = $unheard
getpeername = 0
SO_ERROR = 0
EOF
expect_between "$name blackhole: a blocking recv waits for SO_RCVTIMEO (300 ms)" 280 1500 "$(value took)"
# shellcheck disable=SC2086
run '' $steps
transcript "$name without the rule: the data arrives and is acknowledged" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 100
pollin = IN
recvnb = 100
et-add = OUT
peer send = sent 100
peer outq = outq 0
et = IN*
pollin = IN
epoll = IN
select = r
rcvtimeo = 0
recv = 100
took = *
sendns = 4
peer expect = data 4 bits=0 ms=*
getpeername = 0
SO_ERROR = 0
EOF

# The peer's data and its FIN were already in when the silence began:
# they arrived before the link went dead, so they are read as they came.
run 'rx => blackhole' p:listen connect p:accept p:send,10 p:shutwr sleep=100 recvnb pollin=200 rcvtimeo=300 recv
transcript "$name blackhole after the peer's data and FIN arrived: both are read" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 10
peer shutwr = ok
recvnb = 10
pollin = IN,RDHUP
rcvtimeo = 0
recv = 0
EOF

# A blackholed connect never completes.
run 'connect => blackhole' p:listen connect-nb pollout=1000 epollout=100 selectw=100 so_error peername p:accept,300 \
	sendns recvnb
transcript "$name blackhole on a nonblocking connect: EINPROGRESS, never writable" <<'EOF'
peer listen = port *
connect = -1 EINPROGRESS
pollout = none
epollout = none
selectw = none
SO_ERROR = 0
getpeername = -1 ENOTCONN
peer accept = none
sendns = -1 EAGAIN
recvnb = -1 EAGAIN
EOF
run '' p:listen connect-nb pollout=1000 so_error peername p:accept,300
transcript "$name without the rule the nonblocking connect completes" <<'EOF'
peer listen = port *
connect = -1 EINPROGRESS
pollout = OUT
SO_ERROR = 0
getpeername = 0
peer accept = accepted 1
EOF
run 'connect => blackhole' p:listen socket sndtimeo=500 reconnect took peername
transcript "$name blackhole on a blocking connect: EINPROGRESS at SO_SNDTIMEO" <<'EOF'
peer listen = port *
socket = 0
sndtimeo = 0
connect = -1 EINPROGRESS
took = *
getpeername = -1 ENOTCONN
EOF
expect_between "$name blackhole: the blocking connect waited for SO_SNDTIMEO (500 ms)" 480 1800 "$(value took)"

# --- the program's keepalive (the first probe after 1 s idle, 2 probes 1 s
# apart) ends the silent connection 3 s after the last segment received:
# ETIMEDOUT, then what the kernel gives a connection it timed out; its
# RST is kept from the peer (the library keeps the keepalive in the
# kernel's place, sockfault-rules(5)), and getsockopt still says it is on ---
run 'recv => blackhole' p:listen connect p:accept keepalive=1 rcvtimeo=8000 recv took kaopt pollin=0 recv send so_error \
	peername sigpipes p:expect,1000
transcript "$name blackhole, the keepalive on: ETIMEDOUT at its end, nothing for the peer" <<EOF
peer listen = port *
connect = 0
peer accept = accepted 1
keepalive = 0
rcvtimeo = 0
recv = -1 ETIMEDOUT
took = *
SO_KEEPALIVE = 1
pollin = IN,HUP,RDHUP
recv = 0
send = -1 EPIPE
SO_ERROR = 0
getpeername = -1 ENOTCONN
sigpipes = 1
peer expect = $kaend
EOF
expect_between "$name blackhole: the keepalive ended the connection after 3 s" 2700 4500 "$(value took)"
# Then closed, and the peer sends: its kernel's socket gone, a ghost of
# the connection keeps that from being answered with an RST (as root).
if [ "$(id -u)" -eq 0 ]; then
	run 'recv => blackhole' p:listen connect p:accept keepalive=1 rcvtimeo=8000 recv close p:send,100 p:expect,1000
	transcript "$name blackhole, the keepalive's end, the close: what the peer sends goes unanswered" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
keepalive = 0
rcvtimeo = 0
recv = -1 ETIMEDOUT
close = 0
peer send = sent 100
peer expect = silence
EOF
fi
# The program's setsockopt in the silence: the library follows it. Under
# the seccomp supervisor (SF_REACH) a setsockopt is not trapped: it reaches
# the kernel, whose keepalive (and its RST) it turns back on
# (sockfault-rules(5), blackhole).
if [ -z "${SF_REACH:-}" ]; then
	# Turned on in the silence, 0.7 s after the last segment received (the
	# handshake's): the kernel's timer counts from that segment, here too.
	run 'recv => blackhole' p:listen connect mark p:accept rcvtimeo=200 recv sleep=500 keepalive=1 kaopt rcvtimeo=8000 recv \
		since pollin=0 p:expect,1000
	transcript "$name blackhole, the keepalive turned on in the silence: its end 3 s after the last segment" <<EOF
peer listen = port *
connect = 0
peer accept = accepted 1
rcvtimeo = 0
recv = -1 EAGAIN
keepalive = 0
SO_KEEPALIVE = 1
rcvtimeo = 0
recv = -1 ETIMEDOUT
since = *
pollin = IN,HUP,RDHUP
peer expect = $kaend
EOF
	expect_between "$name blackhole: the keepalive turned on in the silence ended it 3 s after the last segment" 2700 4500 \
		"$(value since)"
	# Turned off in the silence: no end, the receive waits for SO_RCVTIMEO.
	run 'recv => blackhole' p:listen connect p:accept keepalive=1 rcvtimeo=200 recv keepalive=off kaopt rcvtimeo=3800 \
		recv took so_error
	transcript "$name blackhole, the keepalive turned off in the silence: no end" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
keepalive = 0
rcvtimeo = 0
recv = -1 EAGAIN
keepalive = 0
SO_KEEPALIVE = 0
rcvtimeo = 0
recv = -1 EAGAIN
took = *
SO_ERROR = 0
EOF
fi
}
each_tcp_family tcp

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

# --- unix stream ---
TREAL_OPTS=-U
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

finish
