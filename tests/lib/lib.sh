# The one shell library of the test scripts (POSIX sh), sourced by every
# script of tests/ (tests/README). Its parts, in this order:
#   - set-up, running programs and peers, checks (sf_run, plain_run,
#     peer_start, expect_*, finish);
#   - transcripts: treal under a rule and the check of what it printed
#     (run, transcript, value, field);
#   - the sockfault command run like a program under test, and what the
#     scripts read out of JSON logs (cli_run, faults_of, expect_count ...);
#   - the control channel (ctl_setup, start_ctl, ctl ...).
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
for _p in tclient tcalls tpeer treal rpeer topr; do
	[ -x "$T/$_p" ] || hard_error "the test programs are not built in $T ($_p)"
done
[ -x "$SF_CLI" ] || hard_error "the sockfault command is not built: $SF_CLI"
RULES=$SF_SRCDIR/rules

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sf-integ.XXXXXX") || hard_error "mktemp"

# Background programs: peers (peer_start) and programs with a control
# channel (start_ctl).
bg_pids=

cleanup() {
	for _p in $peer_pids $bg_pids; do
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

# need_valgrind: skip unless valgrind can run the library here; sets vg,
# the valgrind that configure found. valgrind is a glibc program, and with
# --trace-children it runs again, with the client's LD_PRELOAD, for every
# program it follows.
need_valgrind() {
	vg=${SF_VALGRIND:-}
	[ -n "$vg" ] || skip "valgrind was not found by configure"
	[ -z "${SF_SANITIZE:-}" ] || skip "a sanitizer build: valgrind cannot run it"
	if sf_musl; then
		skip "a musl build: valgrind (a glibc program) cannot load the musl-linked library"
	fi
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

# wait_line FILE ERE [SECONDS]: wait until a line of FILE matches ERE, at
# most SECONDS (5); the check that follows says whether it came.
wait_line() {
	_i=0
	until grep -q -E -e "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -le $((${3:-5} * 20)) ] || return 0
		sleep 0.05
	done
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

# need_as_user WHY: skip unless this root shell can run commands as the
# unprivileged user nobody; sets user and as_user (the command prefix that
# runs as them: setpriv, or runuser).
# shellcheck disable=SC2034 # user and as_user are the scripts'
need_as_user() {
	[ "$(id -u)" -eq 0 ] || skip "$1 needs root"
	user=nobody
	id -u "$user" >/dev/null 2>&1 || skip "no unprivileged user '$user'"
	if command -v setpriv >/dev/null 2>&1; then
		as_user="setpriv --reuid=$user --regid=$(id -gn "$user") --clear-groups --"
	elif command -v runuser >/dev/null 2>&1; then
		as_user="runuser -u $user --"
	else
		skip "neither setpriv nor runuser to drop privileges"
	fi
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

# expect_passes WHAT CMD...: CMD succeeds (a checker that passes a tree);
# expect_refuses WHAT ERE CMD...: CMD fails and says where in a line
# matching ERE. Their output in $tmp/check.out.
expect_passes() {
	_what=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		pass "$_what"
	else
		fail "$_what: $(cat "$tmp/check.out")"
	fi
}

expect_refuses() {
	_what=$1
	_ere=$2
	shift 2
	if "$@" >"$tmp/check.out" 2>&1; then
		fail "$_what: let through"
	elif grep -E -q -e "$_ere" "$tmp/check.out"; then
		pass "$_what"
	else
		fail "$_what, but not said so: $(cat "$tmp/check.out")"
	fi
}

# expect_rc N [WHAT]
expect_rc() {
	if [ "$rc" -eq "$1" ]; then
		pass "${2:-exit status $1}"
	else
		fail "${2:-exit status}: expected $1, got $rc"
	fi
}

# expect_stopped WHAT: the library stopped the program (tcalls, whose
# first line is "main: ...") before main, with exit status 2.
expect_stopped() {
	expect_rc 2 "$1: exit status 2"
	expect_no_out '^main:' "$1: main() never ran"
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

# --- Transcripts: treal (R, the directory it is in) under a rule and the
# check of what both ends saw.
#
#   run RULES STEP...       treal under the preload with SOCKFAULT_RULES_TEXT=RULES
#                           ('' for no rules); TREAL_OPTS (-6, -U, -D) and
#                           RUN_ENV (VAR=VALUE ..., for this run only) are
#                           passed on
#   transcript WHAT <<EOF   the output, line by line, is exactly these lines
#                           (each a shell pattern: '*' for what varies)
#   value NAME [N]          the value of the N-th line "NAME = VALUE"
#   field PREFIX KEY        the KEY=VALUE of the first line starting with PREFIX
#   expect_between WHAT LOW HIGH N   LOW <= N <= HIGH (integers)

R=$T
TREAL_OPTS=${TREAL_OPTS:-}
RUN_ENV=${RUN_ENV:-}

run() {
	_rules=$1
	shift
	# shellcheck disable=SC2086 # the options are words on purpose
	if [ -n "$_rules" ]; then
		sf_run $RUN_ENV SOCKFAULT_RULES_TEXT="$_rules" "$R/treal" -S "$tmp/u" $TREAL_OPTS "$@"
	else
		sf_run $RUN_ENV "$R/treal" -S "$tmp/u" $TREAL_OPTS "$@"
	fi
	# Whatever the shell does with an assignment before a function call.
	RUN_ENV=
	if grep -q '^\(child \)\?WATCHDOG' "$tmp/out"; then
		fail "a step hung: $(grep WATCHDOG "$tmp/out")"
	fi
	case $rc in
	0) ;;
	3) hard_error "treal could not set up: $(grep SETUP "$tmp/out")" ;;
	*) fail "treal exited with $rc" ;;
	esac
}

transcript() {
	_what=$1
	cat >"$tmp/expect"
	_n=0
	_bad=
	exec 3<"$tmp/out"
	while IFS= read -r _pat; do
		_n=$((_n + 1))
		if ! IFS= read -r _line <&3; then
			_bad="line $_n: expected '$_pat', got the end of the output"
			break
		fi
		# shellcheck disable=SC2254 # the expected line is a pattern
		case $_line in
		$_pat) ;;
		*)
			_bad="line $_n: expected '$_pat', got '$_line'"
			break
			;;
		esac
	done <"$tmp/expect"
	if [ -z "$_bad" ] && IFS= read -r _line <&3; then
		_bad="line $((_n + 1)): unexpected '$_line'"
	fi
	exec 3<&-
	if [ -n "$_bad" ]; then
		fail "$_what: $_bad"
	else
		pass "$_what"
	fi
}

