# scripts/lib/common.sh: what every script of scripts/ needs: the packages,
# autoreconf, an out-of-tree configure and build. Sourced, not run:
#
#   . "$(dirname "$0")/lib/common.sh"
#   sf_install_packages            # apt-get only when something is missing
#   sf_build "$SF_BUILD_DIR"       # autoreconf if stale, configure, make -jN
#
# Settings (environment):
#   SF_BUILD_DIR        the build directory (default: build/ at the top of the
#                       repository; a relative path is taken from there)
#   SF_CONFIGURE_FLAGS  configure arguments of that build (default: --enable-werror)
#   SF_JOBS             make -j (default: nproc)
#   SF_CHECK_JOBS       make -j for the test suites (default: SF_JOBS + 1)
#   SF_SKIP_PACKAGES=1  do not look at the installed packages at all
#
# Functions and variables here start with sf_ / SF_; the scripts that source
# this file use set -euo pipefail, and so does everything here.

# The top of the repository (this file is scripts/lib/common.sh).
SF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The Debian packages that building, testing and the scripts need: the one
# list. Extend it here (a script that needs something only for itself can pass
# more names to sf_install_packages instead).
SF_PACKAGES=(
	build-essential   # gcc, make, libc6-dev
	autoconf
	automake
	libtool
	pkg-config
	libcmocka-dev     # the unit tests (without it they are SKIP)
	python3           # integration test helpers
	python3-yaml      # doc/fleet/check.sh parses the Kubernetes recipe
	systemd           # systemd-analyze verify: doc/fleet/check.sh checks the drop-in
	curl              # integration tests with a real client
	valgrind
	clang
	clang-format      # scripts/check-style: the C sources' format (.clang-format)
	libclang-rt-dev   # clang's libFuzzer and sanitizer runtimes (only recommended by clang)
	musl-tools        # musl-gcc: the musl build
	iproute2          # the oracle: network namespaces, veth, tc tbf; ss for tests/cli/ctl-fire.sh
	iptables          # the oracle: firewalls (REJECT, DROP, conntrack) on its router
	conntrack         # the oracle: looking at the router's connection table
	redis-tools       # the oracle: redis-cli as a program under test
	redis-server      # the oracle: its server, in the server's namespace
	golang-go         # Go test programs for the seccomp supervisor (tests/reach)
)

# The Wine stage's packages (scripts/test wine), installed by that stage
# alone, without recommends: about 170 MB to fetch and 1.1 GB on disk, too
# much for every run. wine64 alone is enough (no i386 architecture).
SF_WINE_PACKAGES=(
	wine64                        # /usr/lib/wine/wine64 and wineserver
	gcc-mingw-w64-x86-64-win32    # x86_64-w64-mingw32-gcc: the Winsock client
)

