# shellcheck shell=bash
# Sourced by scripts/bench: redis-benchmark against a local redis-server, both
# without the library and both under it with rules that do not apply, run
# alternately in rounds. Needs LIB, WORK, RAW, CPU, RULES_DIR, REDIS_ROUNDS,
# REDIS_REQUESTS, bench_start and sf_* from scripts/bench.
#
#   bench_redis      measure; each round appends "redis redis peers R VALUE
#                    BASELINE" to RAW (requests/s, SET and GET together)
#   redis_stop       stop the servers (scripts/bench calls it on exit too)
#
# Two servers run for the whole measurement, one plain and one under the
# library, each on a free loopback port, with no persistence (no file
# written); a plain redis-benchmark talks to the plain one, a preloaded one to
# the preloaded one. Both are pinned to CPU, as the ping-pong.

REDIS_PIDS=()

redis_stop() {
	local pid
	for pid in "${REDIS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	done
	REDIS_PIDS=()
}

# redis_start NAME PREFIX...: start a server under PREFIX on a free port (a
# few random ones tried: another program may hold one); sets REDIS_PORT.
redis_start() {
	local name=$1 port pid
	shift
	mkdir -p "$WORK/redis"
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		"$@" taskset -c "$CPU" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$WORK/redis" --logfile "$WORK/redis/$name.log" --daemonize no &
		pid=$!
		for _ in $(seq 100); do
			if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
				REDIS_PIDS+=("$pid")
				REDIS_PORT=$port
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
	done
	sf_die "redis-server ($name) did not start on a loopback port (see $WORK/redis/$name.log)"
}

# redis_rate PORT PREFIX...: requests/s of one redis-benchmark run (SET and
# GET, each REDIS_REQUESTS requests: the total over the total time).
redis_rate() {
	local port=$1 out
	shift
	out=$("$@" taskset -c "$CPU" redis-benchmark -h 127.0.0.1 -p "$port" -t set,get -n "$REDIS_REQUESTS" \
		-c 10 --csv 2>&1) || sf_die "redis-benchmark failed: $out"
	awk -F'"' '$2 == "SET" || $2 == "GET" { n++; t += 1 / $4 }
		END { if (n != 2) exit 1; printf "%.0f\n", n / t }' <<<"$out" ||
		sf_die "redis-benchmark: unexpected output: $out"
}

bench_redis() {
	local rules=$RULES_DIR/pingpong.peers.rules r plain under base v
	local -a pfx=(env LD_PRELOAD="$LIB" SOCKFAULT_SEED=1 SOCKFAULT_LOG=off SOCKFAULT_RULES="$rules")
	sf_say "redis-benchmark: $REDIS_ROUNDS rounds of (no preload, both ends preloaded with 100 rules that do not apply), $REDIS_REQUESTS SETs and GETs each"
	redis_start plain env
	plain=$REDIS_PORT
	redis_start preloaded "${pfx[@]}"
	under=$REDIS_PORT
	# Which goes first alternates: a machine that warms up or slows down
	# within a round favours neither.
	for ((r = 1; r <= REDIS_ROUNDS; r++)); do
		if ((r % 2)); then
			base=$(redis_rate "$plain" env)
			v=$(redis_rate "$under" "${pfx[@]}")
		else
			v=$(redis_rate "$under" "${pfx[@]}")
			base=$(redis_rate "$plain" env)
		fi
		echo "redis redis peers $r $v $base" >>"$RAW"
	done
	redis_stop
	# shellcheck disable=SC2154 # scripts/bench's
	printf '  median ratio %s (%s)\n' "$(median_ratio redis redis peers)" "$(sf_elapsed "$bench_start")"
}
