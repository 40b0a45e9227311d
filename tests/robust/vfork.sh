#!/bin/sh
# vfork and fork: nothing a vfork child does changes what the parent sees;
# a child made without fork handlers (a raw clone, as _Fork) is a process
# of its own; a fork while the timeout thread expires deadlines leaves a
# child that starts clean.
#  - A connection whose sends a sticky rule fails stays failed in the
#    parent after a vfork child closes everything (close_range, closefrom,
#    or dup2 + close: what Python's subprocess does before exec), and
#    what a vfork child's write teaches the library is not the parent's.
#  - A raw-clone child's send reads the child's own destination (a rule for
#    the parent's port must not fire on the child's other port), and its
#    close is recorded (a file on the socket's number is not faulted).
#  - Forks in a loop while 200 timeouts expire: no child hangs in close.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

V=$SF_BUILDDIR/tests/robust/rvfork

for how in vfork-range vfork-closefrom vfork-close; do
	sf_run SOCKFAULT_RULES_TEXT='send side=client => error EIO sticky' "$V" "$how"
	expect_rc 0 "$how: the parent's connection stays failed after the child closed everything"
	expect_out '^child: 0$' "$how: the child ran"
	expect_out '^after: send = -1 EIO$' "$how: the sticky error still answers in the parent"
done

sf_run SOCKFAULT_RULES_TEXT='io => error EIO' "$V" vfork-learn
expect_rc 0 "vfork-learn: the child's pipe is not learnt for the parent"
expect_out '^parent: send on the socket the child.s pipe shadowed = -1 EIO$' "vfork-learn: the parent's socket is faulted"

sf_run SOCKFAULT_RULES_TEXT='sendto peer=127.0.0.2 => error EIO' "$V" rawfork-dest
expect_rc 0 "rawfork-dest: the child's own destination decides"
expect_out '^parent: sendto A = -1 EIO$' "rawfork-dest: the rule fires on A"
expect_out '^child: sendto B = 1$' "rawfork-dest: not on the child's B"

# Traced: the child's write to the file must not be seen as the socket's.
sf_run SOCKFAULT_TRACE=1 SOCKFAULT_RULES_TEXT='write proto=udp => error EIO' "$V" rawfork-close
expect_rc 0 "rawfork-close: the child's write to a file succeeds"
expect_out '^child: write to /dev/null on the socket.s number = 1$' "rawfork-close: a file is not the socket"
expect_out '^parent: write again = -1 EIO$' "rawfork-close: the parent's socket is still faulted"
expect_no_err 'trace write fd=[0-9]+ peer=127\.0\.0\.1:[0-9]+ = 1$' \
	"rawfork-close: the child's close was recorded (its file is no socket to the library)"

sf_run SOCKFAULT_RULES_TEXT='send side=client => timeout 20ms' "$V" fork-timer 20
expect_rc 0 "fork-timer: no child hangs in close"
expect_out '^forks: [0-9]+, hung: 0$' "fork-timer: every child exited"

finish