value() {
	grep -E "^$1 = " "$tmp/out" | sed -n "${2:-1}p" | sed 's/^[^=]*= //'
}

field() {
	grep -E "^$1" "$tmp/out" | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

expect_between() {
	case $4 in
	'' | *[!0-9-]*)
		fail "$1: not a number: '$4'"
		return
		;;
	esac
	if [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; then
		pass "$1 ($4 in $2..$3)"
	else
		fail "$1: $4 is not in $2..$3"
	fi
}

# each_tcp_family FUNCTION: FUNCTION's transcripts over IPv4 (name=tcp4),
# then over IPv6 (name=tcp6, TREAL_OPTS=-6) where ::1 can be used; TCP gives
# the program and the peer the same things over both.
each_tcp_family() {
	TREAL_OPTS=
	name=tcp4
	"$1"
	if have_ipv6; then
		TREAL_OPTS=-6
		name=tcp6
		"$1"
	else
		echo "no IPv6 loopback (::1) on this machine: $1 over IPv4 only"
	fi
	TREAL_OPTS=
}

# expect_log ERE [WHAT]: the library logged a line matching ERE.
expect_log() {
	expect_in "$tmp/err" "$@"
}

# --- The sockfault command run like a program under test, and what the
# scripts read out of JSON logs.

# The sanitizer runtime (ASan's or TSan's: sf_sanitizer_runtime of lib.sh),
# when the library needs it first in LD_PRELOAD. sockfault run keeps a
# sanitizer runtime that is already there in front of the library, so giving
# it to the command is enough.
sf_asan_preload() {
	sf_sanitizer_runtime
}

# cli_run [VAR=VALUE...] ARG...: the sockfault command, output as sf_run
# leaves it ($tmp/out, $tmp/err, $rc).
cli_run() {
	echo "+ sockfault: $*"
	_asan=$(sf_asan_preload)
	set +e
	if [ -n "$_asan" ]; then
		$tmo env LD_PRELOAD="$_asan" "$SF_CLI" "$@" >"$tmp/out" 2>"$tmp/err"
	else
		$tmo env "$SF_CLI" "$@" >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	set -e
	show_output
	sanitizer_check
}

# In a sanitizer build, a report from a run is a failure whatever else the
# test looks at.
sanitizer_check() {
	if [ -n "${SF_SANITIZE:-}" ] && grep -E -q 'ERROR: [A-Za-z]*Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$tmp/err"; then
		fail "a sanitizer reported a problem (above)"
	fi
}

# cli_env_run: the same, but the arguments start with VAR=VALUE settings
# for the command (env syntax), then the sockfault arguments.
cli_env_run() {
	echo "+ sockfault (env): $*"
	_asan=$(sf_asan_preload)
	set +e
	if [ -n "$_asan" ]; then
		$tmo env LD_PRELOAD="$_asan" "$@" >"$tmp/out" 2>"$tmp/err"
	else
		$tmo env "$@" >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	set -e
	show_output
	sanitizer_check
}

# faults_of FILE: the faults of a JSON log, one "RULE PEER CONN CALL OP"
# line each, sorted: what replay and determinism compare.
faults_of() {
	sed -n 's/.*"event":"fault".*"rule":"\([^"]*\)".*"op":"\([^"]*\)".*"peer":"\([^"]*\)".*"conn":\([0-9]*\),"call":\([0-9]*\).*/\1 \3 \4 \5 \2/p' "$1" |
		sort
}

# count_in FILE ERE: how many lines match.
count_in() {
	grep -E -c -e "$2" "$1" || :
}

# expect_count WHAT N FILE ERE
expect_count() {
	expect_eq "$1" "$2" "$(count_in "$3" "$4")"
}

# expect_ge WHAT MIN ACTUAL (integers)
expect_ge() {
	if [ "$3" -ge "$2" ] 2>/dev/null; then
		pass "$1 ($3 >= $2)"
	else
		fail "$1: expected at least $2, got '$3'"
	fi
}

# expect_le WHAT MAX ACTUAL (integers)
expect_le() {
	if [ "$3" -le "$2" ] 2>/dev/null; then
		pass "$1 ($3 <= $2)"
	else
		fail "$1: expected at most $2, got '$3'"
	fi
}

# expect_ne WHAT A B: the two differ (a contrast).
expect_ne() {
	if [ "$2" != "$3" ]; then
		pass "$1"
	else
		fail "$1: both are '$2'"
	fi
}

# The value after "NAME = " in the output.
out_value() {
	sed -n "s/^$1 = //p" "$tmp/out" | head -n 1
}

# expect_no_file FILE WHAT: FILE was not created (a command never ran).
expect_no_file() {
	if [ -e "$1" ]; then
		fail "$2: ${1##*/} exists"
	else
		pass "$2"
	fi
}

# No sanitizer complained in FILE.
expect_no_sanitizer_report() {
	expect_not_in "$1" 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer|runtime error:|ThreadSanitizer: ' \
		"${2:-no sanitizer report}"
}

# xsh_setup: $XSH, the command that run.sh and install.sh run under
# sockfault run where a user would run sh or touch, doing one of:
#   $XSH preload [PROG ARG...]  print "preload=$LD_PRELOAD", then exec PROG
#   $XSH exit N                 exit with status N
#   $XSH kill TERM|KILL         kill itself with that signal
#   $XSH cd DIR PROG ARG...     change to DIR, then exec PROG
#   $XSH touch FILE             create FILE
# A shell script (so sh itself runs under the library), except in a musl
# build: there sh and touch are glibc programs, which cannot load the
# musl-linked library (sf_musl), and $XSH is the same as a small program
# built here with the build's compiler, linked against musl like the library.
xsh_setup() {
	XSH=$tmp/xsh
	if ! sf_musl; then
		cat >"$XSH" <<'XSH'
#!/bin/sh
case $1 in
preload)
	shift
	echo "preload=$LD_PRELOAD"
	[ $# -eq 0 ] || exec "$@"
	;;
exit) exit "$2" ;;
kill) kill -"$2" $$ ;;
cd)
	cd "$2" || exit 1
	shift 2
	exec "$@"
	;;
