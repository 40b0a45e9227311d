#!/bin/sh
# sockfault run: the rules are checked before the command starts (a bad file
# or -e rule: exit 2, FILE:LINE:COL, the command never ran); the library is
# found in the build tree; the command's exit status and its death by a
# signal are the run's own; 127/126 when it cannot be run; a warning for a
# static binary (and a Go one); every option reaches the library, shown by
# its effect on a real program.
# shellcheck disable=SC2046 # seqs gives the steps as words on purpose
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
PY=$(sf_python)

# The program is treal; its peer keeps the port a first run found, for the
# rules to name it. seqs CONNS CALLS: the steps of CONNS connections one
# after the other, CALLS one-byte sends each ("sends = ok EPIPE ...").
run '' p:listen
port=$(value 'peer listen' | sed 's/port //')
P=127.0.0.1:$port
seqs() {
	printf 'p:listen,%s' "$port"
	for _c in $(seq "$1"); do printf ' connect sends=%s' "$2"; done
}
marker=$tmp/started
# What a user would run with sh or touch, under the library: $XSH (lib.sh,
# a shell script, or in a musl build a program linked against musl).
xsh_setup

# --- bad rules: nothing is started ---
# The command would create a file: its absence proves it never ran.
cat >"$tmp/bad.rules" <<'EOF'
# a comment, then two mistakes
send => error EBOGUS
connect peer=1.2.3.4:99999 => reset
EOF
cat >"$tmp/good.rules" <<'EOF'
ok-rule: send when=2 => error ECONNRESET
EOF
cli_run run -r "$tmp/bad.rules" -- "$XSH" touch "$marker"
expect_rc 2 "bad rules file: exit 2"
expect_err "bad\.rules:2:[0-9]+: unknown errno 'EBOGUS'" "bad rules file: FILE:LINE:COL of the first problem"
expect_err "bad\.rules:3:[0-9]+: .*port" "bad rules file: FILE:LINE:COL of the second problem"
expect_err "not started" "bad rules file: says the command was not started"
expect_no_file "$marker" "bad rules file: the command never ran"

cli_run run -r "$tmp/good.rules" -r "$tmp/bad.rules" -- "$XSH" touch "$marker"
expect_rc 2 "a bad file after a good one: exit 2"
expect_no_file "$marker" "a bad file after a good one: the command never ran"

cli_run run -r "$tmp/no-such.rules" -- "$XSH" touch "$marker"
expect_rc 2 "a missing rules file: exit 2"
expect_err "no-such\.rules.*(No such file|cannot read)" "a missing rules file: named"
expect_no_file "$marker" "a missing rules file: the command never ran"

cli_run run -e 'send => reset' -e 'send => errror ECONNRESET' -- "$XSH" touch "$marker"
expect_rc 2 "a bad -e rule: exit 2"
expect_err ":2:9: unknown action 'errror' \(did you mean 'error'\?\)" "a bad -e rule: LINE:COL (the second -e) and a suggestion"
expect_no_file "$marker" "a bad -e rule: the command never ran"

cli_run run -e 'tx idle>5 => reset' -- "$XSH" touch "$marker"
expect_rc 2 "an -e rule without a unit: exit 2"
expect_err ':1:[0-9]+: .*unit' "an -e rule without a unit: LINE:COL"
expect_no_file "$marker" "an -e rule without a unit: the command never ran"

cli_run run --seed abc -- "$XSH" touch "$marker"
expect_rc 2 "a bad --seed: exit 2"
expect_no_file "$marker" "a bad --seed: the command never ran"
# --seed is read as the library reads SOCKFAULT_SEED: leading zeros past 16
# hex or 20 decimal digits are the same number.
cli_run run --seed 0x00000000000000000000001 -- "$XSH" exit 0
expect_rc 0 "--seed with leading zeros: accepted, as the library accepts it"
cli_run run --seed 18446744073709551616 -- "$XSH" exit 0
expect_rc 2 "--seed past 64 bits: refused"

