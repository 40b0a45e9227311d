#!/bin/sh
# short N on each data call (sockfault-rules(5)): a correct client that
# loops gets every byte to the peer, in order, N bytes a call; a receive
# takes at most N bytes and leaves the rest for the next calls.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- short writes: the peer reassembles exactly what was sent ---
for spec in send:1 write:7 writev:3 sendmsg:5; do
	op=${spec%%:*} n=${spec#*:}
	peer_start s -n 1 -t 30 sink
	sf_run SOCKFAULT_RULES_TEXT="$op => short $n log=quiet" "$T/tclient" sendall -o "$op" -b 300 "127.0.0.1:$s_port"
	expect_rc 0 "$op short $n: the client finished"
	expect_out "^largest = $n$" "$op short $n: no call moved more than $n bytes"
	expect_out "^calls = $(((300 + n - 1) / n))$" "$op short $n: every call moved $n bytes"
	sum=$(out_line '^sent = ' | sed 's/.*fnv=//')
	peer_wait s
	expect_in "$s_out" "^peer: conn 1: 300 bytes fnv=$sum " "$op short $n: the peer got the same 300 bytes"
	expect_empty "$tmp/err" "$op short $n: log=quiet logs nothing"
done
peer_start s -n 1 -t 30 sink
sf_run "$T/tclient" sendall -o writev -b 300 "127.0.0.1:$s_port"
expect_out '^largest = 300$' "without rules a loopback writev moves all 300 bytes"
peer_wait s

for spec in recv:2 readv:3 recvmsg:4 read:1; do
	op=${spec%%:*} n=${spec#*:}
	peer_start e -n 1 -t 30 echo
	sf_run SOCKFAULT_RULES_TEXT="$op => short $n" SOCKFAULT_LOG=off "$T/tclient" recvall -o "$op" -b 100 "127.0.0.1:$e_port"
	expect_rc 0
	expect_out "^largest = $n$" "$op short $n: no call took more than $n bytes"
	expect_out '^received = 100 intact$' "$op short $n: the rest stayed for the next calls"
	peer_wait e
done

finish
