#!/bin/sh
# Windows programs under Wine: a Winsock client (wclient.c, built here with
# x86_64-w64-mingw32-gcc) lives the seed stories under
# `sockfault run -- wine64 wclient.exe` against a real peer on loopback, and
# sees the Winsock codes it would see on Windows. Also: exe= names the
# Windows program, a rule that sleeps does not stall wineserver, a run has
# a wineserver of its own and leaves nothing behind, and each code Wine
# turns into another one is the one sockfault-rules(5) says.
#
# Needs wine64 (Debian: wine64, wine) and mingw-w64 (gcc-mingw-w64-x86-64-
# win32); without them, or in a sanitizer or musl build (Wine loads the
# library into glibc programs of its own), the test is skipped. The Wine
# prefix is made once, in the build directory, and reused: each run works
# in a copy of it made of links (sockfault(1)).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

MINGW=${SF_MINGW_CC:-x86_64-w64-mingw32-gcc}
command -v "$MINGW" >/dev/null 2>&1 || skip "no $MINGW (Debian: gcc-mingw-w64-x86-64-win32)"
if command -v wine64 >/dev/null 2>&1; then
	WINE=wine64
elif [ -x /usr/lib/wine/wine64 ]; then
	WINE=/usr/lib/wine/wine64
else
	skip "no wine64 (Debian: wine64 and wine)"
fi
command -v wineserver >/dev/null 2>&1 || [ -x "${WINE%/*}/wineserver" ] || skip "no wineserver (Debian: wine)"
[ -z "${SF_SANITIZE:-}" ] || skip "Wine's programs are not run under a sanitizer runtime"
case ${SF_CC:-} in *musl*) skip "a musl-linked library cannot be loaded into Wine's glibc programs" ;; esac

D=$SF_BUILDDIR/tests/reach
mkdir -p "$D"
EXE=$D/wclient.exe
if [ ! -s "$EXE" ] || [ "$SF_SRCDIR/tests/reach/wclient.c" -nt "$EXE" ]; then
	"$MINGW" -O2 -Wall -Wextra -Werror -o "$EXE.tmp" "$SF_SRCDIR/tests/reach/wclient.c" -lws2_32 ||
		hard_error "cannot build wclient.exe with $MINGW"
	mv "$EXE.tmp" "$EXE"
fi

# Quiet Wine, no display, no Mono or Gecko to install.
WINEDEBUG=-all
WINEDLLOVERRIDES='mscoree,mshtml='
DISPLAY=
export WINEDEBUG WINEDLLOVERRIDES DISPLAY
unset WAYLAND_DISPLAY
WINEPREFIX=$D/wine-prefix
export WINEPREFIX
if [ ! -s "$WINEPREFIX/system.reg" ]; then
	echo "+ making the Wine prefix $WINEPREFIX (once)"
	rm -rf "$WINEPREFIX"
	$tmo "$WINE" wineboot -i >"$tmp/boot" 2>&1 || { cat "$tmp/boot"; hard_error "wineboot failed"; }
	# The prefix is written when its server ends.
	$tmo wineserver -w 2>/dev/null || $tmo "${WINE%/*}/wineserver" -w
	[ -s "$WINEPREFIX/system.reg" ] || hard_error "wineboot made no prefix in $WINEPREFIX"
fi

# The runs' own prefixes go to $tmp/runs, to see that nothing is left;
# the user's registry is never written by a run.
mkdir "$tmp/runs"
reg_before=$(stat -c %y "$WINEPREFIX/system.reg")

# wrun RULES STEP...: wclient under `sockfault run -e RULES` ('' for no
# rule) against a fresh echo peer (tpeer, never preloaded); the transcript
# in $tmp/out, the library's log in $tmp/log, the peer's report in $p_out.
wrun() {
	_rules=$1
	shift
	peer_start p -n 1 -t 30 echo
	rm -f "$tmp/log"
	echo "+ rules: ${_rules:-none}"
	set +e
	if [ -n "$_rules" ]; then
		$tmo env TMPDIR="$tmp/runs" "$SF_CLI" run --log "$tmp/log" -e "$_rules" -- "$WINE" "$EXE" "$p_port" "$@" \
			>"$tmp/out" 2>"$tmp/err"
	else
		$tmo env TMPDIR="$tmp/runs" "$SF_CLI" run --log "$tmp/log" -- "$WINE" "$EXE" "$p_port" "$@" \
			>"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	set -e
	kill "$p_pid" 2>/dev/null || :
	show_output
	peer_wait p
	touch "$tmp/log"
	grep -v ' trace ' "$tmp/log" | sed 's/^/  log| /'
	[ "$rc" -eq 0 ] || fail "the run exited with $rc"
}

