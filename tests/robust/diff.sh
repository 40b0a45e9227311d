#!/bin/sh
# Differential: the corpus of bad calls (hdiff: NULL and unmapped buffers
# and addresses, bad, closed and huge descriptors, pipes and /dev/null,
# huge and wrong lengths, unknown families and flags, over every
# interposed call) gives the same return value, errno and out-parameters
# under the library as without it: with no rules, with rules for other
# peers, with rules that keep every call on the library's slow path and
# never fire, with UDP sends dropped, and with every call traced. A crash where the kernel says
# EFAULT shows as "killed by signal 11".
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

D=$SF_BUILDDIR/tests/robust/hdiff

cat >"$tmp/other.rules" <<'RULES'
io peer=10.99.0.0/16 => error EIO
connect peer=192.0.2.0/24 => error ECONNREFUSED
accept peer=198.51.100.7 => error ECONNABORTED
accept4 peer=198.51.100.7 => error ECONNABORTED
tx peer=unix:/nonexistent/* => reset
* peer=10.99.0.1 => error EIO
RULES
cat >"$tmp/slow.rules" <<'RULES'
* uptime>10h => error EIO
socket uptime>10h => error EMFILE
socketpair uptime>10h => error EMFILE
bind uptime>10h => error EIO
listen uptime>10h => error EIO
RULES

# musl's libc itself dies on these, library or not: on 64-bit systems its
# sendmsg and recvmsg copy the msghdr (and sendmsg the control data) through
# the pointers in user space, to clear the padding of its int-sized fields,
# and its sendmmsg and recvmmsg walk the vector the same way, before the
# kernel could say EFAULT (glibc hands the pointers to the kernel as they
# are). With the library they die in the same place, in libc: nothing about
# the library to compare, so in a musl build they are left out of every run,
# the reference included. Any other case that dies there is still an error.
libc_crashes=
if sf_musl; then
	libc_crashes='sendmsg.1 sendmsg.9 sendmmsg.1 recvmsg.0 recvmsg.1 recvmmsg.0 recvmmsg.1'
	echo "a musl build: left out (they crash in musl's libc itself): $libc_crashes"
fi
# drop_libc_crashes: $tmp/out without the cases of $libc_crashes.
drop_libc_crashes() {
	for _c in $libc_crashes; do
		grep -v "^$(printf '%s' "$_c" | sed 's/\./\\./g'): " "$tmp/out" >"$tmp/out.kept" || :
		mv "$tmp/out.kept" "$tmp/out"
	done
}

plain_run "$D" >/dev/null
drop_libc_crashes
cp "$tmp/out" "$tmp/ref"
expect_rc 0 "the corpus without the library"
total=$(sed -n 's/^cases: //p' "$tmp/ref")
[ "${total:-0}" -gt 200 ] || hard_error "the corpus ran only ${total:-0} cases"
if grep -E ': (killed by signal|hung|exit)' "$tmp/ref"; then
	# A sanitizer's own interceptors read some out-parameters before the
	# call (accept's and getpeername's length) and die on unmapped ones:
	# those cases are compared as they are (the same death is expected).
	[ -n "${SF_SANITIZE:-}" ] || hard_error "the corpus itself crashes without the library"
	echo "(the sanitizer runtime dies on the cases above even without the library)"
fi
# The reference must not depend on the run (ports, timing).
plain_run "$D" >/dev/null
drop_libc_crashes
cmp -s "$tmp/ref" "$tmp/out" || { diff "$tmp/ref" "$tmp/out" || :; hard_error "two runs without the library differ"; }
pass "the corpus: $total cases, the same twice without the library"

# compare WHAT: every line of $tmp/out against the reference.
compare() {
	drop_libc_crashes
	if cmp -s "$tmp/ref" "$tmp/out"; then
		pass "$1: all $total cases as without the library"
		return
	fi
	diff "$tmp/ref" "$tmp/out" | sed -n 's/^> //p' | while IFS= read -r line; do
		case=${line%%:*}
		echo "FAIL: $1: $case: $(grep "^$case:" "$tmp/ref" | sed "s/^$case: //") without the library," \
			"$(echo "$line" | sed "s/^$case: //") with it"
	done
	n=$(diff "$tmp/ref" "$tmp/out" | grep -c '^>' || :)
	failures=$((failures + n))
}

sf_run "$D" >/dev/null
compare "no rules"
sf_run SOCKFAULT_RULES="$tmp/other.rules" "$D" >/dev/null
compare "rules for other peers"
sf_run SOCKFAULT_RULES="$tmp/slow.rules" "$D" >/dev/null
compare "rules that never fire, every call on the slow path"
# Sends on UDP sockets dropped (all but the setup's first sendto): the
# kernel's answer to a send it refuses (a bad buffer, destination, flag or
# size) is still the answer; only what it would take is lost.
cat >"$tmp/drop.rules" <<'RULES'
send proto=udp => drop
sendmsg proto=udp => drop
sendmmsg proto=udp => drop
write proto=udp => drop
writev proto=udp => drop
sendto proto=udp when=2+ => drop
RULES
sf_run SOCKFAULT_RULES="$tmp/drop.rules" "$D" >/dev/null
compare "UDP sends dropped"
# Traced to stderr: a log file would be a descriptor of the library's own,
# and move every number the cases print. The trace is long: not shown.
echo "+ preload: SOCKFAULT_TRACE=1 SOCKFAULT_LOG_FORMAT=json $D"
set +e
$tmo env LD_PRELOAD="$(sf_preload)" SOCKFAULT_TRACE=1 SOCKFAULT_LOG_FORMAT=json "$D" >"$tmp/out" 2>"$tmp/trace.jsonl"
rc=$?
set -e
compare "every call traced"
# (A crash report of a sanitizer may be in there too: only the library's
# own lines are looked at.)
bad_lines=$(grep '"event":' "$tmp/trace.jsonl" | grep -c -v '^{"ts":"[^"]*".*}$' || :)
expect_eq "traced: every log line a whole JSON object" 0 "$bad_lines"
n=$(grep -c '"event":"trace"' "$tmp/trace.jsonl" || :)
if [ "$n" -gt "$total" ]; then
	pass "traced: $n calls logged"
else
	fail "traced: only $n calls logged"
fi

finish
