#!/bin/sh
# rules/idle-firewall.rules, as shipped (idle>2s): a client with two
# connections keeps one busy and lets the other sit idle past the
# threshold. As behind a real Linux firewall that forgot it, the idle one's
# next sends succeed (the kernel takes them; nothing is acknowledged) and a
# receive on it gets nothing (silence, ended by the program's own timeout).
# What the program sends into the silence does reach this server
# (sockfault-rules(5), blackhole): the server's view is not asserted. The
# busy one, one that spoke halfway (never idle past 2 s), and one made
# afterwards are untouched. Without the rules the same client's bytes all
# arrive.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# shellcheck disable=SC2046 # the steps are words on purpose
cli_run run -r "$RULES/idle-firewall.rules" -- "$R/treal" -S "$tmp/u" $(idle_story) p:use,1 p:recvall,15
idle_seen 4 4 >"$tmp/want"
echo 'peer use = ok' >>"$tmp/want"
echo 'peer recvall = got 15 bits=0 *' >>"$tmp/want"
transcript "idle past 2 s: B's sends and write succeed (the kernel took them); A, D (idle 1.3 s at most) and a fresh C are untouched; the server gets all of A" <"$tmp/want"
expect_count "the firewall fired on the idle connection only" 1 "$tmp/err" 'idle-kill fired on .*blackhole'

# The contrast: the same client without the rules.
# shellcheck disable=SC2046
sf_run "$R/treal" -S "$tmp/u" $(idle_story) p:use,2 p:recvall,13
expect_eq "without the rules the idle connection still sends" 4 "$(value sendns 18)"
expect_out '^peer recvall = got 13 bits=0 ' "and the server gets its late bytes"

finish
