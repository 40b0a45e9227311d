#!/bin/sh
# The log: the text line of sockfault(1) LOG, the JSON lines and their fields,
# the start line (lazily, before a process's first event, with the seed),
# SOCKFAULT_LOG=FILE (appended, nothing on stderr) and off, log=quiet,
# SOCKFAULT_TRACE and SOCKFAULT_STATS.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

peer_start e -n 0 -t 60 echo
E=127.0.0.1:$e_port
ERE_E=127\\.0\\.0\\.1:$e_port

# --- text ---
sf_run SOCKFAULT_RULES_TEXT='r1: send once => error WSAECONNRESET' SOCKFAULT_SEED=4242 "$T/tcalls" -P send "$E"
pid=$(out_line '^pid=' | sed 's/pid=//')
fd=$(out_line '^fd=' | sed 's/fd=//')
expect_eq "text: two lines" 2 "$(wc -l <"$tmp/err" | tr -d ' ')"
expect_eq "text: the start line comes first, with the seed" \
	"sockfault[$pid]: started in tcalls: 1 rule, seed 4242" "$(sed -n 1p "$tmp/err")"
expect_eq "text: RULE fired on OP fd=N peer=ADDR: ACTION (ERRNO)" \
	"sockfault[$pid]: r1 fired on send fd=$fd peer=$E: error ECONNRESET (ECONNRESET)" "$(sed -n 2p "$tmp/err")"

printf '# a comment\n\nsend once => error EPIPE\n' >"$tmp/file.rules"
sf_run SOCKFAULT_RULES="$tmp/file.rules" "$T/tcalls" -e EPIPE send "$E"
expect_err "^sockfault\[[0-9]+\]: started in tcalls: 1 rule from $tmp/file.rules, seed [0-9]+$" \
	"text: the start line names the rules file"
expect_err "^sockfault\[[0-9]+\]: line-3 fired on send fd=[0-9]+ peer=$ERE_E: error EPIPE \(EPIPE\)$" \
	"an unnamed rule of a file is line-N"

# Comments, blank lines and a continued line: the rule is on its first line.
printf '# comment\n\ncont: send \\\n    when=2 => error ECONNRESET  # why\n' >"$tmp/cont.rules"
sed 's/^/  cont.rules| /' "$tmp/cont.rules"
sf_run SOCKFAULT_RULES="$tmp/cont.rules" SOCKFAULT_LOG_FORMAT=json "$R/treal" -N -A "$E" connect sends=3
expect_out '^sends = ok ECONNRESET ok$' "a continued rule works"
expect_err '"rule":"cont","line":3,' "a continued rule is on its first line"

sf_run SOCKFAULT_RULES_TEXT='send => delay 1ms' "$T/tcalls" -e ok send "$E"
expect_err "^sockfault\[[0-9]+\]: text-1 fired on send fd=[0-9]+ peer=$ERE_E: delay 1ms$" "text: an action without errno"

# Lazily: a process where nothing fires says nothing at all.
sf_run SOCKFAULT_RULES_TEXT='connect peer=10.9.9.9 => error ECONNREFUSED' "$T/tcalls" -e ok send "$E"
expect_empty "$tmp/err" "no event, no start line"

# --- destinations ---
echo "already here" >"$tmp/log.txt"
for i in 1 2; do
	sf_run SOCKFAULT_RULES_TEXT='send once => error ECONNRESET' SOCKFAULT_LOG="$tmp/log.txt" "$T/tcalls" -e ECONNRESET send "$E"
	expect_rc 0
	expect_empty "$tmp/err" "SOCKFAULT_LOG=FILE: nothing on stderr (run $i)"
done
sed 's/^/  log.txt| /' "$tmp/log.txt"
expect_eq "SOCKFAULT_LOG=FILE: appended, the old content kept" "already here" "$(sed -n 1p "$tmp/log.txt")"
expect_eq "SOCKFAULT_LOG=FILE: a start line and a fault per run" 5 "$(wc -l <"$tmp/log.txt" | tr -d ' ')"
expect_eq "SOCKFAULT_LOG=FILE: both faults" 2 "$(grep -c 'text-1 fired on send' "$tmp/log.txt")"

sf_run SOCKFAULT_RULES_TEXT='send once => error ECONNRESET' SOCKFAULT_LOG=stderr "$T/tcalls" -e ECONNRESET send "$E"
expect_err 'text-1 fired on send' "SOCKFAULT_LOG=stderr"
sf_run SOCKFAULT_RULES_TEXT='send once => error ECONNRESET' SOCKFAULT_LOG=off "$T/tcalls" -e ECONNRESET send "$E"
expect_rc 0 "SOCKFAULT_LOG=off: the fault still happens"
expect_empty "$tmp/err" "SOCKFAULT_LOG=off: nothing logged"

