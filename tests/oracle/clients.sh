#!/bin/sh
# Third-party programs against a real fault and against sockfault's rule:
# a python3 asyncio client (tests/oracle/oasync.py, its server run in the
# server's namespace, never preloaded) and curl.
# - The server closes after the first message: the event loop sees b'' at
#   once (within 100 ms), the next writes fail (ConnectionResetError).
#   sockfault: `rx idle>20ms => hangup` (the peer's full close, at its
#   time, while the loop waits), the server staying open.
# - 100 ms each way (olink), 3 connections of 5 round trips each in one
#   event loop: about 1.2 s in all (1.1-1.7 s), the loop never late by
#   more than 400 ms (a loaded machine's own lag), both.
#   sockfault: `connect => delay 200ms`, `tx`/`rx => delay 100ms`.
# - curl refused (exit 7) and curl whose SYN is dropped (--connect-timeout
#   1: exit 28 after 1 s, within 900-1500 ms): the same exit status and
#   message, the times within the same bounds.
# - redis-cli refused (nothing listens; sockfault: the rule, a real
#   redis-server listening): the same message and exit status, and the
#   server never counts a connection.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"

py=$(sf_python)
curl=${SF_CURL:-}
[ -z "$py" ] || foreign_ok "$py" -c pass || py=
[ -z "$curl" ] || foreign_ok "$curl" --version || curl=
redis=$(command -v redis-cli || :)
redis_server=$(command -v redis-server || :)
[ -n "$redis_server" ] || redis=
[ -z "$redis" ] || foreign_ok "$redis" --version || redis=
# A musl build's library cannot be loaded into the system's programs.
if sf_musl; then
	redis=
fi
[ -n "$py" ] || [ -n "$curl" ] || [ -n "$redis" ] || skip "neither python3, curl nor redis-cli can run here"
rig_up
A=$SF_SRCDIR/tests/oracle/oasync.py
asan="ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"

# server ADDR MODE: oasync.py's server in the server's namespace; sets
# srv_port and srv_pid.
srv_n=0
server() {
	srv_n=$((srv_n + 1))
	ip netns exec "$OR_S" "$py" "$A" server "$1" 0 "$2" >"$tmp/srv.$srv_n" 2>&1 &
	srv_pid=$!
	_i=0
	until grep -q '^port' "$tmp/srv.$srv_n" 2>/dev/null; do
		_i=$((_i + 1))
		if [ "$_i" -gt 200 ] || ! kill -0 "$srv_pid" 2>/dev/null; then
			hard_error "the asyncio server did not start: $(cat "$tmp/srv.$srv_n")"
		fi
		sleep 0.05
	done
	srv_port=$(sed -n 's/^port //p' "$tmp/srv.$srv_n")
}

server_stop() {
	kill "$srv_pid" 2>/dev/null || :
	wait "$srv_pid" 2>/dev/null || :
}

# client real|fake NAME [VAR=VALUE...] PROGRAM...: in the client namespace;
# stdout and stderr together in $tmp/NAME.KIND, the exit status in rc.
client() {
	_k=$1
	_n=$2
	shift 2
	echo "+ $_k $_n: $*"
	set +e
	# shellcheck disable=SC2086 # tmo is words
	$tmo ip netns exec "$OR_C" env "$@" >"$tmp/$_n.$_k" 2>&1
	rc=$?
	set -e
	sed 's/^/  out| /' "$tmp/$_n.$_k"
	echo "  rc=$rc"
}

fake_env() {
	echo "LD_PRELOAD=$(sf_preload)"
}

if [ -n "$py" ]; then
	server "$OR_SERVER" close
	client real c "$py" "$A" close "$OR_SERVER" "$srv_port"
	server_stop
	server "$OR_SERVER" hold
	client fake c "$(fake_env)" "$asan" SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT='rx idle>20ms => hangup' \
		"$py" "$A" close "$OR_SERVER" "$srv_port"
	server_stop
	agree c "asyncio: the server closed; the loop sees b'' at once, the next writes fail" <<'EOF2'
connected
read = b'' ms~0
write = ConnectionResetError
EOF2

	link_up 100
	server "$OR_LINK_SERVER" echo
	client real r "$py" "$A" rounds "$OR_LINK_SERVER" "$srv_port" 3 5
	server_stop
	link_down
	server "$OR_SERVER" echo
	client fake r "$(fake_env)" "$asan" SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT='connect => delay 200ms
