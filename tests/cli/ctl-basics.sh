#!/bin/sh
# sockfault ps and sockfault ctl against a running program (tctl sender):
# ps lists it (pid, program, rules source, seed); rules shows the rules in
# canonical form with counters; load -e and load FILE... replace them, a
# bad set is refused with FILE:LINE:COL and exit 2 and the old rules stay;
# disable/enable switch one rule and the program's next call obeys; bad
# input gets one line and exit 2 or 1; a process without the variable has
# no channel; sockfault run --control opens one; the socket goes at exit,
# and a killed process's stale socket is removed by ps.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
ctl_setup

peer_start p -n 2 -t 60 sink

# The sender makes 2 x 5000 sends, 1 ms apart (seconds of them), then
# waits for its stdin.
start_ctl prog SOCKFAULT_SEED=77 SOCKFAULT_LOG="$tmp/prog.log" \
	SOCKFAULT_RULES_TEXT='count: send when=100000000 => error EPIPE' \
	"$C/tctl" sender "$p_port" 2 5000
wait_channel "$prog_pid"

echo "+ sockfault ps"
"$CLI" ps >"$tmp/ps.out"
sed 's/^/  ps| /' "$tmp/ps.out"
expect_in "$tmp/ps.out" "^ *$prog_pid +tctl +[0-9.]+s +0 +77 +SOCKFAULT_RULES_TEXT\$" "ps: pid, program, uptime, fired, seed, source"
"$CLI" ps --json >"$tmp/ps.json"
expect_in "$tmp/ps.json" "\"pid\":$prog_pid,\"exe\":\"tctl\"" "ps --json: the hello line"

ctl "$prog_pid" rules
expect_rc 0 "rules"
expect_out '^count: send when=100000000 => error EPIPE    \(matched [0-9]+, fired 0\)$' "rules: canonical, with counters"

# A bad set: refused, FILE:LINE:COL, exit 2, the old rules stay.
printf 'good: recv => delay 1ms\n' >"$tmp/good.rules"
printf 'fine: send => delay 1ms\nbad: send => eror EPIPE\n' >"$tmp/bad.rules"
ctl "$prog_pid" load "$tmp/good.rules" "$tmp/bad.rules"
expect_rc 2 "load of a bad set"
expect_err "^$tmp/bad.rules:2:14: unknown action 'eror' \\(did you mean 'error'\\?\\)\$" "load: FILE:LINE:COL"
expect_err 'the rules in force stay' "load: says nothing changed"
ctl "$prog_pid" load -e 'x: send => eror EPIPE'
expect_rc 2 "load -e of a bad rule"
expect_err '^-e:1:12: unknown action' "load -e: where the problem is"
ctl "$prog_pid" rules
expect_out '^count: send when=100000000' "the old rules are still in force"

# Disable: the program's next call is past the rule; enable: back.
ctl "$prog_pid" load -e 'stop: send => error EPIPE' 'count: send when=100000000 => error EPIPE'
expect_rc 0 "load -e"
expect_out "^$prog_pid: 2 rules in force\$" "load -e: the count"
wait_out prog '^send failed: Broken pipe$'
ctl "$prog_pid" disable stop
expect_rc 0 "disable"
expect_out "^$prog_pid: rule stop disabled\$" "disable: said"
# Within 10 ms of the command the program's calls are past the rule:
# from 50 ms on, no send fails.
sleep 0.05
fails_then=$(grep -c 'send failed' "$tmp/prog.out" || :)
sleep 0.1
fails_now=$(grep -c 'send failed' "$tmp/prog.out" || :)
expect_eq "no send fails once the rule is disabled" "$fails_then" "$fails_now"
ctl "$prog_pid" rules
expect_out '^stop: send => error EPIPE    \(disabled; matched [1-9][0-9]*, fired [1-9][0-9]*\)$' "rules: the disabled rule keeps its counters"
ctl "$prog_pid" enable stop
expect_out "^$prog_pid: rule stop enabled\$" "enable: said"
ctl "$prog_pid" enable nosuch
expect_rc 2 "enable of an unknown rule"
expect_err "no rule named 'nosuch'" "enable: names the problem"

