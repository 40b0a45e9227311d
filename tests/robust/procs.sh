#!/bin/sh
# Processes: fork while threads hammer the library's locks (every child
# gets its faults and exits: no deadlock), exec from a threaded process (the
# new image is faulted), vfork and posix_spawn whose child redirects a
# socket onto its stdout and closes it (the parent's table is untouched:
# its stdout is still not a socket, its socket still the one it knew).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

H=$SF_BUILDDIR/tests/robust
P=$H/hproc
forks=${SF_HARDEN_FORKS:-100}

# The library starts threads in a forked child (the timer thread when
# deadlines are pending, the rules watcher): ThreadSanitizer cannot follow
# that and kills the child unless told to go on.
case ",${SF_SANITIZE:-}," in
*,thread,*)
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}die_after_fork=0"
	export TSAN_OPTIONS
	;;
esac

# --- fork storm ---
# send to 127.0.0.1 (the parent's connection, which the children inherit,
# and theirs) fails with EIO, send on unix sockets with ENOBUFS; the
# threads connect to 127.0.0.2, where a timeout rule keeps the timer thread
# and its lock busy.
storm_rules='send peer=127.0.0.1 => error EIO
send proto=unix => error ENOBUFS
send peer=127.0.0.2 p=0.2 => timeout 5ms
recv peer=127.0.0.2 uptime>10h => error EIO'
sf_run SOCKFAULT_RULES_TEXT="$storm_rules" SOCKFAULT_LOG="$tmp/storm.log" SOCKFAULT_SEED=3 \
	"$P" forkstorm -n "$forks" -t 4 -x "$P"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	fail "fork storm: the run hung (killed by timeout)"
fi
expect_rc 0 "fork storm"
expect_out "^forks=$forks ok=$forks failed=0 hung=0 " "fork storm: every child got its faults and exited"
expect_out '^parent: send on the connection = EIO$' "fork storm: the parent's fault before"
expect_out '^parent: send after the forks = EIO$' "fork storm: the parent's fault after"
# Each child logged its faults under its own pid (exec'd ones included).
pids=$(grep ' fired on send ' "$tmp/storm.log" | sed 's/^sockfault\[\([0-9]*\)\].*/\1/' | sort -u | wc -l | tr -d ' ')
if [ "$pids" -gt "$forks" ]; then
	pass "fork storm: faults logged by $pids processes"
else
	fail "fork storm: faults logged by only $pids processes ($forks children and the parent)"
fi
expect_in "$tmp/storm.log" '^sockfault\[[0-9]+\]: started in hproc' "fork storm: start lines"

# The same with the rules in a file that is being watched (the children
# start a watcher thread of their own).
printf '%s\n' "$storm_rules" >"$tmp/storm.rules"
sf_run SOCKFAULT_RULES="$tmp/storm.rules" SOCKFAULT_RELOAD=1 SOCKFAULT_LOG=off "$P" forkstorm -n 40 -t 4 -x "$P"
expect_rc 0 "fork storm with SOCKFAULT_RELOAD=1"
expect_out '^forks=40 ok=40 failed=0 hung=0 ' "fork storm with reload: every child exited"

# The contrast: without the library the children's checks fail.
plain_run "$P" forkstorm -n 4 -t 1
expect_rc 1 "without the library the children report their missing faults"
expect_out '^forks=4 ok=0 failed=4 hung=0 '

# --- vfork and posix_spawn: dup2(socket, 1), close(socket) in the child ---
redirect_rules='w: write => error EIO
s: send side=client when=2 => error ENOBUFS'
for how in vfork vfork-exec spawn; do
	sf_run SOCKFAULT_RULES_TEXT="$redirect_rules" "$P" "$how" "$P"
	expect_rc 0 "$how"
	expect_err '^parent: write\(1\) before = ok$' "$how: stdout before"
	expect_err '^parent: first send = ok$' "$how: the first send"
	expect_err '^parent: child exit = 0$' "$how: the child"
	expect_err '^parent: write\(1\) after = ok$' "$how: the parent's stdout is still not a socket"
	expect_out '^parent: after$' "$how: what the parent wrote after reached its stdout"
	expect_err '^parent: second send = ENOBUFS$' "$how: the parent's socket is the record it was (side, count)"
	expect_err '^parent: write on a dup2.ed socket = EIO$' "$how: a socket dup2'ed by the parent is faulted"
	if [ "$how" != vfork ]; then
		expect_err '^sockout: write\(1\) = EIO$' "$how: the exec'd child's stdout is the socket, faulted"
		expect_not_in "$tmp/err" 'the server got .*out' "$how: nothing the child wrote reached the server"
	fi
	# Without the library: the same program, nothing faulted.
	plain_run "$P" "$how" "$P"
	expect_err '^parent: second send = ok$' "$how without the library: the second send goes through"
	if [ "$how" != vfork ]; then
		expect_err '^sockout: write\(1\) = ok$' "$how without the library: the child writes on the socket"
	fi
done

finish
