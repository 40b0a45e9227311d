#!/bin/sh
# sockfault run from an installation: `make install DESTDIR=...` stages the
# package; the staged sockfault must find the staged library by its own
# location (bin/../lib), not the build tree and not the configured libdir,
# even after the whole tree is moved. Without a library next to it, it
# says so (exit 2), and SOCKFAULT_LIBRARY overrides the search.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

command -v make >/dev/null 2>&1 || skip "no make to install with"

# A make of its own, not the jobserver and command-line variables of the
# make check that runs this test.
stage=$tmp/stage
echo "+ make install DESTDIR=$stage"
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SF_BUILDDIR" install DESTDIR="$stage" >"$tmp/install.log" 2>&1; then
	sed 's/^/  install| /' "$tmp/install.log"
	hard_error "make install DESTDIR=$stage failed"
fi
find "$stage" -type f -o -type l | sed "s|^$stage|  staged: |"

cli=$(find "$stage" -path '*/bin/sockfault' -type f | head -n 1)
lib=$(find "$stage" -name 'libsockfault.so' | head -n 1)
[ -n "$cli" ] || hard_error "no bin/sockfault in the staging tree"
[ -n "$lib" ] || hard_error "no libsockfault.so in the staging tree"
pass "staged: ${cli#"$stage"} and ${lib#"$stage"}"

peer_start p -n 0 -t 60 echo
# What a user would run with sh or touch, under the library: $XSH (lib.sh,
# a shell script, or in a musl build a program linked against musl).
xsh_setup
# The library the command was given (the last word of LD_PRELOAD: a
# sanitizer runtime may come first), as a canonical path.
preloaded() {
	_p=$(sed -n 's/^preload=//p' "$tmp/out" | head -n 1)
	_p=${_p##*[: ]}
	[ -n "$_p" ] || { echo "(none)"; return 0; }
	(cd "$(dirname "$_p")" 2>/dev/null && printf '%s/%s\n' "$(pwd -P)" "$(basename "$_p")") || echo "$_p"
}
canon() {
	(cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd -P)" "$(basename "$1")")
}
P=127.0.0.1:$p_port

# staged_run CLI ARG...: a staged sockfault, as a user would run it.
staged_run() {
	_c=$1
	shift
	echo "+ staged: $_c $*"
	set +e
	$tmo env LD_PRELOAD="$(sf_asan_preload)" "$_c" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
}

staged_run "$cli" run -- "$XSH" preload
expect_rc 0
expect_eq "the staged sockfault preloads the staged library" "$(canon "$lib")" "$(preloaded)"
expect_no_out "$SF_BUILDDIR/src" "not the build tree's library"
staged_run "$cli" run -e 'connect => error ECONNREFUSED' -- "$R/treal" -N -A "$P" connect
expect_out '^connect = -1 ECONNREFUSED$' "the staged library injects"

# Moved as a whole: still found by relative location.
mv "$stage" "$tmp/moved"
cli=$tmp/moved${cli#"$stage"}
lib=$tmp/moved${lib#"$stage"}
staged_run "$cli" run -e 'connect => error EHOSTUNREACH' -- "$XSH" preload "$R/treal" -N -A "$P" connect
expect_eq "the moved tree: its own library" "$(canon "$lib")" "$(preloaded)"
expect_out '^connect = -1 EHOSTUNREACH$' "the moved tree: the library injects"

# The rules library is installed with it, and every file checks.
rulesdir=$(dirname "$cli")/../share/sockfault/rules
staged_run "$cli" check -q "$rulesdir"/*.rules
expect_rc 0 "the installed rules files all check"
expect_eq "the installed rules files: all of rules/" \
	"$(cd "$RULES" && ls ./*.rules | wc -l | tr -d ' ')" "$(ls "$rulesdir"/*.rules | wc -l | tr -d ' ')"

# Alone, with no library beside it: an error, unless one is installed in
# the configured libdir (then that one is right to use).
libdir=$(sed -n 's/^libdir = //p' "$SF_BUILDDIR/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$SF_BUILDDIR/Makefile")
libdir=$(printf '%s\n' "$libdir" | sed "s|\${exec_prefix}|$prefix|; s|\$(exec_prefix)|$prefix|")
mkdir -p "$tmp/alone/bin"
cp "$cli" "$tmp/alone/bin/sockfault"
if [ -e "$libdir/libsockfault.so" ]; then
	echo "note: $libdir/libsockfault.so exists on this machine: the not-found case is not checked"
else
	staged_run "$tmp/alone/bin/sockfault" run -- "$XSH" touch "$tmp/marker"
	expect_rc 2 "no library anywhere: exit 2"
	expect_err 'cannot find libsockfault\.so' "no library anywhere: said"
	expect_no_file "$tmp/marker" "no library: nothing started"
fi
staged_run env SOCKFAULT_LIBRARY="$lib" "$tmp/alone/bin/sockfault" run -- "$XSH" preload
expect_eq "SOCKFAULT_LIBRARY names the library" "$(canon "$lib")" "$(preloaded)"

finish
