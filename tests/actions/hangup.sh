#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# hangup, what the program and the peer see (sockfault-rules(5)): eof, and
# sends fail with EPIPE (SIGPIPE); the peer gets a FIN (TCP over IPv4 and
# IPv6) or an end of file (a unix stream socket).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

tcp() {
# --- hangup: eof, sends fail with EPIPE (SIGPIPE), the peer gets a FIN;
# getpeername still answers, as the kernel's does for a connection closed
# both ways that the program has not closed yet ---
steps='p:listen connect p:accept et-add recv p:expect,1000 et=500 recv recvnb sendns send sigpipes write sigpipes
pollin=0 epoll=0 select=0 so_error peername'
# shellcheck disable=SC2086
run 'recv => hangup' $steps
transcript "$name hangup" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recv = 0
peer expect = silence
et = IN*
recv = 0
recvnb = 0
sendns = 4
send = -1 EPIPE
sigpipes = 1
write = -1 EPIPE
sigpipes = 2
pollin = IN*
epoll = IN*
select = r
SO_ERROR = 0
getpeername = -1 ENOTCONN
EOF
run 'send => hangup' p:listen connect p:accept send sigpipes p:expect,1000 sendns sigpipes send sigpipes recv
transcript "$name hangup on a send: that send goes, the next one is EPIPE with SIGPIPE; nothing for the peer" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
send = 4
sigpipes = 0
peer expect = silence
sendns = -1 EPIPE
sigpipes = 0
send = -1 EPIPE
sigpipes = 1
recv = 0
EOF
}
each_tcp_family tcp

# --- unix stream ---
TREAL_OPTS=-U
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

finish