SF_JOBS=${SF_JOBS:-$(nproc 2>/dev/null || echo 2)}
# The tests wait on their peers, clocks and children more than they compute:
# one more than the CPUs keeps the CPUs busy (make check: 1m38s at -j3 here,
# against about 2m at -j2). Two more was faster still on a 2-core machine
# (the ASan stage's tests: 4m07 at -j4, 4m45 at -j3), but under that load
# the suite's timing checks failed now and then: not worth 40 s.
SF_CHECK_JOBS=${SF_CHECK_JOBS:-$((SF_JOBS + 1))}
SF_CONFIGURE_FLAGS=${SF_CONFIGURE_FLAGS:---enable-werror}
SF_BUILD_DIR=${SF_BUILD_DIR:-build}
case $SF_BUILD_DIR in
	/*) ;;
	*) SF_BUILD_DIR=$SF_ROOT/$SF_BUILD_DIR ;;
esac

if [[ -t 1 ]]; then
	sf_bold=$'\e[1m' sf_red=$'\e[31m' sf_green=$'\e[32m' sf_off=$'\e[0m'
else
	sf_bold='' sf_red='' sf_green='' sf_off=''
fi

# Messages: sf_say for progress, sf_warn for trouble, sf_die to give up.
sf_say() { printf '%s==> %s%s\n' "$sf_bold" "$*" "$sf_off"; }
sf_warn() { printf '%swarning:%s %s\n' "$sf_red" "$sf_off" "$*" >&2; }
sf_die() {
	printf '%serror:%s %s\n' "$sf_red" "$sf_off" "$*" >&2
	exit 1
}

# Print the packages of the arguments that are not installed.
sf_missing_packages() {
	local p status
	for p in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[[ $status == installed ]] || printf '%s\n' "$p"
	done
}

sf_apt_updated=0

# Install SF_PACKAGES and the packages given as arguments, if any is missing.
# Nothing touches apt when all are there (the common case); apt-get update
# runs at most once per script.
sf_install_packages() {
	[[ ${SF_SKIP_PACKAGES:-0} == 1 ]] && return 0
	local wanted=("${SF_PACKAGES[@]}" "$@") missing
	if ! command -v dpkg-query >/dev/null 2>&1; then
		sf_warn "not a Debian system: make sure these (or their equivalents) are installed: ${wanted[*]}"
		return 0
	fi
	mapfile -t missing < <(sf_missing_packages "${wanted[@]}")
	((${#missing[@]} == 0)) && return 0
	if ((EUID != 0)); then
		sf_die "missing packages: ${missing[*]}
  install them as root, then run this again:
    sudo apt-get update && sudo apt-get install -y ${missing[*]}
  (or set SF_SKIP_PACKAGES=1 to build with what is there)"
	fi
	sf_say "installing ${missing[*]}"
	if ((sf_apt_updated == 0)); then
		apt-get update
		sf_apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
	mapfile -t missing < <(sf_missing_packages "${missing[@]}")
	((${#missing[@]} == 0)) || sf_die "still not installed after apt-get: ${missing[*]}"
}

# Hold an exclusive lock on PATH (a file or directory) for the rest of the
# calling shell, so that two scripts do not regenerate or build the same
# thing at once. Without flock(1) there is no lock.
sf_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	local fd
	exec {fd}<"$1"
	if ! flock -n "$fd"; then
		sf_say "waiting for another script working on $1"
		flock "$fd"
	fi
}

# True when configure is missing or older than one of its inputs
# (configure.ac, Makefile.am, the *.inc files that Makefile.am includes).
sf_autoreconf_needed() {
	[[ -x $SF_ROOT/configure && -f $SF_ROOT/Makefile.in && -f $SF_ROOT/build-aux/tap-driver.sh ]] || return 0
	[[ $SF_ROOT/configure.ac -nt $SF_ROOT/configure || $SF_ROOT/Makefile.am -nt $SF_ROOT/Makefile.in ]] && return 0
	local newer
	newer=$(cd "$SF_ROOT" && find . \( -name .git -o -name 'build*' -o -name 'sockfault-*' \) -prune \
		-o -name '*.inc' -newer Makefile.in -print -quit)
	[[ -n $newer ]]
}

# Run autoreconf -fi in the source tree when configure is missing or stale.
sf_autoreconf() {
	if ! sf_autoreconf_needed; then
		return 0
	fi
	(
		sf_lock "$SF_ROOT/configure.ac"
		sf_autoreconf_needed || exit 0 # another script did it meanwhile
		sf_say "autoreconf -fi (in $SF_ROOT)"
		cd "$SF_ROOT" && autoreconf -fi
	)
}

# sf_configure DIR [ARG...]: configure the source tree into DIR (out of
# tree) with the arguments, unless DIR is already configured with exactly
# those (and the same CC/CFLAGS). A later change of configure itself is
# picked up by make (config.status --recheck).
sf_configure() {
	local dir=$1
	shift
	local want stamp=$dir/.sf-configure-args
	want=$(printf '%q ' "$@" "CC=${CC-}" "CFLAGS=${CFLAGS-}" "LDFLAGS=${LDFLAGS-}")
	if [[ -f $dir/config.status && -f $dir/Makefile && -f $stamp && $(<"$stamp") == "$want" ]]; then
		return 0
	fi
	[[ $dir != "$SF_ROOT" && -f $SF_ROOT/config.status ]] &&
		sf_die "$SF_ROOT is configured in the source tree, which breaks out-of-tree builds: run 'make distclean' there"
	sf_say "configure $* (in $dir)"
	mkdir -p "$dir"
	rm -f "$stamp"
	(cd "$dir" && "$SF_ROOT/configure" "$@") >"$dir/configure.out" 2>&1 || {
		tail -n 40 "$dir/configure.out" >&2
		sf_die "configure failed (all of it: $dir/configure.out, $dir/config.log)"
	}
	tail -n 8 "$dir/configure.out"
	printf '%s' "$want" >"$stamp"
}

# sf_make DIR [TARGET|VAR=VALUE...]: make -jN in DIR.
sf_make() {
	local dir=$1
	shift
	make -C "$dir" -j"$SF_JOBS" --no-print-directory "$@"
}

# sf_check DIR [TARGET|VAR=VALUE...]: sf_make with SF_CHECK_JOBS, for the
# targets that run test suites (check, distcheck).
sf_check() {
	SF_JOBS=$SF_CHECK_JOBS sf_make "$@"
}

# sf_tests_but DIR PATTERN: the tests of make check in DIR (its TESTS), but
# those whose name matches the extended regular expression PATTERN.
sf_tests_but() {
	make -C "$1" -s --no-print-directory -f Makefile -f <(printf 'sf-print-tests:\n\t@echo $(TESTS)\n') \
		sf-print-tests | tr ' ' '\n' | grep -Ev "$2" | grep . | tr '\n' ' '
}

# sf_build [DIR [CONFIGURE_ARG...]]: everything from a bare checkout to
# built binaries: autoreconf when needed, configure when needed, make.
# Without arguments: SF_BUILD_DIR with SF_CONFIGURE_FLAGS; with a DIR, exactly
# the arguments given. Other builds (sanitizers, musl) pass their own
# directory and arguments, e.g.
#   CC=musl-gcc sf_build "$SF_ROOT/build-musl" --enable-werror
sf_build() {
	local dir=${1:-$SF_BUILD_DIR}
	local args
	if (($# > 0)); then
		args=("${@:2}")
	else
		read -r -a args <<<"$SF_CONFIGURE_FLAGS"
	fi
	sf_autoreconf
	mkdir -p "$dir"
	(
		sf_lock "$dir"
		sf_configure "$dir" "${args[@]}"
		sf_say "make -j$SF_JOBS (in $dir)"
		sf_make "$dir"
	)
}

# sf_elapsed START: the time since START (an $EPOCHREALTIME) as "1m02.3s".
sf_elapsed() {
	local us=$((${EPOCHREALTIME/./} - ${1/./}))
	local ds=$((us / 100000)) # tenths of a second
	if ((ds >= 600)); then
		printf '%dm%02d.%ds' $((ds / 600)) $((ds % 600 / 10)) $((ds % 10))
	else
		printf '%d.%ds' $((ds / 10)) $((ds % 10))
	fi
}

# --- The build variants: sanitizers, valgrind, musl ---

# sf_sanitizer_env DIR: the sanitizers' settings for the tests of the build
# in DIR, exported. Every report fails: the runtime exits with status 86
# (TSan: 66) at the first one, so the test that ran the program fails, and
# every report is also written to a file of its own, DIR/sanitizer-logs/
# KIND.PID (log_path), so that sf_sanitizer_reports fails the stage even
# when a test did not look at that program's exit status or stderr (a peer,
# a child process). TSan's die_after_fork=0: the library starts its helper
# threads (timers, reload) in a child forked by a threaded program, as it
# must, and TSan would rather give up there; with 0 it goes on checking.
# Options the caller already has in ASAN_OPTIONS,
# UBSAN_OPTIONS or TSAN_OPTIONS come last and win.
sf_sanitizer_env() {
	local logs=$1/sanitizer-logs
	rm -rf "$logs"
	mkdir -p "$logs"
	export ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:log_path=$logs/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:die_after_fork=0:log_path=$logs/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
}

# sf_sanitizer_expected FILE: true when the report in FILE is the sanitizer
# runtime's own interceptor (accept, getpeername ...) crashing on a bad
# pointer that a differential test hands to libc on purpose (hdiff's c_*
# cases, tclient's baseline): it crashes the same way without the library,
# which is what those tests compare, so it says nothing about sockfault.
sf_sanitizer_expected() {
	grep -q 'ERROR: AddressSanitizer: SEGV' "$1" &&
		grep -m1 -E '^ +#0 ' "$1" | grep -q ' in __interceptor_' &&
		grep -m1 -E '^ +#1 ' "$1" |
		grep -q -E ' in (c_[a-z0-9_]+ .*/tests/robust/hdiff\.c|cmd_baseline .*/tests/lib/tclient\.c):'
}