# The contrast: the same command with good rules does run.
cli_run run -r "$tmp/good.rules" -e 'send when=3 => error EPIPE' -- "$XSH" touch "$marker"
expect_rc 0 "good rules: exit 0"
if [ -e "$marker" ]; then
	pass "good rules: the command ran"
else
	fail "good rules: the command did not run"
fi

# --- the library, from the build tree ---
cli_run run -- "$XSH" preload
expect_rc 0
expect_out "^preload=(.*[: ])?$SF_BUILDDIR/src/\.libs/libsockfault\.so\$" "the library of the build tree is preloaded"
cli_run run -e 'connect => error ECONNREFUSED' -- "$R/treal" -S "$tmp/u" "p:listen,$port" connect
expect_out '^connect = -1 ECONNREFUSED$' "the preloaded library injects (-e rule reaches the command)"
cli_run run -- "$R/treal" -S "$tmp/u" "p:listen,$port" connect
expect_out '^connect = 0$' "contrast: without rules the connect succeeds"

# --- exit status and signals pass through ---
cli_run run -- "$XSH" exit 7
expect_rc 7 "exit status 7 passes through"
cli_run run -- "$XSH" exit 0
expect_rc 0 "exit status 0 passes through"
# A shell runs it, as a user's script would, and sees 128+15.
set +e
sh -c "LD_PRELOAD='$(sf_asan_preload)' $tmo '$SF_CLI' run -- '$XSH' kill TERM; echo status=\$?" >"$tmp/out" 2>"$tmp/err"
set -e
show_output
expect_out '^status=143$' "killed by SIGTERM: the shell sees 143"
if [ -n "$PY" ]; then
	# 143 could also be an exit(143) by a wrapper that forked: python's
	# returncode tells a death by signal (-15) from an exit status.
	cat >"$tmp/sig.py" <<'EOF'
import os, subprocess, sys
env = dict(os.environ)
if sys.argv[1]:
    env["LD_PRELOAD"] = sys.argv[1]
for sig in ("TERM", "KILL"):
    r = subprocess.run([sys.argv[2], "run", "-e", "send => reset", "--", sys.argv[3], "kill", sig], env=env)
    print("%s returncode = %d" % (sig, r.returncode))
r = subprocess.run([sys.argv[2], "run", "--", sys.argv[3], "exit", "143"], env=env)
print("exit143 returncode = %d" % r.returncode)
EOF
	plain_run "$PY" "$tmp/sig.py" "$(sf_asan_preload)" "$SF_CLI" "$XSH"
	expect_out '^TERM returncode = -15$' "SIGTERM: the run itself dies by the signal (not an exit status)"
	expect_out '^KILL returncode = -9$' "SIGKILL: the run itself dies by the signal"
	expect_out '^exit143 returncode = 143$' "contrast: an exit status 143 is an exit status"
else
	echo "note: no python3: the signal-versus-status distinction is not checked"
fi

# --- commands that cannot run ---
cli_run run -e 'send => reset' -- "$tmp/no-such-command"
expect_rc 127 "a missing command: 127"
expect_err "cannot run .*no-such-command" "a missing command: said"
cli_run run -- no-such-command-on-path-$$
expect_rc 127 "a command not on PATH: 127"
printf 'not a program\n' >"$tmp/notexec"
chmod 644 "$tmp/notexec"
cli_run run -- "$tmp/notexec"
expect_rc 126 "a file that is not executable: 126"

# --- programs the preload cannot reach ---
printf '#include <stdio.h>\nint main(void) { puts("static ran"); return 5; }\n' >"$tmp/st.c"
static_cc=
if command -v musl-gcc >/dev/null 2>&1 && musl-gcc -static -o "$tmp/static" "$tmp/st.c" 2>/dev/null; then
	static_cc=musl-gcc
elif cc -static -o "$tmp/static" "$tmp/st.c" 2>/dev/null; then
	static_cc="cc -static"
