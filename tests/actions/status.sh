#!/bin/sh
# The actions beyond error, delay, short and drop (reset, eof, hangup,
# blackhole, timeout, corrupt, throttle), in one place: each is accepted at
# load and has its first visible effect, for the program and for the peer.
# The rest of the suite does not use them; when their scope changes, this is
# the file to change.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# Accepted at load: main runs.
for action in reset eof hangup blackhole 'timeout 1s' 'corrupt 2' 'throttle 1MiB/s'; do
	sf_run SOCKFAULT_RULES_TEXT="recv => $action" "$T/tcalls" -e ok socket
	expect_rc 0 "'$action' is accepted"
	expect_out '^main: tcalls socket$'
	expect_no_err 'not yet supported'
done

# reset: the call fails with ECONNRESET, the peer gets an RST.
peer_start p -n 1 -t 20 sink
sf_run SOCKFAULT_RULES_TEXT='send once => reset' "$T/tcalls" -e ECONNRESET send "127.0.0.1:$p_port"
expect_rc 0 "reset: send fails with ECONNRESET"
expect_out '^after: send = -1 EPIPE$' "reset: the connection stays dead (EPIPE)"
peer_wait p
expect_in "$p_out" 'end=ECONNRESET$' "reset: the peer's recv fails with ECONNRESET"

# eof: receives return 0.
peer_start p -n 1 -t 20 echo
sf_run SOCKFAULT_RULES_TEXT='recv => eof' "$T/tcalls" -e ok recv "127.0.0.1:$p_port"
expect_out '^recv = 0$' "eof: recv returns 0"
peer_wait p

# hangup: the peer closed; its kernel answers the next data with an RST,
# so that send goes and the ones after it fail with EPIPE.
peer_start p -n 1 -t 20 sink
sf_run SOCKFAULT_RULES_TEXT='send => hangup' "$T/tcalls" -e ok send "127.0.0.1:$p_port"
expect_rc 0 "hangup: the send it fired on goes"
expect_out '^after: send = -1 EPIPE$' "hangup: the next send fails with EPIPE"
peer_wait p
expect_in "$p_out" 'conn 1: 0 bytes' "hangup: the peer got nothing"

# blackhole: sends succeed (the kernel takes them and keeps them
# unacknowledged: the transcripts of tests/actions say what the peer sees).
peer_start p -n 1 -t 20 sink
sf_run SOCKFAULT_RULES_TEXT='send => blackhole' "$T/tclient" seq -n 3 "127.0.0.1:$p_port"
expect_out '^conn 1: ok ok ok$' "blackhole: sends succeed"
peer_wait p

# timeout D: silence for D, then ETIMEDOUT.
peer_start p -n 1 -t 20 sink
sf_run SOCKFAULT_RULES_TEXT='recv => timeout 300ms' "$T/tclient" timed recv "127.0.0.1:$p_port"
expect_out '^recv = -1 ETIMEDOUT$' "timeout 300ms: recv fails with ETIMEDOUT"
el=$(out_line '^elapsed_ms = ' | sed 's/.* = //')
if [ "${el:-0}" -ge 300 ]; then
	pass "timeout 300ms: after at least 300 ms ($el)"
else
	fail "timeout 300ms: after $el ms"
fi
peer_wait p

# corrupt: the peer gets other bytes than were sent.
peer_start p -n 1 -t 20 sink
sf_run SOCKFAULT_RULES_TEXT='send => corrupt 4' SOCKFAULT_LOG=off "$T/tclient" sendall -b 300 "127.0.0.1:$p_port"
sum=$(out_line '^sent = ' | sed 's/.*fnv=//')
peer_wait p
expect_in "$p_out" '^peer: conn 1: 300 bytes ' "corrupt: as many bytes"
expect_not_in "$p_out" "fnv=$sum " "corrupt: but not the same bytes"

# throttle: everything arrives, intact.
peer_start p -n 1 -t 20 sink
sf_run SOCKFAULT_RULES_TEXT='send => throttle 100KiB/s' SOCKFAULT_LOG=off "$T/tclient" sendall -b 5000 "127.0.0.1:$p_port"
sum=$(out_line '^sent = ' | sed 's/.*fnv=//')
peer_wait p
expect_in "$p_out" "^peer: conn 1: 5000 bytes fnv=$sum " "throttle: every byte arrives"

finish
