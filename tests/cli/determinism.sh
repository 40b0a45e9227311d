#!/bin/sh
# Determinism and replay. Four threads, each with connections of its own
# to a peer of its own, send with p=0.3 faults and random sleeps between
# calls: the threads' calls interleave differently from run to run (shown
# by the order topr records), the faults do not (same seed: same outcomes,
# same fault events). Another seed gives other faults. SOCKFAULT_REPLAY
# re-injects exactly the faults of a recorded JSON log under another seed
# and another interleaving, matched by peer, nth connection to it and call
# index; a log edited down replays exactly what is left. And p= on connect
# decides each connection attempt on its own.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# The peers stay up for every run: a replayed fault is matched by its peer,
# port included.
for n in a b c d; do
	peer_start "$n" -n 0 -t 120 sink
done
targets="127.0.0.1:$a_port 127.0.0.1:$b_port 127.0.0.1:$c_port 127.0.0.1:$d_port"
rules='flaky: send p=0.3 => error ECONNRESET
slow: send p=0.1 => delay 1ms'

# threads_run NAME JITTER [VAR=VALUE...]: topr threads, its per-thread lines
# in $tmp/NAME.lines, its call order in $tmp/NAME.order, the fault events
# of its JSON log in $tmp/NAME.faults.
threads_run() {
	_name=$1 _jitter=$2
	shift 2
	# shellcheck disable=SC2086
	sf_run SOCKFAULT_RULES_TEXT="$rules" SOCKFAULT_LOG_FORMAT=json SOCKFAULT_LOG="$tmp/$_name.jsonl" "$@" \
		"$T/topr" threads -j "$_jitter" -c 3 -n 25 $targets
	expect_rc 0 "$_name: topr threads ran"
	grep '^thread' "$tmp/out" >"$tmp/$_name.lines"
	out_value order | sed 's/ .*//' >"$tmp/$_name.order"
	faults_of "$tmp/$_name.jsonl" >"$tmp/$_name.faults"
}

threads_run s5a 1 SOCKFAULT_SEED=5
threads_run s5b 2 SOCKFAULT_SEED=5
threads_run s5c 3 SOCKFAULT_SEED=5
threads_run s5z 0 SOCKFAULT_SEED=5
threads_run s6 1 SOCKFAULT_SEED=6

expect_eq "twelve connections, 25 sends each" 12 "$(grep -c ' ok\| ECONNRESET' "$tmp/s5a.lines")"
resets=$(grep -o ECONNRESET "$tmp/s5a.lines" | wc -l | tr -d ' ')
expect_ge "p=0.3: faults happen" 30 "$resets"
expect_le "p=0.3: not every call" 200 "$resets"
orders=$(cat "$tmp/s5a.order" "$tmp/s5b.order" "$tmp/s5c.order" "$tmp/s5z.order" | sort -u | wc -l | tr -d ' ')
expect_ge "the threads interleaved differently from run to run" 2 "$orders"
for r in s5b s5c s5z; do
	expect_eq "seed 5, run $r: the same outcomes on every connection" "$(cat "$tmp/s5a.lines")" "$(cat "$tmp/$r.lines")"
	expect_eq "seed 5, run $r: the same fault events (rule, peer, conn, call)" "$(cat "$tmp/s5a.faults")" "$(cat "$tmp/$r.faults")"
done
expect_ne "seed 6: other faults" "$(cat "$tmp/s5a.lines")" "$(cat "$tmp/s6.lines")"
expect_eq "the fault events are the faults the program saw" "$resets" "$(grep -c '^flaky ' "$tmp/s5a.faults" || :)"
expect_ge "the delays were logged too" 1 "$(grep -c '^slow ' "$tmp/s5a.faults" || :)"

# --- replay ---
threads_run rep 4 SOCKFAULT_SEED=999 SOCKFAULT_REPLAY="$tmp/s5a.jsonl"
expect_eq "replay under seed 999: the recorded outcomes" "$(cat "$tmp/s5a.lines")" "$(cat "$tmp/rep.lines")"
expect_eq "replay under seed 999: the recorded fault events" "$(cat "$tmp/s5a.faults")" "$(cat "$tmp/rep.faults")"
threads_run s999 4 SOCKFAULT_SEED=999
expect_ne "contrast: seed 999 without replay gives other faults" "$(cat "$tmp/s5a.lines")" "$(cat "$tmp/s999.lines")"

