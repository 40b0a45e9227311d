#!/bin/sh
# _FORTIFY_SOURCE: glibc compiles recv, recvfrom and read into __recv_chk,
# __recvfrom_chk and __read_chk, which the library must interpose too. The
# same program as calls.sh, built with -O2 -D_FORTIFY_SOURCE=2, faulted the
# same way.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

PROG=$T/tcalls_fortify

# The test means nothing unless the build really calls the _chk entries (a
# CFLAGS of -O0 after ours would turn fortification off).
if command -v nm >/dev/null 2>&1; then
	nm -D "$PROG" >"$tmp/syms" 2>/dev/null || nm "$PROG" >"$tmp/syms"
	for sym in __recv_chk __recvfrom_chk __read_chk; do
		grep -q "U $sym" "$tmp/syms" ||
			skip "$PROG does not call $sym (fortification is off in this build: CFLAGS?)"
	done
	pass "tcalls_fortify imports __recv_chk, __recvfrom_chk and __read_chk"
else
	echo "nm not found: cannot confirm that the program is fortified"
fi

for spec in recv:ECONNRESET recvfrom:ETIMEDOUT read:EINTR; do
	op=${spec%%:*} err=${spec#*:}
	peer_start p -n 1 -t 15 echo
	sf_run SOCKFAULT_RULES_TEXT="$op once => error $err" "$PROG" -e "$err" "$op" "127.0.0.1:$p_port"
	expect_rc 0 "fortified $op fails with $err"
	expect_err "text-1 fired on $op fd=[0-9]+ peer=127\.0\.0\.1:$p_port: error $err \($err\)$" \
		"fortified $op: the fault is logged"
	expect_out '^after: recv = 4$' "fortified $op: nothing was consumed"
	peer_wait p

	peer_start p -n 1 -t 15 echo
	sf_run SOCKFAULT_RULES_TEXT="$op => short 1" SOCKFAULT_LOG=off "$PROG" -e ok "$op" "127.0.0.1:$p_port"
	expect_rc 0 "fortified $op with short 1"
	expect_out "^$op = 1$" "fortified $op: short 1 moves one byte"
	expect_out '^data: "p"$'
	peer_wait p

	peer_start p -n 1 -t 15 echo
	sf_run "$PROG" -e ok "$op" "127.0.0.1:$p_port"
	expect_rc 0 "fortified $op without rules"
	expect_out "^$op = 4$"
	peer_wait p
done

finish
