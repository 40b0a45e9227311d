#!/bin/sh
# delay on TCP delays the data, not the calls (sockfault-rules(5), delay),
# as latency on a real link does: a nonblocking connect says EINPROGRESS at
# once and becomes writable after the connect's delay (until then sends and
# receives EAGAIN, getpeername ENOTCONN, SO_ERROR 0); a blocking connect
# waits the delay; a send returns at once and the peer gets the bytes, and
# the FIN, one tx delay later; what the peer sends is readable one rx delay
# after it sent it; the same on an accepted connection; the program's
# SO_RCVTIMEO still bounds its receives. Where the rules can also end the
# connection, or with SOCKFAULT_DELAY=call, the send itself waits instead.
# Times within 80-180 ms for a delay
# of 100 ms, 150-350 ms for 200 ms, "at once" is 0-60 ms.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

RULES='connect => delay 200ms
tx => delay 100ms
rx => delay 100ms'

# The n-th "NAME = N" of the output, and the ms= of the n-th peer expect.
# The peer's wait is sent before the program's send or shutdown (p&:), so
# its ms= is the delay or more, unless the peer reads its command a moment
# after the program's call (99 for 100 seen under load): 90 is the lower
# bound.
nth() { value "$1" "$2"; }
peer_ms() { grep '^peer expect = ' "$tmp/out" | sed -n "$1p" | sed -n 's/.* ms=\([0-9]*\).*/\1/p'; }

# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen connect-nb took sendns recvnb peername so_error mark pollout=3000 \
	since so_error peername p:accept p\&:expect,1000 mark sendns took pwait mark p:send,4 pollin=1000 since recv=4 \
	p\&:expect,1000 shut=wr pwait mark p:close pollin=1000 since recv
transcript "a nonblocking client: the connect, the data and each FIN late, never the calls" <<'EOF2'
peer listen = port *
connect = -1 EINPROGRESS
took = *
sendns = -1 EAGAIN
recvnb = -1 EAGAIN
getpeername = -1 ENOTCONN
SO_ERROR = 0
pollout = OUT
since = *
SO_ERROR = 0
getpeername = 0
peer accept = accepted 1
sendns = 4
took = *
peer expect = data 4 bits=0 ms=*
peer send = sent 4
pollin = IN
since = *
recv = 4
shutdown = 0
peer expect = eof ms=*
peer close = ok
pollin = IN,HUP,RDHUP
since = *
recv = 0
EOF2
expect_between "the connect returned at once (ms)" 0 60 "$(nth took 1)"
expect_between "it became writable after its delay (ms)" 150 350 "$(nth since 1)"
expect_between "the send returned at once (ms)" 0 60 "$(nth took 2)"
expect_between "the peer got the bytes a delay later (ms)" 90 200 "$(peer_ms 1)"
expect_between "the answer was readable a delay after it was sent (ms)" 80 180 "$(nth since 2)"
expect_between "the program's FIN reached the peer a delay later (ms)" 90 200 "$(peer_ms 2)"
expect_between "the peer's FIN was seen a delay later (ms)" 80 180 "$(nth since 3)"

# A blocking connect waits its delay; a level-triggered epoll sees a
# nonblocking one become writable after it.
RUN_ENV=SOCKFAULT_LOG=off run 'connect => delay 200ms' p:listen mark connect since connect-nb mark epollout=3000 since
transcript "a blocking connect waits; epoll sees a nonblocking one complete late" <<'EOF2'
peer listen = port *
connect = 0
since = *
connect = -1 EINPROGRESS
epollout = OUT
since = *
EOF2
expect_between "the blocking connect took its delay (ms)" 150 350 "$(nth since 1)"
expect_between "epoll: writable after the delay (ms)" 150 350 "$(nth since 2)"

# The server side: an accepted connection is late both ways too.
RUN_ENV=SOCKFAULT_LOG=off run "$RULES" listen p:connect accept mark p:send,4 pollin=1000 since recv=4 \
	p\&:expect,1000 sendns took pwait close p:expect,1000
transcript "an accepted connection: the data late both ways, the close after the data" <<'EOF2'
listen = 0
peer connect = connected 1
accept = *
peer send = sent 4
pollin = IN
since = *
recv = 4
sendns = 4
took = *
peer expect = data 4 bits=0 ms=*
close = 0
peer expect = eof ms=*
EOF2
expect_between "accepted: the peer's bytes readable a delay later (ms)" 80 180 "$(nth since 1)"
expect_between "accepted: the send returned at once (ms)" 0 60 "$(nth took 1)"
expect_between "accepted: the peer got the bytes a delay later (ms)" 90 200 "$(peer_ms 1)"

