# shellcheck shell=bash
# Sourced by scripts/bench: the rows the library's speed is held to (the
# README's performance section), measured with callgrind, and the table of
# every target with its verdict. Needs LIB, BENCH, WORK, RULES_DIR, CALLS,
# IR, callgrind_run, worst_delta and delta from scripts/bench.
#
#   bench_target_rows    the callgrind rows the main table does not have
#   report_targets       the markdown table: row, measured, target, ok/over;
#                        sets TARGETS_OVER to the number of rows over target
#
# Each row is one rule that applies to the measured call and never fires, so
# that the row is the price of deciding, not of a fault. The rules are those
# people write for the field stories (idle>, p=, sent>), each kind alone.

# TROW_LOOP[id]: the sfbench loop; TROW_RULE[id]: its one rule;
# TROW_TITLE[id]: the row's name in the table.
TROW_IDS=(when p idle age sent received shaping peer host)
declare -A TROW_LOOP=([when]=unix-send [p]=unix-send [idle]=unix-send [age]=unix-send [sent]=unix-send
	[received]=unix-send [shaping]=unix-send [peer]=udp-sendto [host]=udp-sendto)
declare -A TROW_RULE=(
	[when]="send proto=unix when=1000000 => error EAGAIN"
	[p]="send proto=unix p=0.000001 => error EAGAIN"
	[idle]="send proto=unix idle>1h => error EAGAIN"
	[age]="send proto=unix age>1h => error EAGAIN"
	[sent]="send proto=unix sent>1TiB => error EAGAIN"
	[received]="send proto=unix received>1TiB => error EAGAIN"
	[shaping]="send proto=unix idle>1h => delay 1us"
	# The sink's address, and the name sfbench resolved it from.
	[peer]="sendto peer=127.0.0.1 when=1000000 => error EAGAIN"
	[host]="sendto host=localhost when=1000000 => error EAGAIN"
)
# The ping-pong's rule, on both ends: every data call applies, none fires.
TROW_PINGPONG_RULE="io idle>1h => error ECONNRESET"
TROW_PINGPONG_TRIPS=2000
# The rows measured again in a program with a thread of its own
# (SFBENCH_THREADED=1, with and without the library): there the library's
# timer keeps idle> and age>, and their calls read no clock.
TROW_THREADED=(idle age shaping)

declare -A TIR # TIR[id]: extra instructions per call (or per round trip)

# The client's instructions per round trip of the TCP ping-pong (send/recv):
# both ends under PREFIX, callgrind on both (fork), only the client's
# sfb_measure_trips counted.
callgrind_trips() {
	local tag=$1 total
	shift
	rm -f "$WORK/cg.trips.$tag".*
	"$@" valgrind --tool=callgrind --toggle-collect='sfb_measure*' \
		--callgrind-out-file="$WORK/cg.trips.$tag.%p" "$BENCH" pingpong send -n "$TROW_PINGPONG_TRIPS" \
		>/dev/null 2>"$WORK/cg.err" || {
		cat "$WORK/cg.err" >&2
		sf_die "callgrind run failed: ping-pong ($tag)"
	}
	# The echo child's file counts nothing; add them all the same.
	total=$(awk '$1 == "totals:" { t += $2 } END { print t + 0 }' "$WORK/cg.trips.$tag".*)
	((total > 0)) || sf_die "callgrind counted nothing in the ping-pong ($tag)"
	awk -v t="$total" -v n="$TROW_PINGPONG_TRIPS" 'BEGIN { printf "%.1f\n", t / n }'
}

bench_target_rows() {
	local id loop f base pp
	sf_say "callgrind: ${#TROW_IDS[@]} rules of each kind, and a ping-pong round trip"
	for id in "${TROW_IDS[@]}"; do
		loop=${TROW_LOOP[$id]}
		f=$RULES_DIR/$loop.row-$id.rules
		echo "${TROW_RULE[$id]}" >"$f"
		"$CLI" check "$f" >/dev/null || sf_die "sockfault check refused $f"
		TIR[$id]=$(delta "$(callgrind_run "row-$id" "$loop" "$CALLS")" "${IR[$loop.base]}")
		printf '  %-9s %-10s %s\n' "$id" "$loop" "${TIR[$id]}"
	done
	f=$RULES_DIR/pingpong.row-idle.rules
	echo "$TROW_PINGPONG_RULE" >"$f"
	"$CLI" check "$f" >/dev/null || sf_die "sockfault check refused $f"
	base=$(callgrind_trips base env)
	pp=$(callgrind_trips idle env LD_PRELOAD="$LIB" SOCKFAULT_SEED=1 SOCKFAULT_LOG=off SOCKFAULT_RULES="$f")
	TIR[pingpong]=$(delta "$pp" "$base")
	printf '  %-9s %-10s %s per round trip (%s without the library)\n' pingpong send/recv "${TIR[pingpong]}" "$base"
	base=$(callgrind_trips tbase env SFBENCH_THREADED=1)
	pp=$(callgrind_trips tidle env SFBENCH_THREADED=1 LD_PRELOAD="$LIB" SOCKFAULT_SEED=1 SOCKFAULT_LOG=off \
		SOCKFAULT_RULES="$f")
	TIR[pingpong.threaded]=$(delta "$pp" "$base")
	printf '  %-9s %-10s %s per round trip, threaded (%s without the library)\n' pingpong send/recv \
		"${TIR[pingpong.threaded]}" "$base"
	base=$(SFBENCH_THREADED=1 callgrind_run tbase unix-send "$CALLS")
	for id in "${TROW_THREADED[@]}"; do
		TIR[$id.threaded]=$(delta "$(SFBENCH_THREADED=1 callgrind_run "row-$id" unix-send "$CALLS")" "$base")
		printf '  %-9s %-10s %s, threaded\n' "$id" unix-send "${TIR[$id.threaded]}"
	done
}

