#!/bin/sh
# Connections a process did not make itself: side= for sockets a child
# inherited through fork (the record is copied) and through exec (the new
# program learns the socket on first use and infers the side: a TCP client's
# local port is in the ephemeral range and its server's is not, so the
# server here listens on a free port below the range; a unix client's peer
# is named and its own end is not).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

sides='send side=client => error EIO; send side=server => error EPERM'

# --- fork ---
run "$sides" p:listen connect p:accept listen p:connect accept fork use=1 sendns use=2 sendns endchild use=1 \
	sendns
transcript "fork: the child's inherited sockets keep their sides" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
listen = 0
peer connect = connected 2
accept = 0
child sendns = -1 EIO
child sendns = -1 EPERM
child exit = 0
sendns = -1 EIO
EOF2

# --- exec, TCP ---
run "$sides" p:listen,low connect p:accept exec sendns peername
transcript "exec: a TCP client socket (server port below the ephemeral range) is side=client" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
exec'd = 1
sendns = -1 EIO
getpeername = 0
EOF2
run "$sides" listen=low p:connect accept exec sendns
transcript "exec: a TCP server socket (its own port below the range) is side=server" <<'EOF2'
listen = 0
peer connect = connected 1
accept = 0
exec'd = 1
sendns = -1 EPERM
EOF2
# Both ends on ephemeral ports: nothing tells the sides apart, and a side=
# rule does not guess.
run "$sides" p:listen connect p:accept exec sendns
transcript "exec: with both ports in the ephemeral range the side is unknown and side= does not match" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
exec'd = 1
sendns = 4
EOF2
run 'send state=connected => error EIO' p:listen connect p:accept exec sendns
transcript "exec: an inherited connection is state=connected" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
exec'd = 1
sendns = -1 EIO
EOF2
run 'send when=2 => reset' p:listen,low connect p:accept exec sendns sendns sendns p:expect,1000
transcript "exec: the new program's faults work on the inherited connection (reset, then EPIPE)" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
exec'd = 1
sendns = 4
sendns = -1 ECONNRESET
sendns = -1 EPIPE
peer expect = data 4 bits=0 ms=*
EOF2

# exec_sides WHAT OPTS: a client socket and a server socket of one program,
# through exec, over treal's OPTS (-6, -U). The TCP servers listen below
# the ephemeral range (low); unix sockets are told apart by their named
# ends, and the peer says "listenu", "connectu" for them.
exec_sides() {
	TREAL_OPTS=$2
	low=,low u=
	[ "$2" != -U ] || low='' u=u
	run "$sides" "p:listen$low" connect p:accept "listen${low:+=low}" p:connect accept exec use=1 sendns use=2 sendns
	transcript "$1" <<EOF2
peer listen$u = port *
connect = 0
peer accept = accepted 1
listen = 0
peer connect$u = connected 2
accept = 0
exec'd = 2
sendns = -1 EIO
sendns = -1 EPERM
EOF2
	TREAL_OPTS=
}

if have_ipv6; then
	exec_sides "exec over IPv6: client and server sockets" -6
else
	echo "no IPv6 loopback: the IPv6 exec case is skipped"
fi

# --- exec, unix ---
exec_sides "exec: unix sockets, the client (named peer) and the server (named own end)" -U

finish
