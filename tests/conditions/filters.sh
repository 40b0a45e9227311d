#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, tmp set by lib.sh
# Conditions that pick the calls a rule applies to: peer=, local=, proto=,
# side=, state=, exe=, sent/received, idle/age/uptime. A rule that does not
# match leaves the program exactly as it is without the library.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# The outcomes of the program's sends and receives in the last run, "ok" or
# the errno, joined by ' '.
outcomes() {
	awk '/^(sendns|recv) = /{ printf "%s%s", sep, ($3 == "-1" ? $4 : "ok"); sep = " " }' "$tmp/out"
}
# three RULES [STEPS...]: three sends on a new connection to the peer.
three() {
	_rules=$1
	shift
	run "$_rules" "$@" connect sendns sendns sendns
}
fail3='ECONNRESET ECONNRESET ECONNRESET'

# Two ports for the peer: the rules name the first, the second is another.
run '' p:listen
pa=$(value 'peer listen' | sed 's/port //')
pb=$pa
for _try in 1 2 3 4 5; do
	[ "$pb" = "$pa" ] || break
	run '' p:listen
	pb=$(value 'peer listen' | sed 's/port //')
done

# --- peer= ---
for pat in "127.0.0.1:$pa" "127.0.0.0/8:$pa" "localhost:$pa" "*:$pa" "127.0.0.1:$pa-$pa" "10.0.0.1,127.0.0.1:$pa"; do
	rule="send peer=$pat => error ECONNRESET"
	three "$rule" "p:listen,$pa"
	expect_eq "peer=$pat matches the connection to its port" "$fail3" "$(outcomes)"
	three "$rule" "p:listen,$pb"
	expect_eq "peer=$pat: another port is left alone" "ok ok ok" "$(outcomes)"
done
plain_run "$R/treal" -S "$tmp/u" "p:listen,$pb" connect sendns sendns sendns
cp "$tmp/out" "$tmp/plain"
three "send peer=127.0.0.1:$pa => error ECONNRESET" "p:listen,$pb"
expect_eq "a rule for another port: output as without the library" "$(cat "$tmp/plain")" "$(cat "$tmp/out")"
expect_empty "$tmp/err" "a rule for another port: nothing logged"
three "send peer=10.0.0.0/8 => error ECONNRESET" p:listen
expect_eq "peer=10.0.0.0/8 does not match 127.0.0.1" "ok ok ok" "$(outcomes)"

if have_ipv6; then
	TREAL_OPTS=-6
	for pat in "[::1]:$pa" "[::]/0:$pa" "localhost:$pa"; do
		three "send peer=$pat => error ECONNRESET" "p:listen,$pa"
		expect_eq "peer=$pat matches ::1" "$fail3" "$(outcomes)"
	done
	three "send peer=127.0.0.1:$pa => error ECONNRESET" "p:listen,$pa"
	expect_eq "an IPv4 pattern does not match ::1" "ok ok ok" "$(outcomes)"
	expect_empty "$tmp/err"
	TREAL_OPTS=
	three "send peer=[::1]:$pa => error ECONNRESET" "p:listen,$pa"
	expect_eq "an IPv6 pattern does not match 127.0.0.1" "ok ok ok" "$(outcomes)"
fi

# The peer's unix listener is $tmp/u (lib.sh's run).
TREAL_OPTS=-U
three 'send peer=unix:*/u => error ECONNRESET' p:listen
expect_eq "peer=unix:GLOB matches the unix path" "$fail3" "$(outcomes)"
three 'send peer=unix:/nowhere/* => error ECONNRESET' p:listen
expect_eq "peer=unix:GLOB for another path" "ok ok ok" "$(outcomes)"
three 'send peer=127.0.0.1 => error ECONNRESET' p:listen
expect_eq "an IP pattern does not match a unix socket" "ok ok ok" "$(outcomes)"

