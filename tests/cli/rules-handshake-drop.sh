#!/bin/sh
# rules/handshake-drop.rules, as shipped (rx side=client received<16KiB =>
# reset): a client sends its hello and reads the server's answer; on every
# connection that first receive fails with ECONNRESET (WSAECONNRESET), the
# connection is dead (a send after it: EPIPE), and the server sees a real
# RST while the client still holds the socket. A server under the same
# rules is untouched (side=client). Without the rules the answer comes.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# handshake ANSWER: the steps of two connections, each: hello (5 bytes),
# the server's answer (ANSWER: p:send,4, or nothing), a receive bounded by
# SO_RCVTIMEO after a short wait for it, a send after, what the server
# sees while the client still holds the socket, then after the close.
handshake() {
	_s=p:listen
	for _c in 1 2; do
		_s="$_s connect p:accept sendns=5 $1 rcvtimeo=1000 pollin=500 recv sendns=4 p:expect,1000 p:expect,1000 close p:expect,1000"
	done
	echo "$_s"
}
# seen ANSWERED POLL RECV SEND FIRST SECOND: the lines of the two
# connections of handshake: POLL before the receive, RECV and SEND what the
# receive and the send after say, FIRST and SECOND what the server sees.
seen() {
	for _c in 1 2; do
		printf '%s\n' 'connect = 0' 'peer accept = accepted *' 'sendns = 5'
		[ "$1" = no ] || echo 'peer send = sent 4'
		printf '%s\n' 'rcvtimeo = 0' "pollin = $2" "recv = $3" "sendns = $4" "peer expect = $5" "peer expect = $6" \
			'close = 0' 'peer expect = eof ms=*'
	done
}
# shellcheck disable=SC2046 # the steps are words on purpose
cli_run run -r "$RULES/handshake-drop.rules" -- "$R/treal" -S "$tmp/u" $(handshake p:send,4)
expect_rc 0
transcript "an answering server: on each connection the hello goes, the answer is reset, the connection is dead, the server sees the RST" <<EOF2
peer listen = port *
$(seen yes IN '-1 ECONNRESET' '-1 EPIPE' 'data 5 bits=0 ms=*' 'err ECONNRESET ms=*')
EOF2
expect_count "the rule fired once a connection" 2 "$tmp/err" 'handshake-drop fired on recv .*reset'

# A silent server: nothing unread on the client, so only the reset can
# make the server see ECONNRESET (a plain close is a FIN: eof).
# shellcheck disable=SC2046
cli_run run -r "$RULES/handshake-drop.rules" -- "$R/treal" -S "$tmp/u" $(handshake '')
transcript "a silent server: the receive is reset at once, the server sees an RST on each connection" <<EOF2
peer listen = port *
$(seen no none '-1 ECONNRESET' '-1 EPIPE' 'data 5 bits=0 ms=*' 'err ECONNRESET ms=*')
EOF2
# shellcheck disable=SC2046
sf_run "$R/treal" -S "$tmp/u" $(handshake '')
transcript "contrast: without the rules the receive just times out, the connection lives, the server sees a plain close" <<EOF2
peer listen = port *
$(seen no none '-1 EAGAIN' 4 'data 9 bits=0 ms=*' silence)
EOF2

# A server under the rules: its receives are not a client's.
cli_run run -r "$RULES/handshake-drop.rules" -- "$R/treal" -S "$tmp/u" listen p:connect accept p:send,5 pollin=1000 \
	recv sendns=5 p:expect,1000
transcript "a server under the rules receives and answers (side=client spares it)" <<'EOF2'
listen = 0
peer connect = connected 1
accept = 0
peer send = sent 5
pollin = IN
recv = 5
sendns = 5
peer expect = data 5 bits=0 ms=*
EOF2
expect_no_err 'fired' "nothing fired in the server"

finish
