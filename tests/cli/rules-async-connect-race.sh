#!/bin/sh
# rules/async-connect-race.rules, as shipped (tx state=connecting => error
# WSAENOTCONN): a client starts a nonblocking connect and sends at once. The
# send fails with ENOTCONN, every time, and again after a wait if the
# client never checked that the connect completed; after poll and SO_ERROR
# the send goes through. The server gets only what was sent after the
# check. Without the rules, on loopback, the early send goes through: the
# bug the rules make visible.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# Sends of 5 bytes at once, 9 after 100 ms unchecked, 4 after the check.
steps='p:listen connect-nb sendns=5 sleep=100 sendns=9 pollout=5000 so_error sendns=4 p:accept p:expect,1000 p:expect,300'
for i in 1 2 3; do
	# shellcheck disable=SC2086 # the steps are words on purpose
	cli_run run -r "$RULES/async-connect-race.rules" -- "$R/treal" -S "$tmp/u" $steps
	transcript "run $i: the early send fails with ENOTCONN (WSAENOTCONN), still while unchecked; after the check it goes, and is all the server gets" <<'EOF2'
peer listen = port *
connect = -1 EINPROGRESS
sendns = -1 ENOTCONN
sendns = -1 ENOTCONN
pollout = OUT
SO_ERROR = 0
sendns = 4
peer accept = accepted 1
peer expect = data 4 bits=0 ms=*
peer expect = silence
EOF2
done

# shellcheck disable=SC2086
sf_run "$R/treal" -S "$tmp/u" $steps
expect_eq "contrast: without the rules the early send goes through" 5 "$(value sendns 1)"

finish
