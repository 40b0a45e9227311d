#!/bin/sh
# The supervisor itself: its death kills the program (which would otherwise
# run on with every socket call failing with ENOSYS), a kernel without the
# features gives a clear error, io_uring is refused, file I/O is not trapped.
# shellcheck disable=SC2154,SC2034 # peer_start sets sink_port; lib.sh reads rc
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/reach/rlib.sh"
reach_need_supervisor
reach_tstatic
# A rule for write that never applies: the supervisor runs, write is
# trapped above the threshold.
rule='write peer=192.0.2.1:9 => error EIO'

# kill_supervisor RULE MODE WHICH PAUSE: tstatic MODE runs under `sockfault
# run` in the background and writes two ids; PAUSE seconds after that, the
# supervisor of the WHICH-th (1 or 2) is killed. Sets ID1, ID2 and rc (the
# run's status), and shows the run's output.
kill_supervisor() {
	rm -f "$tmp/ids"
	(exec $tmo env SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT="$1" "$SF_CLI" run -- \
		"$R/tstatic" "$2" "$tmp/ids") >"$tmp/out" 2>"$tmp/err" &
	_run=$!
	wait_file "$tmp/ids"
	read -r ID1 ID2 <"$tmp/ids"
	if [ "$3" = 1 ]; then _of=$ID1; else _of=$ID2; fi
	_sup=$(reach_supervisor "$_of")
	[ -n "$_sup" ] || hard_error "no supervisor found for $_of"
	sleep "$4"
	kill -KILL "$_sup"
	set +e
	wait "$_run"
	rc=$?
	set -e
	show_output
}

