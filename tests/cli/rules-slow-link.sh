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

peer_start p -n 3 -t 60 sink
P=127.0.0.1:$p_port
cli_run run --log "$tmp/up.log" -r "$RULES/slow-link.rules" -- "$T/tstory" rate send "$P" "$bytes"
expect_rc 0
expect_out "^bytes = $bytes\$" "upload: all of it"
rate=$(out_value rate_kib_s)
# The buffers (a unix pair's, 200 ms of the rate) hold at most some 250 KiB:
# the sender is faster than the link, but the link holds it back.
expect_ge "upload: not much slower than 128 KiB/s" "$lo" "${rate:-0}"
expect_le "upload: the buffers take the start, the rest waits for the link" 512 "${rate:-999999}"
expect_le "upload: a send returns as soon as the buffers take it" 10 "$(out_value min_call_ms)"
expect_in "$tmp/up.log" 'latency fired on send .*delay 40ms' "latency fired"
expect_in "$tmp/up.log" 'uplink fired on send .*throttle 128KiB/s' "uplink fired"
cli_run run --log off -r "$RULES/slow-link.rules" -- "$T/tclient" timed send "$P"
expect_out '^send = 1$'
expect_le "a one-byte send returns at once" 30 "$(out_value elapsed_ms)"

ready=$tmp/blast.ready
$tmo "$T/tstory" blast -n 2 "$ready" "$bytes" >"$tmp/blast.out" 2>&1 &
wait_file "$ready"
B=127.0.0.1:$(cat "$ready")
cli_run run --log "$tmp/down.log" -r "$RULES/slow-link.rules" -- "$T/tstory" rate recv "$B" "$bytes"
expect_out "^bytes = $bytes\$" "download: all of it"
rate=$(out_value rate_kib_s)
expect_ge "download: not much slower than 128 KiB/s" "$lo" "${rate:-0}"
expect_le "download: not faster than 128 KiB/s" "$hi" "${rate:-999999}"
expect_in "$tmp/down.log" 'downlink fired on recv .*throttle 128KiB/s' "downlink fired"
expect_not_in "$tmp/down.log" 'latency fired' "no send, no latency"

# The contrast, and the bytes: the same transfers without the rules.
sf_run "$T/tstory" rate recv "$B" "$bytes"
expect_out "^bytes = $bytes\$"
expect_ge "contrast: download without the rules is far faster" 1000 "$(out_value rate_kib_s)"
sf_run "$T/tstory" rate send "$P" "$bytes"
expect_ge "contrast: upload without the rules is far faster" 1000 "$(out_value rate_kib_s)"
sed 's/^/  blast| /' "$tmp/blast.out"
peer_wait p
expect_in "$p_out" 'conn 2: 1 bytes' "the one-byte send reached the peer, though the program exited at once"
expect_count "the server got both uploads intact (the same checksum)" 2 "$p_out" "conn [13]: $bytes bytes fnv=$(grep "conn 1: $bytes bytes" "$p_out" | sed 's/.*fnv=\([0-9a-f]*\).*/\1/')"

finish
