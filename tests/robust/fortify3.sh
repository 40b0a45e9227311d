#!/bin/sh
# A program built with -O2 -D_FORTIFY_SOURCE=3 calls __recv_chk,
# __recvfrom_chk and __read_chk, also for buffers whose size is only known
# at run time (malloc): the library faults them like recv, recvfrom and
# read, and leaves the data a failed call did not take in place. A call
# whose length exceeds its buffer still aborts as glibc makes it abort,
# under the library and even with a rule for that call.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

F=$SF_BUILDDIR/tests/robust/hfortify

# Meaningless unless the build really calls the _chk entries.
command -v nm >/dev/null 2>&1 || skip "nm not found: cannot tell whether hfortify is fortified"
nm -D "$F" >"$tmp/syms" 2>/dev/null || nm "$F" >"$tmp/syms"
for sym in __recv_chk __recvfrom_chk __read_chk; do
	grep -q " U $sym" "$tmp/syms" || skip "hfortify does not call $sym (fortification is off in this build)"
done
pass "hfortify imports __recv_chk, __recvfrom_chk and __read_chk"

plain_run "$F" calls
expect_rc 0 "without the library"
for op in recv recvfrom read; do
	for buf in stack heap; do
		expect_out "^$op\\($buf\\) = 4$" "without the library: $op into a $buf buffer"
	done
done

sf_run SOCKFAULT_RULES_TEXT='recv => error ECONNRESET
recvfrom => error ETIMEDOUT
read => error EIO' "$F" calls
expect_rc 0 "under the library"
for spec in recv:ECONNRESET recvfrom:ETIMEDOUT read:EIO; do
	op=${spec%%:*} err=${spec#*:}
	for buf in stack heap; do
		expect_out "^$op\\($buf\\) = -1 $err$" "fortified $op into a $buf buffer: $err"
	done
	expect_err "fired on $op fd=" "fortified $op: the fault is logged"
done
n=$(grep -c '^  left 4$' "$tmp/out" || :)
expect_eq "every failed call left the 4 bytes in place" 6 "$n"

sf_run SOCKFAULT_RULES_TEXT='recv => short 1
read => short 2' SOCKFAULT_LOG=off "$F" calls
expect_out '^recv\(heap\) = 1$' "fortified recv: short 1"
expect_out '^read\(stack\) = 2$' "fortified read: short 2"

# Overflow: glibc's "buffer overflow detected" and SIGABRT, the same way
# with the library, with or without a rule for the call.
for op in recv recvfrom read; do
	plain_run "$F" overflow "$op"
	ref_rc=$rc
	grep -q 'buffer overflow detected' "$tmp/err" ||
		hard_error "$op: glibc did not report the overflow without the library"
	sf_run "$F" overflow "$op"
	expect_eq "$op overflow under the library: the same exit as without" "$ref_rc" "$rc"
	expect_err 'buffer overflow detected' "$op overflow under the library: glibc's report"
	expect_no_out '^survived' "$op overflow under the library: the call did not return"
	sf_run SOCKFAULT_RULES_TEXT="$op => error EIO" "$F" overflow "$op"
	expect_eq "$op overflow with a rule for $op: the same exit" "$ref_rc" "$rc"
	expect_err 'buffer overflow detected' "$op overflow with a rule: glibc's check comes first"
done

finish
