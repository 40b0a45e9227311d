#!/bin/sh
# Signals and threads.
#  - A signal handler that siglongjmps out of a call the library is in (a
#    recv blocked on the quick lane, a send sleeping in a delay; the handler
#    on the thread's stack or on an alternate one) leaves nothing raised:
#    the thread's later sends are faulted and its closes tracked. A send
#    from a handler while the library is under way still passes untouched.
#  - `delay` under a 50 us interval timer takes the time it says, not more.
#  - unshare(CLONE_NEWUSER), which needs a single-threaded process, works
#    under reload and under rules without a timeout or a relayed delay: the
#    library starts no thread there (sockfault(1) says when it does).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

S=$SF_BUILDDIR/tests/robust/rsignal

sf_run SOCKFAULT_RULES_TEXT='recv when=1000 => error EIO
send side=client => error EIO' "$S" longjmp-quick
expect_rc 0 "longjmp out of recv: the thread is faulted and tracked again"
expect_out '^after a jump: send from 8 KiB deeper = -1 EIO$' "quick lane: a send from deeper in the stack after the jump is faulted"
expect_out '^after a jump: send = -1 EIO$' "quick lane: a send after the jump is faulted"
expect_out '^after a jump from the alternate stack: send = -1 EIO$' "quick lane: also after a jump from a sigaltstack handler"
expect_out '^after a jump: write to a file on its number = 1$' "quick lane: the close was tracked"
expect_out '^nested: send = 1$' "quick lane: a handler's send while recv waits passes untouched"

# A signal handler's sendto while the program's recv waits in the library
# is nested: it goes to libc and is not the program's to count, through
# the destination's gate too (the address on the handler's stack): the
# program's third sendto is when=3's.
sf_run SOCKFAULT_RULES_TEXT='sendto peer=127.0.0.1 when=3 => error EIO
recv when=1000 => error EIO' "$S" nested-sendto
expect_rc 0 "nested sendto: the program runs"
transcript "nested sendto: not counted" <<'EOF'
sendto = 1
nested: sendto = 1
sendto = 1
sendto = -1 EIO
EOF

# (SOCKFAULT_DELAY=call: the delay is a wait inside the call, the path under
# test; by default a TCP delay holds back the data instead.)
sf_run SOCKFAULT_DELAY=call SOCKFAULT_RULES_TEXT='send side=client when=1 => delay 1s
send side=client when=2+ => error EIO' "$S" longjmp-slow
expect_rc 0 "longjmp out of a delay: the thread is faulted and tracked again"
expect_out '^after a jump: send from 8 KiB deeper = -1 EIO$' "delay: a send from deeper in the stack after the jump is faulted"
expect_out '^after a jump: send = -1 EIO$' "delay: a send after the jump is faulted"
expect_out '^after a jump from the alternate stack: send = -1 EIO$' "delay: also after a jump from a sigaltstack handler"
expect_out '^after a jump from the alternate stack: write to a file on its number = 1$' "delay: the close was tracked"
expect_out '^nested: send = 1$' "delay: a handler's send while a send sleeps passes untouched"

# 10 sends of 100 ms each: one second, whatever the timer does (a sleep
# restarted at each signal took 4 to 60 times that).
SF_TEST_TIMEOUT=30 sf_run SOCKFAULT_DELAY=call SOCKFAULT_RULES_TEXT='send => delay 100ms' "$S" itimer 10
expect_rc 0 "itimer: the sends succeed"
expect_between "itimer: 10 delays of 100 ms (ms)" 990 1599 "$(sed -n 's/^elapsed: //p' "$tmp/out")"

case ",${SF_SANITIZE:-}," in
*,thread,*)
	# TSan's runtime runs a thread of its own in every program it is in.
	echo "unshare: not run under TSan (its runtime has a thread)"
	finish
	;;
esac
plain_run "$S" unshare
[ "$rc" -eq 1 ] && grep -q 'unshare.*EPERM\|unshare.*ENOSPC\|unshare.*EINVAL' "$tmp/out" &&
	skip "unshare(CLONE_NEWUSER) is not allowed here, even without the library"
expect_rc 0 "unshare without the library"
echo 'send peer=192.0.2.1 => error EIO' >"$tmp/rules"
sf_run SOCKFAULT_RULES="$tmp/rules" SOCKFAULT_RELOAD=1 "$S" unshare
expect_rc 0 "unshare under SOCKFAULT_RELOAD"
expect_out '^unshare\(CLONE_NEWUSER\) = 0$' "reload: no thread of the library's in the way"
sf_run SOCKFAULT_DELAY=call SOCKFAULT_RULES_TEXT='recv => delay 1ms
send peer=192.0.2.1 => error EIO
connect peer=192.0.2.1 => blackhole' "$S" unshare
expect_rc 0 "unshare under rules without a timeout (delays in the calls)"

finish