# A log edited down: only thread 0's peer, second connection, is kept.
# Replay injects those and nothing else.
grep -v '"event":"fault"' "$tmp/s5a.jsonl" >"$tmp/some.jsonl"
grep '"event":"fault"' "$tmp/s5a.jsonl" | grep "\"peer\":\"127.0.0.1:$a_port\"" | grep '"conn":2,' >>"$tmp/some.jsonl"
faults_of "$tmp/some.jsonl" >"$tmp/some.faults"
expect_ge "the edited log keeps some faults" 1 "$(wc -l <"$tmp/some.faults" | tr -d ' ')"
threads_run part 2 SOCKFAULT_SEED=5 SOCKFAULT_REPLAY="$tmp/some.jsonl"
expect_eq "replay of an edited log: exactly the faults left in it" "$(cat "$tmp/some.faults")" "$(cat "$tmp/part.faults")"
expect_eq "replay of an edited log: thread 0, connection 2 as recorded" \
	"$(grep '^thread 0 conn 2:' "$tmp/s5a.lines")" \
	"$(grep '^thread 0 conn 2:' "$tmp/part.lines")"
expect_no_out '^thread [123] conn .*ECONNRESET' "replay of an edited log: the other threads untouched"

# A replay log that is not one: reported, nothing runs.
printf 'not json\n' >"$tmp/broken.jsonl"
sf_run SOCKFAULT_RULES_TEXT="$rules" SOCKFAULT_REPLAY="$tmp/broken.jsonl" "$T/topr" threads -c 1 -n 1 $targets
expect_rc 2 "a replay log that is not JSON: exit 2 before main"
expect_err 'SOCKFAULT_REPLAY: .*broken\.jsonl:1:[0-9]+: not a JSON log line' "a replay log that is not JSON: FILE:LINE:COL"
expect_no_out '^thread' "a replay log that is not JSON: the program did not run"
sf_run SOCKFAULT_REPLAY="$tmp/s5a.jsonl" "$T/topr" threads -c 1 -n 1 $targets
expect_rc 2 "replay without the rules: exit 2"
expect_err 'SOCKFAULT_REPLAY: .*needs the rules' "replay without the rules: said"

# --- p= on connect: each connection attempt is decided on its own ---
# ("every 10th connection to Redis is refused, reproducibly": the spec's
# own example.) Twenty connects to one peer with p=0.5 must not all get
# the same answer, and the same seed must give the same answers again.
connects() {
	_seed=$1 _name=$2
	shift 2
	# shellcheck disable=SC2046 # twenty connects, as words
	sf_run SOCKFAULT_RULES_TEXT='connect p=0.5 => error ECONNREFUSED' SOCKFAULT_SEED="$_seed" \
		SOCKFAULT_LOG_FORMAT=json SOCKFAULT_LOG="$tmp/connects.$_name.jsonl" "$@" \
		"$R/treal" -N -A "127.0.0.1:$a_port" $(printf 'connect %.0s' $(seq 20))
	sed -n 's/^connect = -1 ECONNREFUSED$/connect ECONNREFUSED/p; s/^connect = 0$/ok/p' "$tmp/out" | tr '\n' ' ' \
		>"$tmp/connects.$_name"
	echo >>"$tmp/connects.$_name"
}
for s in 1 2 3; do
	connects "$s" "$s"
	refused=$(grep -o 'connect ECONNREFUSED' "$tmp/connects.$s" | wc -l | tr -d ' ')
	expect_between "connect p=0.5, seed $s: some of 20 refused, each attempt drawn on its own" 1 19 "$refused"
done
connects 2 2b
expect_eq "connect p=0.5: the same seed, the same answers" "$(cat "$tmp/connects.2")" "$(cat "$tmp/connects.2b")"
# Replay of one refused connect refuses that connection attempt only.
for s in 1 2 3; do
	if grep -q '"event":"fault"' "$tmp/connects.$s.jsonl"; then
		grep -v '"event":"fault"' "$tmp/connects.$s.jsonl" >"$tmp/one-connect.jsonl"
		grep '"event":"fault"' "$tmp/connects.$s.jsonl" | head -n 1 >>"$tmp/one-connect.jsonl"
		connects 999 one SOCKFAULT_REPLAY="$tmp/one-connect.jsonl"
		expect_eq "replay of one refused connect: one refused" 1 \
			"$(grep -o 'connect ECONNREFUSED' "$tmp/connects.one" | wc -l | tr -d ' ')"
		break
	fi
done

finish
