#!/bin/sh
# rules/double-connect.rules, as shipped: connect on a connected socket
# fails with (WSA)EISCONN; connect while a nonblocking connect is pending
# fails with (WSA)EALREADY, every time (on loopback the kernel finishes too
# fast for that to show). The connections themselves still work.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

peer_start p -n 0 -t 60 sink
cli_run run -r "$RULES/double-connect.rules" -- "$T/tstory" dblconnect "127.0.0.1:$p_port"
expect_rc 0
expect_out '^blocking connect = 0$'
expect_out '^blocking connect again = -1 EISCONN$' "connected: the second connect fails with EISCONN (WSAEISCONN)"
expect_out '^blocking send = 3$' "the connection still works"
expect_out '^nonblocking connect = -1 EINPROGRESS$'
expect_out '^nonblocking connect again = -1 EALREADY$' "pending: the second connect fails with EALREADY (WSAEALREADY)"
expect_out '^poll = OUT$'
expect_out '^SO_ERROR = 0$'
expect_out '^nonblocking connect once done = -1 EISCONN$' "once done: EISCONN"
expect_out '^nonblocking send = 3$' "that connection works too"
expect_count "second-connect fired twice" 2 "$tmp/err" 'second-connect fired on connect .*EISCONN'
expect_count "connect-pending fired once" 1 "$tmp/err" 'connect-pending fired on connect .*EALREADY'

# Without the rules: the kernel's own answers; the pending case does not
# show as EALREADY on loopback (reported, not required).
sf_run "$T/tstory" dblconnect "127.0.0.1:$p_port"
expect_out '^blocking connect again = -1 EISCONN$' "contrast: the kernel gives EISCONN too"
echo "without the rules: $(out_line '^nonblocking connect again')"

finish