fi
if [ -n "$static_cc" ]; then
	cli_run run -e 'send => reset' -- "$tmp/static"
	expect_rc 5 "static binary ($static_cc): runs (supervised), its status passes through"
	expect_out '^static ran$'
	expect_no_err 'warning' "static binary: supervised, not warned about"
else
	echo "note: neither musl-gcc nor a static libc: the static-binary warning is not checked"
fi
if command -v go >/dev/null 2>&1; then
	mkdir "$tmp/gomod"
	printf 'package main\nfunc main() { println("go ran") }\n' >"$tmp/gomod/main.go"
	if (cd "$tmp/gomod" && GOFLAGS=-mod=mod go mod init gotest >/dev/null 2>&1 && CGO_ENABLED=1 go build -o "$tmp/gobin" . >/dev/null 2>&1); then
		cli_run run -e 'send => reset' -- "$tmp/gobin"
		expect_rc 0 "Go binary: runs (supervised)"
		expect_err '^go ran$' "Go binary: its output passes through"
	else
		echo "note: go is there but could not build: the Go warning is not checked"
	fi
else
	echo "note: no Go toolchain on this machine: the warning for a real Go binary is not checked"
fi
# What the check looks at in a Go binary is its .go.buildinfo section: a
# C program carrying one is supervised (its sockets at 512 and above) and,
# dynamic as cgo programs are, not preloaded as well: the rule fires once (a
# stand-in, not a Go build).
if command -v objcopy >/dev/null 2>&1 && cp "$R/treal" "$tmp/fakego" && cp "$R/rpeer" "$tmp/rpeer" && printf 'go' >"$tmp/buildinfo" &&
	objcopy --add-section .go.buildinfo="$tmp/buildinfo" "$tmp/fakego" 2>/dev/null; then
	cli_run run -e 'connect => error ECONNREFUSED' -- "$tmp/fakego" -S "$tmp/u" "p:listen,$port" connect
	expect_err 'fired on connect fd=5[0-9][0-9] ' "a binary with a .go.buildinfo section: supervised as Go"
	expect_eq "a dynamic Go binary: the rule fired once, not also in a preload" 1 "$(grep -c 'fired on connect' "$tmp/err")"
else
	echo "note: no objcopy: the .go.buildinfo stand-in is not checked"
fi

# --- every option reaches the library ---
# -r several files (the unnamed rules are named after their file), and
# -e several rules.
cat >"$tmp/first.rules" <<EOF
refuse-one: connect peer=127.0.0.1:1 => error ECONNREFUSED
send when=3 => error EPIPE
EOF
cat >"$tmp/second.rules" <<EOF
send peer=$P when=2 => error ECONNRESET
EOF
cli_run run -r "$tmp/first.rules" -r "$tmp/second.rules" -e 'send when=4 => error ETIMEDOUT' \
	-e 'send when=5 => error ENOTCONN' -- "$R/treal" -S "$tmp/u" $(seqs 1 6)
expect_rc 0
# Files in order, then -e: a rule counts only calls that no earlier rule
# decided, so text-1 (when=4) meets its fourth call at the sixth send.
expect_out '^sends = ok ECONNRESET EPIPE ok ok ETIMEDOUT$' "-r twice: both files' rules act, in order"
expect_err 'second:line-1 fired on send' "-r twice: an unnamed rule is named after its file"
expect_err 'first:line-2 fired on send'
expect_err '2 rules from .*first\.rules:.*second\.rules|[0-9]+ rules from .*first\.rules:.*second\.rules' "the start line names both files"
cli_run run -e 'send when=2 => error ETIMEDOUT' -e 'send when=4 => error ENOTCONN' -- "$R/treal" -S "$tmp/u" $(seqs 1 5)
expect_out '^sends = ok ETIMEDOUT ok ok ENOTCONN$' "-e twice: both rules act"
expect_err 'text-1 fired on send'
expect_err 'text-2 fired on send'

