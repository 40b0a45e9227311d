#!/bin/sh
# rules/idle-firewall.rules, as shipped (idle>2s): a client with two
# connections keeps one busy and lets the other sit idle past the
# threshold. As behind a real Linux firewall that forgot it, the idle one's
# next sends succeed (the kernel takes them; nothing is acknowledged) and a
# receive on it gets nothing (silence, ended by the program's own timeout).
# What the program sends into the silence does reach this server
# (sockfault-rules(5), blackhole): the server's view is not asserted. The busy one, one that spoke halfway (never idle past 2 s), and
# one made afterwards are untouched. Without the rules the same client's
# bytes all arrive.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# The server reads each connection until it ends; the forgotten one may
# never end (silence), so it gives up after 8 s.
peer_start p -n 4 -t 8 sink
P=127.0.0.1:$p_port
cli_run run -r "$RULES/idle-firewall.rules" -- "$T/tstory" idle "$P" 2500
expect_rc 0 "the client ran as expected (A and D never failed)"
expect_out '^A busy sends = [0-9]+, failed 0$' "the busy connection: every send went through"
expect_out '^B after idle = 4$' "idle past 2 s: the next send succeeds (the kernel took the bytes)"
expect_out '^B again = 4$' "and the next"
expect_out '^B write = 4$' "write too: no error, only silence"
expect_out '^A still = 1$' "the busy connection is still fine"
expect_out '^D after half = 1$' "a connection idle for less than 2 s at a time is fine"
expect_out '^C fresh = 1$' "a new connection is fine"
expect_count "the firewall fired on the idle connection only" 1 "$tmp/err" 'idle-kill fired on .*blackhole'
peer_wait p
expect_in "$p_out" 'conn 1: [0-9]+ bytes .*first="Aaa' "the server got the busy connection's bytes"

# The contrast: the same client without the rules.
peer_start q -n 4 -t 60 sink
sf_run "$T/tstory" idle "127.0.0.1:$q_port" 2500
expect_out '^B after idle = 4$' "without the rules the idle connection still sends"
peer_wait q
expect_in "$q_out" 'conn 2: 13 bytes .*first="Blatelatelate' "and the server gets its late bytes"

finish
