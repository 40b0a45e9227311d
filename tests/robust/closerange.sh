#!/bin/sh
# Descriptors closed in bulk: close_range and closefrom leave no stale
# entries. Sockets on a run of numbers are closed with close_range (plain
# and CLOSE_RANGE_UNSHARE) or closefrom; pipes and files that the library
# never sees made take the numbers again, and the rules for sockets
# ("write => error EIO") must not touch them; sockets made again on those
# numbers are faulted again. CLOSE_RANGE_CLOEXEC closes nothing: the
# sockets keep their records. A descriptor glibc closes itself (fclose of
# an fdopen'ed socket, with its internal close) must not leave a stale
# entry either. The library's own log file, closed with the rest, is
# reopened: its lines never go into the file that took its number.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

C=$SF_BUILDDIR/tests/robust/hclose
rules='w: write => error EIO log=quiet
s: send side=client => error ENOBUFS log=quiet'

# The contrast first: without the library no write fails.
plain_run "$C" range
[ "$rc" -eq 4 ] && skip "close_range is not in this libc"
expect_no_out 'before: write fd=[0-9]+ = -1 EIO' "without the library the sockets' writes succeed"

for how in range unshare closefrom cloexec fclose; do
	sf_run SOCKFAULT_RULES_TEXT="$rules" "$C" "$how"
	[ "$rc" -eq 4 ] && { echo "$how: not in this libc"; continue; }
	expect_rc 0 "$how"
	n=$(grep -c '^before: write fd=[0-9]* = -1 EIO$' "$tmp/out" || :)
	expect_eq "$how: the rule faults writes on the 7 sockets first" 7 "$n"
	expect_out '^before: send on the client fd=[0-9]+ = -1 ENOBUFS$' "$how: and sends on the client"
	if [ "$how" = cloexec ]; then
		n=$(grep -c '^after cloexec: write fd=[0-9]* = -1 EIO$' "$tmp/out" || :)
		expect_eq "cloexec: the sockets are still faulted" 7 "$n"
		expect_out '^after cloexec: send on the client fd=[0-9]+ = -1 ENOBUFS$' \
			"cloexec: the client keeps its record (its side is not learnable afresh)"
		continue
	fi
	expect_out '^reused 7 of 7 numbers$' "$how: pipes and files took all the numbers"
	expect_no_out 'reused (write|read) fd=[0-9]+ = -1 EIO' "$how: no rule touched a pipe or a file"
	n=$(grep -c '^again: write fd=[0-9]* = -1 EIO$' "$tmp/out" || :)
	expect_eq "$how: sockets on those numbers again are faulted again" 7 "$n"
	expect_out '^again: send on the client fd=[0-9]+ = -1 ENOBUFS$' "$how: a client there again is a client"
done

# The log file after closefrom(3) / close_range(3, ~0U): its old number is
# taken by the program's data file, and the next log line must not go there.
for how in closefrom range; do
	rm -f "$tmp/lf.log" "$tmp/lf.data"
	sf_run SOCKFAULT_RULES_TEXT='send => error EIO' SOCKFAULT_LOG="$tmp/lf.log" "$C" logfd "$how" "$tmp/lf.data"
	[ "$rc" -eq 4 ] && { echo "$how: not in this libc"; continue; }
	expect_rc 0 "log after $how"
	expect_out '^the data file is on fd ([0-9]+)$' "log after $how: the data file took the log's number"
	sed 's/^/  data| /' "$tmp/lf.data"
	sed 's/^/  log| /' "$tmp/lf.log"
	expect_not_in "$tmp/lf.data" 'sockfault' "log after $how: no log line in the program's file"
	n=$(grep -c 'fired on send' "$tmp/lf.log" || :)
	expect_eq "log after $how: both faults in the log" 2 "$n"
done

finish