# sf_sanitizer_reports DIR: print the reports written under DIR/sanitizer-logs
# (the start of each) and fail if there is any, but the expected ones
# (sf_sanitizer_expected), which are only counted.
sf_sanitizer_reports() {
	local logs=$1/sanitizer-logs f expected=0
	local reports=() all=()
	mapfile -t all < <(find "$logs" -type f 2>/dev/null | sort)
	for f in "${all[@]}"; do
		if sf_sanitizer_expected "$f"; then
			expected=$((expected + 1))
		else
			reports+=("$f")
		fi
	done
	((expected == 0)) ||
		echo "$expected report(s) of a sanitizer interceptor on a differential test's bad pointer, as without the library: not counted"
	if ((${#reports[@]} == 0)); then
		echo "no sanitizer report"
		return 0
	fi
	for f in "${reports[@]}"; do
		printf '%s--- %s%s\n' "$sf_bold" "${f#"$SF_ROOT"/}" "$sf_off"
		head -n 80 "$f"
	done >&2
	sf_warn "${#reports[@]} sanitizer report(s), in ${logs#"$SF_ROOT"/}/"
	return 1
}

# sf_musl_headers DIR: musl-gcc (Debian's musl-tools) searches only musl's
# own headers, without the kernel's (linux/, asm/, asm-generic/), which
# the library includes; DIR gets links to exactly those, for -isystem DIR
# (never /usr/include itself: glibc's headers would mix in), and an empty
# pkgconfig/ for PKG_CONFIG_LIBDIR (glibc's cmocka must not be found).
sf_musl_headers() {
	local dir=$1 multiarch d
	multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
	mkdir -p "$dir/pkgconfig"
	for d in linux asm-generic; do
		[[ -d /usr/include/$d ]] || sf_die "/usr/include/$d is missing (install linux-libc-dev)"
		ln -sfn "/usr/include/$d" "$dir/$d"
	done
	if [[ -d /usr/include/$multiarch/asm ]]; then
		ln -sfn "/usr/include/$multiarch/asm" "$dir/asm"
	elif [[ -d /usr/include/asm ]]; then
		ln -sfn /usr/include/asm "$dir/asm"
	else
		sf_die "no kernel asm/ headers under /usr/include (install linux-libc-dev)"
	fi
}