# Two files: their rules in order; the counters of a rule that stays the
# same (name and text) go on.
printf 'stop: send => error EPIPE\n' >"$tmp/one.rules"
ctl "$prog_pid" load "$tmp/good.rules" "$tmp/one.rules"
expect_rc 0 "load of two files"
ctl "$prog_pid" rules
expect_in "$tmp/out" '^good: recv => delay 1ms' "the first file's rule"
expect_in "$tmp/out" '^stop: send => error EPIPE    \(matched [1-9][0-9]*, fired [1-9][0-9]*\)$' "the second's, counters kept"
expect_in "$tmp/out" "^# 2 rules from ctl load $tmp/good.rules $tmp/one.rules\$" "the source"

# Bad input: one line, exit 2 (usage) or 1 (not reachable).
ctl "$prog_pid" frobnicate
expect_rc 2 "unknown command"
expect_err "^sockfault: ctl: unknown command 'frobnicate'" "unknown command: said"
ctl abc rules
expect_rc 2 "not a pid"
ctl 1 rules
expect_rc 1 "a process without a channel"
expect_err '^sockfault: 1: no control channel' "no channel: said"
ctl 999999999 rules
expect_rc 1 "no such process"
ctl "$prog_pid" fire reset peer=10.9.9.9
expect_rc 1 "fire on nothing"
expect_err 'no live connection matches' "fire on nothing: said"
ctl "$prog_pid" fire explode fd=3
expect_rc 2 "fire: unknown action"

# Without the variable: no channel.
sleep 2 | env LD_PRELOAD="$(sf_preload)" SOCKFAULT_RULES_TEXT='send => delay 1ms' "$C/tctl" sender "$p_port" 0 0 >"$tmp/off.out" &
off_pid=$!
sleep 0.3
[ ! -e "$chan_dir/$off_pid.sock" ] || fail "a channel without SOCKFAULT_CONTROL"
kill "$off_pid" 2>/dev/null || :

# sockfault run --control: the same channel, no rules needed.
mkfifo "$tmp/run.in"
# (In a sanitizer build its runtime must come first in the program's
# preload: run adds the library after what LD_PRELOAD holds.)
_rt=$(sf_sanitizer_runtime)
env ${_rt:+LD_PRELOAD="$_rt"} "$CLI" run --control -- "$C/tctl" sender 0 0 0 <"$tmp/run.in" >"$tmp/run.out" 2>&1 &
run_pid=$!
bg_pids="$bg_pids $run_pid"
sleep 30 >"$tmp/run.in" &
run_holder=$!
bg_pids="$bg_pids $run_holder"
wait_channel "$run_pid"
ctl "$run_pid" rules
expect_rc 0 "run --control: the channel answers"
expect_out '^# 0 rules from none$' "run --control: no rules"
kill "$run_holder"
wait "$run_pid" || :

# The socket goes with the process; a killed one's is removed by ps.
close_stdin prog
wait_bg prog
[ ! -e "$chan_dir/$prog_pid.sock" ] || fail "the socket is left after exit"
start_ctl victim "$C/tctl" sender "$p_port" 0 0
wait_channel "$victim_pid"
kill -9 "$victim_pid"
wait "$victim_pid" 2>/dev/null || :
[ -e "$chan_dir/$victim_pid.sock" ] || fail "a killed process leaves its socket (nothing to clean?)"
"$CLI" ps >"$tmp/ps2.out"
[ ! -e "$chan_dir/$victim_pid.sock" ] || fail "ps left the stale socket"
expect_not_in "$tmp/ps2.out" "^ *$victim_pid " "ps: the dead process is not listed"
finish
