#!/bin/sh
# Stress: 16 threads x 10k calls (and on for at least 3 s) over shared and
# private sockets (unix pairs, loopback TCP, UDP) with random resets,
# errors, short writes, drops and tiny delays from a rules file, which a
# thread of the program keeps rewriting while the library reloads it
# (SOCKFAULT_RELOAD=1): several rule sets in turn, and now and then a bad
# one that must be refused. No crash, no hang, every result one the kernel
# or the rules could give, every private stream whole and in order.
#
# SF_HARDEN_OPS and SF_HARDEN_THREADS scale the run (valgrind, sanitizers).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

H=$SF_BUILDDIR/tests/robust
ops=${SF_HARDEN_OPS:-10000}
threads=${SF_HARDEN_THREADS:-16}

mkdir "$tmp/rules"
# Private connections go to 127.0.0.2, the shared ones to 127.0.0.1, the
# datagrams to 127.0.0.3 (see hstress.c).
cat >"$tmp/rules/v1.rules" <<'EOF'
priv-reset: io peer=127.0.0.2 p=0.003 => reset
shared-reset: io peer=127.0.0.1 p=0.0002 => reset
tcp-eio: send peer=127.0.0.0/8 p=0.02 => error EIO
unix-nobufs: tx proto=unix p=0.02 => error ENOBUFS
rx-eintr: rx p=0.01 => error EINTR log=quiet
lat: io p=0.01 => delay 100us~50us log=quiet
short: tx proto=tcp p=0.05 => short 7 log=quiet
udp-drop: sendto proto=udp p=0.05 => drop
udp-rdrop: recvfrom proto=udp p=0.03 => drop
sock-emfile: socket p=0.01 => error EMFILE
pair-enfile: socketpair p=0.01 => error ENFILE
refused: connect peer=127.0.0.2 p=0.02 => error ECONNREFUSED
aborted: accept4 p=0.02 => error ECONNABORTED
dup-emfile: dup p=0.02 => error EMFILE
EOF
cat >"$tmp/rules/v2.rules" <<'EOF'
priv-reset: io peer=127.0.0.2 when=20+ p=0.01 => reset
tcp-eio: tx peer=127.0.0.0/8 p=0.05 => error EIO
lat: rx proto=unix p=0.02 => delay 50us
udp-drop: sendto proto=udp p=0.2 => drop
short: send proto=tcp => short 100 log=quiet
EOF
# Every call counted on the slow path, nothing fires.
cat >"$tmp/rules/v3.rules" <<'EOF'
count: * uptime>10h => error EIO
EOF
printf 'this is => not a rule\n' >"$tmp/rules/bad.rules"
for f in v1 v2 v3; do
	"$SF_CLI" check "$tmp/rules/$f.rules" >/dev/null || hard_error "$f.rules does not parse"
done
cp "$tmp/rules/v1.rules" "$tmp/cur.rules"

log=$tmp/log.jsonl
sf_run SOCKFAULT_RULES="$tmp/cur.rules" SOCKFAULT_RELOAD=1 SOCKFAULT_SEED=7 SOCKFAULT_LOG="$log" \
	SOCKFAULT_LOG_FORMAT=json "$H/hstress" -t "$threads" -n "$ops" -T 3000 -r "$tmp/cur.rules" -d "$tmp/rules"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	fail "the storm hung (killed by timeout)"
fi
expect_rc 0 "the storm: no crash, no unexpected result"
expect_out '^unexpected=0$' "every result was one the kernel or the rules could give"
done_ops=$(out_line '^threads=' | sed 's/.* ops=\([0-9]*\).*/\1/')
expect_ge "every call made" $((threads * ops)) "$done_ops"
expect_ge "private connections were reset" 1 "$(out_line '^threads=' | sed 's/.* resets=\([0-9]*\).*/\1/')"

# The reloads happened during the storm, not before or after it.
start=$(out_line '^storm: start' | sed 's/^storm: start //')
end=$(out_line '^storm: end' | sed 's/^storm: end //')
during=$(grep '"event":"reload"' "$log" | sed 's/.*"ts":"\([^"]*\)".*/\1/' |
	awk -v s="$start" -v e="$end" '$0 >= s && $0 <= e' | wc -l | tr -d ' ')
echo "reloads during the storm: $during ($start .. $end)"
expect_ge "the rules were reloaded during the storm" 2 "$during"
# Refused where the log goes (here the JSON log file), not on stderr.
expect_in "$log" '"event":"problem","text":"reload: the new rules have problems' \
	"a bad rules file was refused during the storm"
expect_no_err 'reload' "nothing about the reload on the program's stderr"
# The busy rules fire in any run; the rarer ones only where there were
# enough calls (a slow build makes fewer). A listener's p= draws are the
# same for every listener (no peer, no connection ordinal), so accept's
# rule is not counted on here.
rules_fired="priv-reset tcp-eio unix-nobufs udp-drop"
[ "${done_ops:-0}" -lt 200000 ] || rules_fired="$rules_fired sock-emfile refused"
for rule in $rules_fired; do
	expect_in "$log" "\"event\":\"fault\".*\"rule\":\"$rule\"" "rule $rule fired"
done
# The log is whole lines of JSON, however many threads wrote at once.
bad_lines=$(grep -c -v '^{"ts":"[^"]*".*}$' "$log" || :)
expect_eq "every log line is a whole JSON object" 0 "$bad_lines"

# The shared pool under many rules: after each reload, every thread's next
# call on a shared socket finds its record stale and rebuilds its plan, all
# at once on the same record.
mkdir "$tmp/rules2"
for v in 1 2 3; do
	i=1
	while [ "$i" -le 60 ]; do
		echo "r$i: io uptime>$((i + v))h => error EIO"
		i=$((i + 1))
	done >"$tmp/rules2/v$v.rules"
	echo "e$v: send p=0.01 => error EIO" >>"$tmp/rules2/v$v.rules"
done
cp "$tmp/rules2/v1.rules" "$tmp/cur2.rules"
sf_run SOCKFAULT_RULES="$tmp/cur2.rules" SOCKFAULT_RELOAD=1 SOCKFAULT_SEED=9 SOCKFAULT_LOG=off \
	"$H/hstress" -t "$threads" -n "$ops" -S 95 -r "$tmp/cur2.rules" -d "$tmp/rules2" -w 20
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	fail "the shared storm hung (killed by timeout)"
fi
expect_rc 0 "the shared storm, 61 rules reloaded every 250 ms: no crash"
expect_out '^unexpected=0$' "the shared storm: every result as it could be"

# Tracing: every call logged, from every thread at once, into one file.
sf_run SOCKFAULT_RULES="$tmp/rules/v1.rules" SOCKFAULT_TRACE=1 SOCKFAULT_SEED=8 SOCKFAULT_LOG="$tmp/trace.log" \
	"$H/hstress" -t "$threads" -n 500 -T 0
expect_rc 0 "a traced storm"
expect_out '^unexpected=0$' "traced: every result as it could be"
bad_lines=$(grep -c -v '^sockfault\[[0-9]*\]: ' "$tmp/trace.log" || :)
expect_eq "traced: every log line whole" 0 "$bad_lines"

# The contrast: without the library nothing fails and nothing is reset.
plain_run "$H/hstress" -t "$threads" -n 2000 -T 0
expect_rc 0 "without the library"
expect_out ' injected=0 resets=0 ' "without the library: none of the rules' errors, no resets"

finish