touch) exec touch "$2" ;;
*) echo "xsh: what is $1?" >&2; exit 2 ;;
esac
XSH
		chmod +x "$XSH"
		return 0
	fi
	cat >"$tmp/xsh.c" <<'XSH'
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run(char **argv)
{
	execv(argv[0], argv);
	perror(argv[0]);
	return 127;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "preload") == 0) {
		const char *p = getenv("LD_PRELOAD");
		printf("preload=%s\n", p ? p : "");
		fflush(stdout);
		return argc > 2 ? run(argv + 2) : 0;
	}
	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);
	if (argc == 3 && strcmp(argv[1], "kill") == 0) {
		kill(getpid(), strcmp(argv[2], "KILL") == 0 ? SIGKILL : SIGTERM);
		return 1;
	}
	if (argc >= 4 && strcmp(argv[1], "cd") == 0) {
		if (chdir(argv[2]) < 0) {
			perror(argv[2]);
			return 1;
		}
		return run(argv + 3);
	}
	if (argc == 3 && strcmp(argv[1], "touch") == 0) {
		int fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		close(fd);
		return 0;
	}
	fprintf(stderr, "xsh: what is %s?\n", argc > 1 ? argv[1] : "(nothing)");
	return 2;
}
XSH
	$SF_CC -o "$XSH" "$tmp/xsh.c" || hard_error "cannot build $tmp/xsh.c with $SF_CC"
}

