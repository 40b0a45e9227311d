#!/bin/sh
# A connect refused, for real and by sockfault's `connect => error
# ECONNREFUSED`: nothing listens on the server's port (its kernel answers
# the SYN with an RST), a firewall on the way answers for it (REJECT
# --reject-with tcp-reset), a firewall a round trip away answers ICMP port
# unreachable (`connect => error ECONNREFUSED icmp` with `connect => delay
# 40ms`, over olink), the router beside the client does (`icmp=local`).
# Blocking and nonblocking, IPv4 and IPv6 (poll, SO_ERROR read twice, getpeername, sends
# and a receive afterwards, a second connect, SIGPIPE), and a nonblocking
# connect asked for its outcome by a second connect (an event loop's
# completion check); the server must never see a connection. Times: a refusal by RST comes at once (under 300 ms, both).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up
need_iptables

B=$CONNECT_B
N=$CONNECT_N
RULE='connect => error ECONNREFUSED'

# --- blocking ---
# shellcheck disable=SC2086 # the steps are words
fake b "$RULE" $B
# shellcheck disable=SC2086
AT=$OR_SERVER:9 real b $B
agree b "nothing listens: a blocking connect is refused at once" <<EOF
$(connect_failed ECONNREFUSED 0)
EOF
expect_between "real: refused within" 0 300 "$(sed -n "s/^took = //p" "$tmp/b.real")"
expect_between "sockfault: refused within" 0 300 "$(sed -n 's/^took = //p' "$tmp/b.fake")"

in_router iptables -A FORWARD -p tcp -j REJECT --reject-with tcp-reset
# shellcheck disable=SC2086
real bf $B
fw_clear
cp "$tmp/b.fake" "$tmp/bf.fake"
agree bf "a firewall's tcp-reset: the same as no listener" <<EOF
$(connect_failed ECONNREFUSED 0)
EOF

# --- nonblocking ---
# shellcheck disable=SC2086
fake n "$RULE" $N
# shellcheck disable=SC2086
AT=$OR_SERVER:9 real n $N
agree n "nothing listens: EINPROGRESS, then POLLERR and SO_ERROR once; the socket is dead" <<EOF
$(connect_failed_later ECONNREFUSED)
EOF
expect_between "real: poll woke within" 0 300 "$(sed -n 's/^took = //p' "$tmp/n.real")"
expect_between "sockfault: poll woke within" 0 300 "$(sed -n 's/^took = //p' "$tmp/n.fake")"

# An event loop's completion check: the second connect tells the refusal,
# the third is a new attempt, refused again; nothing ever connects.
# shellcheck disable=SC2086
fake c "$RULE" $CONNECT_C
# shellcheck disable=SC2086
AT=$OR_SERVER:9 real c $CONNECT_C
agree c "nothing listens, nonblocking, asked by connect: the refusal, then a new attempt, refused" <<EOF
$(connect_checked ECONNREFUSED)
EOF
expect_in "$tmp/c.real" '^pollin = HUP$' "real: after a refusal by RST, poll says HUP alone"

# --- the same over IPv6 ---
PEER_AT=[$OR_SERVER6]
# shellcheck disable=SC2086
fake n6 "$RULE" $N
# shellcheck disable=SC2086
AT=[$OR_SERVER6]:9 real n6 $N
PEER_AT=$OR_SERVER
agree n6 "IPv6, nothing listens: as over IPv4" <<EOF
$(connect_failed_later ECONNREFUSED)
EOF

# --- ICMP port unreachable from a firewall a round trip away ---
# The server's firewall rejects the SYN at the far end of olink, 20 ms each
# way, over IPv4 and IPv6: the ICMP comes back after connect has let go of
# the socket, a hard error one round trip after the SYN (sockfault-rules(5),
# icmp); sockfault's round trip is the connect's delay rule.
link_up 20
link6_up
in_server iptables -A INPUT -i tl -p tcp -j REJECT --reject-with icmp-port-unreachable
have6=
if command -v ip6tables >/dev/null 2>&1 &&
	in_server ip6tables -A INPUT -i tl -p tcp -j REJECT --reject-with icmp6-port-unreachable 2>/dev/null; then
	have6=1
fi
PEER_AT=$OR_LINK_SERVER
# shellcheck disable=SC2086
real lb $B
# shellcheck disable=SC2086
real_settled ln $CONNECT_NR
# shellcheck disable=SC2086
real_settled lc $CONNECT_C
if [ -n "$have6" ]; then
	PEER_AT=[$OR_LINK_SERVER6]
	# shellcheck disable=SC2086
	real_settled ln6 $CONNECT_NR
fi
in_server iptables -F INPUT
[ -z "$have6" ] || in_server ip6tables -F INPUT
link_down
PEER_AT=$OR_SERVER
LRULE="connect => delay 40ms
$RULE icmp"
# shellcheck disable=SC2086
fake lb "$LRULE" $B
# shellcheck disable=SC2086
fake ln "$LRULE" $CONNECT_NR
icmp_rtt_agree ECONNREFUSED "ICMP port unreachable"
# shellcheck disable=SC2086
fake lc "$LRULE" $CONNECT_C
agree lc "ICMP port unreachable a round trip away, asked by connect: the error, then a new attempt" <<EOF
$(connect_checked ECONNREFUSED)
EOF
if [ -n "$have6" ]; then
	PEER_AT=[$OR_SERVER6]
	# shellcheck disable=SC2086
	fake ln6 "$LRULE" $CONNECT_NR
	PEER_AT=$OR_SERVER
	agree ln6 "IPv6, ICMPv6 port unreachable a round trip away, nonblocking: as over IPv4, POLLERR gone once read" <<EOF
$(connect_failed_rtt ECONNREFUSED IN,HUP,RDHUP)
EOF
	for k in real fake; do
		expect_between "$k: IPv6, nonblocking, refused after the round trip (ms)" 35 300 "$(rtt_ms ln6.$k)"
	done
fi

# --- ICMP port unreachable from the router beside the client ---
# On this rig's veth the router's ICMP comes back within the connect call,
# as the host's own firewall's would (`icmp=local`): the kernel takes it as
# a soft error: SO_ERROR is set at once, the socket stays in SYN-SENT
# (poll: ERR alone, sends EAGAIN), a blocking connect returns only at the
# next retransmission (1 s).
in_router iptables -A FORWARD -p tcp -j REJECT --reject-with icmp-port-unreachable
# shellcheck disable=SC2086
real ib $B
# shellcheck disable=SC2086
real in $N
fw_clear
# shellcheck disable=SC2086
fake ib "$RULE icmp=local" $B
# shellcheck disable=SC2086
fake in "$RULE icmp=local" $N
agree ib "ICMP port unreachable: a blocking connect fails at the next SYN, with SO_ERROR still set" <<EOF
$(connect_failed ECONNREFUSED ECONNREFUSED)
EOF
for k in real fake; do
	expect_between "$k: ICMP refusal after the SYN's retransmission" 900 1500 "$(sed -n 's/^took = //p' "$tmp/ib.$k")"
done
differs in "ICMP port unreachable, nonblocking: POLLERR alone, the socket still connecting" <<EOF
$(connect_soft_error ECONNREFUSED)
EOF

finish
