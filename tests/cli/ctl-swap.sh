#!/bin/sh
# Rules swapped under load: four threads send as fast as 1 ms apart while
# sockfault ctl replaces the rules again and again (a, then b, then a...,
# each counting every send and firing on none). Every send is counted
# once, by the set in force when it was made: at the end the counters of
# a and b add up to the sends made, exactly (none lost, none twice). A
# rule keeps its counters by its whole text: a and b are one name and
# over 2 KB alike, and differ only at the end.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
ctl_setup

long=/run/$(printf 'x%.0s' $(seq 1 2100))
A="ab: send peer=unix:$long/a,* when=100000000 => error EPIPE"
B="ab: send peer=unix:$long/b,* when=100000000 => error EPIPE"
peer_start p -n 4 -t 60 sink
# 3000 sends a thread, about 3 s: a load by the CLI takes up to 200 ms
# under a sanitizer on a loaded machine, and the swaps must be several.
start_ctl prog SOCKFAULT_RULES_TEXT="$A" "$C/tctl" sender "$p_port" 4 3000
wait_channel "$prog_pid"

swaps=0
while ! grep -q '^sent ' "$tmp/prog.out" && [ "$swaps" -lt 400 ]; do
	if [ $((swaps % 2)) -eq 0 ]; then rule=$B; else rule=$A; fi
	"$CLI" ctl "$prog_pid" load -e "$rule" >/dev/null || fail "load $rule"
	swaps=$((swaps + 1))
done
wait_out prog '^sent '
sent=$(sed -n 's/^sent //p' "$tmp/prog.out")
expect_eq "every send was made" 12000 "$sent"
expect_ge "the rules were swapped during the sends" 6 "$swaps"

# Each rule in force again (the sender is idle now): it shows all it
# counted.
matched() {
	ctl "$prog_pid" load -e "$1" >&2
	ctl --json "$prog_pid" rules >&2
	sed -n 's/.*"rule":"ab".*"matched":\([0-9]*\).*/\1/p' "$tmp/out"
}
ma=$(matched "$A")
mb=$(matched "$B")
echo "a counted $ma, b counted $mb, over $swaps swaps"
expect_ge "a counted some" 1 "$ma"
expect_ge "b counted some" 1 "$mb"
expect_eq "a and b counted each send once" "$sent" "$((ma + mb))"
close_stdin prog
wait_bg prog
finish