# transcript WHAT: the output is exactly the lines given on stdin.
transcript() {
	if printf '%s\n' "$(cat)" | cmp -s - "$tmp/out"; then
		pass "$1"
	else
		fail "$1: the transcript differs (above)"
	fi
}

# --- WSAECONNREFUSED: blocking, then the second connect Wine makes ---
# Without faults, against a port where nothing listens: the reference.
peer_start gone -n 0 -t 1 sink
gone=$gone_port
peer_wait gone
set +e
$tmo env TMPDIR="$tmp/runs" "$SF_CLI" run -- "$WINE" "$EXE" "$gone" connect connect >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
cp "$tmp/out" "$tmp/refused-real"
transcript "a real refusal, then a second connect" <<EOF
socket = 0
connect = -1 WSAECONNREFUSED 10061
connect = -1 WSAECONNABORTED 10053
EOF
wrun 'connect proto=tcp => error WSAECONNREFUSED' connect connect
if cmp -s "$tmp/out" "$tmp/refused-real"; then
	pass "an injected refusal is seen as the real one, second connect included"
else
	fail "an injected refusal differs from the real one (above)"
fi

# Nonblocking: WSAEWOULDBLOCK, select reports the failure, SO_ERROR says it.
wrun 'connect proto=tcp => error WSAECONNREFUSED' nonblock connect select 5000 soerror
transcript "nonblocking refusal through select and SO_ERROR" <<EOF
socket = 0
nonblock = 0
connect = -1 WSAEWOULDBLOCK 10035
select = 1 w=0 e=1
soerror = 10061 WSAECONNREFUSED
EOF

# --- WSAEWOULDBLOCK, WSAEALREADY, WSAEISCONN: the connect() documentation ---
wrun 'connect proto=tcp => blackhole' nonblock connect connect select 300 connect
transcript "a pending nonblocking connect: WSAEWOULDBLOCK, then WSAEALREADY" <<EOF
socket = 0
nonblock = 0
connect = -1 WSAEWOULDBLOCK 10035
connect = -1 WSAEALREADY 10037
select = 0 w=0 e=0
connect = -1 WSAEALREADY 10037
EOF
wrun '' nonblock connect select 5000 connect send ping recv 5000
transcript "once connected, a second connect: WSAEISCONN" <<EOF
socket = 0
nonblock = 0
connect = -1 WSAEWOULDBLOCK 10035
select = 1 w=1 e=0
connect = -1 WSAEISCONN 10056
send = 4
recv = 4 ping
EOF
wrun '' connect connect
transcript "blocking, a second connect: WSAEISCONN" <<EOF
socket = 0
connect = 0
connect = -1 WSAEISCONN 10056
EOF

# --- WSAENOTCONN after an idle kill (rules/idle-firewall.rules, shortened) ---
wrun 'tx proto=tcp idle>300ms => error WSAENOTCONN sticky' connect send ping recv 5000 sleep 600 send x recv 100
transcript "idle kill: WSAENOTCONN, and it sticks" <<EOF
socket = 0
connect = 0
send = 4
recv = 4 ping
send = -1 WSAENOTCONN 10057
recv = -1 WSAENOTCONN 10057
EOF

# --- WSAECONNRESET, with a real RST to the peer ---
wrun 'tx proto=tcp when=2 => reset' connect send ping recv 5000 send x
transcript "reset: WSAECONNRESET" <<EOF
socket = 0
connect = 0
send = 4
recv = 4 ping
send = -1 WSAECONNRESET 10054
EOF
expect_in "$p_out" 'first="ping" end=ECONNRESET' "reset: the peer got an RST"

# --- WSAETIMEDOUT: the send goes into silence, the wait for the answer (in
# wineserver) ends with the connection, as a dead link ends: the peer hears
# nothing ---
wrun 'tx proto=tcp when=2 => timeout 500ms' connect send ping recv 5000 send x recv 5000 send y
transcript "timeout: WSAETIMEDOUT, then a send on the dead connection" <<EOF
socket = 0
connect = 0
send = 4
recv = 4 ping
send = 1
recv = -1 WSAETIMEDOUT 10060
send = -1 WSAECONNRESET 10054
EOF
# The close is silent (no FIN); the peer's echo of "x" is never
# acknowledged, and its retransmission after the program is gone meets
# the program's kernel, which answers with an RST where a dead link would
# lose it (sockfault-rules(5), blackhole: the known difference).
expect_not_in "$p_out" 'end=eof' "timeout: the peer got no FIN"

# A timeout that ends while a blocking recv waits (in wineserver, which
# sees the connection end): the recv returns 0, the next call says
# WSAETIMEDOUT, as sockfault-rules(5) says.
wrun 'tx proto=tcp when=2 => timeout 500ms' connect send ping recv 5000 send x brecv send y
expect_out '^brecv = 0$' "timeout during a blocking recv: the recv sees the end of the stream"
expect_out '^send = -1 WSAETIMEDOUT 10060$' "timeout during a blocking recv: the next call says WSAETIMEDOUT"

