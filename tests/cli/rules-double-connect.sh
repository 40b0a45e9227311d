#!/bin/sh
# rules/double-connect.rules, as shipped: connect on a connected socket
# fails with (WSA)EISCONN; connect while a nonblocking connect is pending
# fails with (WSA)EALREADY, every time (on loopback the kernel finishes too
# fast for that to show). The connections themselves still work.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# A blocking connect, again, a send; a nonblocking one, again at once,
# again once poll and SO_ERROR said it is done, a send.
steps='p:listen connect reconnect sendns=3 connect-nb reconnect pollout=5000 so_error reconnect sendns=3'
# shellcheck disable=SC2086 # the steps are words on purpose
cli_run run -r "$RULES/double-connect.rules" -- "$R/treal" -S "$tmp/u" $steps
expect_rc 0
transcript "connected: EISCONN (WSAEISCONN); pending: EALREADY (WSAEALREADY); once done: EISCONN; both connections work" <<'EOF2'
peer listen = port *
connect = 0
connect = -1 EISCONN
sendns = 3
connect = -1 EINPROGRESS
connect = -1 EALREADY
pollout = OUT
SO_ERROR = 0
connect = -1 EISCONN
sendns = 3
EOF2
expect_count "second-connect fired twice" 2 "$tmp/err" 'second-connect fired on connect .*EISCONN'
expect_count "connect-pending fired once" 1 "$tmp/err" 'connect-pending fired on connect .*EALREADY'

# Without the rules: the kernel's own answers; the pending case does not
# show as EALREADY on loopback (reported, not required).
# shellcheck disable=SC2086
sf_run "$R/treal" -S "$tmp/u" $steps
expect_eq "contrast: the kernel gives EISCONN too" "-1 EISCONN" "$(value connect 2)"
echo "without the rules, the nonblocking connect again: $(value connect 4)"

finish
