#!/bin/sh
# ICMP host or network unreachable answering a blocking TCP connect
# (`connect => error EHOSTUNREACH`, ENETUNREACH; port unreachable:
# `error ECONNREFUSED icmp`): the kernel reports it
# when it retransmits the SYN, after 1 s, and SO_ERROR still gives it once
# afterwards; the socket is then as after any failed connect (sends EPIPE
# with SIGPIPE). `now` fails at once, as a missing route does. The peer
# never sees a connection (sockfault-rules(5), error).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

for e in EHOSTUNREACH ENETUNREACH 'ECONNREFUSED icmp'; do
	run "connect => error $e" p:listen mark connect since so_error so_error peername sendns send sigpipes \
		p:accept
	transcript "$e on a blocking connect: at the SYN's retransmission, SO_ERROR keeps it" <<EOF2
peer listen = port *
connect = -1 ${e% icmp}
since = *
SO_ERROR = ${e% icmp}
SO_ERROR = 0
getpeername = -1 ENOTCONN
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
peer accept = none
EOF2
	expect_between "$e: after the SYN's retransmission (ms)" 950 1500 "$(value since)"
done

run 'connect => error EHOSTUNREACH now' p:listen mark connect since so_error
transcript "now: at once, nothing left for SO_ERROR" <<'EOF2'
peer listen = port *
connect = -1 EHOSTUNREACH
since = *
SO_ERROR = 0
EOF2
expect_between "now: at once (ms)" 0 300 "$(value since)"

# Without icmp, ECONNREFUSED is the RST of a closed port: at once.
run 'connect => error ECONNREFUSED' p:listen mark connect since so_error
transcript "ECONNREFUSED (an RST): at once, nothing left for SO_ERROR" <<'EOF2'
peer listen = port *
connect = -1 ECONNREFUSED
since = *
SO_ERROR = 0
EOF2
expect_between "ECONNREFUSED: at once (ms)" 0 300 "$(value since)"

finish
