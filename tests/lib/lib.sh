# Sourced by every integration test script (POSIX sh).
#
# Programs under test run with sf_run (LD_PRELOAD set on that one command,
# never on this shell), references with plain_run; both leave stdout in
# $tmp/out, stderr in $tmp/err and the exit status in $rc, and copy all of it
# into the test's log. Peers (tpeer, never preloaded) run in the background
# with peer_start and are reaped with peer_wait. The expect_* checks count
# failures; finish turns the count into the exit status (0 pass, 1 fail).
# skip exits 77, hard_error 99.

: "${SF_LIB:?run the integration tests through make check}"
: "${SF_TESTBIN:?run the integration tests through make check}"

# Whatever the calling shell had must not leak into the programs under test.
unset LD_PRELOAD SOCKFAULT_RULES SOCKFAULT_RULES_TEXT SOCKFAULT_SEED SOCKFAULT_LOG \
	SOCKFAULT_LOG_FORMAT SOCKFAULT_TRACE SOCKFAULT_RELOAD SOCKFAULT_ON_ERROR \
	SOCKFAULT_STATS SOCKFAULT_REPLAY SOCKFAULT_TREE SOCKFAULT_CONTROL

T=$SF_TESTBIN
failures=0
peer_pids=
rc=0

skip() {
	echo "SKIP: $*"
	exit 77
}

hard_error() {
	echo "ERROR: $*"
	exit 99
}

[ -r "$SF_LIB" ] || hard_error "the library is not built: $SF_LIB"
[ -x "$T/tclient" ] || hard_error "the test programs are not built in $T"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sf-integ.XXXXXX") || hard_error "mktemp"

cleanup() {
	for _p in $peer_pids; do
		kill "$_p" 2>/dev/null || :
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

# Every run is bounded; the limits are generous because machines are slow.
if command -v timeout >/dev/null 2>&1; then
	tmo="timeout -k 5 ${SF_TEST_TIMEOUT:-60}"
	tmo_probe="timeout -k 2 5"
else
	tmo=
	tmo_probe=
fi

# The sanitizer runtime that an instrumented library needs loaded first in a
# program that is not instrumented itself (ASan: libasan.so, TSan:
# libtsan.so, from the compiler of the build); empty in a build without one
# of them (UBSan alone needs nothing of the sort).
sf_sanitizer_runtime() {
	case ",${SF_SANITIZE:-}," in
	*,address,*) $SF_CC -print-file-name=libasan.so ;;
	*,thread,*) $SF_CC -print-file-name=libtsan.so ;;
	esac
}

# The LD_PRELOAD value for a program under test. In an ASan or TSan build
# the sanitizer's runtime must be the first object loaded, before the
# library.
sf_preload() {
	_rt=$(sf_sanitizer_runtime)
	if [ -n "$_rt" ]; then
		printf '%s %s\n' "$_rt" "$SF_LIB"
	else
		printf '%s\n' "$SF_LIB"
	fi
}

# foreign_ok PROGRAM [ARG...]: can a program that was not built with the
# sanitizers run with the sanitizer runtime preloaded? (curl, for one,
# deadlocks at start-up that way under ASan, with or without this library.)
# Always yes in a build without ASan or TSan.
foreign_ok() {
	_rt=$(sf_sanitizer_runtime)
	[ -n "$_rt" ] || return 0
	$tmo_probe env ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$_rt" "$@" >/dev/null 2>&1
}

# sf_musl: true when the build is a musl one (SF_CC is musl-gcc or another
# musl compiler: scripts/test musl). Its library is linked against musl's
# libc.so, which the system's (glibc) dynamic loader cannot load: a glibc
# program (sh, touch, bash, curl, valgrind ...) run with it preloaded dies
# before main ("/lib/x86_64-linux-gnu/libc.so: invalid ELF header", exit
# 127). Only the programs of the build, linked against musl too, can run
# under it; and musl's libc itself crashes on some bad arguments where
# glibc leaves the kernel to say EFAULT.
sf_musl() {
	case ${SF_CC:-} in
	*musl*) return 0 ;;
	esac
	return 1
}

