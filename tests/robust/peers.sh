#!/bin/sh
# Memory per distinct peer is bounded: a process that connects to a million
# distinct peers (a UDP socket connected in turn; no packet sent) grows by
# less than 16 MiB, where the library keeps what it counts per peer.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

C=$SF_BUILDDIR/tests/robust/peers
n=${SF_PEERS:-1000000}

sf_run SOCKFAULT_RULES_TEXT='connect peer=10.9.9.9:9 => error EIO' "$C" "$n"
expect_rc 0 "$n peers: ran"
growth=$(sed -n 's/^rss growth = //p' "$tmp/out")
echo "resident memory grew by $growth KiB over $n peers"
[ -n "$growth" ] && [ "$growth" -lt 16384 ] && pass "$n peers: under 16 MiB of growth" ||
	fail "$n peers: grew by ${growth:-?} KiB"

finish
