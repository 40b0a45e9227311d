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

peer_start p -n 3 -t 60 sink
for i in 1 2 3; do
	cli_run run -r "$RULES/async-connect-race.rules" -- "$T/tstory" asyncrace "127.0.0.1:$p_port"
	expect_out '^connect = -1 EINPROGRESS$' "run $i: the connect is under way"
	expect_out '^send early = -1 ENOTCONN$' "run $i: the early send fails with ENOTCONN (WSAENOTCONN)"
	expect_out '^send after 100ms, unchecked = -1 ENOTCONN$' "run $i: still, while the client never checked"
	expect_out '^poll = OUT$'
	expect_out '^SO_ERROR = 0$'
	expect_out '^send after check = 4$' "run $i: after poll and SO_ERROR the send goes through"
done
peer_wait p
expect_count "the server got only the sends after the check" 3 "$p_out" 'conn [123]: 4 bytes .*first="late"'

peer_start q -n 1 -t 60 sink
sf_run "$T/tstory" asyncrace "127.0.0.1:$q_port"
expect_no_out '^send early = -1 ENOTCONN$' "contrast: without the rules the early send does not fail with ENOTCONN"
peer_wait q

finish
