#!/bin/sh
# `sockfault ctl PID fire reset` is a reset at a time, not inside a call:
# it shows as an RST come in (sockfault-rules(5), reset): poll says
# IN,ERR,HUP,RDHUP at once, the data that arrived before it is read first,
# then ECONNRESET; the peer gets an RST.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# A rule, any: without one the library keeps no record of the sockets.
fire_at_gate 'accept => delay 0ms' reset p:listen connect p:accept p:send,1000 sleep=100 gate=r sleep=100 pollin=0 \
	recv=500 recv=500 recv send so_error sigpipes p:expect,500
transcript "fire reset: an RST come in, the data before it read first" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
$(fired_reset_seen)
EOF2

finish
