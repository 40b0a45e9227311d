#!/bin/sh
# SOCKFAULT_RELOAD=1: a running program gets the new rules soon after its
# rules file changes (replaced by rename or rewritten in place, removed and
# recreated), within a second (a bad file is put in place by rename: written
# in place, a look could see it empty for a moment, and an empty file
# is a good one); a bad new file, or a missing one, is
# reported and the old rules stay in force; with several files, a change
# to any of them counts; the reload is logged (text and JSON); without the
# variable nothing changes; and the file is looked at every 250 ms or so,
# not on every intercepted call (strace, where it works).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

peer_start p -n 0 -t 90 sink
P=127.0.0.1:$p_port

# How soon the new rules must bite: the calls look every 250 ms; a
# second is the promise, twice that under the sanitizers, which are slow.
limit=1000
[ -n "${SF_SANITIZE:-}" ] && limit=2000

printf '# A\nsend => error EPIPE\n' >"$tmp/A.rules"
printf '# B\nsend => error ECONNRESET\n' >"$tmp/B.rules"
printf '# C, longer than B so that the size changes too\nsend => error ETIMEDOUT\n' >"$tmp/C.rules"
printf '# nothing\n' >"$tmp/none.rules"
printf '# a mistake\nsend => error ECONNRESET\nsend => eror EPIPE\n' >"$tmp/bad.rules"
live=$tmp/live.rules
cp "$tmp/A.rules" "$live"

# until_within STEP OUTCOME: the step of topr's output said OUTCOME came,
# and soon enough.
until_within() {
	_ms=$(sed -n "s/^step $1: $2 after \([0-9]*\) ms.*/\1/p" "$tmp/out")
	if [ -z "$_ms" ]; then
		fail "step $1: $2 never came"
	else
		expect_le "step $1: $2 within $limit ms of the change" "$limit" "$_ms"
	fi
}

sf_run SOCKFAULT_RULES="$live" SOCKFAULT_RELOAD=1 "$T/topr" watch "$P" \
	hold:EPIPE:300 \
	"copy:$tmp/B.rules:$live" until:ECONNRESET:3000 \
	"copy:$tmp/bad.rules:$live" hold:ECONNRESET:1000 \
	"over:$tmp/C.rules:$live" until:ETIMEDOUT:3000 \
	"copy:$tmp/none.rules:$live" until:ok:3000 \
	"remove:$live" hold:ok:700 \
	"copy:$tmp/A.rules:$live" until:EPIPE:3000
cp "$tmp/err" "$tmp/reload.err"
expect_rc 0 "every step as expected"
expect_out '^step 1: hold EPIPE for 300 ms: [0-9]+ calls, 0 other$' "the first rules are in force"
until_within 3 ECONNRESET
expect_out '^step 5: hold ECONNRESET for 1000 ms: [0-9]+ calls, 0 other$' "a bad new file: the old rules stay"
expect_err "$live:3:[0-9]+: unknown action 'eror'" "a bad new file: the problem, with FILE:LINE:COL"
expect_err 'reload: the new rules have problems .*previous rules stay' "a bad new file: said that the old rules stay"
until_within 7 ETIMEDOUT
until_within 9 ok
expect_out '^step 11: hold ok for 700 ms: [0-9]+ calls, 0 other$' "the file removed: the rules in force stay"
expect_err "$live: cannot read the rules file" "the file removed: reported"
until_within 13 EPIPE
# (A file copied in place may be looked at between its truncation and its
# write, and reloaded once more: empty, it is rules too.)
expect_between "each good change is logged as a reload (4, up to 8)" 4 8 \
	"$(grep -cE 'reloaded [0-9]+ rules? from' "$tmp/reload.err" || :)"
expect_err 'reloaded 0 rules from' "the empty file: 0 rules"

# The contrast: without SOCKFAULT_RELOAD the file is read once.
cp "$tmp/A.rules" "$live"
sf_run SOCKFAULT_RULES="$live" "$T/topr" watch "$P" \
	hold:EPIPE:200 "copy:$tmp/B.rules:$live" hold:EPIPE:1000
expect_rc 0 "without SOCKFAULT_RELOAD: the first rules stay"
expect_no_err 'reload' "without SOCKFAULT_RELOAD: no reload"
sf_run SOCKFAULT_RULES="$live" SOCKFAULT_RELOAD=0 "$T/topr" watch "$P" \
	hold:ECONNRESET:200 "copy:$tmp/A.rules:$live" hold:ECONNRESET:1000
expect_rc 0 "SOCKFAULT_RELOAD=0: the first rules stay"

# Several files: a change to either is seen, and the order of the files
# (then their rules) is kept.
printf 'recv => error EPIPE\n' >"$tmp/one.rules"
printf '# empty for now\n' >"$tmp/two.rules"
printf 'first: send => error ETIMEDOUT\n' >"$tmp/one-new.rules"
sf_run SOCKFAULT_RULES="$tmp/one.rules:$tmp/two.rules" SOCKFAULT_RELOAD=1 SOCKFAULT_LOG_FORMAT=json "$T/topr" watch "$P" \
	hold:ok:300 \
	"copy:$tmp/B.rules:$tmp/two.rules" until:ECONNRESET:3000 \
	"copy:$tmp/one-new.rules:$tmp/one.rules" until:ETIMEDOUT:3000 hold:ETIMEDOUT:300
expect_rc 0 "several files: each change is seen"
until_within 3 ECONNRESET
until_within 5 ETIMEDOUT
expect_err '"event":"reload","rules":2,"file":"[^"]*one\.rules:[^"]*two\.rules"' "several files: a JSON reload event, both files, 2 rules"
expect_err '"event":"fault","rule":"first"' "several files: the first file's rule comes first"

# One call in 250 ms looks at the file: over 1.5 s of sends every 10 ms,
# the rules file is stat'ed about every 250 ms, not once a send.
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true >/dev/null 2>&1 && [ -z "${SF_SANITIZE:-}" ]; then
	cp "$tmp/A.rules" "$live"
	plain_run strace -f -o "$tmp/strace.out" -e trace=%file \
		-E LD_PRELOAD="$(sf_preload)" -E SOCKFAULT_RULES="$live" -E SOCKFAULT_RELOAD=1 \
		"$T/topr" watch "$P" hold:EPIPE:1500
	calls=$(sed -n 's/^step 1: hold EPIPE for 1500 ms: \([0-9]*\) calls.*/\1/p' "$tmp/out")
	looks=$(grep -c "\"$live\"" "$tmp/strace.out" || :)
	grep -F "$live" "$tmp/strace.out" | sed "s/^/  strace| /"
	expect_ge "strace: many sends" 50 "${calls:-0}"
	expect_le "strace: the rules file looked at no more than every 250 ms or so (not per send)" 12 "$looks"
	expect_ge "strace: the rules file is looked at (the calls look)" 3 "$looks"
else
	echo "note: no working strace (or a sanitizer build): the look-ups of the rules file are not counted"
fi

finish
