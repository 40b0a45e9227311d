#!/bin/sh
# The state conditions, exactly: idle> (time since the socket last moved
# data, or was connected), age>, sent/received thresholds (evaluated before
# the call adds its bytes), uptime windows, state= and side=, on client and
# server sockets, and through dup'd descriptors (one connection, one record:
# a dup shares the counters, the clocks and the death).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- idle ---
run 'tx idle>600ms => error WSAENOTCONN' p:listen connect p:accept sendns sleep=300 sendns sleep=300 sendns \
	sleep=300 sendns sleep=1000 sendns sendns
transcript "idle>600ms: a socket that moves data every 300 ms is never touched; 1 s of silence is" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = 4
sendns = 4
sendns = 4
sendns = -1 ENOTCONN
sendns = -1 ENOTCONN
EOF2

# Three connections idle for 800 ms since they were made, a client one
# that received data half way (a receive is data moving), a client one
# whose peer sent data that was not read (arrival is not the program's
# doing), and a server one accepted 800 ms ago.
run 'tx idle>600ms => error WSAENOTCONN' p:listen connect p:accept connect p:accept listen p:connect accept \
	sleep=400 p:use,1 p:send use=1 recv p:use,2 p:send sleep=400 use=1 sendns use=2 sendns use=3 sendns
transcript "idle>600ms counts from the connect or accept, and a receive moves data" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
connect = 0
peer accept = accepted 2
listen = 0
peer connect = connected 3
accept = 0
peer use = ok
peer send = sent 4
recv = 4
peer use = ok
peer send = sent 4
sendns = 4
sendns = -1 ENOTCONN
sendns = -1 ENOTCONN
EOF2

# --- age: since the connect or accept, however busy the socket is ---
run 'tx age>600ms => error EIO' p:listen connect p:accept listen p:connect accept use=1 sendns use=2 sendns \
	sleep=300 use=1 sendns use=2 sendns sleep=500 use=1 sendns use=2 sendns
transcript "age>600ms: client and server sockets, busy or not, fail once older than 600 ms" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
listen = 0
peer connect = connected 2
accept = 0
sendns = 4
sendns = 4
sendns = 4
sendns = 4
sendns = -1 EIO
sendns = -1 EIO
EOF2

# --- bytes: the condition sees the count before the call adds to it ---
# four_sends RULE WHAT R1 R2 R3 R4: four 4-byte sends under RULE answer R1..R4.
four_sends() {
	run "$1" p:listen connect p:accept sendns sendns sendns sendns
	transcript "$2" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = $3
sendns = $4
sendns = $5
sendns = $6
EOF2
}
four_sends 'tx sent>=8 => error EIO' "sent>=8: the third 4-byte send (8 sent before it) fails" 4 4 '-1 EIO' '-1 EIO'
four_sends 'tx sent>8 => error EIO' "sent>8: the fourth (12 sent before it) fails" 4 4 4 '-1 EIO'
run 'rx received>=8 => eof' listen p:connect accept p:send,12 pollin=1000 recv=4 recv=4 recv=4 recv=4
transcript "received>=8 on a server socket: the third receive sees the end" <<'EOF2'
listen = 0
peer connect = connected 1
accept = 0
peer send = sent 12
pollin = IN
recv = 4
recv = 4
recv = 0
recv = 0
EOF2

# --- uptime: a window of the process's life, from the library's start
# (treal's at= counts from its constructor, a moment later). The connection
# comes 450 ms in, so that a window counted from the connect or from the
# first call would not fail the same sends; each send is 100 ms from an edge.
run 'tx uptime>600ms uptime<1400ms => error EIO' p:listen at=450 connect p:accept at=500 sendns at=700 sendns \
	at=1300 sendns at=1500 sendns
transcript "uptime>600ms uptime<1400ms: only the sends in the window fail" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = -1 EIO
sendns = -1 EIO
sendns = 4
EOF2

# --- state= ---
run 'send state=connected => error EIO' p:listen connect p:accept sendns shut=wr sendns
transcript "state=connected holds until the program shuts the socket down" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = -1 EIO
shutdown = 0
sendns = -1 EPIPE
EOF2
run 'recv state=shutdown => error EIO' p:listen connect p:accept recvnb shut=wr recvnb
transcript "state=shutdown holds after shutdown" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
recvnb = -1 EAGAIN
shutdown = 0
recvnb = -1 EIO
EOF2
run 'accept state=listening => error EMFILE' listen p:connect accept accept
transcript "state=listening: accept on the listening socket" <<'EOF2'
listen = 0
peer connect = connected 1
accept = -1 EMFILE
accept = -1 EMFILE
EOF2
run 'connect state=unconnected => error ECONNREFUSED' p:listen connect reconnect
transcript "state=unconnected: connect on a fresh socket" <<'EOF2'
peer listen = port *
connect = -1 ECONNREFUSED
connect = -1 ECONNREFUSED
EOF2

# --- side=: the client end and the server end in one process ---
for t in '' -U; do
	TREAL_OPTS=$t
	run 'send side=client => error EIO; send side=server => error EPERM' p:listen connect p:accept listen p:connect \
		accept use=1 sendns use=2 sendns
	transcript "side= on ${t:-tcp}: connect() makes the client side, accept() the server side" <<'EOF2'
peer listen* = port *
connect = 0
peer accept = accepted 1
listen = 0
peer connect* = connected 2
accept = 0
sendns = -1 EIO
sendns = -1 EPERM
EOF2
done
TREAL_OPTS=

# --- dup: one connection, one record ---
# dup_sends RULE WHAT R3 R4: a send, a dup, a send through the dup, then one
# through each descriptor under RULE; the last two answer R3 and R4.
dup_sends() {
	run "$1" p:listen connect p:accept sendns dup sendns use=1 sendns use=2 sendns
	transcript "$2" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
dup = 0
sendns = 4
sendns = $3
sendns = $4
EOF2
}
dup_sends 'tx sent>=8 => error EIO' "dup: the bytes sent through either descriptor count together" '-1 EIO' '-1 EIO'
dup_sends 'send when=3 => error EIO' "dup: when= counts the calls through either descriptor" '-1 EIO' 4
run 'tx idle>600ms => error WSAENOTCONN' p:listen connect p:accept dup sleep=400 use=2 sendns sleep=400 use=1 sendns
transcript "dup: data moved through the dup keeps the original from being idle" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
dup = 0
sendns = 4
sendns = 4
EOF2
run 'send when=1 => reset' p:listen connect p:accept dup use=1 sendns use=2 recv sendns peername so_error close \
	use=1 sendns p:expect,1000
transcript "dup: a reset through one descriptor is the death of both" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
dup = 0
sendns = -1 ECONNRESET
recv = 0
sendns = -1 EPIPE
getpeername = -1 ENOTCONN
SO_ERROR = 0
close = 0
sendns = -1 EPIPE
peer expect = err ECONNRESET ms=*
EOF2

finish
