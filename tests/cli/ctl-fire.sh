#!/bin/sh
# A C echo server under sockfault with 20 clients (not under it): conns
# agrees with ss(8) on the ports and states; fire reset on one peer: when
# the command returns the client's connection is gone (its RST arrived),
# the client reads ECONNRESET and the server's next call ECONNRESET too,
# logged as a fault of the rule "ctl"; hangup by fd: the server reads its
# end and closes, the client reads that; timeout: silence, then the
# deadline's ETIMEDOUT for the server and nothing for the client; eof: the
# server reads its end;
# watch streams it all as events.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
ctl_setup

command -v ss >/dev/null 2>&1 || skip "no ss(8) to compare with"
start_ctl srv SOCKFAULT_RULES_TEXT='accept => delay 0ms' "$C/tctl" serve "$tmp/srv.ready" 20
wait_file "$tmp/srv.ready"
port=$(cat "$tmp/srv.ready")
wait_channel "$srv_pid"
$tmo "$C/tctl" clients "$port" 20 >"$tmp/cli.out" 2>&1 &
bg_pids="$bg_pids $!"
wait_out cli '^clients: connected'

# The server's connections, by the library and by the kernel.
ctl --json "$srv_pid" conns
expect_rc 0 "conns"
lib_peers=$(sed -n 's/.*"side":"server","state":"connected","tcp_state":"ESTAB","local":"127.0.0.1:'"$port"'","peer":"127.0.0.1:\([0-9]*\)".*/\1/p' "$tmp/out" | sort -n | tr '\n' ' ')
ss_peers=$(ss -tnH state established "( sport = :$port )" | awk '{ n = split($NF, a, ":"); print a[n] }' | sort -n | tr '\n' ' ')
echo "library: $lib_peers"
echo "ss:      $ss_peers"
expect_eq "20 established connections in conns" 20 "$(echo "$lib_peers" | wc -w)"
expect_eq "conns and ss agree on the peers of the established connections" "$ss_peers" "$lib_peers"
expect_in "$tmp/out" '"fd":[0-9]+,"proto":"tcp","side":"-","state":"listening","tcp_state":"LISTEN","local":"127.0.0.1:'"$port"'"' "conns: the listener, as ss has it"
ss -tlnH "( sport = :$port )" | grep -q LISTEN || fail "ss sees no listener"
expect_in "$tmp/out" '"state":"listening".*"rules":"text-1"' "conns: the rules that can apply"
expect_in "$tmp/out" '"sent":2,"received":2,' "conns: the bytes each way (hi, echoed)"

peer_port() { echo "$lib_peers" | tr ' ' '\n' | sed -n "${1}p"; }
fd_of() { sed -n 's/.*"fd":\([0-9]*\),.*"peer":"127.0.0.1:'"$1"'".*/\1/p' "$tmp/out"; }
P1=$(peer_port 1)
P2=$(peer_port 2)
P3=$(peer_port 3)
P4=$(peer_port 4)
cp "$tmp/out" "$tmp/conns.json"

# Everything that follows, as watch sees it.
"$CLI" ctl "$srv_pid" watch >"$tmp/watch.out" 2>&1 &
watch_pid=$!
bg_pids="$bg_pids $watch_pid"
wait_out watch '"watching":true|"event":"conn"'

# reset: the RST is there when the command returns.
ctl "$srv_pid" fire reset "peer=127.0.0.1:$P1"
expect_rc 0 "fire reset"
expect_out "^fired on fd=[0-9]+ peer=127.0.0.1:$P1\$" "fire: says where"
ss -tnH state established "( sport = :$P1 )" >"$tmp/ss1"
expect_empty "$tmp/ss1" "the client's connection is gone when fire returns"
wait_out srv "^conn [0-9]+: end=ECONNRESET\$"
wait_line "$tmp/cli.out" "port=$P1: end=ECONNRESET"
expect_in "$tmp/cli.out" "port=$P1: end=ECONNRESET" "the client read ECONNRESET"
expect_in "$tmp/srv.err" "ctl fired on - fd=[0-9]+ peer=127.0.0.1:$P1: reset" "logged as the rule ctl"

# hangup by descriptor.
fd2=$(sed -n 's/.*"fd":\([0-9]*\),[^}]*"peer":"127.0.0.1:'"$P2"'".*/\1/p' "$tmp/conns.json")
ctl "$srv_pid" fire hangup "fd=$fd2"
expect_rc 0 "fire hangup fd=$fd2"
wait_out srv "^conn [0-9]+: end=eof\$"
wait_line "$tmp/cli.out" "port=$P2: end="
expect_in "$tmp/cli.out" "port=$P2: end=eof" "hangup: the client read the end"

# timeout 300ms: nothing, then ETIMEDOUT for the server, and nothing for the
# client, not even the server's close (as root; without CAP_NET_ADMIN the
# close sends the FIN: sockfault-rules(5), blackhole).
ctl "$srv_pid" fire timeout 300ms "peer=127.0.0.1:$P3"
expect_rc 0 "fire timeout"
sleep 0.1
expect_not_in "$tmp/cli.out" "port=$P3: end=" "timeout: silence first"
wait_out srv "^conn [0-9]+: end=ETIMEDOUT\$"
if [ "$(id -u)" -eq 0 ]; then
	sleep 0.5
	expect_not_in "$tmp/cli.out" "port=$P3: end=" "timeout: no RST, and the server's close is silent"
else
	wait_line "$tmp/cli.out" "port=$P3: end="
	expect_in "$tmp/cli.out" "port=$P3: end=eof" "timeout: no RST; the FIN when the server closes"
fi

# eof: the server reads its end (and closes: the client sees that).
ctl "$srv_pid" fire eof "peer=127.0.0.1:$P4"
expect_rc 0 "fire eof"
_i=0
until [ "$(count_in "$tmp/srv.out" '^conn [0-9]+: end=')" -ge 4 ]; do
	_i=$((_i + 1))
	[ "$_i" -le 100 ] || break
	sleep 0.05
done
expect_eq "the server has seen four ends" 4 "$(count_in "$tmp/srv.out" '^conn [0-9]+: end=')"
expect_eq "eof: the server read its end" 2 "$(count_in "$tmp/srv.out" '^conn [0-9]+: end=eof$')"

ctl "$srv_pid" stats
expect_out "^$srv_pid: fired [0-9]+ in all\$" "stats"
ctl --json "$srv_pid" stats
expect_out '"fired_by_ctl":4' "stats: four fired by ctl"
sleep 0.3
kill "$watch_pid" 2>/dev/null || :
sed 's/^/  watch| /' "$tmp/watch.out"
expect_count "watch: the connections at the start" 21 "$tmp/watch.out" '"event":"conn"'
expect_in "$tmp/watch.out" '"event":"fired","action":"reset","fd":[0-9]+,"peer":"127.0.0.1:'"$P1"'"' "watch: the reset"
expect_in "$tmp/watch.out" '"event":"fired","action":"hangup","fd":'"$fd2"',' "watch: the hangup"
expect_in "$tmp/watch.out" '"event":"dead".*"peer":"127.0.0.1:'"$P3"'","dead":"timeout"' "watch: the timeout"
expect_count "watch: the four connections closed" 4 "$tmp/watch.out" '"event":"closed"'
expect_in "$tmp/watch.out" '"event":"fault".*"rule":"ctl","new":1' "watch: the faults fired by ctl"
kill "$srv_pid" 2>/dev/null || :
finish
