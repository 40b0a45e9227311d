#!/bin/sh
# A middlebox resets an idle connection, for real (olink, on SIGUSR1,
# sends each end an RST that seems to come from the other) and by
# sockfault (`rx idle>60ms => reset`, firing at its time while the program
# sleeps 100 ms after the first exchange). Both ends see the reset: the
# program's receive fails with ECONNRESET (poll says IN,ERR,HUP,RDHUP before
# it), later sends EPIPE with SIGPIPE; the peer's receive fails with
# ECONNRESET too.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up

# shellcheck disable=SC2317 # or_play calls it at the gate
gate_r() {
	kill -USR1 "$or_link_pid"
	_i=0
	until grep -q '^reset' "$tmp/olink.out"; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || hard_error "olink did not reset"
		sleep 0.02
	done
}

STEPS='p:listen connect p:accept sendns p:expect,1000 p:send,4 recv=4 gate=r sleep=100 pollin=0 recv send so_error
peername sigpipes p:expect,500'
link_up 0
PEER_AT=$OR_LINK_SERVER
# shellcheck disable=SC2086 # the steps are words
real m $STEPS
expect_in "$tmp/olink.out" '^reset$' "the link reset the connection"
link_down
PEER_AT=$OR_SERVER
# shellcheck disable=SC2086
fake m 'rx idle>60ms => reset' $STEPS
agree m "a middlebox reset: both ends get an RST; ECONNRESET, then EPIPE and SIGPIPE" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
peer send = sent 4
recv = 4
gate r
pollin = IN,ERR,HUP,RDHUP
recv = -1 ECONNRESET
send = -1 EPIPE
SO_ERROR = 0
getpeername = -1 ENOTCONN
sigpipes = 1
peer expect = err ECONNRESET ms=*
EOF2

finish
