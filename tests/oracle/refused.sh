#!/bin/sh
# A connect refused, for real and by sockfault's `connect => error
# ECONNREFUSED`: nothing listens on the server's port (its kernel answers
# the SYN with an RST), a firewall on the way answers for it (REJECT
# --reject-with tcp-reset), a firewall answers ICMP port unreachable
# (`connect => error ECONNREFUSED icmp`).
# Blocking and nonblocking, IPv4 and IPv6 (poll, SO_ERROR read twice, getpeername, sends
# and a receive afterwards, SIGPIPE); the server must never see a
# connection. Times: a refusal by RST comes at once (under 300 ms, both).
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

# --- ICMP port unreachable ---
# The kernel takes an ICMP error on a SYN as a soft error: SO_ERROR is set
# at once, the socket stays in SYN-SENT (poll: ERR alone, sends EAGAIN),
# a blocking connect returns only at the next retransmission (1 s).
in_router iptables -A FORWARD -p tcp -j REJECT --reject-with icmp-port-unreachable
# shellcheck disable=SC2086
real ib $B
# shellcheck disable=SC2086
real in $N
fw_clear
# shellcheck disable=SC2086
fake ib "$RULE icmp" $B
# shellcheck disable=SC2086
fake in "$RULE icmp" $N
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