# expect_gone PID WHAT: PID has ended (or is a zombie) within 5 s.
running() { [ -d "/proc/$1" ] && ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
expect_gone() {
	_i=0
	while running "$1" && [ "$_i" -lt 50 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	if running "$1"; then
		fail "$2: $1 still runs"
		kill -KILL "$1" 2>/dev/null || :
	else
		pass "$2"
	fi
}

# --- the supervisor dies: the program is killed, and the run says so ---
kill_supervisor "$rule" watch 2 0.2
expect_rc 137 "supervisor killed: the run's status is SIGKILL's"
expect_err 'the supervisor of .*tstatic died: .* was killed, since its socket calls would fail with ENOSYS' \
	"supervisor killed: the run says what happened"
expect_no_out 'socket = ' "supervisor killed: the program never ran on with failing socket calls"
expect_gone "$ID2" "supervisor killed: the program is gone"

# --- the same with a forked child: its context kills it when the supervisor goes ---
kill_supervisor "$rule" forkwatch 1 0.2
expect_rc 137 "supervisor killed, a child running: the run's status is SIGKILL's"
expect_gone "$ID2" "supervisor killed: the program's child is gone too"
expect_no_out 'socket = ' "supervisor killed: the child never ran on with failing socket calls"

# --- the same with a child that has made no socket call yet (no context of
# its own to end it): the watchdog kills it with the program ---
kill_supervisor "$rule" forklate 1 0
expect_rc 137 "supervisor killed, a child with no socket yet: the run's status is SIGKILL's"
expect_gone "$ID2" "supervisor killed: the program's child with no socket yet is gone too"
expect_no_out 'socket = ' "supervisor killed: the child with no socket yet never ran on with failing calls"
expect_err 'was killed, and with it every process it started \(1\)' "supervisor killed: the run says the child went too"

# --- the supervisor dies while the program waits in a call it makes for
# it: the call never fails (the watchdog holds the listener), the program
# is killed ---
kill_supervisor 'recv when=50 => error EIO' block 1 0.3
expect_rc 137 "supervisor killed during a waiting call: the program is killed"
expect_no_out '^recv = ' "supervisor killed during a waiting call: the call never returned an error"
expect_err 'the supervisor of .*tstatic died' "supervisor killed during a waiting call: the run says so"

# --- signals are the program's: the run is the program (exec); a signal to
# the whole process group (a terminal's ^C) reaches it once and leaves the
# supervisor alone (were it to die, the program would be killed) ---
if command -v setsid >/dev/null 2>&1; then
	for sig in INT TERM; do
		rm -f "$tmp/ready"
		# No timeout around it: timeout passes signals on by itself. The
		# program ends on its own after 10 s at most.
		(exec setsid env SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT="$rule" "$SF_CLI" run -- \
			"$R/tstatic" signals "$tmp/ready") >"$tmp/out" 2>"$tmp/err" &
		run_pid=$!
		wait_file "$tmp/ready"
		# setsid made the run a process group of its own: the group's id is its pid.
		kill "-$sig" -- "-$run_pid"
		set +e
		wait "$run_pid"
		rc=$?
		set -e
		show_output
		expect_rc 0 "SIG$sig to the run's process group: the program handled it and exited 0"
		if [ "$sig" = INT ]; then
			expect_out '^signals = INT 1 TERM 0$' "SIGINT to the process group: the program got it once"
		else
			expect_out '^signals = INT 0 TERM 1$' "SIGTERM to the process group: the program got it once"
		fi
		expect_out '^socket after = ok$' "SIG$sig to the process group: the supervisor lives on (a socket call after it works)"
	done
else
	echo "note: no setsid: signals to the process group are not checked"
fi

# --- more processes than the supervisor serves at once (256): the fork
# beyond fails with EAGAIN rather than start a process no context serves ---
plain_run "$R/tstatic" forks 300
if grep -q '^forks = 300, then none failed$' "$tmp/out"; then
	sf_run SOCKFAULT_RULES_TEXT="$rule" "$R/tstatic" forks 300
	expect_out '^forks = 256, then EAGAIN$' "the 257th process at once: its fork fails with EAGAIN"
else
	echo "note: 300 processes cannot be made here: the bound on processes is not checked"
fi

# --- the supervisor holds none of the program's output: a reader sees it
# end when the program's processes end it (a daemon closing its stdout,
# living on 3 s), not when the supervisor ends ---
start=$(date +%s%N)
out=$($tmo env SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT="$rule" "$SF_CLI" run -- "$R/tstatic" daemon 2>/dev/null)
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "daemon: the program's output" 'daemon = started' "$out"
expect_le "daemon: its output ended with the program, not 3 s later with the supervisor (ms)" 1999 "$ms"

# --- a kernel without seccomp user notification: a clear error, nothing run ---
plain_run "$SF_TESTBIN/../reach/tnofeature" EINVAL env SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT="$rule" \
	"$SF_CLI" run -- "$R/tstatic" uring
expect_rc 126 "no WAIT_KILLABLE_RECV: exit 126"
expect_err 'cannot supervise .*tstatic: this kernel lacks seccomp user notification with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV \(Linux 5.19 or later\)' \
	"no WAIT_KILLABLE_RECV: the error says what is missing"
expect_no_out 'io_uring_setup' "no WAIT_KILLABLE_RECV: the program did not run"
plain_run "$SF_TESTBIN/../reach/tnofeature" ENOSYS env SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT="$rule" \
	"$SF_CLI" run -- "$R/tstatic" uring
expect_rc 126 "no seccomp: exit 126"
expect_err 'this kernel has no seccomp' "no seccomp: the error says so"

# --- io_uring is refused, so that programs fall back to calls that are seen ---
sf_run SOCKFAULT_RULES_TEXT="$rule" "$R/tstatic" uring
expect_rc 0 "io_uring: the program runs"
expect_out '^io_uring_setup = -1 ENOSYS$' "io_uring: io_uring_setup fails with ENOSYS"

# --- file I/O does not reach the supervisor; socket calls above the threshold do ---
plain_run "$R/tstatic" files 20000
native=$(sed -n 's/^files = \([0-9]*\) ns.*/\1/p' "$tmp/out")
sf_run SOCKFAULT_RULES_TEXT="$rule" "$R/tstatic" files 20000
supervised=$(sed -n 's/^files = \([0-9]*\) ns.*/\1/p' "$tmp/out")
sf_run SOCKFAULT_RULES_TEXT="$rule" "$R/tstatic" calls 2000
trapped=$(sed -n 's/^calls = \([0-9]*\) ns.*/\1/p' "$tmp/out")
expect_out 'fd 5[0-9][0-9]\)$' "with rules, a supervised socket lives at or above the threshold"
echo "writes to /dev/null: ${native} ns native, ${supervised} ns supervised; a trapped getsockopt: ${trapped} ns"
# A trapped call costs microseconds (two context switches): a file write
# trapped would cost as much. Compared with each other, not with a fixed
# bound, so that a loaded machine slows both alike.
if [ -n "$native" ] && [ -n "$supervised" ] && [ -n "$trapped" ] &&
	[ $((supervised * 3)) -lt "$trapped" ]; then
	pass "a file write is not trapped (it costs what it costs natively)"
else
	fail "a file write costs ${supervised} ns supervised, ${native} ns natively, a trapped call ${trapped} ns"
fi

# --- the log names the program's process and thread, as the preload would ---
sf_run SOCKFAULT_LOG_FORMAT=json SOCKFAULT_RULES_TEXT='connect => error ECONNREFUSED' "$R/tstatic" pid 9
pid=$(sed -n 's/^pid = //p' "$tmp/out")
expect_out '^connect = Connection refused$' "log: the refusal reached the program"
expect_err "^\\{[^}]*\"pid\":$pid,\"tid\":$pid,[^}]*\"event\":\"fault\"" "log: pid and tid are the program's ($pid)"

# --- exec: the sockets marked close-on-exec end with the old program ---
peer_start sink -n 1 -t 10 sink
(exec $tmo env SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT="$rule" "$SF_CLI" run -- \
	"$R/tstatic" cloexec "$sink_port") >"$tmp/exec.out" 2>&1 &
exec_pid=$!
_i=0
while ! grep -q 'end=' "$tmp/sink.out" && [ "$_i" -lt 20 ]; do
	_i=$((_i + 1))
	sleep 0.1
done
expect_in "$tmp/exec.out" 'cloexec = sent, fd 5[0-9][0-9]$' "exec: the socket was supervised"
expect_in "$tmp/sink.out" 'conn 1: 5 bytes .* end=eof' "exec: the peer saw the connection end at the exec, not 3 s later"
wait "$exec_pid" || :
peer_wait sink

# --- --seccomp: a dynamic program supervised by choice, not preloaded as well ---
set +e
SOCKFAULT_LIBRARY=$SF_LIB $tmo "$SF_CLI" run --seccomp -e 'connect => error ECONNREFUSED' -- \
	"$T/treal" -N -A 127.0.0.1:9 connect >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
expect_out 'ECONNREFUSED' "--seccomp: the refusal reached the program"
expect_err 'fired on connect fd=5[0-9][0-9] ' "--seccomp: the socket is the supervisor's (fd 512 and above)"
expect_eq "--seccomp: the rule fired once (no preload in the program)" 1 "$(grep -c 'fired on connect' "$tmp/err")"

# --- no rule for this program: nothing is trapped, the socket keeps its number ---
sf_run SOCKFAULT_RULES_TEXT='connect exe=nothing-of-the-sort => error ECONNREFUSED' "$R/tstatic" calls 2000
expect_out 'fd 3\)$' "no rule applies: the socket is the program's own (fd 3), no call trapped"
finish
