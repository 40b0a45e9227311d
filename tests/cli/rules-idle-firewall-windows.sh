#!/bin/sh
# rules/idle-firewall-windows.rules, as shipped (idle>2s): a client with two
# connections keeps one busy and lets the other sit idle past the
# threshold. The idle one's next send fails with (WSA)ENOTCONN and every
# later call on it too; the server never got those bytes (nor, as root,
# the close). The busy one,
# one that spoke halfway (never idle past 2 s), and one made afterwards are
# untouched. Without the rules the same client sends everything.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

peer_start p -n 4 -t 8 sink
P=127.0.0.1:$p_port
cli_run run -r "$RULES/idle-firewall-windows.rules" -- "$T/tstory" idle "$P" 2500
expect_rc 0 "the client ran as expected (A and D never failed)"
expect_out '^A busy sends = [0-9]+, failed 0$' "the busy connection: every send went through"
expect_out '^B after idle = -1 ENOTCONN$' "idle past 2 s: the next send fails with ENOTCONN (WSAENOTCONN)"
expect_out '^B again = -1 ENOTCONN$' "the connection never recovers (sticky)"
expect_out '^B write = -1 ENOTCONN$' "every later call on it, write too"
expect_out '^A still = 1$' "the busy connection is still fine"
expect_out '^D after half = 1$' "a connection idle for less than 2 s at a time is fine"
expect_out '^C fresh = 1$' "a new connection is fine"
expect_count "the firewall fired once (a sticky fault is logged once)" 1 "$tmp/err" 'idle-kill fired on send .*error ENOTCONN'
peer_wait p
# The server's view: B (the 2nd connection) got only its first byte, and
# (as root: sockfault-rules(5), blackhole) not even its close: the peer
# gives up on it at its own time limit.
if [ "$(id -u)" -eq 0 ]; then
	expect_in "$p_out" 'conn 2: 1 bytes .*first="B" end=open' "the server never got the idle connection's late bytes, nor its close"
else
	expect_in "$p_out" 'conn 2: 1 bytes .*first="B"' "the server never got the idle connection's late bytes"
fi
expect_in "$p_out" 'conn 1: [0-9]+ bytes .*first="Aaa' "the server got the busy connection's bytes"

# The contrast: the same client without the rules.
peer_start q -n 4 -t 60 sink
sf_run "$T/tstory" idle "127.0.0.1:$q_port" 2500
expect_out '^B after idle = 4$' "without the rules the idle connection still sends"
peer_wait q

finish
