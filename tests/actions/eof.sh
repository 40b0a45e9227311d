#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# eof, what the program and the peer see (sockfault-rules(5)): receives
# give 0 and the socket polls readable, sends still go, the peer hears
# nothing (TCP over IPv4 and IPv6; a unix stream socket).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

tcp() {
# --- eof: receives give 0, the socket polls readable, sends still go; the
# peer hears nothing ---
steps='p:listen connect p:accept et-add recv et=500 et=0 recv recvnb pollin=0 epoll=0 select=0 sendns p:expect,1000
p:expect,300 peername so_error p:send recv'
# shellcheck disable=SC2086
run 'recv => eof' $steps
transcript "$name eof" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recv = 0
et = IN*RDHUP
et = none
recv = 0
recvnb = 0
pollin = IN*
epoll = IN*
select = r
sendns = 4
peer expect = data 4 bits=0 ms=*
peer expect = silence
getpeername = 0
SO_ERROR = 0
peer send = sent 4
recv = 0
EOF
}
each_tcp_family tcp

# --- unix stream ---
TREAL_OPTS=-U
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

finish
