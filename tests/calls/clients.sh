#!/bin/sh
# Real third-party clients under the preload: python3's socket module (an
# injected refusal is a ConnectionRefusedError, blocking or with a timeout,
# which python implements with a nonblocking connect and poll) and curl
# against a small local HTTP server (curl reports the injected failure).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

py=$(sf_python)
curl=${SF_CURL:-}
[ -n "$py" ] || [ -n "$curl" ] || skip "neither python3 nor curl was found by configure"
if [ -n "$py" ] && ! foreign_ok "$py" -c pass; then
	echo "python3 does not run with the ASan runtime preloaded: python cases skipped"
	py=
fi
if [ -n "$curl" ] && ! foreign_ok "$curl" --version; then
	echo "curl does not run with the ASan runtime preloaded: curl cases skipped"
	curl=
fi
[ -n "$py" ] || [ -n "$curl" ] || skip "no third-party client can run in this build (ASan)"

# ASan in LD_PRELOAD of a program not built with it: no leak report at exit
# (python's and curl's own allocations are not ours to judge).
asan="ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"

peer_start h -n 0 -t 60 http
peer_start e -n 0 -t 60 echo

if [ -n "$py" ]; then
	echo "python3: $py"
	cat >"$tmp/client.py" <<'PY'
import errno, socket, sys
port, timeout = int(sys.argv[1]), (None if sys.argv[2] == "none" else float(sys.argv[2]))
def name(e):
    return "%s %s" % (type(e).__name__, errno.errorcode.get(e.errno, e.errno))
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
except OSError as e:
    print("connect:", name(e))
    sys.exit(0)
print("connect: ok")
try:
    s.sendall(b"hello")
    print("send: ok")
    print("recv:", s.recv(5).decode())
except OSError as e:
    print("io:", name(e))
PY
	for timeout in none 5; do
		sf_run "$asan" SOCKFAULT_RULES_TEXT='connect => error ECONNREFUSED' "$py" "$tmp/client.py" "$e_port" "$timeout"
		expect_rc 0
		expect_out '^connect: ConnectionRefusedError ECONNREFUSED$' "python (timeout=$timeout): ConnectionRefusedError"
		expect_err 'text-1 fired on connect' "python (timeout=$timeout): the fault is logged"
	done
	sf_run "$asan" SOCKFAULT_RULES_TEXT='connect => error WSAETIMEDOUT' "$py" "$tmp/client.py" "$e_port" 5
	expect_out '^connect: TimeoutError ETIMEDOUT$' "python: WSAETIMEDOUT is a TimeoutError"
	sf_run "$asan" SOCKFAULT_RULES_TEXT='send => error ECONNRESET' "$py" "$tmp/client.py" "$e_port" none
	expect_out '^io: ConnectionResetError ECONNRESET$' "python: sendall raises ConnectionResetError"
	sf_run "$asan" SOCKFAULT_RULES_TEXT='recv => error WSAECONNABORTED' "$py" "$tmp/client.py" "$e_port" none
	expect_out '^send: ok$'
	expect_out '^io: ConnectionAbortedError ECONNABORTED$' "python: recv raises ConnectionAbortedError"
	sf_run "$asan" "$py" "$tmp/client.py" "$e_port" 5
	expect_out '^connect: ok$' "python without rules: connects"
	expect_out '^recv: hello$' "python without rules: the echo comes back"
	expect_empty "$tmp/err"
elif [ -z "${SF_PYTHON3:-}" ]; then
	echo "python3 not found: python cases skipped"
fi

if [ -n "$curl" ]; then
	url=http://127.0.0.1:$h_port/
	fetch() { # [RULES]
		sf_run "$asan" ${1:+SOCKFAULT_RULES_TEXT="$1"} http_proxy= HTTP_PROXY= all_proxy= ALL_PROXY= \
			"$curl" -q -sS --noproxy '*' --max-time 20 "$url"
	}
	fetch
	expect_rc 0 "curl without rules"
	expect_out '^hello from tpeer$' "curl without rules: the body"
	fetch 'connect => error ECONNREFUSED'
	expect_rc 7 "curl: an injected refusal is 'couldn't connect' (7)"
	expect_no_out 'hello'
	fetch 'connect => error ENETUNREACH now'
	expect_rc 7 "curl: with now as well (7)"
	fetch 'recv => error ECONNRESET'
	expect_rc 56 "curl: an injected reset while receiving (56)"
	expect_err 'Connection reset by peer' "curl: says why"
	fetch 'send => error EPIPE'
	expect_rc 55 "curl: an injected EPIPE while sending (55)"
	fetch 'recv => short 3'
	expect_rc 0 "curl: short receives are no error"
	expect_out '^hello from tpeer$' "curl: the body in 3-byte pieces"
elif [ -z "${SF_CURL:-}" ]; then
	echo "curl not found: curl cases skipped"
fi

kill "$h_pid" "$e_pid" 2>/dev/null || :
peer_wait h
peer_wait e
finish
