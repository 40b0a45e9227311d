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

peer_start p -n 3 -t 60 sink
sf_run SOCKFAULT_RULES="$RULES/demo.rules" "$T/tclient" timed send "127.0.0.1:$p_port"
expect_out '^send = 1$' "the first send goes through"
expect_ge "slow-start: the first send is delayed by 200 ms" 200 "$(out_value elapsed_ms)"
sf_run SOCKFAULT_RULES="$RULES/demo.rules" "$T/tclient" seq -n 4 -S 3:1300 "127.0.0.1:$p_port"
expect_out '^conn 1: ok ok ENOTCONN ENOTCONN$' "idle-kill: after 1.3 s idle, ENOTCONN, and it sticks"
expect_err 'partial fired on send' "partial fired on the second send"
expect_err 'idle-kill fired on send' "idle-kill fired"
sf_run "$T/tclient" seq -n 4 -S 3:1300 "127.0.0.1:$p_port"
expect_out '^conn 1: ok ok ok ok$' "contrast: without the rules the idle connection still sends"
peer_wait p

finish
