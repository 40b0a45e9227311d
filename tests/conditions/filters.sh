#!/bin/sh
# Conditions that pick the calls a rule applies to: peer=, local=, proto=,
# side=, state=, exe=, sent/received, idle/age/uptime. A rule that does not
# match leaves the program exactly as it is without the library.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# Two echo peers that serve any number of connections, until killed at the end.
peer_start a -n 0 -t 60 echo
peer_start b -n 0 -t 60 echo
A=127.0.0.1:$a_port B=127.0.0.1:$b_port
three_fail='^conn 1: ECONNRESET ECONNRESET ECONNRESET$'
three_ok='^conn 1: ok ok ok$'

# --- peer= ---
for pat in "127.0.0.1:$a_port" "127.0.0.0/8:$a_port" "localhost:$a_port" "*:$a_port" \
	"127.0.0.1:$a_port-$a_port" "10.0.0.1,127.0.0.1:$a_port"; do
	rule="send peer=$pat => error ECONNRESET"
	sf_run SOCKFAULT_RULES_TEXT="$rule" "$T/tclient" seq -n 3 "$A"
	expect_out "$three_fail" "peer=$pat matches the connection to its port"
	sf_run SOCKFAULT_RULES_TEXT="$rule" SOCKFAULT_LOG=off "$T/tclient" seq -n 3 "$B"
	expect_out "$three_ok" "peer=$pat: another port is left alone"
done
plain_run "$T/tclient" seq -n 3 "$B"
cp "$tmp/out" "$tmp/plain"
sf_run SOCKFAULT_RULES_TEXT="send peer=127.0.0.1:$a_port => error ECONNRESET" "$T/tclient" seq -n 3 "$B"
expect_eq "a rule for another port: output as without the library" "$(cat "$tmp/plain")" "$(cat "$tmp/out")"
expect_empty "$tmp/err" "a rule for another port: nothing logged"
sf_run SOCKFAULT_RULES_TEXT="send peer=10.0.0.0/8 => error ECONNRESET" "$T/tclient" seq -n 3 "$A"
expect_out "$three_ok" "peer=10.0.0.0/8 does not match 127.0.0.1"

if have_ipv6; then
	peer_start a6 -6 -n 10 -t 30 echo
	A6="[::1]:$a6_port"
	for pat in "[::1]:$a6_port" "[::]/0:$a6_port" "localhost:$a6_port"; do
		sf_run SOCKFAULT_RULES_TEXT="send peer=$pat => error ECONNRESET" "$T/tclient" seq -n 3 "$A6"
		expect_out "$three_fail" "peer=$pat matches ::1"
	done
	sf_run SOCKFAULT_RULES_TEXT="send peer=127.0.0.1:$a6_port => error ECONNRESET" "$T/tclient" seq -n 3 "$A6"
	expect_out "$three_ok" "an IPv4 pattern does not match ::1"
	expect_empty "$tmp/err"
	sf_run SOCKFAULT_RULES_TEXT="send peer=[::1]:$a_port => error ECONNRESET" "$T/tclient" seq -n 3 "$A"
	expect_out "$three_ok" "an IPv6 pattern does not match 127.0.0.1"
	# End the peer: it waits for its connections.
	for i in 1 2 3 4 5 6; do "$T/tpeer" connect "$A6" >/dev/null; done
	peer_wait a6
fi

sock=$tmp/filter-echo.sock
peer_start u -U "$sock" -n 3 -t 30 echo
sf_run SOCKFAULT_RULES_TEXT='send peer=unix:*/filter-echo.sock => error ECONNRESET' "$T/tclient" seq -n 3 "unix:$sock"
expect_out "$three_fail" "peer=unix:GLOB matches the unix path"
sf_run SOCKFAULT_RULES_TEXT='send peer=unix:/nowhere/* => error ECONNRESET' "$T/tclient" seq -n 3 "unix:$sock"
expect_out "$three_ok" "peer=unix:GLOB for another path"
sf_run SOCKFAULT_RULES_TEXT="send peer=127.0.0.1 => error ECONNRESET" "$T/tclient" seq -n 3 "unix:$sock"
expect_out "$three_ok" "an IP pattern does not match a unix socket"
peer_wait u

# A datagram socket's peer is each call's own: one unconnected socket, two
# peers in turn.
peer_start u1 -n 1 -t 20 udp
peer_start u2 -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u1_port => drop" "$T/tclient" udp-send -n 2 \
	"127.0.0.1:$u1_port" "127.0.0.1:$u2_port"
peer_wait u1
peer_wait u2
expect_in "$u1_out" '^peer: END after 0 datagrams$' "UDP peer=: the datagrams to that peer are dropped"
expect_in "$u2_out" '^peer: END after 2 datagrams$' "UDP peer=: those to the other arrive, from the same socket"

