#!/bin/sh
# The peer ends the connection, for real (rpeer closes: a FIN; or shuts its
# sending side: a half-close; or aborts with SO_LINGER 0: an RST after 1000
# bytes it sent) and by sockfault's rules with a time trigger, which fire
# at their time while the program sleeps (age>50ms: the peer's real close
# comes within the program's first 100 ms), the peer staying open (its
# line "peer sleep" stands where the real run has "peer close", "peer
# shutwr" or "peer rst"). After a real close: poll readable at once,
# receive 0, the first send succeeds (the peer's kernel answers it with an
# RST), the next fails with EPIPE and SIGPIPE, getpeername ENOTCONN. After
# a half-close (eof): readable at once, receive 0, sends go on. After a
# real reset, the data that came before it is read first, then
# ECONNRESET; poll says IN,ERR,HUP,RDHUP at once. A reset while the
# program sends: see below. Level-triggered epoll says what poll says.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up

after_close='sleep=100 pollin=0 epoll=0 recv send sleep=100 send peername so_error sigpipes'
# Closed or half-closed, the program sees the same until its second send.
end_seen='peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
peer * = ok
pollin = IN,RDHUP
epoll = IN,RDHUP
recv = 0
send = 4'
# shellcheck disable=SC2086 # the steps are words
real f p:listen connect p:accept sendns p:expect,1000 p:close $after_close
# shellcheck disable=SC2086
fake f 'rx age>50ms => hangup' p:listen connect p:accept sendns p:expect,1000 p:sleep,0 $after_close
agree f "the peer closed (rx age>50ms => hangup): readable at once, recv 0, one send succeeds, then EPIPE" <<EOF2
$end_seen
send = -1 EPIPE
getpeername = -1 ENOTCONN
SO_ERROR = 0
sigpipes = 1
EOF2
# shellcheck disable=SC2086
real e p:listen connect p:accept sendns p:expect,1000 p:shutwr $after_close
# shellcheck disable=SC2086
fake e 'rx age>50ms => eof' p:listen connect p:accept sendns p:expect,1000 p:sleep,0 $after_close
agree e "the peer shut its sending side (rx age>50ms => eof): readable at once, recv 0, sends go on" <<EOF2
$end_seen
send = 4
getpeername = 0
SO_ERROR = 0
sigpipes = 0
EOF2

after_rst='sleep=100 pollin=0 epoll=0 recv=500 recv=500 recv send so_error peername sigpipes'
# shellcheck disable=SC2086
real r p:listen connect p:accept p:send,1000 sleep=100 p:rst $after_rst
# shellcheck disable=SC2086
fake r 'rx age>50ms => reset' p:listen connect p:accept p:send,1000 sleep=100 p:sleep,0 $after_rst
agree r "the peer reset after its data: the data first, then ECONNRESET; poll says so at once" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 1000
peer * = ok
pollin = IN,ERR,HUP,RDHUP
epoll = IN,ERR,HUP,RDHUP
recv = 500
recv = 500
recv = -1 ECONNRESET
send = -1 EPIPE
SO_ERROR = 0
getpeername = -1 ENOTCONN
sigpipes = 1
EOF2

# The peer resets while the program sends: the program's next send fails
# with ECONNRESET, the one after with EPIPE (and SIGPIPE without
# MSG_NOSIGNAL); poll says OUT,ERR,HUP as soon as the RST is in. sockfault:
# a reset when the connection has been idle 80 ms (the program sleeps 100
# ms after the peer has received everything).
after_tx='sleep=100 pollout=0 epollout=0 sendns send recvnb so_error peername sigpipes'
# What the program sees once the peer's RST is in, while it sends.
reset_seen='peer * = ok
pollout = OUT,ERR,HUP
epollout = OUT,ERR,HUP
sendns = -1 ECONNRESET
send = -1 EPIPE
recvnb = 0
SO_ERROR = 0
getpeername = -1 ENOTCONN
sigpipes = 1'
# shellcheck disable=SC2086
real m p:listen connect p:accept sendall=100000 p:recvall,100000,3000 p:rst $after_tx
# shellcheck disable=SC2086
fake m 'io idle>80ms => reset' p:listen connect p:accept sendall=100000 p:recvall,100000,3000 p:sleep,0 $after_tx
agree m "the peer reset while the program sends: ECONNRESET, then EPIPE and SIGPIPE" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendall = 100000
rate = *
peer recvall = got 100000 bits=0 *
$reset_seen
EOF2

# The peer resets in the middle of a transfer: the program's send buffer
# full (nonblocking sends until EAGAIN), the peer's receive buffer full
# and unread. The same as above: the RST ends it, what was queued is gone.
# shellcheck disable=SC2086
real b p:listen connect p:accept sendfill p:rst $after_tx
# shellcheck disable=SC2086
fake b 'io idle>80ms => reset' p:listen connect p:accept sendfill p:sleep,0 $after_tx
agree b "the peer reset in the middle of a transfer: ECONNRESET, then EPIPE and SIGPIPE" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendfill = * EAGAIN
$reset_seen
EOF2

finish
