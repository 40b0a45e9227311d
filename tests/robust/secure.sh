#!/bin/sh
# Secure execution: a setuid-root program run by an unprivileged user
# (AT_SECURE) with the library loaded reads no SOCKFAULT_* variable and
# injects nothing: a rule that fires for the same program run plainly does
# not fire, a bad value that stops the plain program (exit 2) is not even
# read, and the log file it names is not created.
#
# The loader ignores LD_PRELOAD paths with a slash in secure execution, so
# the program is linked against a copy of the library (an absolute rpath,
# which the loader does honour): the library is in the process either way,
# and the program checks it is (library=loaded).
# shellcheck disable=SC2154 # need_as_user (lib.sh) sets user and as_user
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

need_as_user "making a setuid-root program"
if command -v findmnt >/dev/null 2>&1; then
	case ",$(findmnt -n -o OPTIONS --target "$tmp")," in
	*,nosuid,*) skip "$tmp is on a filesystem mounted nosuid" ;;
	esac
fi
[ -n "${SF_CC:-}" ] || skip "SF_CC is not set: cannot build the setuid copy"

# Everything the unprivileged user must reach lives in $tmp, opened up.
chmod 755 "$tmp"
mkdir "$tmp/lib"
cp "$SF_LIB" "$tmp/lib/libsockfault.so"
chmod 755 "$tmp/lib" "$tmp/lib/libsockfault.so"
san=
[ -z "${SF_SANITIZE:-}" ] || san="-fsanitize=$SF_SANITIZE"
# shellcheck disable=SC2086
$SF_CC $san -include "$SF_BUILDDIR/config.h" -o "$tmp/hsecure" \
	"$SF_SRCDIR/tests/robust/hsecure.c" "$SF_SRCDIR/tests/robust/hutil.c" "$SF_SRCDIR/tests/lib/tnet.c" \
	-L"$tmp/lib" -Wl,--no-as-needed -lsockfault -Wl,-rpath,"$tmp/lib" ||
	hard_error "cannot build the linked test program"
cp "$tmp/hsecure" "$tmp/hsecure-suid"
chown root "$tmp/hsecure-suid"
chmod 4755 "$tmp/hsecure-suid"
chmod 755 "$tmp/hsecure"

# user_run PROGRAM [VAR=VALUE...]: as the unprivileged user.
user_run() {
	_prog=$1
	shift
	echo "+ as $user: $* $_prog probe"
	set +e
	# shellcheck disable=SC2086
	$tmo $as_user env "$@" "$_prog" probe >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
}

# The plain copy: the rule fires, a bad value stops it.
user_run "$tmp/hsecure" SOCKFAULT_RULES_TEXT='send => error EIO'
expect_rc 0 "plain copy"
expect_out '^secure=0$' "plain copy: not secure execution"
expect_out '^library=loaded$' "plain copy: the library is loaded"
expect_out '^send = -1 EIO$' "plain copy: the rule fires"
expect_err 'fired on send' "plain copy: the fault is logged"
user_run "$tmp/hsecure" SOCKFAULT_SEED=abc SOCKFAULT_RULES_TEXT='send => error EIO'
expect_rc 2 "plain copy with SOCKFAULT_SEED=abc: the library reads it and stops"

# The setuid copy: nothing read, nothing injected, nothing logged.
user_run "$tmp/hsecure-suid" SOCKFAULT_RULES_TEXT='send => error EIO' SOCKFAULT_SEED=abc \
	SOCKFAULT_LOG="$tmp/secure.log" SOCKFAULT_TRACE=1
out_line '^secure=1$' | grep -q . ||
	skip "the setuid copy did not run in secure execution (setuid ignored here?)"
expect_rc 0 "setuid copy: SOCKFAULT_SEED=abc was not read"
expect_out '^uid=[1-9][0-9]* euid=0$' "setuid copy: run by the user, as root"
expect_out '^library=loaded$' "setuid copy: the library is loaded"
expect_out '^send = 1$' "setuid copy: the rule does not fire"
expect_no_err 'sockfault' "setuid copy: nothing logged"
expect_no_file "$tmp/secure.log" "setuid copy: SOCKFAULT_LOG was not opened"

finish