# --- local= ---
sf_run SOCKFAULT_RULES_TEXT='connect local=127.0.0.2 => error EADDRNOTAVAIL' "$T/tclient" seq -n 1 -b 127.0.0.2 "$A"
if grep -q 'SETUP FAILED: bind' "$tmp/out"; then
	echo "127.0.0.2 cannot be bound here: local address cases skipped"
else
	expect_out '^conn 1: connect EADDRNOTAVAIL$' "local=127.0.0.2 matches a socket bound there"
	sf_run SOCKFAULT_RULES_TEXT='connect local=127.0.0.2 => error EADDRNOTAVAIL' "$T/tclient" seq -n 1 -b 127.0.0.1 "$A"
	expect_out '^conn 1: ok$' "local=127.0.0.2 does not match 127.0.0.1"
fi
sf_run SOCKFAULT_RULES_TEXT='send local=127.0.0.1:1024-65535 => error ECONNRESET' "$T/tclient" seq -n 3 "$A"
expect_out "$three_fail" "local= with a port range that holds the local port"
sf_run SOCKFAULT_RULES_TEXT='send local=127.0.0.1:1-1023 => error ECONNRESET' "$T/tclient" seq -n 3 "$A"
expect_out "$three_ok" "local= with a port range that does not"

# A server's listening socket, by its local address.
serve() { # RULE
	rm -f "$tmp/ready"
	echo "+ preload (background): SOCKFAULT_RULES_TEXT=$1 tclient serve -n 2"
	$tmo env LD_PRELOAD="$(sf_preload)" SOCKFAULT_RULES_TEXT="$1" "$T/tclient" serve -n 2 "$tmp/ready" \
		>"$tmp/serve.out" 2>"$tmp/serve.err" &
	spid=$!
	wait_file "$tmp/ready"
	"$T/tpeer" connect "127.0.0.1:$(cat "$tmp/ready")" >"$tmp/c1.out" || :
	"$T/tpeer" connect "127.0.0.1:$(cat "$tmp/ready")" >"$tmp/c2.out" || :
	set +e
	wait "$spid"
	set -e
	sed 's/^/  serve| /' "$tmp/serve.out" "$tmp/serve.err"
	sed 's/^/  client 1| /' "$tmp/c1.out"
	sed 's/^/  client 2| /' "$tmp/c2.out"
}
serve 'accept local=127.0.0.1 once => error EMFILE'
expect_in "$tmp/serve.out" '^accept = -1 EMFILE$' "local= on a listening socket"
expect_in "$tmp/serve.out" '^accept = 0$' "the connection stayed queued and is accepted next"
expect_in "$tmp/c1.out" '^peer: recv = 5$' "the client is served"
# A rule on accept that names the peer is decided once the connection is
# taken: it is aborted, and the client sees a reset.
serve 'accept peer=127.0.0.1 once => error ECONNABORTED'
expect_in "$tmp/serve.out" '^accept = -1 ECONNABORTED$' "accept peer=: the server sees the error"
expect_in "$tmp/c1.out" '^peer: (send|recv) = -1 (ECONNRESET|EPIPE)$' "accept peer=: the client sees a reset"
expect_in "$tmp/serve.out" '^accept = 0$' "accept peer=: the next connection is accepted"
expect_in "$tmp/c2.out" '^peer: recv = 5$' "accept peer=: and served"
serve 'accept peer=127.0.0.2 => error ECONNABORTED'
expect_not_in "$tmp/serve.out" 'ECONNABORTED' "accept peer= for another address"
expect_in "$tmp/c1.out" '^peer: recv = 5$'
serve 'accept local=127.0.0.2 => error EMFILE'
expect_not_in "$tmp/serve.out" 'EMFILE' "local= for another address"

# --- proto= ---
peer_start ud -n 1 -t 30 udp
for proto in tcp udp unix; do
	rules="connect proto=$proto => error ENETUNREACH"
	sf_run SOCKFAULT_RULES_TEXT="$rules" "$T/tclient" seq -n 1 "$A"
	tcp=$(out_line '^conn 1:')
	sf_run SOCKFAULT_RULES_TEXT="$rules" "$T/tclient" seq -n 1 -u "127.0.0.1:$ud_port"
	udp=$(out_line '^conn 1:')
	peer_start u -U "$sock" -n 1 -t 30 echo
	sf_run SOCKFAULT_RULES_TEXT="$rules" "$T/tclient" seq -n 1 "unix:$sock"
	uni=$(out_line '^conn 1:')
	"$T/tpeer" connect "unix:$sock" >/dev/null || :
	peer_wait u
	case $proto in
	tcp) want="connect ENETUNREACH/ok/ok" ;;
	udp) want="ok/connect ENETUNREACH/ok" ;;
	unix) want="ok/ok/connect ENETUNREACH" ;;
	esac
	expect_eq "proto=$proto: tcp/udp/unix" "$want" "${tcp#conn 1: }/${udp#conn 1: }/${uni#conn 1: }"
