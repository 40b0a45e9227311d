#!/bin/sh
# rules/idle-firewall-windows.rules, as shipped (idle>2s): a client with two
# connections keeps one busy and lets the other sit idle past the
# threshold. The idle one's next send fails with (WSA)ENOTCONN and every
# later call on it too; the server never got those bytes (nor, as root,
# the close). The busy one, one that spoke halfway (never idle past 2 s),
# and one made afterwards are untouched. Without the rules the same client
# sends everything.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# shellcheck disable=SC2046 # the steps are words on purpose
cli_run run -r "$RULES/idle-firewall-windows.rules" -- "$R/treal" -S "$tmp/u" $(idle_story) p:use,1 p:recvall,15 \
	use=2 close p:use,2 p:expect,300 p:expect,300
idle_seen '-1 ENOTCONN' '-1 ENOTCONN' >"$tmp/want"
# The server's view: B (the 2nd connection) got only its first byte, and
# (as root: sockfault-rules(5), blackhole) not even its close.
closed='peer expect = *'
[ "$(id -u)" -ne 0 ] || closed='peer expect = silence'
printf '%s\n' 'peer use = ok' 'peer recvall = got 15 bits=0 *' 'close = 0' 'peer use = ok' 'peer expect = data 1 bits=0 ms=*' \
	"$closed" >>"$tmp/want"
transcript "idle past 2 s: B's send fails with ENOTCONN (WSAENOTCONN), for ever, write too; A, D and a fresh C are untouched; the server never gets B's late bytes" <"$tmp/want"
expect_count "the firewall fired once (a sticky fault is logged once)" 1 "$tmp/err" 'idle-kill fired on send .*error ENOTCONN'

# The contrast: the same client without the rules.
# shellcheck disable=SC2046
sf_run "$R/treal" -S "$tmp/u" $(idle_story)
expect_eq "without the rules the idle connection still sends" 4 "$(value sendns 18)"

finish
