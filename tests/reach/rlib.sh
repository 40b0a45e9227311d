# Sourced by the reach scripts, after tests/lib/lib.sh: programs run under
# `sockfault run`, which supervises a static or Go program through seccomp.
#
#   reach_need_supervisor   skip (77) unless this kernel lets a process
#                           install a seccomp filter with a listener
#   sf_run [VAR=VALUE...] PROGRAM [ARG...]
#                           PROGRAM under `sockfault run` (the variables set
#                           for it: SOCKFAULT_RULES_TEXT and the like)
#   reach_static_treal      the realism program, linked statically with
#                           musl-gcc, and its peer next to it, in $R (skip
#                           without musl-gcc)

# shellcheck disable=SC2154,SC2034 # tmp, tmo, tmo_probe and rc are lib.sh's
[ -x "${SF_CLI:-}" ] || hard_error "the sockfault program is not built: ${SF_CLI:-}"

reach_need_supervisor() {
	if sf_musl || [ -n "${SF_SANITIZE:-}" ]; then
		skip "the supervisor loads the library into sockfault itself: not in a musl or sanitizer build"
	fi
	echo 'int main(void){return 0;}' >"$tmp/probe.c"
	if ! musl-gcc -static -o "$tmp/probe" "$tmp/probe.c" 2>/dev/null; then
		skip "musl-gcc cannot build a static program here"
	fi
	set +e
	SOCKFAULT_LIBRARY=$SF_LIB SOCKFAULT_RULES_TEXT='connect => error ECONNREFUSED' $tmo_probe "$SF_CLI" run -- \
		"$tmp/probe" >"$tmp/probe.out" 2>&1
	_prc=$?
	set -e
	if grep -q 'cannot supervise' "$tmp/probe.out"; then
		skip "$(cat "$tmp/probe.out")"
	fi
	[ "$_prc" = 0 ] || hard_error "a static program under the supervisor: exit $_prc: $(cat "$tmp/probe.out")"
}

sf_run() {
	echo "+ supervised: $*"
	set +e
	(
		while :; do
			case ${1:-} in
			*=*) export "${1?}"; shift ;;
			*) break ;;
			esac
		done
		exec $tmo env SOCKFAULT_LIBRARY="$SF_LIB" "$SF_CLI" run -- "$@"
	) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	show_output
}

reach_static_treal() {
	R=$tmp/bin
	mkdir -p "$R"
	_s=$SF_SRCDIR/tests
	musl-gcc -static -O1 -D_GNU_SOURCE -I"$_s/lib" -o "$R/treal" \
		"$_s/lib/treal.c" "$_s/lib/rcommon.c" "$_s/lib/tnet.c" -pthread ||
		hard_error "musl-gcc could not build treal"
	# The peer is the build's own (dynamic, started without the library).
	ln -s "$SF_BUILDDIR/tests/lib/rpeer" "$R/rpeer"
}

# reach_gonet: gonet.go built with Debian's Go (no network, the standard
# library only) into $R/gonet, R being $tmp/bin from then on; skip without
# go.
reach_gonet() {
	command -v go >/dev/null 2>&1 || skip "no Go compiler (Debian's golang-go)"
	R=$tmp/bin
	mkdir -p "$R" "$tmp/gosrc"
	cp "$SF_SRCDIR/tests/reach/gonet.go" "$tmp/gosrc/"
	(cd "$tmp/gosrc" && env GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
		GOCACHE="$SF_BUILDDIR/tests/reach/gocache" GOPATH="$tmp/gopath" \
		go build -o "$R/gonet" gonet.go) || hard_error "go build gonet.go failed"
}

# gonet_server NAME RULES STEP...: gonet under the supervisor in the
# background, its port in NAME_port once it listens (listen=FILE is added).
gonet_server() {
	_gn=$1
	_gr=$2
	shift 2
	rm -f "$tmp/$_gn.port"
	(
		[ -z "$_gr" ] || export SOCKFAULT_RULES_TEXT="$_gr"
		exec $tmo env SOCKFAULT_LIBRARY="$SF_LIB" "$SF_CLI" run -- "$R/gonet" listen="$tmp/$_gn.port" "$@"
	) >"$tmp/$_gn.out" 2>&1 &
	eval "${_gn}_pid=$!"
	wait_file "$tmp/$_gn.port"
	eval "${_gn}_port=$(cat "$tmp/$_gn.port")"
}

# reach_tstatic: tstatic.c linked with musl-gcc -static into $R/tstatic, R
# being $tmp/bin from then on.
reach_tstatic() {
	R=$tmp/bin
	mkdir -p "$R"
	musl-gcc -static -O1 -o "$R/tstatic" "$SF_SRCDIR/tests/reach/tstatic.c" ||
		hard_error "musl-gcc could not build tstatic"
}

# reach_supervisor PID: the supervisor of the supervised program PID: in
# its process group, the sockfault process with a sockfault child (its
# watchdog; the contexts of other processes have none).
reach_supervisor() {
	_pg=$(ps -o pgid= -p "$1" | tr -d ' ')
	ps -eo pid=,ppid=,pgid=,comm= | awk -v pg="$_pg" '
		$3 == pg && $4 == "sockfault" { ours[$1] = 1; parent[$1] = $2 }
		END { for (p in ours) if (parent[p] in ours) print parent[p] }' | sort -u
}