# --seed: the same seed, the same faults; another seed, other faults; the
# seed is the one logged.
# (No command substitution around the checks: they count failures in
# this shell.)
seeded() {
	cli_run run --seed "$1" -e 'send p=0.5 => error ECONNRESET' -- "$R/treal" -S "$tmp/u" $(seqs 1 40)
	expect_err "seed $3\$" "--seed $1 is the seed logged (as $3)"
	grep '^sends' "$tmp/out" >"$tmp/seed.$2"
}
seeded 11 a 11
seeded 11 b 11
seeded 0x2a c 42
s1=$(cat "$tmp/seed.a")
expect_eq "--seed 11 twice: the same faults" "$s1" "$(cat "$tmp/seed.b")"
expect_ne "--seed 11 and --seed 0x2a: different faults" "$s1" "$(cat "$tmp/seed.c")"
case $s1 in *ECONNRESET*ok*|*ok*ECONNRESET*) pass "p=0.5 gives faults and successes" ;; *) fail "p=0.5: $s1" ;; esac

# --log FILE, --log off
cli_run run --log "$tmp/run.log" -e 'send when=2 => error ECONNRESET' -- "$R/treal" -S "$tmp/u" $(seqs 1 3)
expect_out '^sends = ok ECONNRESET ok$'
expect_no_err 'sockfault\[' "--log FILE: nothing on stderr"
expect_in "$tmp/run.log" 'text-1 fired on send fd=[0-9]+ peer=127\.0\.0\.1:[0-9]+: error ECONNRESET' "--log FILE: the fault is in the file"
cli_run run --log "$tmp/run.log" -e 'send when=3 => error EPIPE' -- "$R/treal" -S "$tmp/u" $(seqs 1 3)
expect_count "--log FILE: appended, not truncated" 2 "$tmp/run.log" 'fired on send'
# A relative --log names a file where sockfault was run, as -r and --replay
# do, even if CMD changes directory before it logs (a wrapper script).
mkdir -p "$tmp/logdir/sub"
(cd "$tmp/logdir" && cli_run run --log rel.log -e 'send => error EPIPE' -- "$XSH" cd sub "$R/treal" -S "$tmp/u" $(seqs 1 1))
expect_out '^sends = EPIPE$'
if [ -s "$tmp/logdir/rel.log" ]; then
	pass "--log rel.log: the log is where sockfault ran"
else
	where="nowhere"
	[ -s "$tmp/logdir/sub/rel.log" ] && where="sub/rel.log, where CMD had moved"
	fail "--log rel.log: nothing in ./rel.log; the log went to $where"
fi
cli_run run --log off -e 'send when=2 => error ECONNRESET' -- "$R/treal" -S "$tmp/u" $(seqs 1 3)
expect_out '^sends = ok ECONNRESET ok$' "--log off: the fault still happens"
expect_no_err 'sockfault' "--log off: nothing logged"

# --json: every line is a JSON object; a fault carries its fields.
cli_run run --json --seed 7 -e 'boom: send when=2 => error ECONNRESET' -- "$R/treal" -S "$tmp/u" $(seqs 1 3)
expect_err '^\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z","pid":[0-9]+,"tid":[0-9]+,"proc":"[0-9.]+","event":"start","seed":"7"' "--json: a JSON start line with the seed"
expect_err '"event":"fault","rule":"boom","line":1,"op":"send","fd":[0-9]+,"peer":"127\.0\.0\.1:[0-9]+".*"errno":"ECONNRESET","ret":-1,"conn":1,"call":2\}$' "--json: the fault line"
expect_no_err '^sockfault\[' "--json: no text lines"
if [ -n "$PY" ]; then
	cp "$tmp/err" "$tmp/json.log"
	plain_run "$PY" -c 'import json, sys
n = 0
for line in open(sys.argv[1]):
    json.loads(line); n += 1
print("json lines = %d" % n)' "$tmp/json.log"
	expect_out '^json lines = [1-9]' "--json: every line parses as JSON"
