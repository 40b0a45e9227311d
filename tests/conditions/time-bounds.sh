#!/bin/sh
# idle> and age> on calls stay exact while the library spares the calls the
# clock: in a program with threads of its own, the timer is set for the
# time a lower bound is reached, and until then the calls ask no clock
# (sockfault-rules(5), idle). Data that moves after the bound was reached
# puts it off again; rules replaced on a live connection start afresh; a
# forked child keeps the parent's time; and a single-threaded program gets
# no thread for it, and the same answers.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# Reached, then put off by a receive, then reached again.
run 'tx idle>300ms => error EIO' p:listen connect p:accept sendns sleep=150 sendns sleep=400 sendns \
	p:send,4 pollin=1000 recv sendns sleep=150 sendns sleep=400 sendns
transcript "idle>300ms: reached, put off by data received, reached again" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = 4
sendns = -1 EIO
peer send = sent 4
pollin = IN
recv = 4
sendns = 4
sendns = 4
sendns = -1 EIO
EOF2

# age> is reached once for good, whatever moves.
run 'tx age>300ms => error EIO' p:listen connect p:accept sendns sleep=400 sendns p:send,4 pollin=1000 recv \
	sendns
transcript "age>300ms: reached for good" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = -1 EIO
peer send = sent 4
pollin = IN
recv = 4
sendns = -1 EIO
EOF2

# Not reached at a call, then the program silent past the bound: reached at
# its next call, however long it waited. In a single-threaded program (treal
# -W 0: no watchdog thread) the lane marks the bound with the counter at the
# first call, 300 ms ahead; the mark is long past by the next, and stays so:
# one compared in 32 bits would come round again 2^31 ticks after its time,
# for 2^31 ticks, and let calls through there. Three waits put the call in
# that window for any counter of 1 to 4.3 GHz.
for wait in 1000 1600 2600; do
	run 'tx idle>300ms => error EIO' -W 0 p:listen connect p:accept sendns sleep=$wait sendns
	transcript "idle>300ms: silent for $wait ms after the first call, reached at the next" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = -1 EIO
EOF2
done

# Rules replaced on a live connection (the control channel's load): the new
# bound is the one asked, not the time the old one was set for.
# swap_at_gate OLD NEW WHAT LAST: treal under OLD sends, the rules NEW
# take their place at its gate, and 300 ms later its send answers LAST.
swap_at_gate() {
	_new=$2
	# shellcheck disable=SC2317 # called by treal_at_gate
	at_gate() { $tmo "$SF_CLI" ctl "$treal_pid" load -e "$_new"; }
	treal_at_gate "$1" "load $_new" p:listen connect p:accept sendns gate=r sleep=300 sendns
	transcript "new rules on a live connection: $3" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
gate r
sendns = $4
EOF2
}
swap_at_gate 'tx idle>10s => error EIO' 'tx idle>200ms => error EPIPE' "their own bound, not the old one's time" \
	'-1 EPIPE'
swap_at_gate 'tx idle>200ms => error EIO' 'tx idle>10s => error EPIPE' "the old bound is gone" 4

# The library's timer thread keeps bounds in a program with threads of its
# own, where the C library says so: glibc does, musl does not (there the
# timer starts only for what needs it anyway, a timeout or a time trigger).
timer=1
! sf_musl || timer=0

# A child forked while the bound waits for its time reaches it all the
# same, on the clock: a child is taken for single-threaded, and gets no
# thread of the library's for it.
run 'tx idle>300ms => error EIO' p:listen connect p:accept sendns threads fork threads sleep=400 sendns threads \
	endchild
transcript "fork: the child reaches the parent's bound" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
threads = *
child threads = *
child sendns = -1 EIO
child threads = *
child exit = 0
EOF2
# The parent's count has the timer's thread (where it runs); the child's
# never does.
expect_eq "fork: no thread of the library's in the child, then or later" "$(value 'child threads' 1)" \
	"$(value 'child threads' 2)"
if [ "$(value 'child threads' 1)" -le "$(($(value threads) - timer))" ]; then
	pass "fork: the child has none of the parent's timer thread"
else
	fail "fork: the child has $(value 'child threads' 1) threads, the parent $(value threads) (timer: $timer)"
fi

# A time trigger and a bound on one connection share its one deadline:
# the bound's comes first, the trigger's after it.
run 'rx idle>1s => eof; tx idle>300ms => error EIO' p:listen connect p:accept sendns sleep=400 sendns mark \
	pollin=3000 since recv
transcript "a bound and a time trigger on one connection: each at its time" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = -1 EIO
pollin = IN,RDHUP
since = *
recv = 0
EOF2
expect_between "the eof came at idle>1s (ms after the bound's 400)" 450 1100 "$(value since)"

# A timer thread that cannot start leaves no bound marked: the calls read
# the clock, with the same answers. At the gate treal is held to the tasks
# it has (a pids cgroup; root is not bound by RLIMIT_NPROC), so the thread
# its connection's bound would start fails.
cg=/sys/fs/cgroup/pids/sf-time-bounds.$$
if [ "$timer" = 1 ] && mkdir "$cg" 2>/dev/null; then
	# shellcheck disable=SC2317 # called by treal_at_gate
	at_gate() { echo "$treal_pid" >"$cg/cgroup.procs" && cat "$cg/pids.current" >"$cg/pids.max"; }
	# ASan's leak check at the exit stops the world with a thread of its
	# own, which cannot start there either.
	asan=${ASAN_OPTIONS-}
	export ASAN_OPTIONS="${asan:+$asan:}detect_leaks=0"
	treal_at_gate 'tx idle>300ms => error EIO' "treal held to its tasks" threads gate=r p:listen connect p:accept \
		sendns sleep=150 sendns sleep=400 sendns threads
	export ASAN_OPTIONS="$asan"
	rmdir "$cg"
	transcript "no thread for the timer: the same answers" <<'EOF2'
threads = *
gate r
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = 4
sendns = -1 EIO
threads = *
EOF2
	expect_eq "no thread for the timer: none started" "$(value threads 1)" "$(value threads 2)"
else
	echo "not run: no timer thread here to fail (musl), or no pids cgroup to hold treal to its tasks"
fi

# A single-threaded program (treal -W 0: no watchdog thread) gets no thread
# for the bound: the calls read the clock, with the same answers. Under the
# TSan runtime, a program that starts no thread has none of the runtime's.
run 'tx idle>300ms => error EIO' -W 0 p:listen connect p:accept sendns threads sleep=150 sendns sleep=400 sendns \
	threads
transcript "single-threaded: no thread of the library's, the same answers" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
threads = 1
sendns = 4
sendns = -1 EIO
threads = 1
EOF2

# With threads of its own (treal's watchdog), the library's timer thread
# keeps the bound (one more thread from the connection on; not under musl).
own=2
case ",${SF_SANITIZE:-}," in
*,thread,*) own=3 ;;
esac
run 'tx idle>300ms => error EIO' threads p:listen connect p:accept sendns threads
transcript "with threads of its own: the timer's thread keeps the bound" <<EOF2
threads = $own
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
threads = $((own + timer))
EOF2

finish
