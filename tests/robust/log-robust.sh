#!/bin/sh
# The log never breaks and never gets in the way. Addresses are data from
# outside: a unix socket name may hold quotes, backslashes, newlines, any
# byte; a log event stays one line, and a JSON event stays valid JSON
# (UTF-8, every escape complete) however long its addresses are. And log
# lines never go into one of the program's own sockets.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

py=$(sf_python)

# An abstract name (no file) with a quote, a backslash, a newline, a
# control character and a byte that is not UTF-8.
odd=$(printf '@sf"q\\b\nl\001\377x')
peer_start o -U "$odd" -n 0 -t 30 sink

sf_run SOCKFAULT_RULES_TEXT='send proto=unix => error EIO' "$R/treal" -N -A "unix:$odd" connect sends=1
expect_out '^sends = EIO$' "the odd name is faulted"
expect_eq "text: one line per event (start, fault)" 2 "$(wc -l <"$tmp/err" | tr -d ' ')"
expect_in "$tmp/err" '^sockfault\[[0-9]+\]: text-1 fired on send fd=[0-9]+ peer=unix:.*: error EIO \(EIO\)$' \
	"text: the fault line is whole"

sf_run SOCKFAULT_RULES_TEXT='send proto=unix => error EIO' SOCKFAULT_LOG_FORMAT=json "$R/treal" -N -A "unix:$odd" connect \
	sends=1
cp "$tmp/err" "$tmp/odd.json"
expect_eq "JSON: one line per event (start, fault)" 2 "$(wc -l <"$tmp/odd.json" | tr -d ' ')"

# Long names on both ends, all control characters: every one of them is
# written as a six-character escape.
long_peer=@$(printf '\001%.0s' $(seq 1 100))
long_local=@$(printf '\002%.0s' $(seq 1 100))
peer_start l -U "$long_peer" -n 0 -t 30 sink
sf_run SOCKFAULT_RULES_TEXT='send proto=unix => error EIO' SOCKFAULT_LOG_FORMAT=json \
	"$R/treal" -N -A "unix:$long_peer" socket "bind=$long_local" reconnect sends=1
expect_out '^sends = EIO$' "the long names are faulted"
cp "$tmp/err" "$tmp/long.json"

if [ -n "$py" ]; then
	cat >"$tmp/check.py" <<'PY'
import json, sys
ok = True
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    for n, line in enumerate(raw.split(b"\n")[:-1], 1):
        try:
            ev = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            print("FAIL: %s line %d (%d bytes) is not UTF-8 JSON: %s" % (path, n, len(line), e))
            ok = False
            continue
        if ev.get("event") == "fault":
            print("%s: peer %r, local %r" % (path, ev.get("peer"), ev.get("local")))
sys.exit(0 if ok else 1)
PY
	if "$py" "$tmp/check.py" "$tmp/odd.json"; then
		pass "JSON: an odd name is escaped into valid UTF-8 JSON"
	else
		fail "JSON: an odd name breaks the JSON line"
	fi
	if "$py" "$tmp/check.py" "$tmp/long.json"; then
		pass "JSON: long escaped names still make a whole JSON line"
	else
		fail "JSON: long escaped names make a truncated, invalid JSON line"
	fi
else
	echo "python3 not found: the JSON lines are not parsed"
fi

# A daemon closed its stderr and its next socket took descriptor 2: the
# log ("stderr") must not be written into that connection. With tracing
# and no rules, the peer must get exactly what the program sent.
for settings in "SOCKFAULT_TRACE=1" "SOCKFAULT_RULES_TEXT=send when=2 => error ECONNRESET"; do
	sf_run "$settings" "$R/treal" -S "$tmp/u" closefd=2 p:listen connect fd sendns=4 sendns=4 p:accept p:expect,1000 \
		p:expect,300
	expect_out '^fd = 2$' "$settings: the socket took descriptor 2"
	case $settings in
	*TRACE*) want='^peer expect = data 8 bits=0 ' ;;
	*) want='^peer expect = data 4 bits=0 ' ;;
	esac
	expect_out "$want" "$settings: the peer got exactly what the program sent"
	expect_out '^peer expect = silence$' "$settings: no log line went into the program's socket"
done

kill "$o_pid" "$l_pid" 2>/dev/null || :
peer_wait o
peer_wait l
finish
