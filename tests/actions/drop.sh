#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# drop on UDP, what the program and the peer see (sockfault-rules(5)): the
# datagram sent is lost on the way (the send says yes, the peer gets
# nothing), the one received is lost before the program reads it (exactly
# one); a rule about one destination of an unconnected socket counts the
# calls to that destination only.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

TREAL_OPTS=-D
run 'send when=2 => drop; recv once => drop' p:listen connect send=10 send=11 send=12 p:udpexpect,300 \
	p:udpexpect,300 p:udpexpect,300 p:udpsend,10 p:udpsend,20 pollin=300 recvnb recvnb
transcript "udp drop: the second datagram sent and the first received are lost" <<'EOF2'
peer udp = port *
connect = 0
peer udptarget = ok
send = 10
send = 11
send = 12
peer udpexpect = dgram 10 bits=0
peer udpexpect = dgram 12 bits=0
peer udpexpect = silence
peer udpsend = sent 10
peer udpsend = sent 20
pollin = IN
recvnb = 20
recvnb = -1 EAGAIN
EOF2

# --- drop on each call of the data family (tclient): the send says yes,
# the peer gets nothing; a receive loses exactly one ---
# --- UDP drop, sending: success for the program, nothing for the peer ---
peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT='sendto proto=udp => drop' "$T/tclient" udp-send -n 3 "127.0.0.1:$u_port"
expect_rc 0
expect_eq "drop: each sendto reports the datagram sent" 3 "$(grep -c '^sendto = 2$' "$tmp/out")"
expect_eq "drop: each one is logged" 3 "$(grep -c 'fired on sendto .*: drop$' "$tmp/err")"
peer_wait u
expect_in "$u_out" '^peer: END after 0 datagrams$' "drop: the peer received none of them"

peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT='sendto proto=udp when=2 => drop' "$T/tclient" udp-send -n 3 "127.0.0.1:$u_port"
peer_wait u
expect_in "$u_out" '^peer: datagram 1: 2 bytes "d1"$'
expect_in "$u_out" '^peer: datagram 2: 2 bytes "d3"$' "drop when=2: exactly the second one is lost"
expect_in "$u_out" '^peer: END after 2 datagrams$'

peer_start u -n 1 -t 20 udp
sf_run "$T/tclient" udp-send -n 3 "127.0.0.1:$u_port"
peer_wait u
expect_in "$u_out" '^peer: END after 3 datagrams$' "without rules all three arrive"

# A rule about one destination of an unconnected socket counts the calls to
# that destination only, however the destinations alternate, and whether
# the call is decided in full or in the quick lane (the same destination
# again: a cached verdict).
peer_start u -n 1 -t 20 udp
peer_start v -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3 => drop" "$T/tclient" udp-send -n 4 \
	"127.0.0.1:$u_port" "127.0.0.1:$v_port"
peer_wait u
peer_wait v
expect_in "$u_out" '^peer: datagram 3: 2 bytes "d4"$' "per destination, alternating: the third to it is lost"
expect_in "$u_out" '^peer: END after 3 datagrams$'
expect_in "$v_out" '^peer: END after 4 datagrams$' "per destination, alternating: the other one is not counted"
peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3+2 => drop" "$T/tclient" udp-send -n 8 \
	"127.0.0.1:$u_port"
peer_wait u
expect_eq "per destination, the same one again: the 3rd, 5th and 7th are lost" "d1 d2 d4 d6 d8" \
	"$(sed -n 's/^peer: datagram [0-9]*: 2 bytes "\(d[0-9]\)"$/\1/p' "$u_out" | tr '\n' ' ' | sed 's/ $//')"
# Once a rule about the destination has silenced the socket, every later
# datagram goes nowhere, to that destination (the same one again: the
# quick lane) as to others.
peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3 => blackhole" "$T/tclient" udp-send -n 5 \
	"127.0.0.1:$u_port"
peer_wait u
expect_eq "blackhole by destination: every sendto reports its datagram sent" 5 "$(grep -c '^sendto = 2$' "$tmp/out")"
expect_in "$u_out" '^peer: END after 2 datagrams$' "blackhole by destination: nothing arrives after it fired"
peer_start u -n 1 -t 20 udp
peer_start v -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3 => blackhole" "$T/tclient" udp-send -n 3 \
	"127.0.0.1:$u_port" "127.0.0.1:$v_port"
peer_wait u
peer_wait v
expect_in "$u_out" '^peer: END after 2 datagrams$'
expect_in "$v_out" '^peer: END after 2 datagrams$' "blackhole by destination: the dead socket sends to no one"

# --- UDP drop, receiving: exactly one datagram is lost ---
for op in recvfrom recv recvmsg read; do
	peer_start u -n 1 -t 20 udp
	sf_run SOCKFAULT_RULES_TEXT="$op proto=udp once => drop" "$T/tclient" udp-recv -o "$op" "127.0.0.1:$u_port"
	expect_rc 0
	expect_eq "$op drop once: d1 is lost, d2 and d3 arrive" "got d2|got d3|got nothing more" \
		"$(grep -E '^(got|recv)' "$tmp/out" | tr '\n' '|' | sed 's/|$//')"
	peer_wait u
done
peer_start u -n 1 -t 20 udp
sf_run "$T/tclient" udp-recv "127.0.0.1:$u_port"
expect_eq "without rules all three arrive" "got d1|got d2|got d3|got nothing more" \
	"$(grep '^got' "$tmp/out" | tr '\n' '|' | sed 's/|$//')"
peer_wait u

finish
