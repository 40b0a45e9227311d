# Sourced by the tests of the sockfault command, after tests/lib/lib.sh (POSIX sh):
# the sockfault command run like a program under test, and what the scripts
# read out of JSON logs.

O=$SF_BUILDDIR/tests/lib
[ -x "$O/topr" ] && [ -x "$O/tstory" ] || hard_error "the test programs are not built in $O"
[ -x "$SF_CLI" ] || hard_error "the sockfault command is not built: $SF_CLI"
RULES=$SF_SRCDIR/rules

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

# A python3 that is the real interpreter, or skip the part that needs it.
PY=$(sf_python)

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
	peer_start p -n 0 -t 60 sink
	P=127.0.0.1:$p_port
	cli_run run -r "$RULES/$1.rules" -- "$O/tstory" connect "$P"
	cat "$tmp/err" >"$tmp/all.err"
	expect_rc 0
	expect_out "^connect = -1 $2\$" "blocking: $2 (WSA$2)"
	# "At once": no waiting for a timeout, however loaded the machine.
	expect_le "blocking: at once" 2000 "$(out_value connect_ms)"
	expect_out '^getpeername = -1 ENOTCONN$'
	for how in poll select epoll; do
		cli_run run -r "$RULES/$1.rules" -- "$T/tclient" connect-nb "$how" "$P"
		cat "$tmp/err" >>"$tmp/all.err"
		expect_out '^connect = -1 EINPROGRESS$' "nonblocking ($how): EINPROGRESS"
		case $how in
		select) expect_out '^select = 1 writable=yes$' "nonblocking (select): writable" ;;
		*) expect_out "^$how = 1 events=OUT,ERR" "nonblocking ($how): writable, with an error" ;;
		esac
		expect_out "^SO_ERROR = $2\$" "nonblocking ($how): SO_ERROR gives $2"
		expect_out '^SO_ERROR again = 0$' "nonblocking ($how): once"
		expect_out '^getpeername = -1 ENOTCONN$' "nonblocking ($how): not connected"
	done
	expect_count "the rule fired on every connect" 4 "$tmp/all.err" "$1 fired on connect .*$2"
	expect_not_in "$p_out" 'accepted' "the server never saw a connection"

	sf_run "$O/tstory" connect "$P"
	expect_out '^connect = 0$' "contrast: without the rules the connect succeeds"
	sf_run "$T/tclient" connect-nb poll "$P"
	expect_out '^SO_ERROR = 0$' "contrast: without the rules the nonblocking connect succeeds"
	expect_in "$p_out" 'accepted' "contrast: the server sees those"
}
