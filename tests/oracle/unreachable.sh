#!/bin/sh
# A server out of reach, for real and by sockfault: a router answers ICMP
# host unreachable (`connect => error EHOSTUNREACH`); the client has no
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
agree rn "no route: a nonblocking connect fails at once too (no EINPROGRESS)" <<'EOF2'
peer listen = port *
connect = -1 ENETUNREACH
pollout = OUT,HUP
took = *
SO_ERROR = 0
SO_ERROR = 0
getpeername = -1 ENOTCONN
pollin = HUP
sendns = -1 EPIPE
send = -1 EPIPE
recvnb = -1 ENOTCONN
sigpipes = 1
peer accept = none
EOF2

# --- ICMP host unreachable from the router ---
# shellcheck disable=SC2086
fake hb 'connect => error EHOSTUNREACH' $B
# shellcheck disable=SC2086
fake hn 'connect => error EHOSTUNREACH' $N
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
