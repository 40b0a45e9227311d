#!/bin/sh
# A descriptor number is not an identity. The program closes a socket where
# the library cannot see it (fclose of an fdopen'ed stream, a raw close or
# close_range) after a rule killed its connection, and opens a file that
# takes the number: the file must get what the program writes and give what
# it holds. A pipe's number, closed, that receives a socket over SCM_RIGHTS
# must be seen as that socket by the rules.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

C=$SF_BUILDDIR/tests/robust/identity

for rule in 'send => blackhole' 'send => timeout 10s' 'send => error ECONNRESET sticky' 'send => hangup'; do
	for how in fclose rawclose closerange; do
		rm -f "$tmp/file"
		sf_run SOCKFAULT_RULES_TEXT="$rule" SOCKFAULT_LOG=off "$C" "$how" "$tmp/file"
		expect_rc 0 "$rule, $how: the steps ran"
		expect_out '^write to the file = 15$' "$rule, $how: the write to the file reports its 15 bytes"
		expect_eq "$rule, $how: the file holds them" "hello, world!!" "$(cat "$tmp/file" 2>/dev/null)"
	done
done

rm -f "$tmp/file"
sf_run SOCKFAULT_RULES_TEXT='recv => blackhole' SOCKFAULT_LOG=off "$C" unixread "$tmp/file"
expect_rc 0 "a silenced unix socket closed raw: the steps ran (no hang)"
expect_out '^read from the file = 10$' "the file that took its number reads as a file"

for how in rights rawrights; do
	sf_run SOCKFAULT_RULES_TEXT='send => error EIO
write peer=10.9.9.9:9 => error EIO' SOCKFAULT_LOG=off "$C" "$how" "$tmp/file"
	expect_rc 0 "$how: the steps ran"
	expect_out "^received fd on the pipe's number$" "$how: the socket landed on the pipe's old number"
	expect_out '^send on the received socket = -1 (Input/output|I/O) error$' "$how: the rules see the received socket"
done

finish
