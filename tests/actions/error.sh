#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# error ERRNO, what the program and the peer see (sockfault-rules(5)): a
# sticky error makes the connection dead for the program and the peer is
# not told; an EPIPE made by the library raises SIGPIPE, unless
# MSG_NOSIGNAL (TCP over IPv4 and IPv6; a unix stream socket). Each call's
# own errors are in tests/calls.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

tcp() {
# --- a sticky error on a connection: the connection is dead for the
# program, and the peer is not told ---
steps='p:listen connect p:accept et-add recvnb et=500 et=0 sendns rcvtimeo=200 recv peername so_error so_error
pollin=0 epoll=0 select=0 p:expect,500 p:send recvnb'
# shellcheck disable=SC2086
run 'recv => error ECONNABORTED sticky' $steps
transcript "$name sticky error" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recvnb = -1 ECONNABORTED
et = IN*
et = none
sendns = -1 ECONNABORTED
rcvtimeo = 0
recv = -1 ECONNABORTED
getpeername = -1 ENOTCONN
SO_ERROR = ECONNABORTED
SO_ERROR = 0
pollin = IN*
epoll = IN*
select = r
peer expect = silence
peer send = sent 4
recvnb = -1 ECONNABORTED
EOF
# shellcheck disable=SC2086
run 'recv once => error ECONNABORTED' $steps
transcript "$name the same error without sticky leaves the connection alive" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recvnb = -1 ECONNABORTED
et = none
et = none
sendns = 4
rcvtimeo = 0
recv = -1 EAGAIN
getpeername = 0
SO_ERROR = 0
SO_ERROR = 0
pollin = none
epoll = none
select = none
peer expect = data 4 bits=0 ms=*
peer send = sent 4
recvnb = 4
EOF

# --- EPIPE made by the library raises SIGPIPE, unless MSG_NOSIGNAL; sticky
# or not, the same way: the steps of $epipe_steps, the lines of
# $epipe_seen ---
epipe_steps='p:listen connect p:accept send sigpipes sendns sigpipes write sigpipes'
epipe_seen='peer listen = port *
connect = 0
peer accept = accepted 1
send = -1 EPIPE
sigpipes = 1
sendns = -1 EPIPE
sigpipes = 1
write = -1 EPIPE
sigpipes = 2'
# shellcheck disable=SC2086 # the steps are words
run 'send => error EPIPE sticky' $epipe_steps recvnb so_error
transcript "$name sticky EPIPE: SIGPIPE for send and write, none with MSG_NOSIGNAL" <<EOF
$epipe_seen
recvnb = -1 EPIPE
SO_ERROR = EPIPE
EOF
# shellcheck disable=SC2086
run 'tx when=1..3 => error EPIPE' $epipe_steps sendns
transcript "$name EPIPE without sticky: SIGPIPE the same way, then the connection goes on" <<EOF
$epipe_seen
sendns = 4
EOF
}
each_tcp_family tcp

# --- unix stream ---
TREAL_OPTS=-U
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