tx => delay 100ms
rx => delay 100ms' "$py" "$A" rounds "$OR_SERVER" "$srv_port" 3 5
	server_stop
	for k in real fake; do
		sed -n 's/^rounds = \([0-9]*\) total_ms=\([0-9]*\) lag_ms=\([0-9]*\)$/\1 \2 \3/p' "$tmp/r.$k" >"$tmp/r.$k.n"
	done
	read -r n total lag <"$tmp/r.real.n" || :
	expect_eq "real: 15 round trips" 15 "$n"
	expect_between "real: 3 x 5 round trips of 200 ms at once (ms)" 1100 1700 "$total"
	# (The real loop's own lag carries the machine's load: a generous bound.)
	expect_between "real: the event loop is never late (ms)" 0 400 "$lag"
	read -r n ftotal flag <"$tmp/r.fake.n" || :
	expect_eq "sockfault: 15 round trips" 15 "$n"
	# The same bounds: the delays hold back the data, never the loop.
	expect_between "sockfault: 3 x 5 round trips of 200 ms at once (ms)" 1100 1700 "$ftotal"
	expect_between "sockfault: the event loop is never late (ms)" 0 400 "$flag"
	echo "measured: asyncio 3 x 5 round trips: real ${total} ms (loop lag ${lag} ms), sockfault ${ftotal} ms (loop lag ${flag} ms)"
fi

if [ -n "$curl" ] && ! command -v iptables >/dev/null 2>&1; then
	echo "no iptables: the curl cases are left out"
	curl=
fi
if [ -n "$curl" ]; then
	url="http://$OR_SERVER:9/"
	client real u "$curl" -sS -o /dev/null --connect-timeout 1 "$url"
	echo "exit $rc" >>"$tmp/u.real"
	client fake u "$(fake_env)" "$asan" SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT='connect => error ECONNREFUSED' \
		"$curl" -sS -o /dev/null --connect-timeout 1 "$url"
	echo "exit $rc" >>"$tmp/u.fake"
	agree u "curl refused: exit 7, Couldn't connect" <<'EOF2'
curl: (7) Failed to connect to * port 9 after * ms: Couldn't connect to server
exit 7
EOF2
	in_router iptables -A FORWARD -p tcp --syn -j DROP
	client real t "$curl" -sS -o /dev/null --connect-timeout 1 "$url"
	echo "exit $rc" >>"$tmp/t.real"
	fw_clear
	client fake t "$(fake_env)" "$asan" SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT='connect => blackhole' \
		"$curl" -sS -o /dev/null --connect-timeout 1 "$url"
	echo "exit $rc" >>"$tmp/t.fake"
	agree t "curl, the SYN dropped: its connect timeout, exit 28" <<'EOF2'
curl: (28) Failed to connect to * port 9 after * ms: Timeout was reached
exit 28
EOF2
	for k in real fake; do
		expect_between "$k: curl refused after (ms)" 0 300 "$(sed -n 's/.* after \([0-9]*\) ms.*/\1/p' "$tmp/u.$k")"
		expect_between "$k: curl gave up after (ms)" 900 1500 "$(sed -n 's/.* after \([0-9]*\) ms.*/\1/p' "$tmp/t.$k")"
	done
fi

if [ -n "$redis" ]; then
	ip netns exec "$OR_S" "$redis_server" --bind "$OR_SERVER" --port 6379 --save '' --appendonly no \
		--protected-mode no --daemonize no >"$tmp/redis.out" 2>&1 &
	redis_pid=$!
	_i=0
	until ip netns exec "$OR_C" "$redis" -h "$OR_SERVER" -p 6379 ping 2>/dev/null | grep -q PONG; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || hard_error "redis-server did not start: $(cat "$tmp/redis.out")"
		sleep 0.1
	done
	conns() {
		ip netns exec "$OR_C" "$redis" -h "$OR_SERVER" -p 6379 info stats |
			sed -n 's/^total_connections_received:\([0-9]*\).*/\1/p'
	}
	client real k "$redis" -h "$OR_SERVER" -p 9 ping
	echo "exit $rc" >>"$tmp/k.real"
	before=$(conns)
	client fake k "$(fake_env)" "$asan" SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT='connect => error ECONNREFUSED' \
		"$redis" -h "$OR_SERVER" -p 6379 ping
	echo "exit $rc" >>"$tmp/k.fake"
	after=$(conns)
	agree k "redis-cli refused: the same message, exit 1" <<'EOF2'
Could not connect to Redis at *: Connection refused
exit 1
EOF2
	# One more: the count's own connection.
	expect_eq "sockfault: the server never saw the refused client" "$((before + 1))" "$after"
	kill "$redis_pid" 2>/dev/null || :
	wait "$redis_pid" 2>/dev/null || :
fi

finish
