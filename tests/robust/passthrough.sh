#!/bin/sh
# Pass-through fidelity: under rules, the calls the rules leave alone, and
# the parts of a fault the kernel decides, answer as without the library.
#  - A successful connect leaves errno as libc left it.
#  - A close a rule fails has still released the descriptor (Linux always
#    does): 200 of them, none leaked.
#  - A UDP send that `drop` loses is still refused where the kernel refuses
#    it (NULL buffer, oversize, MSG_OOB, no destination), with its errno.
#  - Under a seccomp policy that denies process_vm_readv, an unreadable
#    destination is EFAULT (no crash), and destinations are still read.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

P=$SF_BUILDDIR/tests/robust/rpass

sf_run SOCKFAULT_RULES_TEXT='send peer=192.0.2.1 => error EIO' "$P" connect-errno
expect_rc 0 "connect: a success leaves errno alone"
expect_out '^connect = 0, errno after: EDOM$'

sf_run SOCKFAULT_RULES_TEXT='close => error EIO' "$P" close-error 200
expect_rc 0 "close: failed closes leak nothing"
expect_out '^close = -1 EIO$' "close: the rule's errno is the answer"
expect_out '^released: 200 of 200$' "close: every descriptor released"

plain_run "$P" drop
expect_rc 0 "drop: without the library"
cp "$tmp/out" "$tmp/drop.ref"
sf_run SOCKFAULT_RULES_TEXT='sendto proto=udp => drop' "$P" drop
expect_rc 0 "drop: with the library"
if diff "$tmp/drop.ref" "$tmp/out" | grep '^[<>]' | grep -v 'main:'; then
	fail "drop: the answers above differ from the kernel's"
else
	pass "drop: every send refused as the kernel refuses it"
fi

sf_run SOCKFAULT_RULES_TEXT='sendto peer=127.0.0.2 => error EIO' "$P" seccomp
[ "$rc" -eq 3 ] && skip "no seccomp here"
expect_rc 0 "seccomp: no crash, the kernel's EFAULT"
expect_out '^process_vm_readv = -1 EPERM$' "seccomp: the policy is in force"
expect_out '^sendto an unreadable destination = -1 EFAULT$'
expect_out '^sendto the last 4 bytes of a mapping = -1 EFAULT$'
expect_out '^sendto 127.0.0.2 from the heap = -1 EIO$' "seccomp: a destination on the heap is still read"
expect_out '^sendto 127.0.0.3 from the heap = 1$'

finish
