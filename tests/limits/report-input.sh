#!/bin/sh
# sockfault report on any input: linear (40 000 faults, each of its own rule
# and connection, well within a bound that the quadratic report missed by
# twenty times), and safe: timestamps centuries apart (the histogram wrote
# out of its row), bad and cut \u escapes, 20-digit numbers, a line of 100 KB,
# a NUL byte, times out of range, an escaped NUL byte. Under ASan (the asan stage) any bad access
# fails the test.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

now_ms() { date +%s%3N; }

# --- 40 000 faults, 40 000 rules, 40 000 connections ---
log=$tmp/big.jsonl
awk 'BEGIN {
	print "{\"ts\":\"2026-01-01T00:00:00.000000Z\",\"pid\":1,\"tid\":1,\"event\":\"start\",\"seed\":\"5\",\"rules\":1,\"exe\":\"x\"}"
	for (i = 0; i < 40000; i++)
		printf "{\"ts\":\"2026-01-01T00:%02d:%02d.%06dZ\",\"pid\":1,\"tid\":1,\"event\":\"fault\",\"rule\":\"r%d\",\"line\":%d,\"op\":\"send\",\"fd\":3,\"peer\":\"10.0.%d.%d:80\",\"local\":\"-\",\"action\":\"reset\",\"errno\":\"ECONNRESET\",\"ret\":-1,\"conn\":%d,\"call\":1}\n",
			int(i / 1000) % 60, int(i / 100) % 60, i % 1000000, i, i + 1, int(i / 256) % 256, i % 256, i
}' >"$log"
started=$(now_ms)
cli_run report "$log" >/dev/null
took=$(($(now_ms) - started))
expect_rc 0 "40 000 faults: a report"
expect_out '^  1 process, seed 5; 40000 faults over ' "40 000 faults: all counted"
expect_out '^  r39999 +reset +1 +1 +1 ' "40 000 faults: the last rule's row"
expect_eq "40 000 faults: one row per connection" 40000 "$(sed -n '/^By peer and connection:/,/^$/p' "$tmp/out" | grep -c 'conn [0-9]')"
if [ "$took" -lt 10000 ]; then
	pass "40 000 faults in ${took} ms (< 10 s; the quadratic report took 44 s)"
else
	fail "40 000 faults took ${took} ms (limit 10 s)"
fi

# --- hostile lines ---
long=$(awk 'BEGIN { s = "x"; while (length(s) < 100000) s = s s; print s }')
printf '%s\n' \
	'{"ts":"0001-01-01T00:00:00.000000Z","pid":1,"event":"fault","rule":"old","line":1,"op":"send","peer":"a:1","action":"reset","conn":1,"call":1}' \
	'{"ts":"9999-12-31T23:59:59.999999Z","pid":1,"event":"fault","rule":"new","line":2,"op":"send","peer":"a:1","action":"reset","conn":1,"call":2}' \
	'{"ts":"2026-01-01T00:00:00Z","pid":99999999999999999999,"event":"fault","rule":"big","line":123456789012345678901,"op":"send","peer":"b:1","action":"reset","conn":-99999999999999999999,"call":1}' \
	'{"ts":"2026-01-01T00:00:01Z","pid":1,"event":"fault","rule":"esc\u12","line":4,"op":"send","peer":"bad\uZZZZescape","action":"reset","conn":1,"call":1}' \
	'{"ts":"2026-01-01T00:00:01Z","pid":1,"event":"fault","rule":"half\ud800","line":5,"op":"send","peer":"pair\ud83d\ude00","action":"reset","conn":1,"call":1}' \
	'{"ts":"2026-01-01T00:00:02Z","pid":1,"event":"fault","rule":"nul\u0000cut","line":6,"op":"send","peer":"c:1","action":"reset","conn":1,"call":1}' \
	'{"ts":"2026-99-99T99:99:99Z","pid":1,"event":"fault","rule":"badtime","line":7,"op":"send","peer":"d:1","action":"reset","conn":1,"call":1}' \
	'{"ts":"-001-01-01T00:00:00Z","pid":1,"event":"fault","rule":"negyear","line":8,"op":"send","peer":"d:1","action":"reset","conn":1,"call":1}' \
	'{"ts":"2026-01-01T00:00:03Z","event":"stats","rule":"old","matched":99999999999999999999,"fired":1}' \
	"{\"ts\":\"2026-01-01T00:00:03Z\",\"event\":\"fault\",\"rule\":\"$long\"}" \
	'{"ts":"2026-01-01T00:00:04Z","pid":1,"event":"fault","rule":"after","line":9,"op":"send","peer":"e:1","action":"reset","conn":1,"call":1}' \
	>"$tmp/hostile.jsonl"
printf '{"ts":"2026-01-01T00:00:05Z","event":"fault","rule":"n\000ul"}\n' >>"$tmp/hostile.jsonl"
cli_run report --svg "$tmp/h.svg" "$tmp/hostile.jsonl"
expect_rc 0 "hostile log: a report, no crash"
expect_out '^  old +reset +1 ' "year 1: counted"
expect_out '^  new +reset +1 ' "year 9999: counted"
expect_out 'faults over 3155[0-9]{8}\.[0-9]{3}s' "the span: ten thousand years, in seconds"
expect_out '^  big +reset +1 ' "20-digit numbers: the fault still counted"
expect_no_out '99999999999999999999|12345678901234567890' "20-digit numbers: not printed as if they fit"
expect_out '^  b:1 +conn 0 +pid 0 ' "20-digit conn and pid: not numbers, left at 0"
expect_err "hostile\\.jsonl:4:[0-9]+: not a JSON line" "bad and cut \\u escapes: not JSON, the line named"
expect_no_out '^  esc ' "bad and cut \\u escapes: the line skipped"
expect_out "^  half$(printf '\357\277\275') +reset" "half a surrogate pair: U+FFFD"
expect_out "^  pair$(printf '\360\237\230\200') +conn 1" "a surrogate pair: one 4-byte character"
expect_out '^  nul +reset' "an escaped NUL: the text ends there"
expect_no_out 'badtime|negyear' "times out of range: not faults on a timeline"
expect_err "longer than 65535 bytes" "a 100 KB line: skipped, said so"
expect_out '^  after +reset +1 ' "the line after the long one: read"
expect_in "$tmp/h.svg" '^</svg>$' "--svg: written to the end"
# Every mark of the timeline inside the drawing.
bad_x=$(sed -n 's/.*<rect x="\([-0-9]*\)".*/\1/p' "$tmp/h.svg" | awk '$1 < 220 || $1 > 1120' | wc -l)
expect_eq "--svg: every mark between the axis ends" 0 "$bad_x"

finish
