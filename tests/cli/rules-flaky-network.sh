#!/bin/sh
# rules/flaky-network.rules, as shipped (io p=0.05 => delay 150ms~100ms,
# tx p=0.01 => reset): ten connections of forty small sends each,
# under a fixed seed. Some connections are reset and some calls delayed
# (delays of 50 to 250 ms, the faults in the log); the same seed gives the
# same resets at the same calls and the same delays, to the microsecond of
# their length; another seed gives others.
#
# The peer's port is part of what p= draws from: it keeps the port a first
# run found, and a seed that gives no reset against it (about one chance
# in fifty) is replaced by the next, at most four times.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

run '' p:listen
port=$(value 'peer listen' | sed 's/port //')
steps=p:listen,$port
for _c in 1 2 3 4 5 6 7 8 9 10; do
	steps="$steps connect$(printf ' sendns=1%.0s' $(seq 40))"
done

# flaky NAME SEED: the client's lines in $tmp/NAME.lines (a connection's
# outcomes, "ok" or the errno, on one line), the faults (with their action:
# a delay's length) in $tmp/NAME.faults.
flaky() {
	rm -f "$tmp/$1.jsonl"
	# shellcheck disable=SC2086 # the steps are words on purpose
	cli_run run --seed "$2" --json --log "$tmp/$1.jsonl" -r "$RULES/flaky-network.rules" -- \
		"$R/treal" -S "$tmp/u" $steps
	expect_rc 0 "$1: the client ran"
	awk '/^connect = /{ if (n++) print ""; sep = ""; next }
	/^sendns = /{ printf "%s%s", sep, ($3 == "-1" ? $4 : "ok"); sep = " " } END { print "" }' "$tmp/out" >"$tmp/$1.lines"
	sed -n 's/.*"event":"fault","rule":"\([^"]*\)".*"op":"\([^"]*\)".*"action":"\([^"]*\)".*"conn":\([0-9]*\),"call":\([0-9]*\).*/\1 \2 \4 \5 \3/p' \
		"$tmp/$1.jsonl" >"$tmp/$1.faults"
}

seed=42
while :; do
	flaky first "$seed"
	resets=$(grep -c ECONNRESET "$tmp/first.lines" || :)
	[ "$resets" -gt 0 ] || [ "$seed" -ge 46 ] && break
	echo "seed $seed: no reset against this port, trying the next"
	seed=$((seed + 1))
done
delays=$(grep -c '^latency-spike ' "$tmp/first.faults" || :)
expect_ge "seed $seed: some connections are reset" 1 "$resets"
expect_le "seed $seed: not most of them (p=0.01)" 8 "$resets"
expect_ge "seed $seed: some calls are delayed" 1 "$delays"
expect_le "seed $seed: not most of them (p=0.05)" 80 "$delays"
expect_eq "every reset is in the log" "$resets" "$(grep -c '^random-reset send .* reset$' "$tmp/first.faults" || :)"
expect_eq "a reset connection is dead: every send after its reset fails" 0 \
	"$(grep -c 'ECONNRESET.* ok' "$tmp/first.lines" || :)"
bad=$(sed -n 's/^latency-spike [a-z]* [0-9]* [0-9]* delay \([0-9.]*\)ms$/\1/p' "$tmp/first.faults" |
	awk '$1 < 50 || $1 > 250 { n++ } END { print n + 0 }')
expect_eq "every delay is 150 ms +- 100 ms" 0 "$bad"

flaky second "$seed"
expect_eq "seed $seed again: the same resets on the same connections" "$(cat "$tmp/first.lines")" "$(cat "$tmp/second.lines")"
expect_eq "seed $seed again: the same faults (rule, call, delay length)" "$(cat "$tmp/first.faults")" "$(cat "$tmp/second.faults")"
flaky other $((seed + 100))
expect_ne "another seed: other faults" "$(cat "$tmp/first.faults")" "$(cat "$tmp/other.faults")"

finish
