#!/bin/sh
# shellcheck disable=SC2154 # peer_start sets e_port, e_pid, h_port, h_pid
# Third-party clients under the realism actions: python3's asyncio and curl
# report a reset or a timeout as their own ordinary error, within a bounded
# time, and a blackhole is ended by their own timers, never a hang. The
# servers are tpeer (tests/lib), never preloaded: an echo server for
# asyncio, an HTTP one for curl (and the echo server again where the HTTP
# server's early close would race with the fault: see the timeout case).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

py=$(sf_python)
curl=${SF_CURL:-}
[ -n "$py" ] || [ -n "$curl" ] || skip "neither python3 nor curl was found by configure"
# Not our allocations to judge in an ASan build.
asan="ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"
SF_TEST_TIMEOUT=30
tmo="timeout -k 5 $SF_TEST_TIMEOUT"

# elapsed_ms of the run, printed by the client itself.
elapsed() {
	out_line '^elapsed_ms: ' | sed 's/.*: //'
}

if [ -n "$py" ]; then
	echo "python3: $py"
	peer_start e -n 0 -t 60 echo
	cat >"$tmp/aclient.py" <<'PY'
import asyncio, errno, sys, time
port = int(sys.argv[1])
def name(e):
    return "%s %s" % (type(e).__name__, errno.errorcode.get(getattr(e, "errno", None) or 0, "-"))
async def main():
    t0 = time.monotonic()
    try:
        # The program's own timers: 3 s for the connect and for the answer.
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 3)
        print("connect: ok")
        w.write(b"hello")
        await w.drain()
        data = await asyncio.wait_for(r.read(100), 3)
        print("read: %r" % data)
    except (OSError, asyncio.TimeoutError) as e:
        print("error:", name(e))
    print("elapsed_ms:", int((time.monotonic() - t0) * 1000))
asyncio.run(main())
PY
	aclient() { # RULES
		sf_run "$asan" ${1:+SOCKFAULT_RULES_TEXT="$1"} SOCKFAULT_LOG=off "$py" "$tmp/aclient.py" "$e_port"
		expect_rc 0 "asyncio ${1:-without rules}: the client finished"
	}
	aclient ''
	expect_out "^read: b'hello'\$" "asyncio without rules: the echo"
	aclient 'recv => reset'
	expect_out '^error: ConnectionResetError ECONNRESET$' "asyncio: a reset is a ConnectionResetError"
	expect_between "asyncio: at once" 0 1000 "$(elapsed)"
	aclient 'send => reset'
	expect_out '^error: ConnectionResetError ' "asyncio: a reset while writing is a ConnectionResetError"
	aclient 'send => timeout 1s'
	expect_out '^error: TimeoutError ETIMEDOUT$' "asyncio: a timeout while reading is a TimeoutError (ETIMEDOUT)"
	expect_between "asyncio: after the 1 s of silence" 900 2000 "$(elapsed)"
	aclient 'connect => timeout 1s'
	expect_out '^error: TimeoutError ETIMEDOUT$' "asyncio: a connect timeout is a TimeoutError (ETIMEDOUT)"
	expect_between "asyncio: the connect failed after 1 s" 900 2000 "$(elapsed)"
	aclient 'recv => error ECONNABORTED sticky'
	expect_out '^error: ConnectionAbortedError ECONNABORTED$' "asyncio: a sticky error is raised"
	aclient 'recv => hangup'
	expect_out "^read: b''\$" "asyncio: a hangup reads as the end of the stream"
	# Silence: the client's own 3 s timer ends the wait.
	aclient 'tx => blackhole'
	expect_out '^error: TimeoutError -$' "asyncio: a blackhole is ended by wait_for"
	expect_between "asyncio: by its 3 s timer" 2900 6000 "$(elapsed)"
	aclient 'connect => blackhole'
	expect_out '^error: TimeoutError -$' "asyncio: a blackholed connect is ended by wait_for"
	expect_between "asyncio: by its 3 s timer" 2900 6000 "$(elapsed)"
	kill "$e_pid" 2>/dev/null || :
	peer_wait e
else
	echo "python3 not found: the asyncio cases are skipped"
fi

# Under the ASan runtime alone (no library), curl may not run at all on
# some systems (it hangs before connecting): that is no fault of ours, and
# the curl cases are skipped there.
if [ -n "$curl" ] && [ "$(sf_preload)" != "$SF_LIB" ]; then
	if ! timeout 5 env LD_PRELOAD="$(sf_preload | sed 's/ .*//')" "$asan" "$curl" -q --version >/dev/null 2>&1; then
		echo "curl does not run under the ASan runtime here: the curl cases are skipped"
		curl=
	fi
fi

if [ -n "$curl" ]; then
	peer_start h -n 0 -t 60 http
	peer_start e -n 0 -t 60 echo
	fetch() { # RULES [PORT]
		_t0=$(date +%s%N 2>/dev/null || echo 0)
		sf_run "$asan" ${1:+SOCKFAULT_RULES_TEXT="$1"} SOCKFAULT_LOG=off http_proxy= HTTP_PROXY= all_proxy= \
			ALL_PROXY= "$curl" -q -sS --noproxy '*' --connect-timeout 3 --max-time 5 \
			"http://127.0.0.1:${2:-$h_port}/"
		_t1=$(date +%s%N 2>/dev/null || echo 0)
		took=$(((_t1 - _t0) / 1000000))
	}
	fetch ''
	expect_rc 0 "curl without rules"
	expect_out '^hello from tpeer$' "curl without rules: the body"
	fetch 'recv => reset'
	expect_rc 56 "curl: a reset is a receive failure (56)"
	expect_err 'Connection reset by peer' "curl: says the connection was reset"
	# The echo server never closes first: it sends the request back (no
	# HTTP reply: curl fails with 1). The link goes silent as the request
	# goes out: 1 s of silence, then ETIMEDOUT.
	fetch '' "$e_port"
	expect_rc 1 "curl against the echo server without rules: no HTTP reply (1)"
	fetch 'send => timeout 1s' "$e_port"
	expect_rc 56 "curl: a timeout while receiving is a receive failure (56)"
	expect_err 'Connection timed out' "curl: says the connection timed out"
	expect_between "curl: after the 1 s of silence" 900 2500 "$took"
	# The HTTP server answers and closes at once; the link goes silent as
	# the request goes out, so neither reaches curl, which ends with an
	# error of its own, never hangs.
	fetch 'send => timeout 1s'
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ]; then
		pass "curl: a timeout against the HTTP server ends in an error of curl's ($rc)"
	else
		fail "curl: a timeout against the HTTP server: exit status $rc"
	fi
	expect_between "curl: no hang" 0 5500 "$took"
	fetch 'connect => timeout 1s'
	expect_rc 28 "curl: a connect timeout (28)"
	expect_between "curl: after 1 s, before its own 3 s" 900 2500 "$took"
	fetch 'connect => blackhole'
	expect_rc 28 "curl: a blackholed connect ends at its --connect-timeout (28)"
	expect_between "curl: after its 3 s" 2900 6000 "$took"
	kill "$h_pid" "$e_pid" 2>/dev/null || :
	peer_wait h
	peer_wait e
else
	echo "no usable curl: the curl cases are skipped"
fi

finish
