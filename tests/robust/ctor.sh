#!/bin/sh
# Another library's constructor makes socket calls (socket, connect to a
# local listener, send, close) before the library's own constructor has
# run. The dynamic loader runs the constructors of preloaded objects in the
# reverse of their LD_PRELOAD order, so with LD_PRELOAD="libsockfault.so
# libhctor.so" libhctor's runs first (checked with LD_DEBUG). Its calls
# still reach the library's wrappers, which initialise it on the spot: the
# calls work, and rules that match them fire. The library is initialised
# once: counting (when= per=process) runs on from the constructor's calls
# into main's, the start line is logged once, and a bad setting stops the
# program at the constructor's first call.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

H=$SF_BUILDDIR/tests/robust
CTOR=$H/.libs/libhctor.so
[ -r "$CTOR" ] || hard_error "$CTOR is not built"

# ctor_run [VAR=VALUE...]: hctor with libhctor.so loaded after the library.
ctor_run() {
	echo "+ preload + libhctor: $*"
	set +e
	$tmo env LD_PRELOAD="$(sf_preload) $CTOR" HCTOR_PORT="$p_port" "$@" "$H/hctor" "$p_port" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
}

peer_start p -n 0 -t 60 sink

# Which constructor runs first.
ctor_run LD_DEBUG=libs
expect_rc 0 "with LD_DEBUG"
order=$(grep 'calling init: ' "$tmp/err" | grep -E 'libsockfault|libhctor' | sed 's/.*calling init: //; s,.*/,,' |
	tr '\n' ' ')
# LD_DEBUG is glibc's loader's; another libc's says nothing.
ld_debug=1
if [ -z "$order" ]; then
	ld_debug=0
	echo "the loader does not say (LD_DEBUG): the order is not checked"
else
	expect_eq "libhctor's constructor runs before the library's" "libhctor.so libsockfault.so " "$order"
fi

# No rules: the constructor's calls go through.
ctor_run
expect_rc 0 "no rules"
expect_err '^hctor: connect = 0$' "no rules: the constructor connects"
expect_err '^hctor: send = 10$' "no rules: the constructor sends"
expect_err '^hctor: close = 0$' "no rules: the constructor closes"
expect_out '^main: send = 10$' "no rules: main sends"

# A rule for the constructor's connect: it fires there, before the
# library's constructor ran.
ctor_run SOCKFAULT_RULES_TEXT="connect peer=127.0.0.1:$p_port => error ECONNREFUSED"
expect_rc 0 "connect rule"
expect_err '^hctor: connect = -1 ECONNREFUSED$' "the constructor's connect is faulted"
expect_out '^main: connect = -1 ECONNREFUSED$' "main's connect is faulted"
starts=$(grep -c 'started in hctor' "$tmp/err" || :)
expect_eq "one start line: the library started once" 1 "$starts"

# Counting runs on from the constructor into main: one library, one state.
ctor_run SOCKFAULT_RULES_TEXT="send peer=127.0.0.1:$p_port when=1 per=process => error EIO"
expect_err '^hctor: send = -1 EIO$' "the constructor's send is the first (EIO)"
expect_out '^main: send = 10$' "main's send is the second (not faulted)"
ctor_run SOCKFAULT_RULES_TEXT="connect peer=127.0.0.1:$p_port when=2 per=process => error ECONNREFUSED"
expect_err '^hctor: connect = 0$' "the constructor's connect is the first (not faulted)"
expect_out '^main: connect = -1 ECONNREFUSED$' "main's connect is the second (refused)"

# Initialisation happens at the constructor's first call (its first write
# to stderr): a bad setting stops the program there, inside libhctor's
# constructor, before the library's own constructor is called.
ctor_run LD_DEBUG=libs SOCKFAULT_SEED=abc SOCKFAULT_RULES_TEXT='send => error EIO'
expect_rc 2 "a bad setting: exit 2"
expect_err "SOCKFAULT_SEED: 'abc' is not a number" "the message"
if [ "$ld_debug" -eq 1 ]; then
	expect_err 'calling init: .*/libhctor\.so$' "libhctor's constructor was called"
	expect_no_err 'calling init: .*/libsockfault\.so$' "the library's constructor never was"
fi
expect_no_err '^hctor: ' "the constructor's first call never returned"

# What the peer received: the constructor's and main's greetings, from the
# runs where they were not faulted.
kill "$p_pid" 2>/dev/null || :
peer_wait p
n=$(grep -c 'first="ctor-hello"' "$p_out" || :)
expect_eq "the peer got the constructor's data (the runs without a fault on it)" 3 "$n"

finish
