#!/bin/sh
# rules/handshake-drop.rules, as shipped (rx side=client received<16KiB =>
# reset): a client sends its hello and reads the server's answer; on every
# connection that first receive fails with ECONNRESET (WSAECONNRESET), the
# connection is dead (a send after it: EPIPE), and the server sees a real
# RST while the client still holds the socket. A server under the same
# rules is untouched (side=client). Without the rules the answer comes.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# An answering server: the answer is there, the receive is reset anyway.
peer_start e -n 2 -t 60 echo
cli_run run -r "$RULES/handshake-drop.rules" -- "$T/tstory" handshake -c 2 "127.0.0.1:$e_port"
expect_rc 0
for c in 1 2; do
	expect_out "^conn $c hello = 5\$" "conn $c: the hello goes out"
	expect_out "^conn $c answer = -1 ECONNRESET\$" "conn $c: the first receive is reset"
	expect_out "^conn $c send after = -1 EPIPE\$" "conn $c: the connection is dead"
done
expect_count "the rule fired once a connection" 2 "$tmp/err" 'handshake-drop fired on recv .*reset'
peer_wait e

# A silent server: nothing unread on the client, so only the reset can
# make the server see ECONNRESET (a plain close is a FIN: eof).
peer_start s -n 2 -t 60 sink
cli_run run -r "$RULES/handshake-drop.rules" -- "$T/tstory" handshake -c 2 "127.0.0.1:$s_port"
expect_out '^conn 1 answer = -1 ECONNRESET$' "silent server: the receive is reset at once"
peer_wait s
expect_count "the server saw an RST on each connection" 2 "$s_out" 'conn [12]: 5 bytes .*end=ECONNRESET'
peer_start t -n 2 -t 60 sink
sf_run "$T/tstory" handshake -c 2 "127.0.0.1:$t_port"
expect_out '^conn 1 answer = -1 EAGAIN$' "contrast: without the rules the receive just times out"
peer_wait t
expect_count "contrast: the server sees a plain close" 2 "$t_out" 'conn [12]: .*end=eof'

# A server under the rules: its receives are not a client's.
ready=$tmp/serve.ready
rm -f "$ready"
$tmo env LD_PRELOAD="$(sf_preload)" SOCKFAULT_RULES="$RULES/handshake-drop.rules" \
	"$T/tclient" serve -n 1 "$ready" >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
wait_file "$ready"
plain_run "$T/tpeer" connect "127.0.0.1:$(cat "$ready")"
expect_out '^peer: recv = 5$' "a server under the rules answers (side=client spares it)"
wait "$serve_pid" || :
sed 's/^/  serve| /' "$tmp/serve.out" "$tmp/serve.err"
expect_in "$tmp/serve.out" '^serve: got "hello"$' "the server's receive went through"
expect_not_in "$tmp/serve.err" 'fired' "nothing fired in the server"

finish
