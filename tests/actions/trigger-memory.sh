#!/bin/sh
# A time trigger keeps its connection's record until its time comes, or
# until the program closes the connection: 20 000 short connections under
# `rx age>1h => reset` leave the process's memory where it was (each would
# keep some 600 bytes for an hour otherwise).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
[ -n "${SF_PYTHON3:-}" ] || skip "no python3"

# python3 itself is not leak-clean under LeakSanitizer.
sf_run "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" SOCKFAULT_RULES_TEXT='rx age>1h => reset' SOCKFAULT_LOG=off \
	"$SF_PYTHON3" \
	"$SF_SRCDIR/tests/actions/trigger_churn.py" 20000
expect_rc 0 "20 000 connections: ran"
growth=$(sed -n 's/^rss growth = //p' "$tmp/out")
echo "resident memory grew by $growth KiB"
if [ -n "${SF_SANITIZE:-}" ]; then
	# A sanitizer's runtime holds freed memory back (ASan's quarantine):
	# the growth says nothing of the library's there.
	finish
fi
[ -n "$growth" ] && [ "$growth" -lt 2048 ] && pass "20 000 closed connections: under 2 MiB of growth" ||
	fail "20 000 closed connections: grew by ${growth:-?} KiB"

finish
