#!/bin/sh
# The reload storm: four threads make socket calls in a loop (socket,
# connect, send, recv, dup, write, getpeername, close, getaddrinfo) for a
# few seconds while the rules file is rewritten hundreds of times, two rule
# sets in turn (by rename and in place), now and then a bad file. The old
# rules and plans are freed while threads may be inside a call: no crash,
# no hang, both rule sets seen to act, many reloads, and no report from
# ASan or TSan when the suite is built with --enable-sanitizers (=thread).
# Then threads that log their first faults at the same moment.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

seconds=5
peer_start p -n 0 -t 90 echo
P=127.0.0.1:$p_port

cat >"$tmp/A.rules" <<'EOF'
# set A
a-reset: send p=0.2 => error ECONNRESET log=quiet
a-refuse: connect per=process when=1+7 => error ECONNREFUSED
a-kill: recv p=0.05 => reset
a-dup: write p=0.3 => error EPIPE log=quiet
EOF
cat >"$tmp/B.rules" <<'EOF'
# set B, with other conditions and actions
b-host: send host=localhost p=0.1 => error ENOTCONN
b-timeout: recv p=0.2 => error ETIMEDOUT log=quiet
b-short: send => short 2 log=quiet
b-delay: connect => delay 1ms
b-peer: getpeername => error ENOTCONN log=quiet
EOF
cat >"$tmp/bad.rules" <<'EOF'
send => eror ECONNRESET
EOF
live=$tmp/live.rules
cp "$tmp/A.rules" "$live"

# The writer (a program of its own, not preloaded): bounded by count, by
# time and by the storm's end; once a second a bad file, kept long enough
# for the reload look to see it.
$tmo "$T/topr" rewrite -n 1500 -i 5 -t 40 -s "$tmp/storm.done" -b "$tmp/bad.rules" -e 1000 "$live" \
	"$tmp/A.rules" "$tmp/B.rules" >"$tmp/writer.out" 2>&1 &
writer_pid=$!

sf_run SOCKFAULT_RULES="$live" SOCKFAULT_RELOAD=1 SOCKFAULT_SEED=77 SOCKFAULT_LOG="$tmp/storm.log" \
	"$T/topr" storm -t 4 -s "$seconds" "$P"
touch "$tmp/storm.done"
wait "$writer_pid" || :
sed 's/^/  writer| /' "$tmp/writer.out"
writes=$(sed -n 's/^rewrites = //p' "$tmp/writer.out")
echo "rewrites of the rules file: $writes"
reloads=$(count_in "$tmp/storm.log" 'reloaded [0-9]+ rules? from')
# Bad files are reported where the log goes: the log file.
problems=$(count_in "$tmp/storm.log" 'reload: the new rules have problems')
echo "reloads: $reloads, bad files reported: $problems"

expect_rc 0 "the storm ends normally (no crash, no hang)"
expect_out "^storm: 4 threads, [0-9]+ iterations\$" "every thread came back"
iterations=$(sed -n 's/^storm: 4 threads, \([0-9]*\) iterations$/\1/p' "$tmp/out")
expect_ge "the threads made progress" 100 "${iterations:-0}"
expect_ge "the file was rewritten hundreds of times" 200 "${writes:-0}"
# The calls look every 250 ms: about 4 reloads a second at most.
expect_ge "many reloads happened" 8 "$reloads"
expect_ge "bad files were reported" 1 "$problems"
expect_ge "set A acted (ECONNRESET or ECONNREFUSED)" 1 \
	$(($(sed -n 's/^storm: ECONNRESET //p' "$tmp/out") + $(sed -n 's/^storm: ECONNREFUSED //p' "$tmp/out")))
expect_ge "set B acted (ETIMEDOUT or ENOTCONN)" 1 \
	$(($(sed -n 's/^storm: ETIMEDOUT //p' "$tmp/out") + $(sed -n 's/^storm: ENOTCONN //p' "$tmp/out")))
expect_no_sanitizer_report "$tmp/err"
expect_no_err 'SETUP FAILED|UNEXPECTED' "no setup failure"

# Threads logging their first faults at the same moment into a log file
# (which the library opens on the first line): every line whole, none
# lost, and under TSan no race on the log's descriptor.
for i in 1 2 3 4 5; do
	rm -f "$tmp/first.jsonl"
	sf_run SOCKFAULT_RULES_TEXT='send => error ECONNRESET' SOCKFAULT_LOG_FORMAT=json SOCKFAULT_LOG="$tmp/first.jsonl" \
		"$T/topr" threads -c 1 -n 3 "$P" "$P" "$P" "$P"
	expect_rc 0 "first log lines from four threads at once (run $i): a normal end"
	expect_count "run $i: every fault logged, each line whole" 12 "$tmp/first.jsonl" \
		'^\{"ts":"[^"]*","pid":[0-9]+,"tid":[0-9]+,"proc":"[0-9.]+","event":"fault",.*"call":[0-9]+\}$'
	expect_count "run $i: one start line" 1 "$tmp/first.jsonl" '"event":"start"'
	expect_no_sanitizer_report "$tmp/err" "run $i: no sanitizer report"
done

finish
