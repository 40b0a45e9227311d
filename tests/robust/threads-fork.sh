#!/bin/sh
# Threads and processes: a thread waiting in poll, epoll (level- and
# edge-triggered) or select on a connection that another thread's call
# resets, or that a timeout kills, wakes at once (or at the deadline); a
# blackhole wakes nobody. After fork the child's faults and the parent's are
# their own: counters and sticky states are copied at the fork and go their
# own ways, and a timeout armed before the fork also ends in the child.
# tests/reach/static-threads.sh plays it all under the seccomp supervisor.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- one thread resets, four others are waiting on the socket ---
steps='p:listen connect p:accept et-add bg=pollin=5000 bg=epoll=5000 bg=et=5000 bg=select=5000 sleep=200 mark sendns
join'
# shellcheck disable=SC2086
run 'send => reset' $steps
transcript "a reset in one thread wakes the waiters of poll, epoll, edge-triggered epoll and select" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
sendns = -1 ECONNRESET
bg1 pollin = *HUP*
bg1 woke = *
bg2 epoll = *HUP*
bg2 woke = *
bg3 et = *HUP*
bg3 woke = *
bg4 select = r*
bg4 woke = *
EOF2
for i in 1 2 3 4; do
	expect_between "waiter $i woke at once (ms after the reset)" 0 1000 "$(value "bg$i woke")"
done
steps=$(echo "$steps" | sed 's/=5000/=700/g')
# shellcheck disable=SC2086
run '' $steps
transcript "without the rule nobody wakes" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
sendns = 4
bg1 pollin = none
bg1 woke = *
bg2 epoll = none
bg2 woke = *
bg3 et = none
bg3 woke = *
bg4 select = none
bg4 woke = *
EOF2

# A thread blocked in recv when another thread resets the connection: the
# recv ends as on a reset connection, with 0 or ECONNRESET (the kernel's own
# EPIPE of an interrupted wait is no answer a reset connection gives).
run 'send => reset' p:listen connect p:accept bg=recv sleep=200 mark sendns join
expect_out '^sendns = -1 ECONNRESET$' "the send in the other thread was made (and reset)"
v=$(value 'bg1 recv')
case $v in
0 | '-1 ECONNRESET') pass "a recv blocked in another thread ends with $v" ;;
*) fail "a recv blocked in another thread when the connection is reset: expected 0 or ECONNRESET, got '$v'" ;;
esac
expect_between "the blocked recv woke at once" 0 1000 "$(value 'bg1 woke')"

# A delay in one thread holds up that thread only.
run 'recv => delay 1500ms' p:listen connect p:accept bg=recv sleep=100 mark sendns p:expect,1000 since p:send join
expect_out '^sendns = 4$' "a send while another thread's recv is delayed"
expect_between "the send was not held up by the delayed recv" 0 700 "$(value since)"

# --- timeout: the faulted call blocks in one thread, the waiters of the
# others wake when the deadline kills the connection ---
run 'recv => timeout 1s' p:listen connect p:accept et-add mark bg=recv sleep=100 bg=epoll=5000 bg=et=5000 \
	bg=pollin=5000 bg=select=5000 join
transcript "timeout 1s: the blocked recv fails, every waiter wakes" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
bg1 recv = -1 ETIMEDOUT
bg1 woke = *
bg2 epoll = *HUP*
bg2 woke = *
bg3 et = *HUP*
bg3 woke = *
bg4 pollin = *HUP*
bg4 woke = *
bg5 select = r*
bg5 woke = *
EOF2
for i in 1 2 3 4 5; do
	expect_between "timeout 1s: thread $i woke after 0.9..2 s" 900 2000 "$(value "bg$i woke")"
done

# --- blackhole: the peer's data wakes nobody; the program's own timeout
# (SO_RCVTIMEO) ends the blocked recv ---
run 'recv => blackhole' p:listen connect p:accept rcvtimeo=800 mark bg=recv sleep=100 bg=epoll=800 p:send,10 join
transcript "blackhole: the data the peer sends wakes no waiter" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
rcvtimeo = 0
peer send = sent 10
bg1 recv = -1 EAGAIN
bg1 woke = *
bg2 epoll = none
bg2 woke = *
EOF2
expect_between "blackhole: the blocked recv ended at SO_RCVTIMEO" 780 2000 "$(value 'bg1 woke')"
run '' p:listen connect p:accept rcvtimeo=800 mark bg=epoll=800 sleep=100 p:send,10 join recv
transcript "without the rule the data wakes the waiter" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
rcvtimeo = 0
peer send = sent 10
bg1 epoll = IN
bg1 woke = *
recv = 10
EOF2

# --- the timeout's helper thread: started when a timeout first fires, not
# before, and not for rules without one ---
# (The blackhole is on a connection of its own: a connection already silent
# sends into the void without asking the rules again.)
# The program's own threads: the main thread and treal's watchdog, and in a
# TSan build also the runtime's background thread (started with the first
# thread the program creates); the timer thread is one more. Under the
# supervisor (SF_REACH) the library and its timer thread are sockfault's,
# and the program never has one.
own=2
case ",${SF_SANITIZE:-}," in
*,thread,*) own=3 ;;
esac
timer=1
[ -z "${SF_REACH:-}" ] || timer=0
run 'recv => blackhole; send => timeout 1s' p:listen connect p:accept threads recvnb threads connect p:accept \
	threads sendns threads sleep=1100 sendns threads
transcript "the timer thread is started by the first timeout, and only then" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
threads = $own
recvnb = -1 EAGAIN
threads = $own
connect = 0
peer accept = accepted 2
threads = $own
sendns = 4
threads = $((own + timer))
sendns = -1 ETIMEDOUT
threads = $((own + timer))
EOF2

