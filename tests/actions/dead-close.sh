#!/bin/sh
# Closing a connection that a fault made dead (blackhole, timeout, a
# sticky error: a link or a firewall that lost it): the close goes unheard,
# as the FIN would be lost on the real dead link. The library closes such a
# socket in TCP repair mode, which needs CAP_NET_ADMIN (sockfault-rules(5),
# blackhole): as root here. (What the program sends into the silence still
# reaches the peer: see blackhole.)
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "a silent close needs CAP_NET_ADMIN: run as root"

run 'tx when=2+ => blackhole' p:listen connect p:accept sendns p:expect,1000 sendns p:expect,500 close p:expect,500
transcript "blackhole, then close: the peer hears no FIN" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
sendns = 4
peer expect = data 4 bits=0 ms=*
close = 0
peer expect = silence
EOF2

run 'rx => timeout 200ms' p:listen connect p:accept rcvtimeo=1000 recv so_error close p:expect,500
transcript "timeout, then close: the peer hears nothing" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
rcvtimeo = 0
recv = -1 ETIMEDOUT
SO_ERROR = 0
close = 0
peer expect = silence
EOF2

run 'tx => error ENOTCONN sticky' p:listen connect p:accept sendns recv close p:expect,500
transcript "a sticky error (a firewall that forgot the connection), then close: the peer hears nothing" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = -1 ENOTCONN
recv = -1 ENOTCONN
close = 0
peer expect = silence
EOF2

# A dup keeps the socket open: closing one descriptor changes nothing (the
# send after it is taken: a socket in repair mode would refuse it), the
# last one closes silently. (Nagle holds that send back: nothing of the
# first is acknowledged, so it never leaves.)
run 'tx when=2+ => blackhole' p:listen connect p:accept sendns p:expect,1000 dup sendns p:expect,500 close \
	use=1 sendns close p:expect,500
transcript "blackhole on a dup'd socket: the first close leaves it working, the last is silent" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
dup = *
sendns = 4
peer expect = data 4 bits=0 ms=*
close = 0
sendns = 4
close = 0
peer expect = silence
EOF2

finish