# The receive delay is that of the rule whose peer is this connection's.
RUN_ENV=SOCKFAULT_LOG=off run 'rx peer=192.0.2.1 => delay 300ms
rx peer=127.0.0.1 => delay 50ms' p:listen connect p:accept mark p:send,4 pollin=1000 since recv=4
transcript "the rule of this peer delays what it sends" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 4
pollin = IN
since = *
recv = 4
EOF2
expect_between "readable after this peer's rule's delay, 50 ms (ms)" 30 150 "$(nth since 1)"

# Where the rules can also end the connection (here a reset), and with
# SOCKFAULT_DELAY=call, the delay is a wait inside the call, as it composes
# with those actions; the peer then has the bytes as soon as the call ends.
RUN_ENV=SOCKFAULT_LOG=off run 'tx => delay 100ms
rx received>=1000 => reset' p:listen connect p:accept mark sendns since p:expect,1000
transcript "with a reset rule too: the send waits" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
since = *
peer expect = data 4 bits=0 ms=*
EOF2
expect_between "with a reset rule: the send took the delay (ms)" 80 180 "$(nth since 1)"
expect_between "with a reset rule: the peer had the bytes when it returned (ms)" 0 60 "$(peer_ms 1)"
RUN_ENV='SOCKFAULT_LOG=off SOCKFAULT_DELAY=call' run "$RULES" p:listen connect p:accept mark sendns since
expect_between "SOCKFAULT_DELAY=call: the send took the delay (ms)" 80 180 "$(nth since 1)"

# The program's own receive timeout still bounds its receives.
RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen socket rcvtimeo=300 reconnect p:accept mark recv since
transcript "SO_RCVTIMEO set before the connect holds" <<'EOF2'
peer listen = port *
socket = *
rcvtimeo = 0
connect = 0
peer accept = accepted 1
recv = -1 EAGAIN
since = *
EOF2
expect_between "the receive timed out at the program's timeout (ms)" 250 450 "$(nth since 1)"

# The calls about the connection, from python (tests/actions/delay-calls.py):
# names, options, SO_ERROR and a refused connect are the TCP socket's.
py=$(sf_python)
[ -z "$py" ] || foreign_ok "$py" -c pass || py=
! sf_musl || py=
if [ -n "$py" ]; then
	# (python's own allocations are no leak of the library's.)
	sf_run "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" SOCKFAULT_LOG=off SOCKFAULT_RULES_TEXT='connect => delay 200ms
tx => delay 100ms' "$py" "$SF_SRCDIR/tests/actions/delay-calls.py"
	transcript "python: getsockname, getpeername, options and SO_ERROR of the real socket" <<'EOF2'
connect EINPROGRESS
writable_ms *
so_error 0
peer_port_ok True
local_ok True
nodelay 1
type True
domain True
accepted_peer_ok True
connect EINPROGRESS
failed_ms *
failed_out True
so_error ECONNREFUSED
so_error 0
EOF2
	expect_between "python: writable after the connect's delay (ms)" 150 350 \
		"$(sed -n 's/^writable_ms //p' "$tmp/out")"
	expect_between "python: the refusal seen after the connect's delay (ms)" 150 350 \
		"$(sed -n 's/^failed_ms //p' "$tmp/out")"
else
	echo "no python3 that can load the library here: the python case is left out"
fi

# A second connect says what the kernel says of the relayed connection:
# after a blocking connect, EISCONN; after a nonblocking one, 0 once (the
# connect's outcome) and EISCONN after that.
RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen connect reconnect reconnect p:accept
transcript "a second connect after a blocking one: EISCONN" <<'EOF2'
peer listen = port *
connect = 0
connect = -1 EISCONN
connect = -1 EISCONN
peer accept = accepted 1
EOF2
RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen connect-nb reconnect pollout=3000 reconnect reconnect p:accept
transcript "a second connect after a nonblocking one: EALREADY, then 0 once, then EISCONN" <<'EOF2'
peer listen = port *
connect = -1 EINPROGRESS
connect = -1 EALREADY
pollout = OUT
connect = 0
connect = -1 EISCONN
peer accept = accepted 1
EOF2

# Only a connection a shaping rule can touch is relayed: one whose peer no
# delay rule names keeps its own socket (no socket of the library's
# beside it) and sends as without the rules.
RUN_ENV=SOCKFAULT_LOG=off run 'tx peer=192.0.2.1 => delay 100ms' p:listen connect p:accept socks sendns p:expect,1000
transcript "a delay rule for another peer: not relayed, the data at once" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
socks = none
sendns = 4
peer expect = data 4 bits=0 ms=*
EOF2
expect_between "the peer got the bytes at once (ms)" 0 60 "$(peer_ms 1)"
RUN_ENV=SOCKFAULT_LOG=off run 'tx peer=127.0.0.1 => delay 100ms' p:listen connect socks
expect_out '^socks = [0-9]' "a delay rule for this peer: relayed (the library's socket beside the program's)"

finish
