#!/bin/sh
# sockfault report: the per-rule, per-peer/connection and timeline sections
# of a known log (written by hand, so every number and every bar is known),
# bad lines reported with their line number and skipped, --svg and --html
# well formed; then a log recorded from a deterministic run (fixed seed),
# whose report must agree with what the program itself saw; a log that is
# not JSON is refused (exit 1).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
PY=$(sf_python)

# --- a known log ---
# Two processes (seeds 42 and 7); reset-db fired at 0 s, 10 s and 20 s on
# three connections to two peers; slow fired twice at 10 s on one
# connection and once at 59 s on a unix socket whose name needs escaping;
# wrong-port never matched. The log spans exactly 59 s, so the 60 columns
# of the timeline are one second each. Lines 5 and 9 are broken.
log=$tmp/known.jsonl
cat >"$log" <<'EOF'
{"ts":"2026-01-01T00:00:00.000000Z","pid":100,"tid":100,"event":"start","seed":"42","rules":3,"exe":"app"}
{"ts":"2026-01-01T00:00:00.000000Z","pid":100,"tid":100,"event":"fault","rule":"reset-db","line":1,"op":"send","fd":3,"peer":"10.0.0.1:5432","local":"-","action":"reset","errno":"ECONNRESET","ret":-1,"conn":1,"call":3}
{"ts":"2026-01-01T00:00:10.000000Z","pid":100,"tid":101,"event":"fault","rule":"reset-db","line":1,"op":"recv","fd":4,"peer":"10.0.0.1:5432","local":"-","action":"reset","errno":"ECONNRESET","ret":-1,"conn":2,"call":1}
{"ts":"2026-01-01T00:00:10.000000Z","pid":100,"tid":100,"event":"fault","rule":"slow","line":2,"op":"send","fd":3,"peer":"10.0.0.1:5432","local":"-","action":"delay 200ms","conn":1,"call":1}
this line is not JSON
{"ts":"2026-01-01T00:00:10.500000Z","pid":100,"tid":100,"event":"fault","rule":"slow","line":2,"op":"send","fd":3,"peer":"10.0.0.1:5432","local":"-","action":"delay 180ms","conn":1,"call":2}
{"ts":"2026-01-01T00:00:20.000000Z","pid":100,"tid":100,"event":"fault","rule":"reset-db","line":1,"op":"send","fd":5,"peer":"10.0.0.2:5432","local":"-","action":"reset","errno":"ECONNRESET","ret":-1,"conn":1,"call":7}
{"ts":"2026-01-01T00:00:30.000000Z","pid":200,"tid":200,"event":"start","seed":"7","rules":3,"exe":"app"}
{"ts":"2026-01-01T00:00:31.000000Z","pid":200,"tid":200,"event":"fault","rule":"reset-db"
{"ts":"2026-01-01T00:00:59.000000Z","pid":200,"tid":200,"event":"fault","rule":"slow","line":2,"op":"sendmsg","fd":3,"peer":"unix:/tmp/a<&>b.sock","local":"-","action":"delay 200ms","conn":1,"call":1}
{"ts":"2026-01-01T00:00:59.000000Z","pid":100,"tid":100,"event":"stats","rule":"reset-db","line":1,"matched":10,"fired":3}
{"ts":"2026-01-01T00:00:59.000000Z","pid":100,"tid":100,"event":"stats","rule":"slow","line":2,"matched":5,"fired":2}
{"ts":"2026-01-01T00:00:59.000000Z","pid":100,"tid":100,"event":"stats","rule":"wrong-port","line":3,"matched":0,"fired":0}
EOF

cli_run report "$log"
expect_rc 0 "a log with two bad lines: exit 0"
expect_err "report: $log:5:1: not a JSON line" "bad line 5: reported with its line number"
expect_err "report: $log:9:[0-9]+: not a JSON line" "bad line 9 (cut short): reported with its line number"
expect_count "only the bad lines are reported" 2 "$tmp/err" 'not a JSON line'
expect_out '^  2 processes, seeds 42, 7; 6 faults over 59\.000s$' "summary: processes, seeds, faults, span (the bad lines skipped)"

# By rule: fired, distinct peers, distinct connections, first and last.
expect_out '^By rule:$'
expect_out '^  reset-db +reset +3 +2 +3 +0\.000s +20\.000s$' "by rule: reset-db 3 fired, 2 peers, 3 connections, 0 s to 20 s"
expect_out '^  slow +delay +3 +2 +2 +10\.000s +59\.000s$' "by rule: slow (delays grouped) 3 fired, 2 peers, 2 connections"
expect_out '^  wrong-port +- +0 +never fired \(never matched' "by rule: the rule that never matched is named"
expect_no_out 'reset-db.*never' "by rule: a rule that fired is not called never-fired"

# By peer and connection: each (peer, connection, process) once, with the
# count of each rule's faults on it.
expect_out '^By peer and connection:$'
expect_out '^  10\.0\.0\.1:5432 +conn 1 +pid 100 +reset-db x1 slow x2$' "by connection: 10.0.0.1 conn 1"
expect_out '^  10\.0\.0\.1:5432 +conn 2 +pid 100 +reset-db x1$' "by connection: 10.0.0.1 conn 2"
expect_out '^  10\.0\.0\.2:5432 +conn 1 +pid 100 +reset-db x1$' "by connection: 10.0.0.2 conn 1"
expect_out '^  unix:/tmp/a<&>b\.sock +conn 1 +pid 200 +slow x1$' "by connection: the unix peer of the second process"
expect_eq "by connection: four rows" 4 "$(sed -n '/^By peer and connection:/,/^$/p' "$tmp/out" | grep -c 'conn [0-9]')"

# Over time: one column a second. reset-db: a full bar at 0, 10 and 20;
# slow: two at 10 s (full), one at 59 s (half height: 4 of 8).
expect_out '^Over time \(60 columns of [0-9.]+s each\):$' "timeline: 60 columns over the span"
full=$(printf '\342\226\210')
half=$(printf '\342\226\204')
sp() { printf "%${1}s" ''; }
row_reset="$full$(sp 9)$full$(sp 9)$full$(sp 39)"
row_slow="$(sp 10)$full$(sp 48)$half"
row_never="$(sp 60)"
expect_eq "timeline: reset-db's row" "  reset-db                 |$row_reset| 3" "$(grep '^  reset-db  *|' "$tmp/out")"
expect_eq "timeline: slow's row (heights proportional)" "  slow                     |$row_slow| 3" "$(grep '^  slow  *|' "$tmp/out")"
expect_eq "timeline: wrong-port's empty row" "  wrong-port               |$row_never| 0" "$(grep '^  wrong-port  *|' "$tmp/out")"

# The log on standard input: the same report.
cli_run report - <"$log"
expect_out '^  2 processes, seeds 42, 7; 6 faults over 59\.000s$' "'-' reads the log from standard input"
expect_err "report: -:5:1: not a JSON line|report: <stdin>:5:1: not a JSON line" "standard input: bad lines numbered too"

# --svg and --html
cli_run report --svg "$tmp/t.svg" --html "$tmp/t.html" "$log"
expect_rc 0
expect_out "^wrote $tmp/t\.svg\$" "--svg: said where"
expect_out "^wrote $tmp/t\.html\$" "--html: said where"
expect_in "$tmp/t.svg" '^<svg xmlns="http://www.w3.org/2000/svg"' "--svg: an SVG document"
expect_in "$tmp/t.svg" 'a&lt;&amp;&gt;b\.sock' "--svg: the peer's name escaped"
expect_in "$tmp/t.html" '<h2>Timeline</h2>' "--html: the timeline heading"
expect_in "$tmp/t.html" '<svg ' "--html: the timeline itself"
for r in reset-db slow wrong-port; do
	expect_count "--html: one table row for $r" 1 "$tmp/t.html" "<tr><td>$r</td>"
done
if [ -n "$PY" ]; then
	cat >"$tmp/check.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
print("svg root = %s" % root.tag.replace(ns, ""))
rects = root.findall(ns + "rect")
print("svg rects = %d" % len(rects))
titles = sorted(r.find(ns + "title").text.split(" on ")[0].split(" ", 1)[1] for r in rects)
print("svg titles = %s" % ",".join(titles))
print("svg unix title = %s" % any("unix:/tmp/a<&>b.sock" in r.find(ns + "title").text for r in rects))
labels = [t.text for t in root.findall(ns + "text")]
print("svg labels = %s" % ",".join(l for l in labels if l and "(" in l and "faults" not in l))
# x grows with time: the 59 s fault is right of the 0 s one.
xs = {r.find(ns + "title").text.split(" ")[0]: int(r.get("x")) for r in rects}
print("svg x order = %s" % (xs["+0.000000s"] < xs["+10.000000s"] < xs["+20.000000s"] < xs["+59.000000s"]))

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.rows, self.cells, self.svg, self.problems = [], 0, [], 0, []
        self.cell = None
    def handle_starttag(self, tag, attrs):
        if tag in ("meta", "line", "rect"):
            return
        self.stack.append(tag)
        if tag == "tr":
            self.rows += 1
            self.cells.append([])
        if tag in ("td", "th"):
            self.cell = ""
        if tag == "svg":
            self.svg += 1
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if tag in ("line", "rect"):
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("</%s> closes %s" % (tag, self.stack[-1:] or "nothing"))
        else:
            self.stack.pop()
        if tag in ("td", "th"):
            self.cells[-1].append(self.cell)
            self.cell = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
p = P()
p.feed(open(sys.argv[2]).read())
print("html rows = %d" % p.rows)
for c in p.cells:
    print("html row = %s" % "|".join(c))
print("html svg = %d" % p.svg)
print("html nesting = %s" % ("; ".join(p.problems) or "ok") + (" unclosed " + ",".join(p.stack) if p.stack else ""))
EOF
	plain_run "$PY" "$tmp/check.py" "$tmp/t.svg" "$tmp/t.html"
	expect_rc 0 "--svg parses as XML, --html as HTML"
	expect_out '^svg root = svg$'
	expect_out '^svg rects = 6$' "--svg: one mark per fault"
	expect_out '^svg titles = reset-db,reset-db,reset-db,slow,slow,slow$' "--svg: each mark names its rule"
	expect_out '^svg unix title = True$' "--svg: the escaped name reads back intact"
	expect_out '^svg labels = reset-db \(3\),slow \(3\),wrong-port \(0\)$' "--svg: a labelled row per rule"
	expect_out '^svg x order = True$' "--svg: marks placed by time"
	expect_out '^html rows = 4$' "--html: a header and a row per rule"
	expect_out '^html row = reset-db\|reset\|3$'
	expect_out '^html row = slow\|delay\|3$'
	expect_out '^html row = wrong-port\|\|0$'
	expect_out '^html svg = 1$'
	expect_out '^html nesting = ok$' "--html: every element closed in order"
else
	echo "note: no python3: the SVG and HTML are not parsed"
fi

# --- not a sockfault JSON log ---
cat >"$tmp/text.log" <<'EOF'
sockfault[12]: started in app: 1 rule, seed 5
sockfault[12]: r fired on send fd=3 peer=127.0.0.1:80: reset (ECONNRESET)
EOF
cli_run report "$tmp/text.log"
expect_rc 1 "a text log: exit 1"
expect_err 'no sockfault JSON events' "a text log: says it is not JSON"
cli_run report "$tmp/no-such.jsonl"
expect_rc 1 "a missing log: exit 1"
expect_err 'cannot read' "a missing log: said"
cli_run report
expect_rc 2 "no log given: usage error"

# --- a recorded log: the report agrees with what the program saw ---
peer_start a -n 0 -t 60 sink
peer_start b -n 0 -t 60 sink
rec=$tmp/rec.jsonl
rules="reset3: send when=3 => error ECONNRESET
sometimes: send p=0.3 => error EPIPE
wrong-port: send peer=*:1 => error ETIMEDOUT"
printf '%s\n' "$rules" >"$tmp/rec.rules"
cli_run run --json --log "$rec" --stats --seed 1234 -r "$tmp/rec.rules" -- "$R/treal" -N -A "127.0.0.1:$a_port" connect sends=12 connect sends=12
cp "$tmp/out" "$tmp/run1.out"
cli_run run --json --log "$rec" --stats --seed 1234 -r "$tmp/rec.rules" -- "$R/treal" -N -A "127.0.0.1:$b_port" connect sends=12
cp "$tmp/out" "$tmp/run2.out"
epipe=$(cat "$tmp/run1.out" "$tmp/run2.out" | grep '^sends' | tr ' ' '\n' | grep -c '^EPIPE$' || :)
reset=$(cat "$tmp/run1.out" "$tmp/run2.out" | grep '^sends' | tr ' ' '\n' | grep -c '^ECONNRESET$' || :)
expect_eq "the program saw one ECONNRESET a connection" 3 "$reset"
expect_ge "p=0.3 with seed 1234 gave some EPIPE" 1 "$epipe"
cli_run report "$rec"
expect_rc 0
expect_no_err 'not a JSON line' "a recorded log has no bad lines"
expect_out "^  2 processes, seeds? 1234; $((epipe + 3)) faults over " "recorded: processes, seed and faults"
expect_out '^  reset3 +error ECONNRESET +3 +2 +3 ' "recorded: reset3 fired 3 times, 2 peers, 3 connections"
expect_out "^  sometimes +error EPIPE +$epipe " "recorded: sometimes fired as often as the program saw EPIPE"
expect_out '^  wrong-port +- +0 +never fired \(never matched' "recorded: the wrong port is named"
# Per connection: the program's own count of EPIPE on each connection.
n=0
for f in "$tmp/run1.out" "$tmp/run2.out"; do
	n=$((n + 1))
	port=$a_port
	[ "$n" = 2 ] && port=$b_port
	grep '^sends' "$f" | awk '{ print "conn", NR ":", substr($0, 9) }' | while read -r _ c rest; do
		c=${c%:}
		k=$(printf '%s\n' $rest | grep -c '^EPIPE$' || :)
		want="reset3 x1"
		[ "$k" -gt 0 ] && want="$want sometimes x$k"
		echo "127.0.0.1:$port conn $c: $want"
	done
done >"$tmp/want.conns"
# (The rules on a row come in the order they first fired: compare them
# sorted.)
sorted_pairs() {
	awk '{ printf "%s %s %s", $1, $2, $3; n = 0
	       for (i = 4; i < NF; i += 2) p[n++] = $i " " $(i + 1)
	       for (i = 1; i < n; i++) for (j = i; j > 0 && p[j - 1] > p[j]; j--) { t = p[j]; p[j] = p[j - 1]; p[j - 1] = t }
	       for (i = 0; i < n; i++) printf " %s", p[i]
	       print "" }' | sort
}
sed -n '/^By peer and connection:/,/^$/p' "$tmp/out" | grep 'conn [0-9]' |
	sed 's/^  \([^ ]*\) *conn \([0-9]*\) *\(pid [0-9]*\|proc [0-9.#a-f]*\) *\(.*\)$/\1 conn \2: \4/' | sorted_pairs >"$tmp/got.conns"
sorted_pairs <"$tmp/want.conns" >"$tmp/want.sorted"
mv "$tmp/want.sorted" "$tmp/want.conns"
expect_eq "recorded: per peer and connection, the program's own counts" "$(cat "$tmp/want.conns")" "$(cat "$tmp/got.conns")"
expect_eq "recorded: the timeline's totals" "3 $epipe 0" \
	"$(for r in reset3 sometimes wrong-port; do grep "^  $r  *|" "$tmp/out" | sed 's/.*| //'; done | tr '\n' ' ' | sed 's/ $//')"

finish
