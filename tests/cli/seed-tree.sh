#!/bin/sh
# Seeded decisions across a process tree (sockfault-rules(5), "Process
# trees"). A shell loop starts 30 clients: under a fixed seed, p=0.3 refuses
# some of them, not none or all, and the same ones in a second run. A
# forking server (one child per connection) under an rx rule with p=0.3
# resets the same connections in two runs, although each run's clients
# come from other ports. Replaying a run's log under another seed gives
# its faults again, process by process.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

C=$SF_BUILDDIR/tests/cli
[ -x "$C/tforksrv" ] || hard_error "tforksrv is not built in $C"

# listening PID READY: wait (at most 10 s) until the server PID has written
# its port to READY; false if it ended first (its port was taken).
listening() {
	_w=0
	while kill -0 "$1" 2>/dev/null && [ ! -s "$2" ] && [ "$_w" -lt 200 ]; do
		_w=$((_w + 1))
		sleep 0.05
	done
	[ -s "$2" ]
}

# --- a shell loop of clients ---
# The draws key on the peer, port included: the listener (tforksrv, not
# preloaded, answering each client) takes the first free port of a fixed
# few, so that the count below is the same in every run of the test.
for port in 29431 29432 29433 29434 29435 29436; do
	rm -f "$tmp/listener.ready"
	"$C/tforksrv" -p "$port" -n 0 -t 120 "$tmp/listener.ready" >"$tmp/listener.out" 2>&1 &
	lpid=$!
	listening "$lpid" "$tmp/listener.ready" && break
done
[ -s "$tmp/listener.ready" ] || skip "ports 29431 to 29436 are all in use"
peer_pids="$peer_pids $lpid"
P=127.0.0.1:$(cat "$tmp/listener.ready")

# loop_run NAME [ARG...]: the loop under sockfault run; one line per client
# in $tmp/NAME.lines ("N: OUTCOME"), the faults in $tmp/NAME.faults. A musl
# build's library cannot be preloaded into the system's sh: there a musl
# program starts the 30 clients, by vfork as dash does.
vforks=$(printf 'vfork,%.0s' $(seq 29))vfork
loop_run() {
	_name=$1
	shift
	if sf_musl; then
		cli_run run --json --log "$tmp/$_name.jsonl" "$@" \
			-e "connect peer=$P p=0.3 => error ECONNREFUSED" -- \
			"$C/tspawn" "$vforks" "$R/treal" -N -A "$P" connect
	else
		cli_run run --json --log "$tmp/$_name.jsonl" "$@" \
			-e "connect peer=$P p=0.3 => error ECONNREFUSED" -- \
			sh -c "for i in \$(seq 30); do \"$R/treal\" -N -A $P connect; done"
	fi
	expect_rc 0 "$_name: the loop ran"
	awk '/^connect = /{sub(/^connect = /, ""); print ++n ": " $0}' "$tmp/out" >"$tmp/$_name.lines"
	expect_eq "$_name: 30 clients" 30 "$(wc -l <"$tmp/$_name.lines" | tr -d ' ')"
	faults_of "$tmp/$_name.jsonl" >"$tmp/$_name.faults"
}

loop_run a --seed 42
refused=$(grep -c ECONNREFUSED "$tmp/a.lines" || :)
expect_ge "seed 42, p=0.3: some clients refused" 4 "$refused"
expect_le "seed 42, p=0.3: not all of them" 15 "$refused"
loop_run b --seed 42
expect_eq "seed 42 again: the same clients refused" "$(cat "$tmp/a.lines")" "$(cat "$tmp/b.lines")"
# Each fault names its process, and the processes differ.
procs=$(sed -n 's/.*"proc":"\([^"]*\)","event":"fault".*/\1/p' "$tmp/a.jsonl" | sort -u | wc -l | tr -d ' ')
expect_eq "each refusal in a process of its own" "$refused" "$procs"
expect_eq "every event names its process" "$(grep -c '"event"' "$tmp/a.jsonl")" "$(grep -c '"proc":"1[.0-9]*"' "$tmp/a.jsonl")"
loop_run c --seed 43
expect_ne "another seed: other clients" "$(cat "$tmp/a.lines")" "$(cat "$tmp/c.lines")"

# Replay under another seed: the recorded refusals, client by client.
loop_run r --seed 7 --replay "$tmp/a.jsonl"
expect_eq "replay of the loop: the same clients refused" "$(cat "$tmp/a.lines")" "$(cat "$tmp/r.lines")"

# sockfault report groups the faults by process.
cli_run report "$tmp/a.jsonl"
expect_rc 0 "report ran"
first=$(sed -n 's/.*"proc":"\([^"]*\)","event":"fault".*/\1/p' "$tmp/a.jsonl" | head -n 1)
expect_out "conn 1 +proc $first +text-1 x1\$" "report: a line for process $first"

# --- a forking server ---
# srv_run NAME [ARG...]: tforksrv under sockfault run on a fixed port (its
# listening address is part of the draws' key), 16 clients (not preloaded) one after another; the server's
# lines in $tmp/NAME.lines.
srv_ports="29441 29442 29443 29444 29445 29446"
srv_run() {
	_name=$1
	shift
	_asan=$(sf_asan_preload)
	for _port in $srv_ports; do
		rm -f "$tmp/$_name.ready"
		$tmo env ${_asan:+LD_PRELOAD="$_asan"} "$SF_CLI" run --json --log "$tmp/$_name.jsonl" "$@" \
			-e 'rx side=server p=0.3 => reset' -- \
			"$C/tforksrv" -p "$_port" -n 16 "$tmp/$_name.ready" >"$tmp/$_name.srv" 2>&1 &
		_spid=$!
		listening "$_spid" "$tmp/$_name.ready" && break
	done
	[ -s "$tmp/$_name.ready" ] || skip "ports $srv_ports are all in use"
	srv_port=$(cat "$tmp/$_name.ready")
	srv_ports=$srv_port
	for _i in $(seq 16); do
		$tmo "$T/tpeer" connect "127.0.0.1:$srv_port" >/dev/null 2>&1 || :
	done
	set +e
	wait "$_spid"
	_rc=$?
	set -e
	cat "$tmp/$_name.srv"
	expect_eq "$_name: the server ran" 0 "$_rc"
	grep '^conn ' "$tmp/$_name.srv" >"$tmp/$_name.lines" || :
	expect_eq "$_name: 16 connections" 16 "$(wc -l <"$tmp/$_name.lines" | tr -d ' ')"
}

srv_run s1 --seed 42
resets=$(grep -c ECONNRESET "$tmp/s1.lines" || :)
expect_ge "forking server, p=0.3: some connections reset" 1 "$resets"
expect_le "forking server, p=0.3: not all of them" 12 "$resets"
srv_run s2 --seed 42
expect_eq "forking server, seed 42 again: the same connections reset" "$(cat "$tmp/s1.lines")" "$(cat "$tmp/s2.lines")"
srv_run s3 --seed 7 --replay "$tmp/s1.jsonl"
expect_eq "replay of the forking server: the same connections reset" "$(cat "$tmp/s1.lines")" "$(cat "$tmp/s3.lines")"
srv_run s4 --seed 7
expect_ne "contrast: seed 7 without replay resets others" "$(cat "$tmp/s1.lines")" "$(cat "$tmp/s4.lines")"

finish
