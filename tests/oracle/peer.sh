#!/bin/sh
# The peer ends the connection, for real (rpeer closes: a FIN; or aborts
# with SO_LINGER 0: an RST after 1000 bytes it sent) and by sockfault's
# rules, the peer staying open (its line "peer sleep" stands where the real
# run has "peer close" or "peer rst"). After a real close: poll readable at
# once, receive 0, the first send succeeds (the peer's kernel answers it
# with an RST), the next fails with EPIPE and SIGPIPE, getpeername
# ENOTCONN. After a real reset, the data that came before it is read
# first, then ECONNRESET; poll says IN,ERR,HUP,RDHUP at once. A reset while
# the program sends: see below.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up

after_close='sleep=100 pollin=0 recv send sleep=100 send peername so_error sigpipes'
# shellcheck disable=SC2086 # the steps are words
real f p:listen connect p:accept sendns p:expect,1000 p:close $after_close
# shellcheck disable=SC2086
fake f 'rx => hangup' p:listen connect p:accept sendns p:expect,1000 p:sleep,0 $after_close
cp "$tmp/f.real" "$tmp/e.real"
# shellcheck disable=SC2086
fake e 'rx => eof' p:listen connect p:accept sendns p:expect,1000 p:sleep,0 $after_close
CLOSED=$(cat <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
peer * = ok
pollin = IN,RDHUP
recv = 0
send = 4
send = -1 EPIPE
getpeername = -1 ENOTCONN
SO_ERROR = 0
sigpipes = 1
EOF2
)
echo "$CLOSED" | differs f "the peer closed (rx => hangup): readable at once, recv 0, one send succeeds, then EPIPE"
echo "$CLOSED" | differs e "the peer closed (rx => eof): readable at once, recv 0, one send succeeds, then EPIPE"

after_rst='sleep=100 pollin=0 recv=500 recv=500 recv send so_error peername sigpipes'
# shellcheck disable=SC2086
real r p:listen connect p:accept p:send,1000 sleep=100 p:rst $after_rst
# shellcheck disable=SC2086
fake r 'rx received>=1000 => reset' p:listen connect p:accept p:send,1000 sleep=100 p:sleep,0 $after_rst
differs r "the peer reset after its data: the data first, then ECONNRESET; poll says so at once" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 1000
peer * = ok
pollin = IN,ERR,HUP,RDHUP
recv = 500
recv = 500
recv = -1 ECONNRESET
send = -1 EPIPE
SO_ERROR = 0
getpeername = -1 ENOTCONN
sigpipes = 1
EOF2
# What agrees today: the calls after the poll.
expect_eq "sockfault agrees on the calls after a reset that follows data" \
	"$(sed -n '7,$p' "$tmp/r.real")" "$(sed -n '7,$p' "$tmp/r.fake")"

# The peer resets while the program sends: the program's next send fails
# with ECONNRESET, the one after with EPIPE (and SIGPIPE without
# MSG_NOSIGNAL); poll says OUT,ERR,HUP as soon as the RST is in.
after_tx='sleep=100 pollout=0 sendns send recvnb so_error peername sigpipes'
# shellcheck disable=SC2086
real m p:listen connect p:accept sendall=100000 p:recvall,100000,3000 p:rst $after_tx
# shellcheck disable=SC2086
fake m 'tx sent>=100000 => reset' p:listen connect p:accept sendall=100000 p:recvall,100000,3000 p:sleep,0 $after_tx
differs m "the peer reset while the program sends: ECONNRESET, then EPIPE and SIGPIPE" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendall = 100000
rate = *
peer recvall = got 100000 bits=0 *
peer * = ok
pollout = OUT,ERR,HUP
sendns = -1 ECONNRESET
send = -1 EPIPE
recvnb = 0
SO_ERROR = 0
getpeername = -1 ENOTCONN
sigpipes = 1
EOF2
expect_eq "sockfault agrees on the calls after a reset while sending" \
	"$(sed -n '9,$p' "$tmp/m.real")" "$(sed -n '9,$p' "$tmp/m.fake")"

finish
