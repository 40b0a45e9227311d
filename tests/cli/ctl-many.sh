#!/bin/sh
# sockfault ctl --all against 100 processes (20 under the sanitizers): ps
# lists them all, ctl --all stats reaches every one within a bounded time
# (10 s), ctl --all load changes the rules of every one, and when they all
# exit their sockets are gone.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
ctl_setup

n=100
[ -z "${SF_SANITIZE:-}" ] || n=20
mkfifo "$tmp/many.in"
sleep 60 >"$tmp/many.in" &
holder=$!
bg_pids="$bg_pids $holder"
i=0
while [ "$i" -lt "$n" ]; do
	env LD_PRELOAD="$(sf_preload)" SOCKFAULT_CONTROL=1 SOCKFAULT_RULES_TEXT='send => delay 1ms' \
		"$C/tctl" sender 0 0 0 <"$tmp/many.in" >/dev/null 2>>"$tmp/many.err" &
	bg_pids="$bg_pids $!"
	i=$((i + 1))
done
_i=0
until [ "$("$CLI" ps | grep -c ' tctl ')" -ge "$n" ]; do
	_i=$((_i + 1))
	[ "$_i" -le 200 ] || hard_error "not all $n processes opened their channels"
	sleep 0.1
done
pass "ps lists the $n processes"

t0=$(date +%s%N)
ctl --all stats
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
echo "ctl --all stats: $n processes in $ms ms"
expect_rc 0 "ctl --all stats"
expect_count "every process answered" "$n" "$tmp/out" '^[0-9]+: fired 0 in all$'
expect_le "within 10 s" 10000 "$ms"

ctl --all load -e 'x: send => error EPIPE'
expect_rc 0 "ctl --all load"
expect_count "every process has the new rules" "$n" "$tmp/out" '^[0-9]+: 1 rules in force$'
ctl --all --json rules
expect_count "every process says so" "$n" "$tmp/out" '^\{"pid":[0-9]+,"rule":"x","text":"x: send => error EPIPE"'

kill "$holder"
_i=0
until [ -z "$(ls "$chan_dir")" ]; do
	_i=$((_i + 1))
	[ "$_i" -le 200 ] || break
	sleep 0.05
done
expect_eq "every socket is gone with its process" "" "$(ls "$chan_dir")"
expect_empty "$tmp/many.err" "no process said anything"
finish