# refusal_story NAME ERRNO: rules/NAME.rules (connect => error WSA<ERRNO>):
# a blocking connect fails at once with ERRNO; a nonblocking one says
# EINPROGRESS, then poll, select and epoll report the socket writable with
# an error, SO_ERROR gives ERRNO once and getpeername ENOTCONN. The server
# never sees a connection. Without the rules the same connects succeed.
refusal_story() {
	: >"$tmp/all.err"
	cli_run run -r "$RULES/$1.rules" -- "$R/treal" -S "$tmp/u" p:listen connect took peername p:accept,200
	cat "$tmp/err" >>"$tmp/all.err"
	expect_rc 0
	transcript "blocking: $2 (WSA$2), not connected, the server sees nothing" <<EOF2
peer listen = port *
connect = -1 $2
took = *
getpeername = -1 ENOTCONN
peer accept = none
EOF2
	# "At once" (a refusal) or at the SYN's retransmission (1 s: ICMP
	# unreachable): no waiting for a timeout, however loaded the machine.
	expect_le "blocking: at once, or after the SYN's retransmission" 2000 "$(value took)"
	for wait in pollout=5000 selectw=5000 epollout=5000; do
		cli_run run -r "$RULES/$1.rules" -- "$R/treal" -S "$tmp/u" p:listen connect-nb "$wait" so_error so_error \
			peername p:accept,200
		cat "$tmp/err" >>"$tmp/all.err"
		case $wait in
		selectw*) ready='selectw = *w*' ;;
		*) ready="${wait%%=*} = OUT,ERR*" ;;
		esac
		transcript "nonblocking (${wait%%=*}): EINPROGRESS, writable with an error, SO_ERROR $2 once, not connected" <<EOF2
peer listen = port *
connect = -1 EINPROGRESS
$ready
SO_ERROR = $2
SO_ERROR = 0
getpeername = -1 ENOTCONN
peer accept = none
EOF2
	done
	expect_count "the rule fired on every connect" 4 "$tmp/all.err" "$1 fired on connect .*$2"

	sf_run "$R/treal" -S "$tmp/u" p:listen connect p:accept,1000
	expect_out '^connect = 0$' "contrast: without the rules the connect succeeds"
	expect_out '^peer accept = accepted 1$' "contrast: the server sees it"
	sf_run "$R/treal" -S "$tmp/u" p:listen connect-nb pollout=5000 so_error p:accept,1000
	expect_out '^SO_ERROR = 0$' "contrast: without the rules the nonblocking connect succeeds"
	expect_out '^peer accept = accepted 1$' "contrast: the server sees that one too"
}

# idle_story: the client of the idle-firewall stories, as treal steps (the
# peer listening first). Connection 1 (A) sends a byte every 200 ms, 2 (B)
# one byte then nothing for 2.6 s, 3 (D) a byte at the start and one
# halfway; then B sends 4, 4 and writes 4, A and D send a byte, and a
# fresh connection (C) one byte; the peer then accepts the four.
idle_story() {
	_s='p:listen connect sendns=1 connect sendns=1 connect sendns=1 use=1'
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		_s="$_s sleep=200 sendns=1"
		[ "$_i" != 6 ] || _s="$_s use=3 sendns=1 use=1"
	done
	echo "$_s use=2 sendns=4 sendns=4 write=4 use=1 sendns=1 use=3 sendns=1 connect sendns=1 p:accept p:accept p:accept p:accept"
}

