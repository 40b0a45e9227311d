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

# --- sendto, unconnected: the send says yes, the peer gets nothing (the
# datagrams are 1, 2, 3 ... bytes long, so the peer's lines say which came).
# sent N...: the program's lines for sendto of each length; got N...: the
# peer's for each datagram it gets (-: silence); expects K N: N times
# p:udpexpect on the peer's UDP socket K.
sent() {
	for _n; do echo "sendto = $_n"; done
}
got() {
	for _n; do
		if [ "$_n" = - ]; then echo 'peer udpexpect = silence'; else echo "peer udpexpect = dgram $_n bits=0"; fi
	done
}
expects() {
	_i=0
	while [ "$_i" -lt "$2" ]; do
		printf ' p:udpexpect,300,%s' "$1"
		_i=$((_i + 1))
	done
}
three='p:listen socket sendto=1 sendto=2 sendto=3'
run 'sendto proto=udp => drop' $three p:udpexpect,300
transcript "drop: each sendto reports its datagram sent, the peer gets none" <<EOF2
peer udp = port *
socket = 0
$(sent 1 2 3)
$(got -)
EOF2
expect_eq "drop: each one is logged" 3 "$(grep -c 'fired on sendto .*: drop$' "$tmp/err")"
# shellcheck disable=SC2046 # the steps are words on purpose
run 'sendto proto=udp when=2 => drop' $three $(expects 1 3)
transcript "drop when=2: exactly the second one is lost" <<EOF2
peer udp = port *
socket = 0
$(sent 1 2 3)
$(got 1 3 -)
EOF2
# shellcheck disable=SC2046
run '' $three $(expects 1 4)
transcript "without rules all three arrive" <<EOF2
peer udp = port *
socket = 0
$(sent 1 2 3)
$(got 1 2 3 -)
EOF2

# A rule about one destination of an unconnected socket counts the calls to
# that destination only, however the destinations alternate, and whether
# the call is decided in full or in the quick lane (the same destination
# again: a cached verdict). The rule names the peer's first UDP socket, so
# the peer takes the ports a first run found free.
run '' p:listen p:listen
u=$(value 'peer udp' 1 | sed 's/port //')
v=$(value 'peer udp' 2 | sed 's/port //')
# alternate N: sendto=1 sendto=1,2 ... sendto=N sendto=N,2 (the peer's two
# sockets in turn); in_turn N: the program's lines for it.
alternate() {
	for _n in $(seq "$1"); do printf ' sendto=%s sendto=%s,2' "$_n" "$_n"; done
}
in_turn() {
	for _n in $(seq "$1"); do sent "$_n" "$_n"; done
}
# shellcheck disable=SC2046
run "sendto peer=127.0.0.1:$u when=3 => drop" "p:listen,$u" "p:listen,$v" socket $(alternate 4) $(expects 1 4) \
	$(expects 2 5)
transcript "per destination, alternating: the third to it is lost, the other one is not counted" <<EOF2
peer udp = port $u
peer udp = port $v
socket = 0
$(in_turn 4)
$(got 1 2 4 -)
$(got 1 2 3 4 -)
EOF2
# shellcheck disable=SC2046
run "sendto peer=127.0.0.1:$u when=3+2 => drop" "p:listen,$u" socket $(printf ' sendto=%s' $(seq 8)) $(expects 1 6)
transcript "per destination, the same one again: the 3rd, 5th and 7th are lost" <<EOF2
peer udp = port $u
socket = 0
$(sent $(seq 8))
$(got 1 2 4 6 8 -)
EOF2
# Once a rule about the destination has silenced the socket, every later
# datagram goes nowhere, to that destination (the same one again: the
# quick lane) as to others.
# shellcheck disable=SC2046
run "sendto peer=127.0.0.1:$u when=3 => blackhole" "p:listen,$u" socket $(printf ' sendto=%s' $(seq 5)) $(expects 1 3)
transcript "blackhole by destination: every sendto says sent, nothing arrives after it fired" <<EOF2
peer udp = port $u
socket = 0
$(sent $(seq 5))
$(got 1 2 -)
EOF2
# shellcheck disable=SC2046
run "sendto peer=127.0.0.1:$u when=3 => blackhole" "p:listen,$u" "p:listen,$v" socket $(alternate 3) $(expects 1 3) \
	$(expects 2 3)
transcript "blackhole by destination: the dead socket sends to no one" <<EOF2
peer udp = port $u
peer udp = port $v
socket = 0
$(in_turn 3)
$(got 1 2 -)
$(got 1 2 -)
EOF2

# --- receiving, by each call: exactly one datagram is lost. The peer
# sends three back to back: once the first is here, a moment more and all
# are queued, so that a lost one cannot be mistaken for one on its way ---
# reads OP N: the steps of N receives by OP, each after a wait; read_lines
# OP N...: the program's lines for them, each receive's length given.
burst='p:listen connect p:udpsend,1 p:udpsend,2 p:udpsend,3 pollin=1000 sleep=200'
reads() {
	for _i in $(seq "$2"); do printf ' %s pollin=300' "$1"; done
}
read_lines() {
	_op=$1
	shift
	for _n; do printf '%s = %s\npollin = %s\n' "$_op" "$_n" IN; done | sed '$s/IN$/none/'
}
# shellcheck disable=SC2046 # the steps are words on purpose
for op in recvfrom recv recvmsg read; do
	run "$op proto=udp once => drop" $burst $(reads "$op" 2)
	transcript "$op drop once: the first is lost, the second and third arrive" <<EOF2
peer udp = port *
connect = 0
peer udptarget = ok
peer udpsend = sent 1
peer udpsend = sent 2
peer udpsend = sent 3
pollin = IN
$(read_lines "$op" 2 3)
EOF2
done
# shellcheck disable=SC2046
run '' $burst $(reads recvfrom 3)
expect_eq "without rules all three arrive" "$(read_lines recvfrom 1 2 3)" "$(sed -n '/^recvfrom/,$p' "$tmp/out")"

finish
