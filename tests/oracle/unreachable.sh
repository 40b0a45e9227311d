#!/bin/sh
# A server out of reach, for real and by sockfault: a router a round trip
# away answers ICMP host unreachable (`connect => delay 40ms` and `connect
# => error EHOSTUNREACH`, over olink, 20 ms each way); the router beside
# the client answers within the connect call (`error EHOSTUNREACH
# icmp=local`); the client has no
# route at all (`connect => error ENETUNREACH now`); a firewall drops the
# SYN (`connect => blackhole`: the kernel's own SYN retries give up, after
# 3 s with the rig's tcp_syn_retries=1, within 3.0-3.8 s both). Blocking
# and nonblocking; the server must never see a connection.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up
need_iptables

B=$CONNECT_B
N=$CONNECT_N
took_of() { sed -n 's/^took = //p' "$tmp/$1"; }

# --- no route: the kernel refuses the connect itself, even nonblocking ---
# shellcheck disable=SC2086 # the steps are words
fake rb 'connect => error ENETUNREACH now' $B
# shellcheck disable=SC2086
AT=$OR_NOWHERE:0 real rb $B
agree rb "no route: a blocking connect fails at once" <<EOF
$(connect_failed ENETUNREACH 0)
EOF
# shellcheck disable=SC2086
fake rn 'connect => error ENETUNREACH now' $N
# shellcheck disable=SC2086
AT=$OR_NOWHERE:0 real rn $N
agree rn "no route: a nonblocking connect fails at once too (no EINPROGRESS)" <<EOF
$(connect_probed ENETUNREACH OUT,HUP 0 HUP EPIPE '-1 ENOTCONN' ENETUNREACH 1)
EOF

# --- ICMP host unreachable from a router a round trip away ---
# The server's firewall rejects the SYN at the far end of olink, 20 ms each
# way: the ICMP comes back after connect has let go of the socket, and the
# kernel takes it as a hard error, one round trip after the SYN
# (sockfault-rules(5), icmp); sockfault's round trip is the connect's
# delay rule.
link_up 20
PEER_AT=$OR_LINK_SERVER
in_server iptables -A INPUT -i tl -p tcp -j REJECT --reject-with icmp-host-unreachable
# shellcheck disable=SC2086
real lb $B
# shellcheck disable=SC2086
real_settled ln $CONNECT_NR
in_server iptables -F INPUT
link_down
PEER_AT=$OR_SERVER
LRULE='connect => delay 40ms
connect => error EHOSTUNREACH'
# shellcheck disable=SC2086
fake lb "$LRULE" $B
# shellcheck disable=SC2086
fake ln "$LRULE" $CONNECT_NR
icmp_rtt_agree EHOSTUNREACH "host unreachable"

# --- ICMP host unreachable from the router beside the client ---
# On this rig's veth the router's ICMP comes back within the connect call,
# as the host's own firewall's would: the kernel keeps it as a soft error.
# shellcheck disable=SC2086
fake hb 'connect => error EHOSTUNREACH icmp=local' $B
# shellcheck disable=SC2086
fake hn 'connect => error EHOSTUNREACH icmp=local' $N
in_router iptables -A FORWARD -p tcp -j REJECT --reject-with icmp-host-unreachable
# shellcheck disable=SC2086
real hb $B
# shellcheck disable=SC2086
real hn $N
fw_clear
agree hb "host unreachable: a blocking connect fails at the SYN's retransmission, SO_ERROR still set" <<EOF
$(connect_failed EHOSTUNREACH EHOSTUNREACH)
EOF
for k in real fake; do
	expect_between "$k: host unreachable after the SYN's retransmission" 900 1500 "$(took_of hb.$k)"
done
differs hn "host unreachable, nonblocking: POLLERR alone, the socket still connecting" <<EOF
$(connect_soft_error EHOSTUNREACH)
EOF

# --- the SYN dropped ---
# shellcheck disable=SC2086
fake sb 'connect => blackhole' $B
# shellcheck disable=SC2086
fake sn 'connect => blackhole' $N
in_router iptables -A FORWARD -p tcp --syn -j DROP
# shellcheck disable=SC2086
real sb $B
# shellcheck disable=SC2086
real sn $N
fw_clear
agree sb "SYN dropped: the kernel gives up (ETIMEDOUT); the dead socket's sends fail" <<EOF
$(connect_failed ETIMEDOUT 0)
EOF
expect_between "real: blocking connect gave up within" 3000 3800 "$(took_of sb.real)"
expect_between "sockfault: blocking connect gave up within" 3000 3800 "$(took_of sb.fake)"
agree sn "SYN dropped, nonblocking: POLLERR at the kernel's time, SO_ERROR ETIMEDOUT" <<EOF
$(connect_failed_later ETIMEDOUT)
EOF
expect_between "real: poll woke within" 3000 3800 "$(took_of sn.real)"
expect_between "sockfault: poll woke within" 3000 3800 "$(took_of sn.fake)"

finish
