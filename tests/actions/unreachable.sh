#!/bin/sh
# ICMP unreachable answering a TCP connect (sockfault-rules(5), icmp).
# A router on the way (`connect => error EHOSTUNREACH`, ENETUNREACH;
# port unreachable: `error ECONNREFUSED icmp`): a hard error one round
# trip after the SYN, the round trip being the connect's delay rule (none:
# at once): a blocking connect fails then and SO_ERROR is left empty; a
# nonblocking one says EINPROGRESS, then poll reports POLLOUT|ERR|HUP and
# SO_ERROR gives the error once (connect returns at once, poll waits the
# round trip; until then the socket is connecting). The host's own
# firewall (`icmp=local`): the kernel reports it when it retransmits the
# SYN, after 1 s, and SO_ERROR still gives it once afterwards. Either way the socket is then as after any
# failed connect (sends EPIPE with SIGPIPE), and the peer never sees a
# connection. `now` fails at once, as a missing route does.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

for e in EHOSTUNREACH ENETUNREACH 'ECONNREFUSED icmp'; do
	x=${e% icmp}
	# A router's ICMP, no round trip given: at once.
	run "connect => error $e" p:listen mark connect since so_error peername sendns send sigpipes p:accept,300
	transcript "$e from a router, blocking: a hard error, SO_ERROR taken" <<EOF2
peer listen = port *
connect = -1 $x
since = *
SO_ERROR = 0
getpeername = -1 ENOTCONN
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
peer accept = none
EOF2
	expect_between "$e from a router without a delay rule: at once (ms)" 0 300 "$(value since)"

	# Its round trip from a delay rule on the connect.
	run "connect => delay 150ms
connect => error $e" p:listen mark connect since so_error p:accept,300
	transcript "$e from a router 150 ms away, blocking" <<EOF2
peer listen = port *
connect = -1 $x
since = *
SO_ERROR = 0
peer accept = none
EOF2
	expect_between "$e from a router: after the round trip (ms)" 140 600 "$(value since)"

	run "connect => delay 150ms
connect => error $e" p:listen mark connect-nb since pollout=3000 since so_error so_error peername pollin=0 \
		sendns send recvnb sigpipes p:accept,300
	transcript "$e from a router 150 ms away, nonblocking: POLLOUT|ERR|HUP, SO_ERROR once, a dead socket" <<EOF2
peer listen = port *
connect = -1 EINPROGRESS
since = *
pollout = OUT,ERR,HUP
since = *
SO_ERROR = $x
SO_ERROR = 0
getpeername = -1 ENOTCONN
pollin = IN,HUP,RDHUP
sendns = -1 EPIPE
send = -1 EPIPE
recvnb = 0
sigpipes = 1
peer accept = none
EOF2
	expect_between "$e from a router, nonblocking: connect returns at once (ms)" 0 60 "$(value since 1)"
	expect_between "$e from a router, nonblocking: poll told after the round trip (ms)" 140 600 "$(value since 2)"

	# A second connect after the ICMP came says what the kernel says after
	# a failed connect: its error if not read yet (an event loop's
	# completion check), else ECONNABORTED; either way nothing is sent and
	# the next connect is a new attempt, which the rules answer again.
	run "connect => delay 150ms
connect => error $e" p:listen connect-nb pollout=3000 reconnect so_error reconnect pollout=3000 so_error reconnect \
		reconnect p:accept,300
	transcript "$e from a router, then connect again: the error or ECONNABORTED, then a new attempt" <<EOF2
peer listen = port *
connect = -1 EINPROGRESS
pollout = OUT,ERR,HUP
connect = -1 $x
SO_ERROR = 0
connect = -1 EINPROGRESS
pollout = OUT,ERR,HUP
SO_ERROR = $x
connect = -1 ECONNABORTED
connect = -1 EINPROGRESS
peer accept = none
EOF2

	run "connect => delay 150ms
connect => error $e" p:listen mark connect-nb epollout=3000 since so_error p:accept,300
	transcript "$e from a router 150 ms away: epoll wakes when it comes" <<EOF2
peer listen = port *
connect = -1 EINPROGRESS
epollout = OUT,ERR,HUP
since = *
SO_ERROR = $x
peer accept = none
EOF2
	expect_between "$e from a router, epoll told after the round trip (ms)" 140 600 "$(value since)"

	# While the ICMP is on its way the socket is connecting, as the real one.
	run "connect => delay 300ms
connect => error $e" p:listen connect-nb pollout=0 so_error peername sendns recvnb reconnect pollout=3000 \
		so_error p:accept,300
	transcript "$e from a router 300 ms away: connecting until the ICMP comes" <<EOF2
peer listen = port *
connect = -1 EINPROGRESS
pollout = none
SO_ERROR = 0
getpeername = -1 ENOTCONN
sendns = -1 EAGAIN
recvnb = -1 EAGAIN
connect = -1 EALREADY
pollout = OUT,ERR,HUP
SO_ERROR = $x
peer accept = none
EOF2

	# The host's own firewall: a soft error, at the SYN's retransmission.
	run "connect => error $x icmp=local" p:listen mark connect since so_error so_error peername sendns send \
		sigpipes p:accept,300
	transcript "$x icmp=local on a blocking connect: at the SYN's retransmission, SO_ERROR keeps it" <<EOF2
peer listen = port *
connect = -1 $x
since = *
SO_ERROR = $x
SO_ERROR = 0
getpeername = -1 ENOTCONN
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
peer accept = none
EOF2
	expect_between "$x icmp=local: after the SYN's retransmission (ms)" 950 1500 "$(value since)"
done

# Closed while the ICMP is on its way, the descriptor taken by the next
# connection: the ICMP's arrival leaves that connection alone.
run 'connect => delay 100ms
connect per=process when=1 => error EHOSTUNREACH' p:listen connect-nb close connect p:accept sleep=300 sendns p:expect,1000
transcript "closed before the ICMP came: the next connection on the same descriptor lives on" <<'EOF2'
peer listen = port *
connect = -1 EINPROGRESS
close = 0
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 *
EOF2

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
