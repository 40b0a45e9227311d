#!/bin/sh
# SOCKFAULT_STATS=1: at exit, one line per rule with the calls it matched
# and the faults it fired; a rule that never matched (the wrong port) and
# a rule for another program (exe=) are named as such; the same in JSON,
# and in the log file when there is one; nothing without the variable.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# The peer on a port a first run found: the rules name it.
run '' p:listen
port=$(value 'peer listen' | sed 's/port //')
P=127.0.0.1:$port
two="p:listen,$port connect sends=5 connect sends=5"

# Two connections of five sends each. hit fires on the 2nd and 3rd send of
# each; after only counts the calls no earlier rule decided (10 - 4);
# wrong-port aims at a port nobody uses; other-exe at another program.
cat >"$tmp/stats.rules" <<EOF
hit: send when=2..3 => error ECONNRESET
wrong-port: send peer=127.0.0.1:1 => error EPIPE
after: send => delay 1ms
other-exe: send exe=not-this-program => reset
sometimes: send p=0.5 => error ETIMEDOUT
EOF
# shellcheck disable=SC2086 # the steps are words on purpose
sf_run SOCKFAULT_RULES="$tmp/stats.rules" SOCKFAULT_STATS=1 SOCKFAULT_SEED=5 "$R/treal" -S "$tmp/u" $two
expect_rc 0
expect_out '^sends = [A-Za-z]+ ECONNRESET ECONNRESET [A-Za-z]+ [A-Za-z]+$' "the rules act"
pid=$(sed -n 's/^sockfault\[\([0-9]*\)\]: started.*/\1/p' "$tmp/err" | head -n 1)
expect_err "^sockfault\[$pid\]: stats hit \(line 1\): matched 10, fired 4\$" "stats: hit matched 10, fired 4"
expect_err "^sockfault\[$pid\]: stats wrong-port \(line 2\): never matched" "stats: the wrong port is named as never matched"
expect_err "^sockfault\[$pid\]: stats after \(line 3\): matched 6, fired 6\$" "stats: a later rule counts only undecided calls"
expect_err "^sockfault\[$pid\]: stats other-exe \(line 4\): not for this program \(exe=not-this-program\)" "stats: a rule for another program says so"
# sometimes meets the calls that neither hit nor (shaping) after decided:
# six; it fired as often as the program saw ETIMEDOUT.
timedout=$(grep '^sends' "$tmp/out" | tr ' ' '\n' | grep -c '^ETIMEDOUT$' || :)
expect_err "^sockfault\[$pid\]: stats sometimes \(line 5\): (matched 6, fired $timedout|never matched)\$" "stats: the p= rule fired as often as the program saw it ($timedout)"
expect_count "stats: one line per rule" 5 "$tmp/err" ': stats '
# Stats come last: after every fault line.
last_fault=$(grep -n 'fired on' "$tmp/err" | tail -n 1 | cut -d: -f1)
first_stats=$(grep -n ': stats ' "$tmp/err" | head -n 1 | cut -d: -f1)
expect_ge "stats: written at exit, after the faults" "$((last_fault + 1))" "$first_stats"

# The contrast: without the variable, no stats.
# shellcheck disable=SC2086
sf_run SOCKFAULT_RULES="$tmp/stats.rules" "$R/treal" -S "$tmp/u" $two
expect_no_err ': stats ' "without SOCKFAULT_STATS: no stats lines"
# shellcheck disable=SC2086
sf_run SOCKFAULT_RULES="$tmp/stats.rules" SOCKFAULT_STATS=0 "$R/treal" -S "$tmp/u" $two
expect_no_err ': stats ' "SOCKFAULT_STATS=0: no stats lines"

# A rule that matches nothing because its port is wrong, next to the same
# rule with the right port: only the wrong one is called never matched.
sf_run SOCKFAULT_RULES_TEXT="right: send peer=$P when=99 => reset
wrong: send peer=127.0.0.1:$((port == 65535 ? 1 : port + 1)) when=99 => reset" SOCKFAULT_STATS=1 \
	"$R/treal" -S "$tmp/u" "p:listen,$port" connect sends=3
expect_err 'stats right \(line 1\): matched 3, fired 0$' "the right port: matched 3, fired 0"
expect_err 'stats wrong \(line 2\): never matched: .*port' "the port next to it: never matched, with a hint at the port"

# JSON, into a log file.
# shellcheck disable=SC2086
sf_run SOCKFAULT_RULES="$tmp/stats.rules" SOCKFAULT_STATS=1 SOCKFAULT_SEED=5 SOCKFAULT_LOG_FORMAT=json \
	SOCKFAULT_LOG="$tmp/stats.jsonl" "$R/treal" -S "$tmp/u" $two
expect_empty "$tmp/err" "JSON stats into a file: nothing on stderr"
expect_in "$tmp/stats.jsonl" '"event":"stats","rule":"hit","line":1,"matched":10,"fired":4\}' "JSON stats: hit"
expect_in "$tmp/stats.jsonl" '"event":"stats","rule":"wrong-port","line":2,"matched":0,"fired":0\}' "JSON stats: the wrong port, matched 0"
expect_in "$tmp/stats.jsonl" '"event":"stats","rule":"after","line":3,"matched":6,"fired":6\}' "JSON stats: after"
expect_in "$tmp/stats.jsonl" '"event":"stats","rule":"other-exe".*"note":"exe= does not match this program"' "JSON stats: the other program's rule, noted"
expect_count "JSON stats: one event per rule" 5 "$tmp/stats.jsonl" '"event":"stats"'
# sockfault report reads them: the never-matched rule is named there too.
cli_run report "$tmp/stats.jsonl"
expect_out '^  wrong-port .*never matched' "report names the never-matched rule from the stats"

finish
