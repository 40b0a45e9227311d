#!/bin/sh
# The log under the program's limits (sockfault(1), LOG): with no
# descriptor left (RLIMIT_NOFILE) at its first line, the log file is opened
# again later (at most one try a second), not given up for the run; a line
# that would pass RLIMIT_FSIZE raises no SIGXFSZ in the program (which would
# kill it), and leaves one the program had pending.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

R=$SF_BUILDDIR/tests/robust/rlog
RULE='sendto peer=127.0.0.1:9 => error EIO'

plain_run "$R" emfile
expect_rc 0 "no descriptor left: exit status without the library"
sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG="$tmp/e.log" "$R" emfile
expect_rc 0 "no descriptor left: the same exit status under the library"
expect_out '^fault with no descriptor left: EIO$' "the fault's errno is the injected one, not the log's EMFILE"
expect_out "^the program's open at the limit: EMFILE$" "the program's own open fails as it would"
expect_out '^fault a second later: EIO$' "the second fault is injected"
expect_out "^the program's open after: opened$" "the program opens files again"
expect_in "$tmp/e.log" 'fired on sendto' "the log file was opened once descriptors were free again"

for mode in "" pending; do
	sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG="$tmp/x$mode.log" "$R" xfsz $mode
	expect_rc 0 "file size limit ${mode:-(no signal pending)}: exit status"
	expect_out '^alive$' "file size limit ${mode:-}: the program was not killed"
	if [ -n "$mode" ]; then
		expect_out '^SIGXFSZ pending after: yes$' "the program's pending SIGXFSZ is left pending"
	else
		expect_out '^SIGXFSZ pending after: no$' "no SIGXFSZ left behind"
	fi
done

finish