# target_verdict VALUE TARGET: "ok" or "over" (TARGET: an operator and a
# number, "<=120", "<30", ">=0.6"), "-" when there is no target or no value.
target_verdict() {
	[[ -n $2 && $2 != - && -n $1 && $1 != - ]] || {
		echo -
		return 0
	}
	awk -v v="$1" -v t="$2" 'BEGIN {
		v += 0; op = t; sub(/[0-9.+-]+$/, "", op); l = substr(t, length(op) + 1) + 0
		ok = op == "<=" ? v <= l : op == "<" ? v < l : op == ">=" ? v >= l : v > l
		print ok ? "ok" : "over" }'
}

TARGETS_OVER=0
# target_row TITLE VALUE TARGET: one line of the table (TARGET "-": none).
target_row() {
	local v
	v=$(target_verdict "$2" "$3")
	[[ $v != over ]] || TARGETS_OVER=$((TARGETS_OVER + 1))
	printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$v"
}

report_targets() {
	local w name id
	echo "### Targets"
	echo
	echo "Instructions: extra user-space instructions per call over no preload (callgrind). A row over its"
	echo "target is reported here; \`scripts/bench --strict\` exits with status 1 when one is. Wall-clock ratios"
	echo "carry the machine's noise and have no target."
	echo
	echo "| row | measured | target | verdict |"
	echo "| --- | ---: | ---: | --- |"
	read -r w name < <(worst_delta empty all)
	target_row "no rules (the worst of the four loops: $name)" "$w" "<=9"
	for id in "${TROW_IDS[@]}"; do
		target_row "1 rule that applies, never fires: \`${TROW_RULE[$id]}\` (${TROW_LOOP[$id]})" "${TIR[$id]}" "<=120"
	done
	for id in "${TROW_THREADED[@]}"; do
		target_row "the same, \`${TROW_RULE[$id]}\`, in a program with a thread of its own (${TROW_LOOP[$id]})" \
			"${TIR[$id.threaded]}" "<=120"
	done
	target_row "unconnected UDP \`sendto\`, 1000 rules for other destinations" \
		"$(delta "${IR[udp-sendto.peers]}" "${IR[udp-sendto.base]}")" "<=60"
	target_row "connected socket (unix \`send\`), 1000 rules for other peers" \
		"$(delta "${IR[unix-send.peers]}" "${IR[unix-send.base]}")" "<30"
	target_row "TCP ping-pong, the client's \`send\` + \`recv\` of a round trip, \`$TROW_PINGPONG_RULE\` on both ends" \
		"${TIR[pingpong]}" "<=240"
	target_row "the same ping-pong, both ends with a thread of their own" "${TIR[pingpong.threaded]}" "<=240"
	report_wall_targets
	report_memory_targets
	report_supervisor_targets
}

# median KIND NAME CONFIG: the median ratio of value to baseline over the rounds.
median_ratio() {
	local _lo med _hi
	read -r _lo med _hi < <(ratio_stats "$@")
	echo "$med"
}

report_wall_targets() {
	local variant
	for variant in "${PP_VARIANTS[@]}"; do
		target_row "TCP ping-pong (${PP_TITLE[$variant]}), both ends with 100 rules that do not apply: round trips/s, ratio to no preload (median of $PP_ROUNDS)" \
			"$(median_ratio pp "$variant" peers)" -
	done
	target_row "redis-benchmark (SET and GET), both ends with 100 rules that do not apply: requests/s, ratio to no preload (median of $REDIS_ROUNDS)" \
		"$(median_ratio redis redis peers)" -
}

report_memory_targets() {
	local c works=no
	for c in none plan; do
		target_row "bytes of library memory per tracked socket ($([[ $c == none ]] && echo "no rule applies" || echo "a rule applies"))" \
			"${MEM[$c.per]}" "<=256"
	done
	target_row "100 000 rules parsed before main (s)" "${SCALE[start]}" "<1"
	target_row "\`sockfault report\` of 40 000 faults (s)" "${SCALE[report]}" "<2"
	[[ ${MEM[plan.checked]} == yes && ${MEM[none.checked]} == yes ]] && works=yes
	if [[ -z $SOCKETS_LIMIT ]]; then
		target_row "$SOCKETS sockets tracked and working (highest fd ${MEM[plan.fd]})" "$works" -
	else
		target_row "$SOCKETS sockets tracked and working (the hard RLIMIT_NOFILE of $SOCKETS_LIMIT allows no more)" "$works" -
	fi
}

report_supervisor_targets() {
	local _lo med _hi
	if [[ -n $SV_SKIP ]]; then
		target_row "the seccomp supervisor: not measured ($SV_SKIP)" - -
		return 0
	fi
	read -r _lo med _hi < <(sv_stats call call.base '(a - b) / 1000' %.2f)
	target_row "supervisor: a socket call trapped and handed back to the kernel, added us (median of $ROUNDS)" "$med" "<8"
	read -r _lo med _hi < <(sv_stats own call.base '(a - b) / 1000' %.2f)
	target_row "supervisor: a socket call made by the supervisor (a rule applies, never fires), added us" "$med" "<8"
	read -r _lo med _hi < <(sv_stats http.none http.base 'a / b' %.3f)
	target_row "supervisor: Go HTTP client and server, \`sockfault run\` with no rules, requests/s, ratio to native" "$med" ">=0.6"
}
