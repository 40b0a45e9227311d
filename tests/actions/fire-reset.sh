#!/bin/sh
# `sockfault ctl PID fire reset` is a reset at a time, not inside a call:
# it shows as an RST come in (sockfault-rules(5), reset): poll says
# IN,ERR,HUP,RDHUP at once, the data that arrived before it is read first,
# then ECONNRESET; the peer gets an RST.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

CLI=$SF_CLI
echo "+ treal under the control channel"
: >"$tmp/out"
# A rule, any: without one the library keeps no record of the sockets.
env LD_PRELOAD="$(sf_preload)" SOCKFAULT_CONTROL=1 SOCKFAULT_RULES_TEXT='accept => delay 0ms' \
	"$R/treal" -S "$tmp/u" p:listen connect p:accept p:send,1000 sleep=100 gate=r sleep=100 pollin=0 recv=500 \
	recv=500 recv send so_error sigpipes p:expect,500 >"$tmp/out" 2>"$tmp/err" &
treal_pid=$!
bg_pids="${bg_pids:-} $treal_pid"
_i=0
until grep -q '^gate r$' "$tmp/out"; do
	_i=$((_i + 1))
	[ "$_i" -le 250 ] || hard_error "treal never reached its gate"
	sleep 0.02
done
set +e
$tmo "$CLI" ctl "$treal_pid" fire reset peer=127.0.0.1 >"$tmp/ctl.out" 2>&1
rc=$?
set -e
cat "$tmp/ctl.out"
expect_rc 0 "fire reset"
: >"$tmp/u.gate.r"
set +e
wait "$treal_pid"
rc=$?
set -e
show_output
expect_rc 0 "treal ran"
transcript "fire reset: an RST come in, the data before it read first" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 1000
gate r
pollin = IN,ERR,HUP,RDHUP
recv = 500
recv = 500
recv = -1 ECONNRESET
send = -1 EPIPE
SO_ERROR = 0
sigpipes = 1
peer expect = err ECONNRESET ms=*
EOF2

finish
