#!/bin/sh
# Signal handlers that call send() and write() (on sockets and on stdout)
# and socket()/close() while the thread they interrupted is inside the
# library: in a delayed send (50 ms each), or creating and closing sockets
# (the allocator's lock held). A signal every millisecond; no deadlock, no
# crash, every handler call completes, and a nested call goes straight to
# libc (F's rule fires on the handler's sends only when the thread was not
# inside the library).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

H=$SF_BUILDDIR/tests/robust
rules='slow: send peer=127.0.0.1 => delay 50ms log=quiet
h: send peer=127.0.0.2 uptime>10h => error EIO
hw: write peer=127.0.0.2 uptime>10h => error EIO
f: send peer=127.0.0.3 => error EIO log=quiet'

num() {
	# num KEY: the number after KEY= in the output
	grep -o "$1=[0-9]*" "$tmp/out" | head -n 1 | sed 's/.*=//'
}

for run in 1 2; do
	# A wait inside the call (SOCKFAULT_DELAY=call) is what is under test.
	sf_run SOCKFAULT_DELAY=call SOCKFAULT_RULES_TEXT="$rules" "$H/hsignal"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "run $run: hung (killed by timeout)"
	fi
	expect_rc 0 "run $run: no deadlock, no crash, every call as expected"
	expect_out ' bad=0$' "run $run: every handler call completed"
	ms=$(sed -n 's/^phase1: [0-9]* sends in \([0-9]*\) ms$/\1/p' "$tmp/out")
	expect_ge "run $run: the sends were delayed (ms, 1000 due): the thread was inside the library" 900 "$ms"
	expect_ge "run $run: signals arrived inside the library" 1 "$(num nested)"
	expect_ge "run $run: outside the library the handler's sends are faulted" 1 \
		"$(grep '^phase0:' "$tmp/out" | grep -o 'f_eio=[0-9]*' | sed 's/.*=//')"
	expect_ge "run $run: nested sends went straight to libc" 1 "$(num f_ok)"
	expect_ge "run $run: the handler made sockets while the thread made its own" 1 "$(num sockets)"
done

# The contrast: without the library nothing is delayed or faulted.
plain_run "$H/hsignal" -m 1000
expect_rc 0 "without the library"
expect_out ' f_eio=0 ' "without the library: F's sends are never refused"
expect_out '^phase1: 20 sends in [0-9]{1,3} ms$' "without the library: the sends are not delayed"

finish
