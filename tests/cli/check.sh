#!/bin/sh
# sockfault check: each rule of each file in its canonical form, whole
# however long the rule (a list of many hosts or peers), and the problems
# on stderr with exit status 1.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# A rule of some 3 KB (32 long host names: the most a list holds), and a
# unix: glob longer than a path.
hosts=$(seq -f "%g.$(printf 'x%.0s' $(seq 1 80)).example" 1 32 | paste -sd, -)
glob=$(printf 'a%.0s' $(seq 1 400))
printf '%s\n' "many: connect host=$hosts => error ECONNREFUSED" \
	"long: rx peer=unix:/run/$glob\\[x => eof" >"$tmp/long.rules"
cli_run check "$tmp/long.rules"
expect_rc 0 "a file of long rules checks"
expect_out '^# .*long\.rules: 2 rules$' "two rules"
expect_eq "the 32 hosts printed whole" \
	"many: connect host=$hosts => error ECONNREFUSED" "$(sed -n 2p "$tmp/out")"
expect_eq "the long glob printed whole, its escape kept" \
	"long: rx peer=unix:/run/$glob\\[x => eof" "$(sed -n 3p "$tmp/out")"
expect_empty "$tmp/err" "no problems reported"

printf '%s\n' 'send => error ECONNRESET' 'sned => error EIO' >"$tmp/bad.rules"
cli_run check "$tmp/bad.rules"
expect_rc 1 "a file with a problem: exit status 1"
expect_err "^sockfault: $tmp/bad.rules:2:1: unknown operation 'sned' \\(did you mean 'send'\\?\\)$" \
	"the problem, with its place"
expect_out '^line-1: send => error ECONNRESET$' "the good rule still printed"

finish
