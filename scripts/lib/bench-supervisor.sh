# shellcheck shell=bash
# Sourced by scripts/bench: what the seccomp supervisor costs (sockfault(1),
# THE SUPERVISOR). Needs LIB, CLI, WORK, ROUNDS, CPU, bench_start and stats
# from scripts/bench.
#
#   bench_supervisor     measure (skipped, and said so, without musl-gcc or go)
#   report_supervisor    the markdown section
#
# Measured in rounds, each configuration right after its baseline:
#   - a trapped socket call handed back to the kernel (getsockopt on a socket
#     above the threshold, a rule for another call in force), and one made by
#     the supervisor (a rule on getsockopt that never fires), per call;
#   - a one-byte write to /dev/null, natively and under the same rules;
#   - a Go HTTP client and server on loopback (keep-alive GETs), both
#     natively, both supervised with no rule (nothing trapped), and both
#     supervised with a rule on io that never applies (every data call
#     trapped and handed back).

SV_SKIP=
declare -A SV # SV[name.round]: value; SV[name.base.round]: its baseline

sv_build() {
	command -v musl-gcc >/dev/null 2>&1 || {
		SV_SKIP="musl-gcc is missing (musl-tools)"
		return 1
	}
	command -v go >/dev/null 2>&1 || {
		SV_SKIP="go is missing (golang-go)"
		return 1
	}
	musl-gcc -static -O2 -o "$WORK/tstatic" "$SF_ROOT/tests/reach/tstatic.c" || sf_die "musl-gcc: tstatic"
	mkdir -p "$WORK/gosrc"
	cp "$SF_ROOT/tests/reach/gonet.go" "$WORK/gosrc/"
	(cd "$WORK/gosrc" && env GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 GOCACHE="$WORK/gocache" \
		GOPATH="$WORK/gopath" go build -o "$WORK/gonet" gonet.go) || sf_die "go build gonet.go"
}

# sv_num KEY: the number after "KEY = " in the lines on stdin.
sv_num() {
	sed -n "s/^$1 = \([0-9.]*\).*/\1/p"
}

sv_static() {
	local rules=$1 what=$2 n=$3
	if [[ $rules == none ]]; then
		taskset -c "$CPU" "$WORK/tstatic" "$what" "$n" | sv_num "$what"
	else
		SOCKFAULT_LIBRARY=$LIB SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT=$rules \
			taskset -c "$CPU" "$CLI" run -- "$WORK/tstatic" "$what" "$n" | sv_num "$what"
	fi
}

# sv_http RULES: requests per second of the Go pair (RULES: none, for no
# supervisor at all; '' for the supervisor with no rule).
sv_http() {
	local rules=$1 port pid rate
	local -a pfx=()
	[[ $rules == none ]] || pfx=(env SOCKFAULT_LIBRARY="$LIB" SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT="$rules" "$CLI" run --)
	rm -f "$WORK/http.port"
	"${pfx[@]}" "$WORK/gonet" serve="$WORK/http.port" &
	pid=$!
	for _ in $(seq 100); do
		[[ -s $WORK/http.port ]] && break
		sleep 0.05
	done
	port=$(cat "$WORK/http.port")
	rate=$("${pfx[@]}" "$WORK/gonet" get="http://127.0.0.1:$port/,$SV_REQUESTS" | sv_num get)
	kill "$pid" 2>/dev/null || :
	wait "$pid" 2>/dev/null || :
	echo "$rate"
}

bench_supervisor() {
	sv_build || {
		sf_warn "supervisor: not measured: $SV_SKIP"
		return 0
	}
	SV_REQUESTS=${SF_BENCH_HTTP_REQUESTS:-2000}
	local other='write peer=192.0.2.1:9 => error EIO' own='getsockopt peer=192.0.2.1:9 => error EIO'
	local io='io peer=192.0.2.1:9 => error EIO' r
	sf_say "supervisor: $ROUNDS rounds (trapped calls, /dev/null writes, a Go HTTP pair of $SV_REQUESTS requests)"
	for ((r = 1; r <= ROUNDS; r++)); do
		SV[call.base.$r]=$(sv_static none calls 20000)
		SV[call.$r]=$(sv_static "$other" calls 20000)
		SV[own.$r]=$(sv_static "$own" calls 20000)
		SV[file.base.$r]=$(sv_static none files 200000)
		SV[file.$r]=$(sv_static "$other" files 200000)
		SV[http.base.$r]=$(sv_http none)
		SV[http.none.$r]=$(sv_http '')
		SV[http.io.$r]=$(sv_http "$io")
		# shellcheck disable=SC2154 # scripts/bench's
		printf '  round %d/%d done (%s)\n' "$r" "$ROUNDS" "$(sf_elapsed "$bench_start")"
	done
}

# sv_stats EXPR: min median max over the rounds of an awk expression of
# a (the configuration) and b (the baseline), given NAME and BASE.
sv_stats() {
	local name=$1 base=$2 expr=$3 fmt=$4 r
	for ((r = 1; r <= ROUNDS; r++)); do
		echo "${SV[$name.$r]} ${SV[$base.$r]}"
	done | awk "{ a = \$1; b = \$2; print $expr }" | stats "$fmt"
}

report_supervisor() {
	echo
	echo "## The seccomp supervisor"
	echo
	if [[ -n $SV_SKIP ]]; then
		echo "Not measured: $SV_SKIP."
		return 0
	fi
	echo "Wall clock on CPU $CPU, $ROUNDS rounds, min / median / max (sockfault(1), THE SUPERVISOR)."
	echo
	echo "| measure | value |"
	echo "|---|---|"
	echo "| socket call, native (ns) | $(sv_stats call call.base 'b' %.0f) |"
	echo "| socket call trapped and handed back to the kernel: added us | $(sv_stats call call.base '(a - b) / 1000' %.2f) |"
	echo "| socket call made by the supervisor (a rule applies, never fires): added us | $(sv_stats own call.base '(a - b) / 1000' %.2f) |"
	echo "| write to /dev/null, native (ns) | $(sv_stats file file.base 'b' %.0f) |"
	echo "| write to /dev/null, supervised (ns; not trapped) | $(sv_stats file file.base 'a' %.0f) |"
	echo "| Go HTTP pair, native (requests/s) | $(sv_stats http.base http.base 'a' %.0f) |"
	echo "| Go HTTP pair supervised, no rule (nothing trapped): ratio to native | $(sv_stats http.none http.base 'a / b' %.3f) |"
	echo "| Go HTTP pair supervised, a rule on io that never applies (every data call trapped): ratio | $(sv_stats http.io http.base 'a / b' %.3f) |"
}
