#!/bin/sh
# `tx => error ECONNREFUSED` on a connected UDP socket: the datagram draws
# an ICMP port unreachable, as when nothing listens on the peer's port
# (sockfault-rules(5), error). The send succeeds; the kernel's pending error
# then shows: poll says ERR, the next call (receive or send) fails once with
# ECONNREFUSED, SO_ERROR takes it; no SIGPIPE; the peer gets nothing.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# The first four sends are faulted (the third fails with the second's
# error, drawing none), the fifth goes to the peer.
U='p:listen connect send sleep=50 pollin=0 recvnb recvnb send sleep=50 send send so_error send so_error recvnb
sigpipes p:udpexpect p:udpexpect'
for v in 4 6; do
	TREAL_OPTS=-D
	[ "$v" = 4 ] || TREAL_OPTS='-D -6'
	# shellcheck disable=SC2086 # the steps are words
	run 'tx when=1..4 => error ECONNREFUSED' $U
	transcript "IPv$v: each datagram draws the ICMP; the next call takes its error, once" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 4
pollin = ERR
recvnb = -1 ECONNREFUSED
recvnb = -1 EAGAIN
send = 4
send = -1 ECONNREFUSED
send = 4
SO_ERROR = ECONNREFUSED
send = 4
SO_ERROR = 0
recvnb = -1 EAGAIN
sigpipes = 0
peer udpexpect = dgram 4 bits=0
peer udpexpect = silence
EOF2
done

finish
