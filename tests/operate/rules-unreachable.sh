#!/bin/sh
# rules/unreachable.rules, as shipped (connect => error WSAEHOSTUNREACH):
# a blocking connect fails at once with EHOSTUNREACH; a nonblocking one says
# EINPROGRESS, then poll, select and epoll report the socket writable with
# an error, SO_ERROR gives EHOSTUNREACH once and getpeername ENOTCONN. The
# server never sees a connection. Without the rules the same connects
# succeed.
set -eu
. "$SF_SRCDIR/tests/integ/lib.sh"
. "$SF_SRCDIR/tests/operate/oplib.sh"

peer_start p -n 0 -t 60 sink
P=127.0.0.1:$p_port
cli_run run -r "$RULES/unreachable.rules" -- "$O/tstory" connect "$P"
cat "$tmp/err" >"$tmp/all.err"
expect_rc 0
expect_out '^connect = -1 EHOSTUNREACH$' "blocking: EHOSTUNREACH (WSAEHOSTUNREACH)"
# "At once": no waiting for a timeout, however loaded the machine.
expect_le "blocking: at once" 2000 "$(out_value connect_ms)"
expect_out '^getpeername = -1 ENOTCONN$'
for how in poll select epoll; do
	cli_run run -r "$RULES/unreachable.rules" -- "$T/tclient" connect-nb "$how" "$P"
	cat "$tmp/err" >>"$tmp/all.err"
	expect_out '^connect = -1 EINPROGRESS$' "nonblocking ($how): EINPROGRESS"
	case $how in
	select) expect_out '^select = 1 writable=yes$' "nonblocking (select): writable" ;;
	*) expect_out "^$how = 1 events=OUT,ERR" "nonblocking ($how): writable, with an error" ;;
	esac
	expect_out '^SO_ERROR = EHOSTUNREACH$' "nonblocking ($how): SO_ERROR gives EHOSTUNREACH"
	expect_out '^SO_ERROR again = 0$' "nonblocking ($how): once"
	expect_out '^getpeername = -1 ENOTCONN$' "nonblocking ($how): not connected"
done
expect_count "the rule fired on every connect" 4 "$tmp/all.err" 'unreachable fired on connect .*EHOSTUNREACH'
expect_not_in "$p_out" 'accepted' "the server never saw a connection"

sf_run "$O/tstory" connect "$P"
expect_out '^connect = 0$' "contrast: without the rules the connect succeeds"
sf_run "$T/tclient" connect-nb poll "$P"
expect_out '^SO_ERROR = 0$' "contrast: without the rules the nonblocking connect succeeds"
expect_in "$p_out" 'accepted' "contrast: the server sees those"

finish
