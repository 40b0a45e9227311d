#!/bin/sh
# shellcheck disable=SC2154 # tmp is set by lib.sh
# Which of the matching calls fire: when= (strace's syntax), per=conn and
# per=process, limit= and once, p= with a seed (the same faults run after
# run, others with another seed), sticky, and how rules count when an
# earlier rule decided the call.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# seq_is RULES EXPECTED CALLS [CONNS [recv]]: CONNS connections (default 1)
# one after the other, each making CALLS sends (or receives of what the
# peer sent for each); the outcomes, "ok" or the errno, a connection's
# joined by ' ' and the connections by '|'.
seq_is() {
	_rules=$1 _want=$2 _calls=$3 _conns=${4:-1} _op=${5:-sendns}
	_steps=p:listen
	_c=0
	while [ "$_c" -lt "$_conns" ]; do
		_steps="$_steps connect p:accept"
		_i=0
		while [ "$_i" -lt "$_calls" ]; do
			case $_op in
			recv) _steps="$_steps p:send,4 recv=4" ;;
			*) _steps="$_steps sendns" ;;
			esac
			_i=$((_i + 1))
		done
		_c=$((_c + 1))
	done
	# shellcheck disable=SC2086 # the steps are words on purpose
	run "$_rules" $_steps
	expect_eq "$_rules ($_calls x $_op, $_conns conns)" "$_want" "$(outcomes)"
}

# The outcomes of the calls in the last run's output, as seq_is says.
outcomes() {
	awk '/^connect = /{ if (n++) printf "|"; sep = ""; next }
	/^(sendns|recv) = /{ printf "%s%s", sep, ($3 == "-1" ? $4 : "ok"); sep = " " }' "$tmp/out"
}

E=ECONNRESET
# --- when= ---
seq_is "send when=3 => error $E" "ok ok $E ok ok ok" 6
seq_is "send when=2..4 => error $E" "ok $E $E $E ok ok" 6
seq_is "send when=2+ => error $E" "ok $E $E $E $E $E" 6
seq_is "send when=2+2 => error $E" "ok $E ok $E ok $E" 6
seq_is "send when=1..5+2 => error $E" "$E ok $E ok $E ok ok" 7
seq_is "recv when=2 => error $E" "ok $E ok" 3 1 recv

# --- per=: each connection counts on its own, or the process does ---
seq_is "send when=2 => error $E" "ok $E ok|ok $E ok|ok $E ok" 3 3
seq_is "send when=2 per=conn => error $E" "ok $E ok|ok $E ok" 3 2
seq_is "send when=2 per=process => error $E" "ok $E ok|ok ok ok" 3 2
seq_is "send when=5 per=process => error $E" "ok ok ok|ok $E ok" 3 2

# --- limit= and once ---
seq_is "send limit=2 => error $E" "$E $E ok ok|$E $E ok ok" 4 2
seq_is "send limit=2 per=process => error $E" "$E $E ok ok|ok ok ok ok" 4 2
seq_is "send once => error $E" "$E ok ok|$E ok ok" 3 2
seq_is "send once per=process => error $E" "$E ok ok|ok ok ok" 3 2
seq_is "send when=2+ limit=2 => error $E" "ok $E $E ok ok" 5

# --- sticky: once fired, every later matching call on that socket ---
seq_is "send when=3 => error $E sticky" "ok ok $E $E $E $E" 6
seq_is "send when=3 => error $E" "ok ok $E ok ok ok" 6
seq_is "send when=2 => error ENOTCONN sticky" "ok ENOTCONN ENOTCONN|ok ENOTCONN ENOTCONN" 3 2

# A connection a sticky error has killed stays dead for every call, and
# poll, SO_ERROR (once) and getpeername agree; without sticky it lives on.
# The first lines of both: one send, the second one failing.
second_fails="peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 1
sendns = -1 $E"
run "send when=2 => error $E sticky" p:listen connect p:accept sendns=1 sendns=1 sendns=1 write=1 pollin=5000 \
	so_error so_error peername recvnb nonblock read
transcript "sticky: dead for every call; poll readable (an event loop comes to read), SO_ERROR once, no peer" <<EOF2
$second_fails
sendns = -1 $E
write = -1 $E
pollin = IN*
SO_ERROR = $E
SO_ERROR = 0
getpeername = -1 ENOTCONN
recvnb = -1 $E
nonblock = 0
read = -1 $E
EOF2
run "send when=2 => error $E" p:listen connect p:accept sendns=1 sendns=1 sendns=1 write=1 p:recvall,3 p:send,3 \
	pollin=5000 so_error peername recvnb
transcript "not sticky: the connection lives on, both ways" <<EOF2
$second_fails
sendns = 1
write = 1
peer recvall = got 3 bits=0 *
peer send = sent 3
pollin = IN
SO_ERROR = 0
getpeername = 0
recvnb = 3
EOF2

# --- a deciding rule stops the others, which do not count the call ---
seq_is "r1: send when=2 => error EPIPE; r2: send when=2 => error $E" "ok EPIPE $E ok" 4
seq_is "send => delay 1ms; send when=2 => error $E" "ok $E ok" 3

# The file's rules come before SOCKFAULT_RULES_TEXT's.
printf 'send when=1 => error EPIPE\n' >"$tmp/first.rules"
RUN_ENV="SOCKFAULT_RULES=$tmp/first.rules" run "send => error $E" p:listen connect p:accept sendns sendns
expect_eq "the rules file first, then SOCKFAULT_RULES_TEXT" "EPIPE $E" "$(outcomes)"

# --- p=: a pure function of the seed and the call's place ---
# The conn lines of 2 connections x 40 sends (the log of the run goes to
# stderr, which is the test's log too).
# The decisions depend on the peer too: it keeps the port a first run found.
run '' p:listen
pport=$(value 'peer listen' | sed 's/port //')
p_seq() { # SEED
	_steps=
	for _c in 1 2; do
		_steps="$_steps connect p:accept$(printf ' sendns%.0s' $(seq 40))"
	done
	# shellcheck disable=SC2086 # the steps are words on purpose
	RUN_ENV="SOCKFAULT_SEED=$1" run "send p=0.5 => error $E" "p:listen,$pport" $_steps >&2
	outcomes | tr '|' '\n'
}
first=$(p_seq 12345)
second=$(p_seq 12345)
other=$(p_seq 0x2a)
expect_eq "p=0.5, seed 12345: the same faults twice" "$first" "$second"
case $first in
*ok*$E* | *$E*ok*) pass "p=0.5: some calls fail, some do not" ;;
*) fail "p=0.5: 80 calls all alike: $first" ;;
esac
expect_ne "p=0.5: another seed (0x2a, 12345) gives other faults" "$first" "$other"
expect_between "p=0.5: calls of 80 failed, near 40" 16 64 "$(printf '%s\n' "$first" | tr ' ' '\n' | grep -c "^$E$" || :)"
seq_is "send p=1 => error $E" "$E $E $E" 3
seq_is "send p=0.000001 => error $E" "ok ok ok ok ok ok ok ok ok ok" 10

finish
