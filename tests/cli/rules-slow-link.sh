#!/bin/sh
# rules/slow-link.rules, as shipped (tx => delay 40ms, tx and rx =>
# throttle 128KiB/s): a 256 KiB download runs near 128 KiB/s; a 256 KiB
# upload's sends return as the buffers take the bytes (as on a real slow
# link: sockfault-rules(5), throttle), so the sender finishes sooner, not
# at once; a one-byte send returns at once (the latency holds back the
# data, not the call: sockfault-rules(5), delay), and the bytes arrive
# intact, the last ones too when the program exits at once. Without the
# rules the same transfers take no time at all.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

bytes=262144
# Near 128 KiB/s: not faster than 10% over (the throttle holds), not
# slower than 25% under (a loaded machine is slower, never faster).
lo=96
hi=141

# The upload: 16 sends of 16 KiB, each timed; the time the program took
# (the first "since"), then the time until the peer read it all (the second).
upload='p:listen connect p:accept mark'
for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	upload="$upload sendns=16384 took"
done
upload="$upload since p:recvall,$bytes since"
# The download: the peer sends as fast as it can, the program receives.
download="p:listen connect p:accept p&:send,$bytes recvall=$bytes pwait"
# kib_s [N]: KiB/s of the bytes in the last run's N-th "since" milliseconds.
kib_s() {
	_ms=$(value since "${1:-1}")
	echo $((bytes * 1000 / 1024 / (${_ms:-0} + 1)))
}

# shellcheck disable=SC2086 # the steps are words on purpose
cli_run run --log "$tmp/up.log" -r "$RULES/slow-link.rules" -- "$R/treal" -S "$tmp/u" $upload
expect_rc 0
expect_count "upload: every send took all of its 16 KiB" 16 "$tmp/out" '^sendns = 16384$'
expect_out "^peer recvall = got $bytes bits=0 " "upload: the peer got all of it, intact"
rate=$(kib_s 2)
expect_ge "upload: the peer got it not much slower than 128 KiB/s" "$lo" "$rate"
expect_le "upload: the peer got it not faster than 128 KiB/s" "$hi" "$rate"
rate=$(kib_s 1)
# The buffers (a unix pair's, 200 ms of the rate) hold at most some 250 KiB:
# the sender is faster than the link, but the link holds it back.
expect_ge "upload: the sender not much slower than 128 KiB/s" "$lo" "$rate"
expect_le "upload: the buffers take the start, the rest waits for the link" 512 "$rate"
expect_le "upload: a send returns as soon as the buffers take it" 10 \
	"$(sed -n 's/^took = //p' "$tmp/out" | sort -n | head -n 1)"
expect_in "$tmp/up.log" 'latency fired on send .*delay 40ms' "latency fired"
expect_in "$tmp/up.log" 'uplink fired on send .*throttle 128KiB/s' "uplink fired"

# One byte, then the program exits at once: the send returns at once, and
# the byte still reaches the server (a sink, which outlives the program).
peer_start p -n 1 -t 60 sink
cli_run run --log off -r "$RULES/slow-link.rules" -- "$R/treal" -S "$tmp/u" -A "127.0.0.1:$p_port" connect sendns=1 took
expect_out '^sendns = 1$'
expect_le "a one-byte send returns at once" 30 "$(value took)"
peer_wait p
expect_in "$p_out" 'conn 1: 1 bytes' "the one-byte send reached the peer, though the program exited at once"

# shellcheck disable=SC2086
cli_run run --log "$tmp/down.log" -r "$RULES/slow-link.rules" -- "$R/treal" -S "$tmp/u" $download
expect_out "^recvall = $bytes bits=0\$" "download: all of it, intact"
rate=$(($(value rate) / 1024))
expect_ge "download: not much slower than 128 KiB/s" "$lo" "$rate"
expect_le "download: not faster than 128 KiB/s" "$hi" "$rate"
expect_in "$tmp/down.log" 'downlink fired on recv .*throttle 128KiB/s' "downlink fired"
expect_not_in "$tmp/down.log" 'latency fired' "no send, no latency"

# The contrast: the same transfers without the rules.
# shellcheck disable=SC2086
sf_run "$R/treal" -S "$tmp/u" $download
expect_out "^recvall = $bytes bits=0\$"
expect_ge "contrast: download without the rules is far faster" 1000 "$(($(value rate) / 1024))"
# shellcheck disable=SC2086
sf_run "$R/treal" -S "$tmp/u" $upload
expect_out "^peer recvall = got $bytes bits=0 "
expect_ge "contrast: upload without the rules is far faster" 1000 "$(kib_s)"

finish
