#!/bin/sh
# The log never raises a signal in the program and never makes it wait
# (sockfault(1), LOG): stderr a pipe or a socket with nobody at the other
# end, a full pipe nobody reads, a FIFO log without a reader or full. The
# program runs as it would without the library; a line that cannot be
# written at once is dropped. Where there is room, the lines arrive whole.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

R=$SF_BUILDDIR/tests/robust/rlog
RULE='sendto peer=127.0.0.1:9 => error EIO'

# stderr a pipe whose reader is gone, or a socket whose peer is: the
# program never writes to its stderr, the library's lines must not kill it.
for kind in deadpipe deadsocket; do
	plain_run "$R" with-stderr $kind -- "$R" faults 3
	expect_rc 0 "$kind: exit status without the library"
	sf_run SOCKFAULT_RULES_TEXT="$RULE" "$R" with-stderr $kind -- "$R" faults 3
	expect_rc 0 "$kind: the same exit status under the library (no SIGPIPE)"
	expect_out '^fault 3: EIO$' "$kind: the faults were injected"
done

# A SIGPIPE the program had pending (blocked) is its own: still pending.
sf_run SOCKFAULT_RULES_TEXT="$RULE" "$R" with-stderr deadpipe -- "$R" sigpipe-pending 3
expect_rc 0 "pending SIGPIPE: exit status"
expect_out '^SIGPIPE pending after: yes$' "the program's pending SIGPIPE is left pending"

# stderr a socket that is read: every line arrives whole (the start line
# and three faults).
sf_run SOCKFAULT_RULES_TEXT="$RULE" "$R" with-stderr socket -- "$R" faults 3
expect_rc 0 "stderr a socket: exit status"
expect_out '^stderr: bytes=[0-9]+ lines=4 sockfault=4 filler=0$' "stderr a socket: the lines arrive whole"

# stderr a full pipe that nobody reads: the program is not held, the pipe
# holds exactly what was in it.
sf_run SOCKFAULT_RULES_TEXT="$RULE" "$R" with-stderr fullpipe -- "$R" faults 3
expect_rc 0 "stderr a full pipe: the program ran to its end"
expect_out '^fault 3: EIO$' "stderr a full pipe: the faults were injected"
filled=$(out_line '^filled with' | sed 's/[^0-9]//g')
expect_eq "stderr a full pipe: nothing added to it" "stderr: bytes=$filled lines=0 sockfault=0 filler=$filled" \
	"$(out_line '^stderr:')"

# A FIFO as the log. Without a reader: the program starts and runs (the
# lines are dropped until a reader comes).
mkfifo "$tmp/fifo"
plain_run "$R" faults 3
expect_rc 0 "FIFO: exit status without the library"
sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG="$tmp/fifo" "$R" faults 3
expect_rc 0 "FIFO without a reader: the program is not held, same exit status"
expect_out '^fault 3: EIO$' "FIFO without a reader: the faults were injected"

# With a reader: the lines arrive.
sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG="$tmp/fifo" "$R" with-fifo "$tmp/fifo" reader -- "$R" faults 3
expect_rc 0 "FIFO with a reader: exit status"
expect_out '^fifo: bytes=[0-9]+ lines=4 sockfault=4 filler=0$' "FIFO with a reader: the lines arrive whole"

# A reader that does not read, the FIFO full: the program is not held.
sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG="$tmp/fifo" "$R" with-fifo "$tmp/fifo" full -- "$R" faults 3
expect_rc 0 "full FIFO: the program ran to its end"
filled=$(out_line '^filled with' | sed 's/[^0-9]//g')
expect_eq "full FIFO: nothing added to it" "fifo: bytes=$filled lines=0 sockfault=0 filler=$filled" \
	"$(out_line '^fifo:')"

finish
