# Sourced by the realism scripts, after tests/lib/lib.sh: running treal
# under a rule and checking its transcript.
#
#   run RULES STEP...       treal under the preload with SOCKFAULT_RULES_TEXT=RULES
#                           ('' for no rules); TREAL_OPTS (-6, -U, -D) and
#                           RUN_ENV (VAR=VALUE ..., for this run only) are
#                           passed on
#   transcript WHAT <<EOF   the output, line by line, is exactly these lines
#                           (each a shell pattern: '*' for what varies)
#   value NAME [N]          the value of the N-th line "NAME = VALUE"
#   field PREFIX KEY        the KEY=VALUE of the first line starting with PREFIX
#   expect_between WHAT LOW HIGH N   LOW <= N <= HIGH (integers)

# shellcheck disable=SC2154 # tmp and rc are lib.sh's
R=$SF_BUILDDIR/tests/lib
if [ ! -x "$R/treal" ] || [ ! -x "$R/rpeer" ]; then
	hard_error "the realism programs are not built in $R"
fi

TREAL_OPTS=${TREAL_OPTS:-}
RUN_ENV=${RUN_ENV:-}

run() {
	_rules=$1
	shift
	# shellcheck disable=SC2086 # the options are words on purpose
	if [ -n "$_rules" ]; then
		sf_run $RUN_ENV SOCKFAULT_RULES_TEXT="$_rules" "$R/treal" -S "$tmp/u" $TREAL_OPTS "$@"
	else
		sf_run $RUN_ENV "$R/treal" -S "$tmp/u" $TREAL_OPTS "$@"
	fi
	# Whatever the shell does with an assignment before a function call.
	RUN_ENV=
	if grep -q '^\(child \)\?WATCHDOG' "$tmp/out"; then
		fail "a step hung: $(grep WATCHDOG "$tmp/out")"
	fi
	case $rc in
	0) ;;
	3) hard_error "treal could not set up: $(grep SETUP "$tmp/out")" ;;
	*) fail "treal exited with $rc" ;;
	esac
}

transcript() {
	_what=$1
	cat >"$tmp/expect"
	_n=0
	_bad=
	exec 3<"$tmp/out"
	while IFS= read -r _pat; do
		_n=$((_n + 1))
		if ! IFS= read -r _line <&3; then
			_bad="line $_n: expected '$_pat', got the end of the output"
			break
		fi
		# shellcheck disable=SC2254 # the expected line is a pattern
		case $_line in
		$_pat) ;;
		*)
			_bad="line $_n: expected '$_pat', got '$_line'"
			break
			;;
		esac
	done <"$tmp/expect"
	if [ -z "$_bad" ] && IFS= read -r _line <&3; then
		_bad="line $((_n + 1)): unexpected '$_line'"
	fi
	exec 3<&-
	if [ -n "$_bad" ]; then
		fail "$_what: $_bad"
	else
		pass "$_what"
	fi
}

value() {
	grep -E "^$1 = " "$tmp/out" | sed -n "${2:-1}p" | sed 's/^[^=]*= //'
}

field() {
	grep -E "^$1" "$tmp/out" | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

expect_between() {
	case $4 in
	'' | *[!0-9-]*)
		fail "$1: not a number: '$4'"
		return
		;;
	esac
	if [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; then
		pass "$1 ($4 in $2..$3)"
	else
		fail "$1: $4 is not in $2..$3"
	fi
}

# expect_log ERE [WHAT]: the library logged a line matching ERE.
expect_log() {
	expect_in "$tmp/err" "$@"
}

# SF_REACH=static: the same scripts against treal linked statically, under
# the seccomp supervisor (tests/reach).
if [ -n "${SF_REACH:-}" ]; then
	. "$SF_SRCDIR/tests/reach/rlib.sh"
	reach_need_supervisor
	reach_static_treal
fi
