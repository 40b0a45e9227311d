# Sourced by the control channel's tests (after tests/lib/lib.sh): the
# channels live in a directory of the test's own, programs under test run
# in the background with SOCKFAULT_CONTROL=1, and every wait is bounded.

export XDG_RUNTIME_DIR="$tmp/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
chan_dir=$XDG_RUNTIME_DIR/sockfault
CLI=$SF_CLI
C=$SF_BUILDDIR/tests/cli
bg_pids=

ctl_cleanup() {
	for _p in $bg_pids; do
		kill "$_p" 2>/dev/null || :
	done
	cleanup
}
trap ctl_cleanup EXIT

# start_ctl NAME [VAR=VALUE...] PROGRAM [ARG...]: PROGRAM under the preload
# with a control channel, in the background, its stdin a FIFO held open by
# a sleep (close_stdin NAME ends it); sets NAME_pid, output in $tmp/NAME.out
# and $tmp/NAME.err. Not under timeout (its pid must be the program's): the
# programs bound their own time.
start_ctl() {
	_n=$1
	shift
	mkfifo "$tmp/$_n.in"
	echo "+ control: $*"
	env LD_PRELOAD="$(sf_preload)" SOCKFAULT_CONTROL=1 "$@" <"$tmp/$_n.in" >"$tmp/$_n.out" 2>"$tmp/$_n.err" &
	eval "${_n}_pid=\$!"
	bg_pids="$bg_pids $!"
	sleep 30 >"$tmp/$_n.in" &
	eval "${_n}_holder=\$!"
	bg_pids="$bg_pids $!"
}

close_stdin() {
	eval "kill \$${1}_holder 2>/dev/null || :"
}

# wait_bg NAME: wait (bounded by its timeout) for the program to end.
wait_bg() {
	eval "_p=\$${1}_pid"
	set +e
	wait "$_p"
	eval "${1}_rc=\$?"
	set -e
	sed "s/^/  $1| /" "$tmp/$1.out" "$tmp/$1.err"
}

# wait_channel PID: until the channel answers (at most 10 s).
wait_channel() {
	_i=0
	until "$CLI" ctl "$1" stats >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || hard_error "process $1 never opened its control channel"
		sleep 0.05
	done
}

# wait_out NAME PATTERN: until the program's output has a line matching.
wait_out() {
	_i=0
	until grep -q -E -e "$2" "$tmp/$1.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le 400 ] || { cat "$tmp/$1.out" "$tmp/$1.err"; hard_error "$1 never said /$2/"; }
		sleep 0.05
	done
}

# ctl ARG...: sockfault ctl, output in $tmp/out and $tmp/err, status in $rc.
ctl() {
	echo "+ sockfault ctl $*"
	set +e
	$tmo "$CLI" ctl "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
}