# idle_seen B_SENDS B_WRITE: the transcript of idle_story, B's late sends and
# write answering B_SENDS and B_WRITE.
idle_seen() {
	printf '%s\n' 'peer listen = port *' 'connect = 0' 'sendns = 1' 'connect = 0' 'sendns = 1' 'connect = 0' 'sendns = 1'
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
		echo 'sendns = 1'
	done
	printf '%s\n' "sendns = $1" "sendns = $1" "write = $2" 'sendns = 1' 'sendns = 1' 'connect = 0' 'sendns = 1'
	for _i in 1 2 3 4; do
		echo "peer accept = accepted $_i"
	done
}

# --- The control channel. ctl_setup: the channels live in a directory of
# the test's own (XDG_RUNTIME_DIR, chan_dir); programs under test run in
# the background with SOCKFAULT_CONTROL=1 (start_ctl), and every wait is
# bounded.
# shellcheck disable=SC2034 # chan_dir and C are the scripts'
ctl_setup() {
	export XDG_RUNTIME_DIR="$tmp/run"
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	chan_dir=$XDG_RUNTIME_DIR/sockfault
	CLI=$SF_CLI
	C=$SF_BUILDDIR/tests/cli
}

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
	wait_line "$tmp/$1.out" "$2" 20
	grep -q -E -e "$2" "$tmp/$1.out" 2>/dev/null || {
		cat "$tmp/$1.out" "$tmp/$1.err" 2>/dev/null
		hard_error "$1 never said /$2/"
	}
}

# fired_reset_seen: the transcript's end when the peer has sent 1000 bytes
# and `fire reset` came at gate=r, the steps pollin=0 recv=500 recv=500 recv
# send so_error sigpipes p:expect,500 after it: the data first, then the RST
# the program sees and the peer's.
fired_reset_seen() {
	cat <<'EOF'
peer send = sent 1000
gate r
pollin = IN,ERR,HUP,RDHUP
recv = 500
recv = 500
recv = -1 ECONNRESET
send = -1 EPIPE
SO_ERROR = 0
sigpipes = 1
peer expect = err ECONNRESET ms=*
EOF
}

# treal_at_gate RULES WHAT STEP...: treal under RULES with a control
# channel; when it reaches its step gate=r, the caller's function at_gate
# runs (treal's pid in $treal_pid; WHAT names it), then the rest of the
# steps; treal's output left as run leaves it.
treal_at_gate() {
	_rules=$1
	_what=$2
	shift 2
	echo "+ treal under the control channel, $_what: $*"
	: >"$tmp/out"
	rm -f "$tmp/u.gate.r"
	env LD_PRELOAD="$(sf_preload)" SOCKFAULT_CONTROL=1 SOCKFAULT_RULES_TEXT="$_rules" "$R/treal" -S "$tmp/u" "$@" \
		>"$tmp/out" 2>"$tmp/err" &
	treal_pid=$!
	bg_pids="$bg_pids $treal_pid"
	wait_line "$tmp/out" '^gate r$'
	grep -q '^gate r$' "$tmp/out" || hard_error "treal never reached its gate"
	set +e
	at_gate >"$tmp/ctl.out" 2>&1
	rc=$?
	set -e
	cat "$tmp/ctl.out"
	expect_rc 0 "$_what"
	: >"$tmp/u.gate.r"
	set +e
	wait "$treal_pid"
	rc=$?
	set -e
	show_output
	expect_rc 0 "treal ran"
}

# fire_at_gate RULES ACTION STEP...: treal_at_gate, ACTION fired at its
# connection to 127.0.0.1 (sockfault ctl fire) at the gate.
fire_at_gate() {
	_action=$2
	# shellcheck disable=SC2317 # called by treal_at_gate
	at_gate() {
		# shellcheck disable=SC2086 # the action's words
		$tmo "$SF_CLI" ctl "$treal_pid" fire $_action peer=127.0.0.1
	}
	_r=$1
	shift 2
	treal_at_gate "$_r" "fire $_action" "$@"
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

finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

# SF_REACH=static: the same scripts against treal linked statically, under
# the seccomp supervisor (tests/reach).
if [ -n "${SF_REACH:-}" ]; then
	. "$SF_SRCDIR/tests/reach/rlib.sh"
	reach_need_supervisor
	reach_static_treal
fi
