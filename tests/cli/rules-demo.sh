#!/bin/sh
# rules/demo.rules, as shipped: `sockfault check` accepts it (and prints
# its three rules), and run as is against a client it does what its
# comments say: the first sends of the process are delayed by 200 ms, and
# a connection idle for more than a second is dropped with ENOTCONN for
# good (the partial write of 5 bytes is logged).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

cli_run check "$RULES/demo.rules"
expect_rc 0 "sockfault check accepts rules/demo.rules"
expect_out '^# .*demo\.rules: 3 rules$' "three rules"
expect_out '^slow-start: tx peer=localhost when=1\.\.2 per=process => delay 200ms$' "slow-start, normalised"
expect_out '^partial: tx peer=localhost when=2 per=process => short 5$' "partial, normalised"
expect_out '^idle-kill: tx peer=localhost idle>1s => error ENOTCONN sticky$' "idle-kill: WSAENOTCONN shown as ENOTCONN"
expect_empty "$tmp/err" "no problems reported"

sf_run SOCKFAULT_RULES="$RULES/demo.rules" "$R/treal" -S "$tmp/u" p:listen connect sendns=1 took
expect_out '^sendns = 1$' "the first send goes through"
expect_ge "slow-start: the first send is delayed by 200 ms" 200 "$(value took)"
idle='p:listen connect sendns sendns sleep=1300 sendns sendns'
# shellcheck disable=SC2086 # the steps are words on purpose
sf_run SOCKFAULT_RULES="$RULES/demo.rules" "$R/treal" -S "$tmp/u" $idle
transcript "idle-kill: after 1.3 s idle, ENOTCONN, and it sticks" <<'EOF2'
peer listen = port *
connect = 0
sendns = 4
sendns = 4
sendns = -1 ENOTCONN
sendns = -1 ENOTCONN
EOF2
expect_err 'partial fired on send' "partial fired on the second send"
expect_err 'idle-kill fired on send' "idle-kill fired"
# shellcheck disable=SC2086
sf_run "$R/treal" -S "$tmp/u" $idle
expect_eq "contrast: without the rules the idle connection still sends" 4 "$(value sendns 4)"

finish
