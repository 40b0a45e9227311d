#!/bin/sh
# What the instruction rows of scripts/bench rest on, checked cheaply:
# - every rule of its rows is one the CLI accepts (the rows name rules of
#   each kind; a change of the language must not leave them behind);
# - callgrind counts sfbench's measured calls and nothing of its set-up or
#   warm-up: N more calls cost the same per call as the first N (a steady
#   state, to a fraction of an instruction), without the library, under it
#   with no rules, and under it with a rule that applies; the same for the
#   client's round trips of the TCP ping-pong;
# - the library's code inside a call is counted: the preload costs more
#   than none, and a rule that applies more than none at all.
# No count is compared with a target here: that is scripts/bench's report.
# shellcheck disable=SC2154 # need_valgrind (lib.sh) sets vg
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

need_valgrind
B=$SF_BUILDDIR/tests/bench/sfbench
[ -x "$B" ] || hard_error "sfbench is not built: $B"

# The rules of the rows, as scripts/bench writes them.
bash -c '. "$1/scripts/lib/bench-targets.sh" && printf "%s\n" "${TROW_RULE[@]}" "$TROW_PINGPONG_RULE"' \
	sh "$SF_SRCDIR" >"$tmp/rows.rules" || hard_error "cannot read the rows of scripts/lib/bench-targets.sh"
[ "$(wc -l <"$tmp/rows.rules")" -ge 10 ] || fail "scripts/lib/bench-targets.sh names fewer rules than its rows"
while IFS= read -r rule; do
	printf '%s\n' "$rule" >"$tmp/one.rules"
	if "$SF_CLI" check -q "$tmp/one.rules" >"$tmp/out" 2>"$tmp/err"; then
		pass "the CLI accepts the row's rule: $rule"
	else
		fail "the CLI refuses the row's rule: $rule: $(cat "$tmp/err")"
	fi
done <"$tmp/rows.rules"

: >"$tmp/none.rules"
echo 'send proto=unix when=1000000 => error EAGAIN' >"$tmp/applies.rules"
echo 'io idle>1h => error ECONNRESET' >"$tmp/idle.rules"

# cg_total PRELOAD RULES ARG...: the instructions callgrind counts in
# sfbench's sfb_measure* functions (every process: the ping-pong forks).
cg_total() {
	_lib=$1 _rules=$2
	shift 2
	_out=$tmp/cg
	rm -f "$_out".*
	if [ -n "$_lib" ]; then
		set -- env LD_PRELOAD="$_lib" SOCKFAULT_LOG=off SOCKFAULT_SEED=1 SOCKFAULT_RULES="$_rules" \
			"$vg" --tool=callgrind --toggle-collect='sfb_measure*' --callgrind-out-file="$_out.%p" "$B" "$@"
	else
		set -- "$vg" --tool=callgrind --toggle-collect='sfb_measure*' --callgrind-out-file="$_out.%p" "$B" "$@"
	fi
	$tmo "$@" >"$tmp/out" 2>"$tmp/err" || hard_error "callgrind failed: $*: $(tail -5 "$tmp/err")" >&2
	awk '$1 == "totals:" { t += $2 } END { print t + 0 }' "$_out".*
}

# per_call NAME PRELOAD RULES N ARG...: the count per call over N and over
# 2N calls (-n given last); they must agree, to half an instruction (to
# SF_PER_CALL_SLACK when set). Sets pc to the count over 2N.
per_call() {
	_name=$1 _plib=$2 _prules=$3 _n=$4
	shift 4
	_a=$(cg_total "$_plib" "$_prules" "$@" -n "$_n")
	_b=$(cg_total "$_plib" "$_prules" "$@" -n $((2 * _n)))
	if awk -v a="$_a" -v b="$_b" -v n="$_n" -v s="${SF_PER_CALL_SLACK:-0.5}" \
		'BEGIN { d = a / n - b / (2 * n); exit !(a > 0 && d < s && d > -s) }'; then
		pass "$_name: a steady count per call ($_a over $_n, $_b over $((2 * _n)))"
	else
		fail "$_name: not the same per call: $_a instructions over $_n calls, $_b over $((2 * _n))"
	fi
	pc=$(awk -v b="$_b" -v n="$_n" 'BEGIN { printf "%.2f\n", b / (2 * n) }')
}

per_call "unix send, no preload" "" "" 500 loop unix-send
base=$pc
per_call "unix send, preload, no rules" "$SF_LIB" "$tmp/none.rules" 500 loop unix-send
empty=$pc
per_call "unix send, a rule that applies" "$SF_LIB" "$tmp/applies.rules" 500 loop unix-send
applies=$pc
per_call "ping-pong round trip, no preload" "" "" 300 pingpong send
ppbase=$pc
# idle> reads the CPU's counter, whose line the library refits against the
# kernel's clock at most once a second of wall time (base/clock.h): a few
# hundred instructions each, which a run under valgrind, seconds long,
# meets once or twice whatever its length.
SF_PER_CALL_SLACK=2 per_call "ping-pong round trip, io idle>1h on both ends" "$SF_LIB" "$tmp/idle.rules" 300 \
	pingpong send
ppidle=$pc

more() {
	if awk -v a="$2" -v b="$3" 'BEGIN { exit !(a > b) }'; then
		pass "$1 ($2 > $3 instructions)"
	else
		fail "$1: $2 instructions, not more than $3"
	fi
}
more "the library's wrapper is counted in a call" "$empty" "$base"
more "a rule that applies is counted in a call" "$applies" "$empty"
more "the library is counted in a round trip" "$ppidle" "$ppbase"
finish
