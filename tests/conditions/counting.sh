#!/bin/sh
# Which of the matching calls fire: when= (strace's syntax), per=conn and
# per=process, limit= and once, p= with a seed (the same faults run after
# run, others with another seed), sticky, and how rules count when an
# earlier rule decided the call.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

peer_start a -n 0 -t 60 echo
A=127.0.0.1:$a_port

# seq_is RULES ARGS... EXPECTED-LINES: the conn lines of `tclient seq`,
# joined with '|'.
seq_is() {
	_rules=$1 _want=$2
	shift 2
	sf_run SOCKFAULT_RULES_TEXT="$_rules" SOCKFAULT_LOG=off "$T/tclient" seq "$@" "$A"
	expect_rc 0
	expect_eq "$_rules ($*)" "$_want" "$(grep '^conn ' "$tmp/out" | sed 's/^conn [0-9]*: //' | tr '\n' '|' | sed 's/|$//')"
}

E=ECONNRESET
# --- when= ---
seq_is "send when=3 => error $E" "ok ok $E ok ok ok" -n 6
seq_is "send when=2..4 => error $E" "ok $E $E $E ok ok" -n 6
seq_is "send when=2+ => error $E" "ok $E $E $E $E $E" -n 6
seq_is "send when=2+2 => error $E" "ok $E ok $E ok $E" -n 6
seq_is "send when=1..5+2 => error $E" "$E ok $E ok $E ok ok" -n 7
seq_is "recv when=2 => error $E" "ok $E ok" -o recv -n 3

# --- per=: each connection counts on its own, or the process does ---
seq_is "send when=2 => error $E" "ok $E ok|ok $E ok|ok $E ok" -n 3 -c 3
seq_is "send when=2 per=conn => error $E" "ok $E ok|ok $E ok" -n 3 -c 2
seq_is "send when=2 per=process => error $E" "ok $E ok|ok ok ok" -n 3 -c 2
seq_is "send when=5 per=process => error $E" "ok ok ok|ok $E ok" -n 3 -c 2

# --- limit= and once ---
seq_is "send limit=2 => error $E" "$E $E ok ok|$E $E ok ok" -n 4 -c 2
seq_is "send limit=2 per=process => error $E" "$E $E ok ok|ok ok ok ok" -n 4 -c 2
seq_is "send once => error $E" "$E ok ok|$E ok ok" -n 3 -c 2
seq_is "send once per=process => error $E" "$E ok ok|ok ok ok" -n 3 -c 2
seq_is "send when=2+ limit=2 => error $E" "ok $E $E ok ok" -n 5

# --- sticky: once fired, every later matching call on that socket ---
seq_is "send when=3 => error $E sticky" "ok ok $E $E $E $E" -n 6
seq_is "send when=3 => error $E" "ok ok $E ok ok ok" -n 6
seq_is "send when=2 => error ENOTCONN sticky" "ok ENOTCONN ENOTCONN|ok ENOTCONN ENOTCONN" -n 3 -c 2

# A connection a sticky error has killed stays dead for every call, and
# poll, SO_ERROR (once) and getpeername agree; without sticky it lives on.
sf_run SOCKFAULT_RULES_TEXT="send when=2 => error $E sticky" SOCKFAULT_LOG=off "$T/tclient" dead "$A"
expect_out "^send 3 = -1 $E$" "sticky: the next send"
expect_out "^write = -1 $E$" "sticky: the connection is dead for other calls too"
expect_out '^poll = 1 events=IN' "sticky: poll reports it readable (an event loop comes to read)"
expect_out "^SO_ERROR = $E$" "sticky: SO_ERROR gives the error"
expect_out '^SO_ERROR again = 0$' "sticky: once"
expect_out '^getpeername = -1 ENOTCONN$' "sticky: no peer any more"
expect_out "^recv = -1 $E$" "sticky: recv"
expect_out "^read = -1 $E$" "sticky: read"
sf_run SOCKFAULT_RULES_TEXT="send when=2 => error $E" SOCKFAULT_LOG=off "$T/tclient" dead "$A"
expect_out '^send 3 = 1$' "not sticky: the connection lives on"
expect_out '^SO_ERROR = 0$'
expect_out '^getpeername = 0$'
expect_out '^recv = [1-3]$' "not sticky: the echo of the sends that went out"

# --- a deciding rule stops the others, which do not count the call ---
seq_is "r1: send when=2 => error EPIPE; r2: send when=2 => error $E" "ok EPIPE $E ok" -n 4
seq_is "send => delay 1ms; send when=2 => error $E" "ok $E ok" -n 3

# The file's rules come before SOCKFAULT_RULES_TEXT's.
printf 'send when=1 => error EPIPE\n' >"$tmp/first.rules"
sf_run SOCKFAULT_RULES="$tmp/first.rules" SOCKFAULT_RULES_TEXT="send => error $E" SOCKFAULT_LOG=off \
	"$T/tclient" seq -n 2 "$A"
expect_out "^conn 1: EPIPE $E\$" "the rules file first, then SOCKFAULT_RULES_TEXT"

# --- p=: a pure function of the seed and the call's place ---
# The conn lines of 2 connections x 40 sends (the log of the run goes to
# stderr, which is the test's log too).
p_seq() { # SEED
	sf_run SOCKFAULT_RULES_TEXT="send p=0.5 => error $E" SOCKFAULT_SEED="$1" SOCKFAULT_LOG=off \
		"$T/tclient" seq -n 40 -c 2 "$A" >&2
	expect_rc 0 >&2
	grep '^conn ' "$tmp/out"
}
first=$(p_seq 12345)
second=$(p_seq 12345)
other=$(p_seq 0x2a)
expect_eq "p=0.5, seed 12345: the same faults twice" "$first" "$second"
case $first in
*ok*$E* | *$E*ok*) pass "p=0.5: some calls fail, some do not" ;;
*) fail "p=0.5: 80 calls all alike: $first" ;;
esac
if [ "$first" != "$other" ]; then
	pass "p=0.5: another seed gives other faults"
else
	fail "p=0.5: seeds 12345 and 0x2a gave the same 80 faults"
fi
n=$(printf '%s\n' "$first" | tr ' ' '\n' | grep -c "^$E$" || :)
if [ "$n" -ge 16 ] && [ "$n" -le 64 ]; then
	pass "p=0.5: $n of 80 calls failed"
else
	fail "p=0.5: $n of 80 calls failed, far from 40"
fi
seq_is "send p=1 => error $E" "$E $E $E" -n 3
seq_is "send p=0.000001 => error $E" "ok ok ok ok ok ok ok ok ok ok" -n 10

kill "$a_pid" 2>/dev/null || :
peer_wait a
finish
