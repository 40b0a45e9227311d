#!/bin/sh
# The Python module (python/sockfault_ctl.py) as a test uses it: start a
# python asyncio client under sockfault, wait for its channel, fire a
# reset on its peer (a C echo server, not under sockfault), and see the
# client get ConnectionResetError and the server ECONNRESET. Then a
# program that forks (the child answers on a channel of its own, with its
# own pid) and closes every descriptor as a daemon does, then opens files
# on those numbers: the channel comes back on descriptors of its own, and
# the program's files are left alone.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
ctl_setup

PY=$(sf_python)
[ -n "$PY" ] || skip "no python3"
sf_musl && skip "python is a glibc program: it cannot load a musl build of the library"
foreign_ok "$PY" -c pass || skip "python does not start with the sanitizer runtime preloaded"

"$C/tctl" serve "$tmp/srv.ready" 1 >"$tmp/srv.out" 2>&1 &
bg_pids="$bg_pids $!"
wait_file "$tmp/srv.ready"
port=$(cat "$tmp/srv.ready")

cat >"$tmp/driver.py" <<'EOF'
import os
import subprocess
import sys
import time

import sockfault_ctl as sf

py, srcdir, port, tmp = sys.argv[1:5]
lib = os.environ["SF_PRELOAD"]
failures = 0


def check(what, cond, detail=""):
    global failures
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " (%s)" % detail), flush=True)
    failures += not cond


# An asyncio client; a reset fired on its peer.
proc = sf.start([py, os.path.join(srcdir, "tests/cli/ctl_asyncio.py"), port], lib=lib,
                rules="connect => delay 1ms", stdout=subprocess.PIPE, text=True)
line = proc.stdout.readline().strip()
check("the client connected", line == "asyncio: connected", line)
with sf.wait_channel(proc.pid, proc=proc) as ch:
    hello = ch.hello()
    check("hello names the program", hello["pid"] == proc.pid and hello["exe"].startswith("python"), hello)
    peer = "127.0.0.1:%s" % port
    conns = [c for c in ch.conns() if c["peer"] == peer]
    check("conns has the connection", len(conns) == 1 and conns[0]["tcp_state"] == "ESTAB", conns)
    watcher = sf.Channel(proc.pid)
    events = watcher.watch()
    first = next(events)
    check("watch begins with the connections", first["event"] == "conn", first)
    fired = ch.fire("reset", peer=peer)
    check("fire answers where it fired", [f["peer"] for f in fired] == [peer], fired)
    watcher.sock.settimeout(10)
    seen = next((e for e in events if e["event"] == "fired"), None)
    check("watch sees the fire", seen and seen["action"] == "reset" and seen["peer"] == peer, seen)
    watcher.close()
    rules = ch.rules()
    check("rules: the rule with its counters", rules and rules[0]["rule"] == "text-1" and rules[0]["fired"] == 1, rules)
    try:
        ch.load("send => eror EPIPE")
        check("a bad load is refused", False)
    except sf.ChannelError as e:
        check("a bad load is refused, with where", e.diags and e.diags[0].startswith("-e:1:9:"), e.diags)
out = proc.communicate(timeout=30)[0]
check("the client got ConnectionResetError", "asyncio: end=ConnectionResetError" in out, out)

# fork, and a daemon's close-everything.
stop = os.path.join(tmp, "stop")
proc = sf.start([py, os.path.join(srcdir, "tests/cli/ctl_fork.py"), stop], lib=lib, stdout=subprocess.PIPE, text=True)
lines = {}
for _ in range(2):
    k, v = proc.stdout.readline().split()
    lines[k] = int(v)
check("parent and child", set(lines) == {"parent", "child"}, lines)
# A client of the parent's channel stays connected while the program closes
# everything: its descriptor number becomes one of the program's files.
held = sf.wait_channel(lines["parent"], proc=proc)
with sf.wait_channel(lines["child"], proc=proc) as ch:
    check("the child answers on its own channel", ch.hello()["pid"] == lines["child"])
line = proc.stdout.readline().strip()
check("the program closed everything and opened files", line == "files open", line)
t0 = time.monotonic()
with sf.wait_channel(lines["parent"], timeout=10, proc=proc) as ch:
    check("the parent's channel came back", ch.hello()["pid"] == lines["parent"])
print("channel back after %.2f s" % (time.monotonic() - t0))
held.close()
open(stop, "w").close()
out = proc.communicate(timeout=30)[0]
check("the program's files were left alone", "files intact" in out, out)
check("the program ended well", proc.returncode == 0, proc.returncode)
sys.exit(1 if failures else 0)
EOF
echo "+ python driver"
set +e
# ASan in LD_PRELOAD of python: no leak report at exit (python's own
# allocations are not ours to judge); no bytecode written into the source tree.
PYTHONDONTWRITEBYTECODE=1 ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" SF_PRELOAD="$(sf_preload)" PYTHONPATH="$SF_SRCDIR/python" $tmo "$PY" "$tmp/driver.py" "$PY" "$SF_SRCDIR" "$port" "$tmp" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
expect_rc 0 "the python driver's checks"
wait_out srv '^conn 1: end=ECONNRESET$'
pass "the server read ECONNRESET"
finish
