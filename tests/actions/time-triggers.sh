#!/bin/sh
# Faults whose trigger is a time (idle>, age>) on a rule for receiving
# calls happen at that time, whether or not the program calls: a program
# waiting in poll or epoll, or blocked in a receive, sees the fault as it
# would see the real one (sockfault-rules(5), idle, age). A reset at a time
# is an RST come in: the data that arrived before it is read first, then
# ECONNRESET, and poll says IN,ERR,HUP,RDHUP; a hangup is the peer's FIN:
# IN,RDHUP at once.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

run 'rx age>200ms => reset' p:listen connect p:accept p:send,1000 sleep=300 pollin=0 recv=500 recv=500 recv \
	send so_error peername sigpipes p:expect,500
transcript "a reset at its time: poll says so, the data before it is read first, the peer gets an RST" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 1000
pollin = IN,ERR,HUP,RDHUP
recv = 500
recv = 500
recv = -1 ECONNRESET
send = -1 EPIPE
SO_ERROR = 0
getpeername = -1 ENOTCONN
sigpipes = 1
peer expect = err ECONNRESET ms=*
EOF2

run 'rx idle>200ms => hangup' p:listen connect p:accept sendns mark epoll=3000 since recv send sleep=100 send \
	peername sigpipes
transcript "a hangup at its time wakes a program waiting in epoll" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
epoll = IN,RDHUP
since = *
recv = 0
send = 4
send = -1 EPIPE
getpeername = -1 ENOTCONN
sigpipes = 1
EOF2
expect_between "the hangup came at idle>200ms (ms)" 150 1000 "$(value since)"

run 'rx age>200ms => reset' p:listen connect mark p:accept recv since so_error
transcript "a reset at its time wakes a blocking receive" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
recv = -1 ECONNRESET
since = *
SO_ERROR = 0
EOF2
expect_between "the reset came at age>200ms (ms)" 150 1000 "$(value since)"

# Data every 150 ms keeps an idle>300ms rule away; 500 ms of silence does not.
run 'rx idle>300ms => reset' p:listen connect p:accept sendns sleep=150 sendns sleep=150 sendns sleep=150 \
	pollin=0 sleep=500 pollin=0 p:expect,500 p:expect,500
transcript "idle> counts from the last data moved: the deadline moves with it" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = 4
sendns = 4
pollin = none
pollin = IN,ERR,HUP,RDHUP
peer expect = data 12 bits=0 ms=*
peer expect = err ECONNRESET ms=*
EOF2

run 'rx age>200ms => eof' p:listen connect p:accept sleep=300 pollin=0 recv sendns peername
transcript "eof at its time: the peer's half-close, readable at once, sends go on" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
pollin = IN,RDHUP
recv = 0
sendns = 4
getpeername = 0
EOF2

# A dup outlives the descriptor closed first: the connection's trigger is
# kept for it, and comes through it.
run 'rx idle>300ms => eof' p:listen connect p:accept dup use=1 close use=2 mark pollin=2000 since recv
transcript "a dup left after a close: the trigger comes through it" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
dup = 0
close = 0
pollin = IN,RDHUP
since = *
recv = 0
EOF2
expect_between "the dup's trigger at idle>300ms (ms after the close)" 150 1000 "$(value since)"

# A deadline sooner than the one the timer waits for wakes it: the client's
# trigger is set first (1.5 s away), the accepted connection's after it
# (300 ms away), and comes at its own time.
run 'rx side=client idle>1500ms => eof; rx side=server idle>300ms => eof' p:listen connect p:accept listen p:connect \
	accept mark pollin=1200 since recv
transcript "a sooner deadline set after a later one: it comes at its time" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
listen = 0
peer connect = connected 2
accept = 0
pollin = IN,RDHUP
since = *
recv = 0
EOF2
expect_between "the accepted connection's trigger at idle>300ms (ms after the accept)" 150 1000 "$(value since)"

finish