# A datagram socket's peer is each call's own: one unconnected socket, two
# peers in turn (the peer's two UDP sockets, the first on port pa).
TREAL_OPTS=-D
run "sendto peer=127.0.0.1:$pa => drop" "p:listen,$pa" p:listen socket sendto=1 sendto=1,2 sendto=2 sendto=2,2 \
	p:udpexpect,300,1 p:udpexpect,300,2 p:udpexpect,300,2 p:udpexpect,300,2
transcript "UDP peer=: the datagrams to that peer are dropped, those to the other arrive from the same socket" <<EOF2
peer udp = port $pa
peer udp = port *
socket = 0
sendto = 1
sendto = 1
sendto = 2
sendto = 2
peer udpexpect = silence
peer udpexpect = dgram 1 bits=0
peer udpexpect = dgram 2 bits=0
peer udpexpect = silence
EOF2
TREAL_OPTS=

# --- local= ---
run 'connect local=127.0.0.2 => error EADDRNOTAVAIL' p:listen socket bind=127.0.0.2 reconnect
if [ "$(value bind)" != 0 ]; then
	echo "127.0.0.2 cannot be bound here: local address cases skipped"
else
	expect_out '^connect = -1 EADDRNOTAVAIL$' "local=127.0.0.2 matches a socket bound there"
	run 'connect local=127.0.0.2 => error EADDRNOTAVAIL' p:listen socket bind=127.0.0.1 reconnect
	expect_out '^connect = 0$' "local=127.0.0.2 does not match 127.0.0.1"
fi
three 'send local=127.0.0.1:1024-65535 => error ECONNRESET' p:listen
expect_eq "local= with a port range that holds the local port" "$fail3" "$(outcomes)"
three 'send local=127.0.0.1:1-1023 => error ECONNRESET' p:listen
expect_eq "local= with a port range that does not" "ok ok ok" "$(outcomes)"

# A server's listening socket, by its local address: the peer makes two
# connections, the program accepts twice and answers the one it got.
serve() { # RULE
	run "$1" listen p:connect p:connect accept accept send=5 p:use,1 p:expect,1000 p:use,2 p:expect,1000
}
# served FIRST-ACCEPT ONE TWO: serve's lines, the first accept saying
# FIRST-ACCEPT, the peer's connections seeing ONE and TWO.
served() {
	printf '%s\n' 'listen = 0' 'peer connect = connected 1' 'peer connect = connected 2' "accept = $1" 'accept = 0' \
		'send = 5' 'peer use = ok' "peer expect = $2" 'peer use = ok' "peer expect = $3"
}
serve 'accept local=127.0.0.1 once => error EMFILE'
served '-1 EMFILE' 'data 5 bits=0 ms=*' silence >"$tmp/want"
transcript "local= on a listening socket; the connection stays queued, is accepted next and served" <"$tmp/want"
# A rule on accept that names the peer is decided once the connection is
# taken: it is aborted, and the client sees a reset.
serve 'accept peer=127.0.0.1 once => error ECONNABORTED'
served '-1 ECONNABORTED' 'err ECONNRESET ms=*' 'data 5 bits=0 ms=*' >"$tmp/want"
transcript "accept peer=: the server sees the error, the client a reset; the next is accepted and served" <"$tmp/want"
serve 'accept peer=127.0.0.2 => error ECONNABORTED'
expect_no_out 'ECONNABORTED' "accept peer= for another address"
expect_out '^peer expect = data 5 bits=0' "accept peer= for another address: the client is served"
serve 'accept local=127.0.0.2 => error EMFILE'
expect_no_out 'EMFILE' "local= for another address"

# --- proto= ---
for proto in tcp udp unix; do
	rules="connect proto=$proto => error ENETUNREACH"
	got=
	for opts in '' -D -U; do
		TREAL_OPTS=$opts
		run "$rules" p:listen connect
		got="$got/$(value connect)"
	done
	TREAL_OPTS=
	case $proto in
	tcp) want="/-1 ENETUNREACH/0/0" ;;
	udp) want="/0/-1 ENETUNREACH/0" ;;
	unix) want="/0/0/-1 ENETUNREACH" ;;
	esac
	expect_eq "proto=$proto: tcp/udp/unix" "$want" "$got"