sf_run SOCKFAULT_RULES_TEXT='send once => error ECONNRESET log=quiet' "$T/tcalls" -e ECONNRESET send "$E"
expect_rc 0 "log=quiet: the fault still happens"
expect_empty "$tmp/err" "log=quiet: nothing logged, not even the start line"
sf_run SOCKFAULT_RULES_TEXT='a: send once => error ECONNRESET log=quiet; b: recv once => error EINTR' \
	"$T/tcalls" -e ECONNRESET send "$E"
expect_no_err 'fired on send' "log=quiet: only the quiet rule is silent"

# The log file is opened O_CLOEXEC: a program exec'd after a first event
# (which opened it) does not inherit it.
sf_run SOCKFAULT_RULES_TEXT='connect exe=treal => delay 1ms' SOCKFAULT_LOG="$tmp/cloexec.log" \
	"$R/treal" -N -A "$E" connect "spawn=$(command -v ls),-l,/proc/self/fd/"
expect_in "$tmp/cloexec.log" 'fired on connect' "the parent logged to the file before exec"
expect_no_out 'cloexec\.log' "the exec'd program does not have the log file open"

# The program makes a socket its stderr (dup2): the program's own write to
# it is faulted, and none of the library's lines go there (they go only to
# the stderr the program started with: tests/robust/log-pipes.sh).
# (Connection 1 becomes descriptor 2; connection 3 carries data.)
sf_run SOCKFAULT_RULES_TEXT='tx => error EIO' "$R/treal" -S "$tmp/u" p:listen connect dup2=2 connect sendns=1 use=2 \
	write=13 p:accept p:expect,300 p:accept p:expect,300
expect_rc 0
transcript "the program's send and its write to its stderr socket are faulted; no log line in that socket" <<'EOF2'
peer listen = port *
connect = 0
dup2 = 0
connect = 0
sendns = -1 EIO
write = -1 EIO
peer accept = accepted 1
peer expect = silence
peer accept = accepted 2
peer expect = silence
EOF2

# --- JSON ---
# Newline-separated, so that the second rule is on line 2.
sf_run SOCKFAULT_RULES_TEXT="$(printf 'j1: send once => error ECONNRESET\nj2: recv => delay 1ms')" SOCKFAULT_SEED=77 \
	SOCKFAULT_LOG_FORMAT=json "$T/tcalls" -P send "$E"
pid=$(out_line '^pid=' | sed 's/pid=//')
fd=$(out_line '^fd=' | sed 's/fd=//')
cp "$tmp/err" "$tmp/log.json"
py=$(sf_python)
if [ -n "$py" ]; then
	cat >"$tmp/check.py" <<'PY'
import json, re, sys
path, pid, fd, peer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ts_re = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")
problems = []
events = []
for n, line in enumerate(open(path), 1):
    try:
        ev = json.loads(line)
    except ValueError as e:
        problems.append("line %d is not JSON: %s" % (n, e))
        continue
    events.append(ev)
    for key in ("ts", "pid", "tid", "proc", "event"):
        if key not in ev:
            problems.append("line %d has no %s" % (n, key))
    if not ts_re.match(str(ev.get("ts", ""))):
        problems.append("line %d: ts %r is not RFC 3339 with microseconds" % (n, ev.get("ts")))
    if ev.get("pid") != pid:
        problems.append("line %d: pid %r, not %d" % (n, ev.get("pid"), pid))
    if not isinstance(ev.get("tid"), int):
        problems.append("line %d: tid %r is not a number" % (n, ev.get("tid")))
kinds = [e.get("event") for e in events]
if kinds[:1] != ["start"]:
    problems.append("the first event is %r, not start" % kinds[:1])
start = events[0] if events else {}
if str(start.get("seed")) != "77":
    problems.append("start: seed %r, not 77" % start.get("seed"))
faults = [e for e in events if e.get("event") == "fault"]
rules = [e.get("rule") for e in faults]
if rules.count("j1") != 1 or rules.count("j2") < 1:
    problems.append("fault events of rules %r: not j1 once and j2 at least once" % rules)
want = {"rule": "j1", "line": 1, "op": "send", "fd": fd, "peer": peer,
        "action": "error ECONNRESET", "errno": "ECONNRESET", "ret": -1}
f = next((e for e in faults if e.get("rule") == "j1"), {})
for k, v in want.items():
    if f.get(k) != v:
        problems.append("fault j1: %s is %r, not %r" % (k, f.get(k), v))