# --- WSAEHOSTUNREACH (rules/unreachable.rules) ---
wrun 'connect proto=tcp => error WSAEHOSTUNREACH' connect
expect_out '^connect = -1 WSAEHOSTUNREACH 10065$' "unreachable: WSAEHOSTUNREACH"

# --- Codes that need a word to Wine, and those Wine changes ---
# (No proto=: Wine's own unix sockets are left alone, so Wine starts.)
wrun 'tx when=2 => error WSAESHUTDOWN' connect send ping send x
expect_out '^send = -1 WSAESHUTDOWN 10058$' "error WSAESHUTDOWN reaches the program as WSAESHUTDOWN"
wrun 'tx proto=tcp when=2 => error WSAENETRESET' connect send ping send x
expect_out '^send = -1 WSAEINVAL 10022$' "error WSAENETRESET: Wine gives WSAEINVAL, as sockfault-rules(5) says"
wrun 'tx proto=tcp when=2 => error WSAENOBUFS' connect send ping send x
expect_out '^send = -1 WSAEINVAL 10022$' "error WSAENOBUFS: Wine gives WSAEINVAL, as sockfault-rules(5) says"
wrun 'connect proto=tcp => error WSAEALREADY' connect
expect_out '^connect = -1 WSAENETDOWN 10050$' "connect error WSAEALREADY: Wine gives WSAENETDOWN, as sockfault-rules(5) says"

# --- exe= names the Windows program, in its process and in wineserver ---
wrun 'connect proto=tcp exe=wclient.exe => error WSAECONNREFUSED' connect
expect_out '^connect = -1 WSAECONNREFUSED 10061$' "exe=wclient.exe: its connect (made in wineserver) is refused"
wrun 'send,sendmsg proto=tcp exe=wclient.exe => error WSAECONNABORTED' connect send ping
expect_out '^send = -1 WSAECONNABORTED 10053$' "exe=wclient.exe: its send is faulted"
wrun 'connect,sendmsg proto=tcp exe=other.exe => error WSAECONNREFUSED' connect send ping
expect_out '^send = 4$' "exe=other.exe: wclient.exe is left alone"

# --- A rule that sleeps does not stall wineserver; in the program it does ---
wrun 'connect proto=tcp => delay 3s' clock connect clock
t0=$(sed -n 's/^clock = //p' "$tmp/out" | sed -n 1p)
t1=$(sed -n 's/^clock = //p' "$tmp/out" | sed -n 2p)
expect_out '^connect = 0$'
if [ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -lt 1500 ]; then
	pass "a connect delay does not sleep in wineserver ($((t1 - t0)) ms)"
else
	fail "a connect delay slept in wineserver (${t0:-?} .. ${t1:-?} ms)"
fi
wrun 'sendmsg proto=tcp => delay 500ms' connect clock send ping clock
t0=$(sed -n 's/^clock = //p' "$tmp/out" | sed -n 1p)
t1=$(sed -n 's/^clock = //p' "$tmp/out" | sed -n 2p)
if [ -n "$t0" ] && [ -n "$t1" ] && [ $((t1 - t0)) -ge 450 ]; then
	pass "a send delay sleeps in the program ($((t1 - t0)) ms)"
else
	fail "a send delay did not sleep in the program (${t0:-?} .. ${t1:-?} ms)"
fi

# --- Each run has its own wineserver, gone when the run ends ---
wrun 'connect proto=tcp => error WSAECONNREFUSED' connect
wrun '' connect send ping recv 5000
expect_out '^connect = 0$' "the next run does not inherit the previous run's rules"
expect_out '^recv = 4 ping$'
# A relative WINEPREFIX names the same prefix from the run's own.
set +e
(cd "$D" && $tmo env TMPDIR="$tmp/runs" WINEPREFIX=wine-prefix "$SF_CLI" run -- "$WINE" "$EXE" "$gone" connect) \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
expect_out '^connect = -1 WSAECONNREFUSED 10061$' "a relative WINEPREFIX works"
left=$(find "$tmp/runs" -mindepth 1 -maxdepth 1 | wc -l)
expect_eq "nothing of the runs is left in TMPDIR" 0 "$left"
if grep -l "$tmp/runs" /proc/[0-9]*/environ 2>/dev/null | grep -q .; then
	fail "a process of a run is still there"
else
	pass "no process of the runs is left"
fi
expect_eq "the prefix's registry is not written by the runs" "$reg_before" "$(stat -c %y "$WINEPREFIX/system.reg")"

finish