done

# --- side=: the program is both the client (of the peer) and a server ---
sides() { # RULE
	run "$1" listen p:connect accept sendns=3 p:listen connect sendns=3
}
sides 'send side=server => error ECONNRESET'
transcript "side=server: the accepted end is faulted, the connecting end is left alone" <<'EOF2'
listen = 0
peer connect = connected 1
accept = 0
sendns = -1 ECONNRESET
peer listen = port *
connect = 0
sendns = 3
EOF2
sides 'send side=client => error ECONNRESET'
transcript "side=client: the connecting end is faulted, the accepted end is left alone" <<'EOF2'
listen = 0
peer connect = connected 1
accept = 0
sendns = 3
peer listen = port *
connect = 0
sendns = -1 ECONNRESET
EOF2

# --- state=: SO_ERROR asked in each state ---
for state in unconnected connected shutdown listening; do
	run "getsockopt state=$state => error EPROTO" p:listen socket so_error reconnect so_error shut=wr so_error listen \
		use=listen so_error
	expect_eq "state=$state: only that state is faulted" "$state" \
		"$(awk '/^SO_ERROR/{ n++ } /^SO_ERROR = -1 EPROTO$/{ print n }' "$tmp/out" |
			sed 's/1/unconnected/; s/2/connected/; s/3/shutdown/; s/4/listening/')"
done

# A nonblocking connect on loopback is still in progress when connect
# returns (EINPROGRESS) until something looks at it.
run 'getsockopt state=connecting => error EPROTO' p:listen connect-nb pollout=5000 so_error
if grep -q '^connect = -1 EINPROGRESS$' "$tmp/out"; then
	expect_out '^SO_ERROR = -1 EPROTO$' "state=connecting: SO_ERROR of a connect in progress"
fi
run 'getsockopt state=connecting => error EPROTO' p:listen socket so_error reconnect so_error shut=wr so_error listen \
	use=listen so_error
expect_no_out 'EPROTO' "state=connecting: no other state"

# --- exe= ---
run 'connect exe=tcalls => error ECONNREFUSED' p:listen connect
expect_out '^connect = 0$' "exe=tcalls does not match treal"
run 'connect exe=tre* => error ECONNREFUSED' p:listen connect
expect_out '^connect = -1 ECONNREFUSED$' "exe=tre* matches treal"

# --- sent, received: the bytes moved before the call (4 a call) ---
run 'send sent>=10 => error ECONNRESET' p:listen connect sendns sendns sendns sendns sendns
expect_eq "sent>=10 (4 bytes a call): from the 4th send" "ok ok ok ECONNRESET ECONNRESET" "$(outcomes)"
run 'recv received>4 => error ECONNRESET' p:listen connect p:accept p:send,4 recv=4 p:send,4 recv=4 p:send,4 recv=4 \
	p:send,4 recv=4
expect_eq "received>4: from the 3rd recv" "ok ok ECONNRESET ECONNRESET" "$(outcomes)"
run 'send sent<8 => error ECONNRESET' p:listen connect sendns sendns sendns
expect_eq "sent<8: a failed send moved nothing" "$fail3" "$(outcomes)"

# --- idle, age, uptime (only lower bounds on time are assumed) ---
run 'send idle>500ms => error ETIMEDOUT' p:listen connect sendns sleep=800 sendns sendns
expect_eq "idle>500ms: after 800 ms without data" "ok ETIMEDOUT ETIMEDOUT" "$(outcomes)"
run 'send age>500ms => error ETIMEDOUT' p:listen connect sendns sendns sleep=800 sendns
expect_eq "age>500ms: once the connection is 800 ms old" "ok ok ETIMEDOUT" "$(outcomes)"
run 'connect uptime<1h => error ECONNREFUSED' p:listen connect
expect_out '^connect = -1 ECONNREFUSED$' "uptime<1h holds"
run 'connect uptime>1h => error ECONNREFUSED' p:listen connect
expect_out '^connect = 0$' "uptime>1h does not"

finish