done
"$T/tclient" udp-send -n 1 "127.0.0.1:$ud_port" >/dev/null
peer_wait ud

# --- side= ---
sf_run SOCKFAULT_RULES_TEXT='send side=server => error ECONNRESET' "$T/tclient" pair
expect_out '^client send = 3$' "side=server: the client end is left alone"
expect_out '^server send = -1 ECONNRESET$' "side=server: the accepted end is faulted"
sf_run SOCKFAULT_RULES_TEXT='send side=client => error ECONNRESET' "$T/tclient" pair
expect_out '^client send = -1 ECONNRESET$' "side=client: the connecting end is faulted"
expect_out '^server send = 3$' "side=client: the accepted end is left alone"

# --- state= ---
for state in unconnected connected shutdown listening; do
	sf_run SOCKFAULT_RULES_TEXT="getsockopt state=$state => error EPROTO" SOCKFAULT_LOG=off "$T/tclient" states "$A"
	expect_eq "state=$state: only that state is faulted" "$state" \
		"$(grep ' = -1 EPROTO$' "$tmp/out" | sed 's/ = .*//' | tr '\n' ' ' | sed 's/ $//')"
done

# A nonblocking connect on loopback is still in progress when connect
# returns (EINPROGRESS) until something looks at it.
sf_run SOCKFAULT_RULES_TEXT='getsockopt state=connecting => error EPROTO' SOCKFAULT_LOG=off \
	"$T/tclient" connect-nb poll "$A"
if grep -q '^connect = -1 EINPROGRESS$' "$tmp/out"; then
	expect_out '^SO_ERROR = -1 EPROTO$' "state=connecting: SO_ERROR of a connect in progress"
fi
sf_run SOCKFAULT_RULES_TEXT='getsockopt state=connecting => error EPROTO' SOCKFAULT_LOG=off \
	"$T/tclient" states "$A"
expect_no_out 'EPROTO' "state=connecting: no other state"

# --- exe= ---
sf_run SOCKFAULT_RULES_TEXT='connect exe=tcalls => error ECONNREFUSED' "$T/tclient" seq -n 1 "$A"
expect_out '^conn 1: ok$' "exe=tcalls does not match tclient"
sf_run SOCKFAULT_RULES_TEXT='connect exe=tcl* => error ECONNREFUSED' "$T/tclient" seq -n 1 "$A"
expect_out '^conn 1: connect ECONNREFUSED$' "exe=tcl* matches tclient"

# --- sent, received: the bytes moved before the call ---
sf_run SOCKFAULT_RULES_TEXT='send sent>=10 => error ECONNRESET' SOCKFAULT_LOG=off "$T/tclient" seq -n 5 "$A"
expect_out '^conn 1: ok ok ok ECONNRESET ECONNRESET$' "sent>=10 (4 bytes a call): from the 4th send"
sf_run SOCKFAULT_RULES_TEXT='recv received>4 => error ECONNRESET' SOCKFAULT_LOG=off "$T/tclient" seq -o recv -n 4 "$A"
expect_out '^conn 1: ok ok ECONNRESET ECONNRESET$' "received>4: from the 3rd recv"
sf_run SOCKFAULT_RULES_TEXT='send sent<8 => error ECONNRESET' SOCKFAULT_LOG=off "$T/tclient" seq -n 3 "$A"
expect_out '^conn 1: ECONNRESET ECONNRESET ECONNRESET$' "sent<8: a failed send moved nothing"

# --- idle, age, uptime (only lower bounds on time are assumed) ---
sf_run SOCKFAULT_RULES_TEXT='send idle>500ms => error ETIMEDOUT' "$T/tclient" seq -n 3 -S 2:800 "$A"
expect_out '^conn 1: ok ETIMEDOUT ETIMEDOUT$' "idle>500ms: after 800 ms without data"
sf_run SOCKFAULT_RULES_TEXT='send age>500ms => error ETIMEDOUT' "$T/tclient" seq -n 3 -S 3:800 "$A"
expect_out '^conn 1: ok ok ETIMEDOUT$' "age>500ms: once the connection is 800 ms old"
sf_run SOCKFAULT_RULES_TEXT='connect uptime<1h => error ECONNREFUSED' "$T/tclient" seq -n 1 "$A"
expect_out '^conn 1: connect ECONNREFUSED$' "uptime<1h holds"
sf_run SOCKFAULT_RULES_TEXT='connect uptime>1h => error ECONNREFUSED' "$T/tclient" seq -n 1 "$A"
expect_out '^conn 1: ok$' "uptime>1h does not"

kill "$a_pid" "$b_pid" 2>/dev/null || :
peer_wait a
peer_wait b
finish
