#!/bin/sh
# A connection relayed for delay (sockfault-rules(5), delay) in programs
# that fork and that close every descriptor:
# - fork: the child uses the connection (the parent's relay carries it,
#   late as before), then the parent goes on with it and closes it; the
#   peer sees every byte and one FIN, after the last byte.
# - exec: the connection becomes the real socket again under the program's
#   number, what was held back for the peer sent at once; the new program
#   uses it (its delays then wait inside the calls).
# - a socket already in an epoll set when it connects is relayed, the set
#   moved to the pair: no event is missed; one dup'd before its connect is
#   relayed under both numbers.
# - a program asking every socket it has for its name and setting an option
#   on it (a search for inherited listeners): the relay's own sockets, which
#   the library never saw made, answer as any socket does, and the relayed
#   connection goes on late.
# - a program closing every descriptor it does not know (a daemon): the
#   relay's own descriptors go with them, and the relay never touches those
#   numbers again: the program takes every number back (socket pairs) and nothing
#   is written into them. The relayed connection is lost with them (the
#   peer sees its FIN, the program's sends EPIPE), as any connection the
#   program closes; later connections keep their delay inside the calls.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

RULES='tx => delay 100ms
rx => delay 100ms'

RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen connect p:accept fork sendns p:expect,1000 p:send,4 recv=4 \
	endchild sendns p:expect,1000 close p:expect,1000 p:expect,300
transcript "fork: the child's and then the parent's data reach the peer, late; one FIN at the end" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
child sendns = 4
child peer expect = data 4 bits=0 ms=*
child peer send = sent 4
child recv = 4
child exit = 0
sendns = 4
peer expect = data 4 bits=* ms=*
close = 0
peer expect = eof ms=*
peer expect = eof ms=0
EOF2

RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen connect p:accept sendns exec p:expect,1000 sendns p:expect,1000 \
	p:send,4 recv=4 peername
transcript "exec: the new program has the connection, and what was held back reached the peer" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
exec'd = 1
peer expect = data 4 bits=0 ms=*
sendns = 4
peer expect = data 4 bits=* ms=*
peer send = sent 4
recv = 4
getpeername = 0
EOF2

# A socket in an epoll set before its connect (nginx does this): the set is
# moved to the pair, whose readiness it then sees; the loop sees every event.
# (The pair's buffers are set when the connect is done, which may wake the
# loop once more for OUT, as the kernel does when a buffer changes: the loop
# waits on for the data.)
RUN_ENV=SOCKFAULT_LOG=off run "connect => delay 200ms
$RULES" p:listen socket nonblock et-add reconnect et=3000 p:accept p:send,4 et-in=1000 recv
transcript "epoll before connect: every event seen, the data read" <<'EOF2'
peer listen = port *
socket = 0
nonblock = 0
et-add = OUT,HUP
connect = -1 EINPROGRESS
et = OUT
peer accept = accepted 1
peer send = sent 4
et-in = IN,OUT
recv = 4
EOF2

# A socket dup'd before its connect: both numbers become the pair, and carry
# the data in order, the delay in the relay.
RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen socket dup use=1 reconnect p:accept mark sendns since \
	p:expect,1000 use=2 sendns p:expect,1000
transcript "dup before connect: both numbers send, in order" <<'EOF2'
peer listen = port *
socket = 0
dup = 0
connect = 0
peer accept = accepted 1
sendns = 4
since = *
peer expect = data 4 bits=0 ms=*
sendns = 4
peer expect = data 4 bits=0 ms=*
EOF2
expect_between "dup before connect: the send returned at once (ms)" 0 60 "$(value since)"
expect_between "dup before connect: the peer had the bytes a delay later (ms)" 80 180 \
	"$(grep '^peer expect = ' "$tmp/out" | sed -n 1p | sed -n 's/.* ms=\([0-9]*\).*/\1/p')"

RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen connect p:accept asksocks sendns p:expect,1000
transcript "getsockname and setsockopt on the relay's own sockets: answered, the delay kept" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
asksocks = 2 answered
sendns = 4
peer expect = data 4 bits=0 ms=*
EOF2
expect_between "asksocks: the peer had the bytes a delay later (ms)" 80 180 \
	"$(grep '^peer expect = ' "$tmp/out" | sed -n 's/.* ms=\([0-9]*\).*/\1/p')"

RUN_ENV=SOCKFAULT_LOG=off run "$RULES" p:listen connect p:accept sendns closeall fdfill=300 p:expect,1000 sendns \
	connect p:accept mark sendns since p:expect,1000
transcript "a program that closes every descriptor: none of its numbers is written into afterwards" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
closeall = done
fdfill = clean
peer expect = eof ms=*
sendns = -1 EPIPE
connect = 0
peer accept = accepted 2
sendns = 4
since = *
peer expect = data 4 bits=0 ms=*
EOF2

finish
