#!/bin/sh
# The process tree's numbering (sockfault-rules(5), "Process trees"), for
# each way a program starts another: fork, vfork then execve with an
# environment of its own making or execvp, posix_spawn with its own
# environment, posix_spawnp, fork then execle, and exec in place, which
# keeps the place and goes on counting. Each grandchild (treal, started
# by a forked tspawn) names its place in the log. A place the program sets
# itself is kept, so a run inside a run is a tree of its own; a large
# environment still carries the place; a cleared one gets nothing.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

C=$SF_BUILDDIR/tests/cli
[ -x "$C/tspawn" ] && [ -x "$C/tforksrv" ] || hard_error "the test programs are not built in $C"

"$C/tforksrv" -n 0 -t 60 "$tmp/listener.ready" >"$tmp/listener.out" 2>&1 &
peer_pids="$peer_pids $!"
wait_file "$tmp/listener.ready"
P=127.0.0.1:$(cat "$tmp/listener.ready")

# places LOG: the places of the processes that logged, in order.
places() {
	sed -n 's/.*"proc":"\([^"]*\)","event":"start".*/\1/p' "$1" | tr '\n' ' ' | sed 's/ $//'
}

# (treal's options in one word: execle takes a program and 3 or 4 arguments.)
cli_run run --json --log "$tmp/ways.jsonl" --trace -- \
	"$C/tspawn" fork,vfork,vforkp,spawn,spawnp,execle,exec "$C/tspawn" fork "$R/treal" "-NA$P" connect
expect_rc 0 "the ways ran"
expect_eq "fork, vfork, vfork+execvp, posix_spawn, posix_spawnp, execle, then exec in place" \
	"1.1.1 1.2.1 1.3.1 1.4.1 1.5.1 1.6.1 1.7" "$(places "$tmp/ways.jsonl")"
expect_eq "each grandchild connected" 7 "$(grep -c '"event":"trace","op":"connect".*"ret":0' "$tmp/ways.jsonl" || :)"

# The rest runs the system's env under the library, which a musl build's
# library cannot be preloaded into.
if sf_musl; then
	finish
fi

# A place the program sets itself is left as it is.
cli_run run --json --log "$tmp/given.jsonl" --trace -- \
	env SOCKFAULT_TREE=1.9 "$C/tspawn" fork "$R/treal" -N -A "$P" connect
expect_rc 0 "a place given in the environment"
expect_eq "a process started with SOCKFAULT_TREE=1.9 numbers its children from it" "1.9.1" \
	"$(places "$tmp/given.jsonl")"
# A run inside a run (its sockfault command preloaded by the outer one, a
# stale place in the environment) starts a tree of its own.
cli_run run --json --log "$tmp/outer.jsonl" -- env SOCKFAULT_TREE=1.4.4 \
	"$SF_CLI" run --json --log "$tmp/inner.jsonl" --trace -- "$C/tspawn" fork "$R/treal" -N -A "$P" connect
expect_rc 0 "a run inside a run"
expect_eq "the inner run makes its command the root" "1.1" "$(places "$tmp/inner.jsonl")"

# An environment of 300 variables more: the place is still handed on.
# shellcheck disable=SC2046
cli_run run --json --log "$tmp/big.jsonl" --trace -- env $(seq -f 'SF_FILLER_%g=1' 300) \
	"$C/tspawn" vfork,spawn,fork "$R/treal" -N -A "$P" connect
expect_rc 0 "a large environment"
expect_eq "a large environment: vfork, posix_spawn and fork children numbered" "1.1 1.2 1.3" "$(places "$tmp/big.jsonl")"

# A program that clears the environment of the program it starts: nothing
# of ours is added to it.
cli_run run -- env -i env
expect_rc 0 "env -i env"
expect_eq "a cleared environment stays empty" "" "$(cat "$tmp/out")"

finish
