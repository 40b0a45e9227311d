#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# reset, what the program and the peer see (sockfault-rules(5)). TCP (over
# IPv4, and IPv6 where ::1 works): ECONNRESET now, an RST for the peer, a
# dead socket after. A unix stream socket has no RST: the peer sees an end
# of file.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

tcp() {
# --- reset: ECONNRESET now, an RST for the peer, a dead socket after ---
steps='p:listen connect p:accept sendns p:expect,1000 et-add sendns p:expect,1000 et=500 sendns send sigpipes
rcvtimeo=200 recv recvnb read reconnect peername so_error pollin=0 epoll=0 select=0'
# shellcheck disable=SC2086
run 'send when=2 => reset' $steps
transcript "$name reset" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
et-add = OUT
sendns = -1 ECONNRESET
peer expect = err ECONNRESET ms=*
et = *HUP*
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
rcvtimeo = 0
recv = 0
recvnb = 0
read = 0
connect = -1 EISCONN
getpeername = -1 ENOTCONN
SO_ERROR = 0
pollin = *HUP*
epoll = *HUP*
select = r*
EOF
expect_log 'text-1 fired on send fd=[0-9]+ peer=[^ ]+: reset \(ECONNRESET\)$' "$name reset: logged"
# shellcheck disable=SC2086
run '' $steps
transcript "$name without the rule, the same steps see a live connection" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
et-add = OUT
sendns = 4
peer expect = data 4 bits=0 ms=*
et = none
sendns = 4
send = 4
sigpipes = 0
rcvtimeo = 0
recv = -1 EAGAIN
recvnb = -1 EAGAIN
read = -1 EAGAIN
connect = -1 EISCONN
getpeername = 0
SO_ERROR = 0
pollin = none
epoll = none
select = none
EOF

# A rule that keeps matching after the reset: the connection is already
# dead, so later sends get what the kernel gives for a reset connection
# (EPIPE, and SIGPIPE without MSG_NOSIGNAL), not a second reset.
run 'send => reset' p:listen connect p:accept sendns p:expect,1000 sendns send sigpipes write sigpipes
transcript "$name reset: later sends on the dead connection get EPIPE and SIGPIPE, not ECONNRESET again" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = -1 ECONNRESET
peer expect = err ECONNRESET ms=*
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
write = -1 EPIPE
sigpipes = 2
EOF
}
each_tcp_family tcp

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

finish