show_output() {
	sed 's/^/  out| /' "$tmp/out"
	sed 's/^/  err| /' "$tmp/err"
	echo "  rc=$rc"
}

# sf_run [VAR=VALUE...] PROGRAM [ARG...]: under the preload.
sf_run() {
	echo "+ preload: $*"
	set +e
	$tmo env LD_PRELOAD="$(sf_preload)" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
}

# plain_run [VAR=VALUE...] PROGRAM [ARG...]: the same without the library.
plain_run() {
	echo "+ plain: $*"
	set +e
	$tmo env "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
}

# peer_start NAME [tpeer OPTIONS] MODE: a tpeer in the background; sets
# NAME_port, NAME_pid and NAME_out (its output file).
peer_start() {
	_name=$1
	shift
	_ready=$tmp/$_name.ready
	rm -f "$_ready"
	$tmo "$T/tpeer" -r "$_ready" "$@" >"$tmp/$_name.out" 2>&1 &
	_pid=$!
	peer_pids="$peer_pids $_pid"
	_i=0
	while [ ! -s "$_ready" ]; do
		_i=$((_i + 1))
		if [ "$_i" -gt 200 ] || ! kill -0 "$_pid" 2>/dev/null; then
			cat "$tmp/$_name.out"
			hard_error "peer $_name ($*) did not start"
		fi
		sleep 0.05
	done
	eval "${_name}_port=\$(cat \"\$_ready\")"
	eval "${_name}_pid=\$_pid"
	eval "${_name}_out=\$tmp/\$_name.out"
}

# peer_wait NAME: wait for the peer to finish (it stops by itself after its
# connections, or its own -t limit) and copy what it said into the log.
peer_wait() {
	eval "_pid=\$${1}_pid"
	set +e
	wait "$_pid"
	set -e
	sed "s/^/  $1| /" "$tmp/$1.out"
}

# wait_file FILE: wait (bounded) until FILE is not empty.
wait_file() {
	_i=0
	while [ ! -s "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 200 ] || hard_error "$1 never appeared"
		sleep 0.05
	done
}

have_ipv6() {
	"$T/tpeer" probe6
}

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

pass() {
	echo "ok: $*"
}

# expect_in FILE ERE [WHAT]: some line of FILE matches ERE.
expect_in() {
	if grep -E -q -e "$2" "$1"; then
		pass "${3:-$2}"
	else
		fail "${3:-$2}: no line matches /$2/ in ${1##*/}"
	fi
}

# expect_not_in FILE ERE [WHAT]: no line of FILE matches ERE.
expect_not_in() {
	if grep -E -q -e "$2" "$1"; then
		fail "${3:-not $2}: a line matches /$2/ in ${1##*/}"
	else
		pass "${3:-not $2}"
	fi
}

expect_out() { expect_in "$tmp/out" "$@"; }
expect_no_out() { expect_not_in "$tmp/out" "$@"; }
expect_err() { expect_in "$tmp/err" "$@"; }
expect_no_err() { expect_not_in "$tmp/err" "$@"; }

# expect_rc N [WHAT]
expect_rc() {
	if [ "$rc" -eq "$1" ]; then
		pass "${2:-exit status $1}"
	else
		fail "${2:-exit status}: expected $1, got $rc"
	fi
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 ($3)"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# expect_empty FILE [WHAT]
expect_empty() {
	if [ -s "$1" ]; then
		fail "${2:-${1##*/} is empty}: it holds $(wc -l <"$1") line(s)"
	else
		pass "${2:-${1##*/} is empty}"
	fi
}

# The first line of the output matching ERE.
out_line() {
	grep -E -e "$1" "$tmp/out" | head -n 1
}

# The python3 interpreter itself, not a wrapper script (pyenv shims are
# shell scripts that would run under the preload too); empty if none.
sf_python() {
	[ -n "${SF_PYTHON3:-}" ] || return 0
	"$SF_PYTHON3" -c 'import sys; print(sys.executable)' 2>/dev/null || :
}

finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
