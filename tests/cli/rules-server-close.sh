#!/bin/sh
# rules/server-close.rules, as shipped (rx side=client age>1s => eof): a
# client talks to an echo server, waits past a second, then sends and
# receives. Its receives return 0 as if the server had closed, while the
# server is still there (its echo is waiting in the kernel) and the
# client's sends are still delivered. Before the second, data flows; and
# without the rules the client reads the echo.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

peer_start p -n 1 -t 60 echo
cli_run run -r "$RULES/server-close.rules" -- "$T/tstory" serverclose "127.0.0.1:$p_port" 1200
expect_rc 0
expect_out '^echo before = 4$' "before a second: the echo is read"
expect_out '^send late1 = 5$' "after a second: the client's send goes through"
expect_out '^pending in the kernel = 5$' "the server did not close: its echo is waiting in the kernel"
expect_out '^poll = IN$' "poll reports the socket readable (an end of stream)"
expect_out '^recv = 0$' "the client's receive returns 0: the server 'closed'"
expect_out '^recv again = 0$' "and again"
expect_out '^read = 0$' "read too"
expect_out '^send late2 = 5$' "the client keeps sending"
expect_err 'server-close fired on recv .*: eof' "the rule fired"
peer_wait p
expect_in "$p_out" 'conn 1: 14 bytes .*first="pinglate1late2"' "the server got every byte the client sent"

peer_start q -n 1 -t 60 echo
sf_run "$T/tstory" serverclose "127.0.0.1:$q_port" 1200
expect_out '^recv = 5$' "contrast: without the rules the echo is read"
peer_wait q

finish