fi

# --trace: calls no rule touched are logged too.
cli_run run --trace -- "$R/treal" -S "$tmp/u" "p:listen,$port" connect sendns sendns
expect_err 'trace connect fd=[0-9]+ peer=127\.0\.0\.1:[0-9]+ = 0' "--trace: the connect is logged"
expect_count "--trace: each send is logged" 2 "$tmp/err" 'trace send fd=[0-9]+ peer=127\.0\.0\.1:[0-9]+ = 4'
cli_run run -e 'recv => reset' -- "$R/treal" -S "$tmp/u" $(seqs 1 2)
expect_no_err 'trace' "contrast: without --trace, no trace lines"

# --stats
cli_run run --stats -e 'hit: send when=2..3 => error ECONNRESET' -e 'miss: send peer=*:1 => error EPIPE' \
	-- "$R/treal" -S "$tmp/u" $(seqs 1 4)
expect_err 'stats hit \(line 1\): matched 4, fired 2' "--stats: matched and fired"
expect_err 'stats miss \(line 2\): never matched' "--stats: the rule that never matched is named"

# --reload: the file changes under the running program (topr, which
# sends to an echo server all the while).
peer_start w -n 0 -t 60 echo
W=127.0.0.1:$w_port
printf 'send => error EPIPE\n' >"$tmp/reload-a.rules"
printf 'send => error ECONNRESET\n' >"$tmp/reload-b.rules"
cp "$tmp/reload-a.rules" "$tmp/live.rules"
cli_run run --reload -r "$tmp/live.rules" -- "$T/topr" watch "$W" hold:EPIPE:300 \
	"copy:$tmp/reload-b.rules:$tmp/live.rules" until:ECONNRESET:3000
expect_rc 0 "--reload: the new rules bite"
expect_err 'reloaded 1 rule from' "--reload: the reload is logged"
cli_run run -r "$tmp/live.rules" -- "$T/topr" watch "$W" hold:ECONNRESET:200 \
	"copy:$tmp/reload-a.rules:$tmp/live.rules" hold:ECONNRESET:1000
expect_rc 0 "contrast: without --reload the old rules stay"

# --replay: record with one seed, replay under another: the same faults.
cli_run run --json --log "$tmp/rec.jsonl" --seed 3 -e 'send p=0.3 => error ECONNRESET' -- "$R/treal" -S "$tmp/u" $(seqs 3 20)
recorded=$(grep '^sends' "$tmp/out")
cli_run run --json --log "$tmp/rep.jsonl" --seed 4 --replay "$tmp/rec.jsonl" -e 'send p=0.3 => error ECONNRESET' \
	-- "$R/treal" -S "$tmp/u" $(seqs 3 20)
expect_eq "--replay: the recorded faults, under another seed" "$recorded" "$(grep '^sends' "$tmp/out")"
expect_eq "--replay: the same fault events" "$(faults_of "$tmp/rec.jsonl")" "$(faults_of "$tmp/rep.jsonl")"
cli_run run --seed 4 -e 'send p=0.3 => error ECONNRESET' -- "$R/treal" -S "$tmp/u" $(seqs 3 20)
expect_ne "contrast: seed 4 without --replay gives other faults" "$recorded" "$(grep '^sends' "$tmp/out")"
cli_run run --replay "$tmp/no-such.jsonl" -e 'send => reset' -- "$XSH" touch "$marker.2"
expect_rc 2 "--replay of a missing log: exit 2"
expect_no_file "$marker.2" "--replay of a missing log: nothing started"

# SOCKFAULT_* set outside and not by an option pass through.
cli_env_run SOCKFAULT_LOG_FORMAT=json "$SF_CLI" run -e 'send when=2 => error ECONNRESET' -- "$R/treal" -S "$tmp/u" $(seqs 1 2)
expect_err '"event":"fault"' "SOCKFAULT_LOG_FORMAT from the environment passes through"

finish
