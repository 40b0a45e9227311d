#!/bin/sh
# A signal to the program while the supervisor makes a blocking call on its
# behalf ends the call as the kernel would: EINTR when the handler has no
# SA_RESTART, the call made again when it has, EINTR again when the socket
# has a receive timeout; the handler runs at once in all (sockfault(1), THE
# SUPERVISOR). Checked against the same program run
# without the supervisor.
# shellcheck disable=SC2154 # tmp and rc are lib.sh's
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/reach/rlib.sh"
reach_need_supervisor
reach_tstatic

# A rule that never fires: the recv is made by the supervisor.
rule='recv when=50 => error EIO'
for mode in interrupt restart timeout; do
	plain_run "$R/tstatic" eintr "$mode"
	cp "$tmp/out" "$tmp/native.out"
	sf_run SOCKFAULT_RULES_TEXT="$rule" "$R/tstatic" eintr "$mode"
	expect_rc 0 "$mode: the program ran to its end"
	if [ "$mode" = interrupt ]; then
		expect_out '^recv = -1 EINTR$' "no SA_RESTART: the supervised recv failed with EINTR"
		expect_out '^after = early$' "no SA_RESTART: at the signal, not when data came"
	elif [ "$mode" = timeout ]; then
		expect_out '^recv = -1 EINTR$' "SA_RESTART and SO_RCVTIMEO: EINTR, never restarted (signal(7))"
		expect_out '^after = early$' "SA_RESTART and SO_RCVTIMEO: at the signal"
	else
		expect_out '^recv = 5$' "SA_RESTART: the supervised recv was made again and got the data"
		expect_out '^after = late$' "SA_RESTART: it returned when the data came"
	fi
	expect_out '^handled = 1, at once$' "$mode: the handler ran once, at the signal"
	if cmp -s "$tmp/native.out" "$tmp/out"; then
		pass "$mode: the program saw what it sees without the supervisor"
	else
		fail "$mode: supervised and native runs differ: $(tr '\n' ' ' <"$tmp/native.out") vs $(tr '\n' ' ' <"$tmp/out")"
	fi
done
finish
