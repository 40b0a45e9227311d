#!/bin/sh
# shellcheck disable=SC2034,SC2154 # RUN_ENV is read by lib.sh's run; tmp is lib.sh's
# short N on each call of the data family (sockfault-rules(5)): a correct
# program that loops gets every byte to the peer, intact and in order, N
# bytes a call; a receive takes at most N bytes and leaves the rest for the
# next calls.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- short writes: the peer reassembles exactly what was sent ---
for spec in send:1 write:7 writev:3 sendmsg:5; do
	op=${spec%%:*} n=${spec#*:}
	run "$op => short $n log=quiet" p:listen connect p:accept "sendall=300,$op" p:recvall,300
	transcript "$op short $n: every call moved $n bytes, the peer got the 300 intact" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendall = 300
calls = $(((300 + n - 1) / n)) largest = $n
rate = *
peer recvall = got 300 bits=0 *
EOF2
	expect_empty "$tmp/err" "$op short $n: log=quiet logs nothing"
done
run '' p:listen connect p:accept sendall=300,writev p:recvall,300
expect_out '^calls = 1 largest = 300$' "without rules a loopback writev moves all 300 bytes"

# --- short reads: the rest stays for the next calls ---
for spec in recv:2 readv:3 recvmsg:4 read:1; do
	op=${spec%%:*} n=${spec#*:}
	RUN_ENV=SOCKFAULT_LOG=off
	run "$op => short $n" p:listen connect p:accept p:send,100 "recvall=100,$op"
	transcript "$op short $n: no call took more than $n bytes, all 100 arrive intact" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 100
recvall = 100 bits=0
calls = * largest = $n
rate = *
EOF2
done
run '' p:listen connect p:accept p:send,100 pollin=1000 recvall=100,readv
expect_out '^calls = 1 largest = 100$' "without rules a readv takes all 100 bytes at once"

finish