# --- fork: the counters are copied, then each process counts its own calls
# (the peer gets the 16 bytes that went; their pattern is not checked: the
# two processes do not share their stream offsets) ---
run 'send when=3 => error EIO' p:listen connect p:accept sendns sendns fork sendns sendns endchild sendns sendns \
	p:recvall,24,2000
transcript "fork: when=3 fires once in the child and once in the parent" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = 4
child sendns = -1 EIO
child sendns = 4
child exit = 0
sendns = -1 EIO
sendns = 4
peer recvall = got 16 *
EOF2
expect_eq "fork: each process logged its own firing" 2 "$(grep -c 'text-1 fired on send' "$tmp/err")"

# Under the supervisor, each process has the place in the run's tree
# (sockfault-rules(5), "Process trees") that the preload gives it: the
# supervisor's own processes are not counted.
if [ -n "${SF_REACH:-}" ]; then
	steps='p:listen connect p:accept sendns sendns fork sendns sendns endchild sendns sendns p:recvall,24,2000'
	# shellcheck disable=SC2086 # the steps are words
	RUN_ENV=SOCKFAULT_LOG_FORMAT=json run 'send when=3 => error EIO' $steps
	supervised=$(grep -o '"proc":"[^"]*","event":"fault"' "$tmp/err" | sort | tr '\n' ' ')
	# shellcheck disable=SC2086,SC2154 # the steps are words; tmo is lib.sh's
	$tmo env LD_PRELOAD="$SF_LIB" SOCKFAULT_LOG_FORMAT=json SOCKFAULT_RULES_TEXT='send when=3 => error EIO' \
		"$SF_BUILDDIR/tests/lib/treal" -S "$tmp/u2" $steps >/dev/null 2>"$tmp/pre.err" || :
	preloaded=$(grep -o '"proc":"[^"]*","event":"fault"' "$tmp/pre.err" | sort | tr '\n' ' ')
	echo "supervised: $supervised; preloaded: $preloaded"
	expect_eq "fork: the run's tree as under the preload" "$preloaded" "$supervised"
fi

# A connection that died before the fork is dead in the child too.
run 'send when=2 => error ECONNABORTED sticky' p:listen connect p:accept sendns sendns fork sendns peername \
	so_error endchild sendns peername
transcript "fork: a sticky state from before the fork holds in both" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = -1 ECONNABORTED
child sendns = -1 ECONNABORTED
child getpeername = -1 ENOTCONN
child SO_ERROR = ECONNABORTED
child exit = 0
sendns = -1 ECONNABORTED
getpeername = -1 ENOTCONN
EOF2

# One that dies in the child after the fork is alive in the parent.
run 'write => error ECONNABORTED sticky' p:listen connect p:accept fork write write peername endchild sendns \
	peername p:recvall,4,2000
transcript "fork: a sticky state the child reached is the child's alone" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
child write = -1 ECONNABORTED
child write = -1 ECONNABORTED
child getpeername = -1 ENOTCONN
child exit = 0
sendns = 4
getpeername = 0
peer recvall = got 4 bits=0 *
EOF2

# A timeout armed before the fork: the child has the deadline, and a timer
# of its own to keep it. Both processes' timers end the same kernel socket
# at the same time; whichever comes first, the recv blocked in the child must
# report ETIMEDOUT. Eight connections, their deadlines 30 ms apart, make
# eight such races in one run.
steps='p:listen mark'
child=
for k in 1 2 3 4 5 6 7 8; do
	steps="$steps connect p:accept recvnb sleep=30"
	child="$child use=$k bg=recv"
done
# shellcheck disable=SC2086
run 'recv once => timeout 1s' $steps fork $child join endchild use=1 recv
n=$(grep -c '^child bg[0-9] recv = -1 ETIMEDOUT$' "$tmp/out" || :)
expect_eq "fork: a timeout armed before the fork ends the child's 8 blocked recvs with ETIMEDOUT" 8 "$n"
expect_out '^recv = -1 ETIMEDOUT$' "fork: and the parent's"
for k in 1 2 3 4 5 6 7 8; do
	expect_between "fork: the child's recv $k ended 0.9..2 s after its timeout began" 900 2000 "$(value "child bg$k woke")"
done

# The parent's timer thread is running; a child's first timeout of its own
# must start one in the child. The fork comes right after the call that
# started the parent's thread: a thread still starting up may hold the
# allocator's locks, which an ASan runtime does not take around fork, and
# the child would hang on them.
run 'recv => timeout 1s' p:listen connect p:accept recvnb fork connect p:accept mark recv since endchild
transcript "fork: a timeout the child arms on its own connection ends in time" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
recvnb = -1 EAGAIN
child connect = 0
child peer accept = accepted 2
child recv = -1 ETIMEDOUT
child since = *
child exit = 0
EOF2
expect_between "fork: the child's own timeout fired after 0.9..2 s" 900 2000 "$(value 'child since')"

# That hang came one run in two, so one case alone would let it back half
# the time: the same fork right after the first fire, eight times over with
# a short timeout. A child that hangs is killed by treal's watchdog.
hung=0
for i in 1 2 3 4 5 6 7 8; do
	run 'recv => timeout 50ms' p:listen connect p:accept recvnb fork connect p:accept recv endchild
	if [ "$(value 'child recv')" != '-1 ETIMEDOUT' ] || [ "$(value 'child exit')" != 0 ]; then
		hung=$((hung + 1))
		sed 's/^/  /' "$tmp/out"
	fi
done
if [ "$hung" = 0 ]; then
	pass "fork right after the timer thread's start, 8 times: each child's own timeout fired"
else
	fail "fork right after the timer thread's start: $hung of 8 children did not time out and exit"
fi

finish
