#!/bin/sh
# The log file (SOCKFAULT_LOG=FILE) is opened O_APPEND|O_CLOEXEC, write
# only (/proc/self/fdinfo of the running program), and never on 0, 1 or 2:
# a program started with all three closed gets the log on 3 or above, and
# its own first open() gets 0.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

S=$SF_BUILDDIR/tests/robust/hsecure

sf_run SOCKFAULT_RULES_TEXT='send => error EIO' SOCKFAULT_LOG="$tmp/a.log" "$S" logflags
expect_rc 0 "logflags"
expect_out '^send = -1 EIO$' "the fault that opens the log"
expect_out '^log: fd=([3-9]|[1-9][0-9]+) ' "the log is on a descriptor above 2"
expect_out ' append=1 ' "the log is O_APPEND"
expect_out ' cloexec=1 ' "the log is O_CLOEXEC"
expect_out ' wronly=1$' "the log is write-only"
expect_in "$tmp/a.log" 'fired on send' "the fault is in the log"

# Appended to, never truncated: a second run adds its lines.
sf_run SOCKFAULT_RULES_TEXT='send => error EIO' SOCKFAULT_LOG="$tmp/a.log" "$S" logflags
n=$(grep -c 'fired on send' "$tmp/a.log" || :)
expect_eq "a second run appends" 2 "$n"

# Started with 0, 1 and 2 closed.
rm -f "$tmp/b.log" "$tmp/result"
echo "+ preload, fds 0 1 2 closed: $S closed012"
set +e
$tmo env LD_PRELOAD="$(sf_preload)" SOCKFAULT_RULES_TEXT='send => error EIO' SOCKFAULT_LOG="$tmp/b.log" \
	"$S" closed012 "$tmp/result" 0<&- 1>&- 2>&-
rc=$?
set -e
sed 's/^/  result| /' "$tmp/result" 2>/dev/null || :
sed 's/^/  log| /' "$tmp/b.log" 2>/dev/null || :
expect_rc 0 "closed 0 1 2"
expect_in "$tmp/result" '^pair was on 0,1$' "the program's first sockets took 0 and 1"
expect_in "$tmp/result" '^send = EIO$' "the fault was injected (the log opened with 0 free)"
expect_in "$tmp/result" '^first open = 0$' "the program's first open() got 0, not the log"
expect_in "$tmp/result" '^log fd = ([3-9]|[1-9][0-9]+)$' "the log is on 3 or above"
expect_in "$tmp/b.log" 'fired on send' "the fault is in the log file"
expect_not_in "$tmp/result" 'sockfault' "no log line in the program's file"

finish