if not re.match(r"^127\.0\.0\.1:\d+$", str(f.get("local"))):
    problems.append("fault j1: local %r is not this end's address" % f.get("local"))
d = next((e for e in faults if e.get("rule") == "j2"), {})
if d.get("op") != "recv" or d.get("line") != 2 or not str(d.get("action", "")).startswith("delay"):
    problems.append("fault j2: %r" % d)
for p in problems:
    print("FAIL: json: " + p)
print("json: %d events checked" % len(events))
sys.exit(1 if problems else 0)
PY
	if "$py" "$tmp/check.py" "$tmp/log.json" "$pid" "$fd" "$E"; then
		pass "JSON: every line parses; ts, pid, tid, event, seed, rule, line, op, fd, peer, local, action, errno, ret"
	else
		fail "JSON log"
	fi
else
	echo "python3 not found: the JSON log is checked with grep only"
	expect_in "$tmp/log.json" '^\{"ts":"[0-9T:.-]+Z?[^"]*","pid":[0-9]+,"tid":[0-9]+,"proc":"[0-9.]+","event":"start".*"seed":"?77"?'
	expect_in "$tmp/log.json" "\"event\":\"fault\",\"rule\":\"j1\",\"line\":1,\"op\":\"send\",\"fd\":$fd,\"peer\":\"$E\""
fi

# --- SOCKFAULT_TRACE ---
sf_run SOCKFAULT_TRACE=1 "$T/tcalls" -e ok recv "$E"
fd=$(out_line '^fd=' | sed 's/fd=//')
expect_err "^sockfault\[[0-9]+\]: trace socket fd=$fd peer=- = $fd$" "trace: socket"
expect_err "^sockfault\[[0-9]+\]: trace connect fd=$fd peer=$ERE_E = 0$" "trace: connect"
expect_err "^sockfault\[[0-9]+\]: trace send fd=$fd peer=$ERE_E = 4$" "trace: send"
expect_err "^sockfault\[[0-9]+\]: trace recv fd=$fd peer=$ERE_E = 4$" "trace: recv"
expect_err "^sockfault\[[0-9]+\]: trace close fd=$fd peer=$ERE_E" "trace: close"
expect_no_err 'trace (write|read) fd=1 ' "trace: stdout is no socket"
sf_run SOCKFAULT_TRACE=1 SOCKFAULT_RULES_TEXT='recv once => error EINTR' "$T/tcalls" -e EINTR recv "$E"
expect_err "trace recv fd=[0-9]+ peer=$ERE_E = -1 EINTR$" "trace: a faulted call, with its errno"
expect_err "trace recv fd=[0-9]+ peer=$ERE_E = 4$" "trace: and the real one after it"
sf_run SOCKFAULT_TRACE=1 SOCKFAULT_LOG_FORMAT=json "$T/tcalls" -e ok send "$E"
expect_err '^\{"ts":"[^"]+","pid":[0-9]+,"tid":[0-9]+,"proc":"[0-9.]+","event":"trace","op":"send",.*"ret":5' "trace: JSON"
sf_run SOCKFAULT_TRACE=0 SOCKFAULT_RULES_TEXT='connect peer=10.9.9.9 => error ECONNREFUSED' "$T/tcalls" -e ok send "$E"
expect_empty "$tmp/err" "SOCKFAULT_TRACE=0: no trace"

# --- SOCKFAULT_STATS ---
printf 'used: send => error ECONNRESET once\nunused: connect peer=10.1.2.3 => error ECONNREFUSED\n' >"$tmp/stats.rules"
sf_run SOCKFAULT_RULES="$tmp/stats.rules" SOCKFAULT_STATS=1 "$T/tcalls" -e ECONNRESET send "$E"
expect_err '^sockfault\[[0-9]+\]: stats used \(line 1\): matched 2, fired 1$' "stats: matched and fired per rule"
expect_err '^sockfault\[[0-9]+\]: stats unused \(line 2\): never matched' "stats: a rule that never matched is named"
sf_run SOCKFAULT_RULES="$tmp/stats.rules" SOCKFAULT_STATS=1 SOCKFAULT_LOG_FORMAT=json "$T/tcalls" -e ECONNRESET send "$E"
expect_err '"event":"stats","rule":"unused","line":2,"matched":0,"fired":0' "stats: JSON"
sf_run SOCKFAULT_RULES="$tmp/stats.rules" "$T/tcalls" -e ECONNRESET send "$E"
expect_no_err ': stats ' "no stats unless asked"

kill "$e_pid" 2>/dev/null || :
peer_wait e
finish
