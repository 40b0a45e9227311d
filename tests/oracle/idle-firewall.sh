#!/bin/sh
# An idle-killing firewall, for real and by the shipped rules: the router
# tracks connections (conntrack, no pickup of connections it does not know:
# nf_conntrack_tcp_loose=0), forgets an established one after 2 s of
# silence, and drops what it no longer knows (INVALID, and anything not a
# new SYN). The program speaks, idles 3 s, sends again: on Linux the send
# succeeds, the peer hears nothing, a receive times out, and the kernel's
# retransmission timer (tcp_retries2=3 in the rig) ends it with ETIMEDOUT,
# then EPIPE and SIGPIPE. rules/idle-firewall.rules (blackhole after idle)
# is compared with it; rules/idle-firewall-windows.rules says WSAENOTCONN,
# Windows' name for the same death, and is not a Linux imitation.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up
need_iptables
need conntrack

# What the router's connection table holds of TCP connections in use
# (ESTABLISHED), before and after the idle time: the firewall did forget.
# shellcheck disable=SC2317 # or_play calls them at the gates
gate_c0() { in_router conntrack -L -p tcp --state ESTABLISHED >"$tmp/ct0" 2>/dev/null || :; }
# shellcheck disable=SC2317
gate_c1() { in_router conntrack -L -p tcp --state ESTABLISHED >"$tmp/ct1" 2>/dev/null || :; }

in_router iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
in_router iptables -A FORWARD -p tcp --syn -m conntrack --ctstate NEW -j ACCEPT
in_router iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP
in_router iptables -A FORWARD -j DROP
ns_sysctl "$OR_R" net.netfilter.nf_conntrack_tcp_timeout_established 2
ns_sysctl "$OR_R" net.netfilter.nf_conntrack_tcp_loose 0

STEPS='p:listen connect p:accept sendns p:expect,1000 p:send,4 recv=4 gate=c0 sleep=3000 gate=c1 sendns p:expect,500
rcvtimeo=500 recv mark pollin=9000 since recv sendns send peername sigpipes p:expect,300'
# shellcheck disable=SC2086 # the steps are words
real i $STEPS
fw_clear
expect_eq "the router tracked the connection while it was in use" 1 "$(grep -c "dport=" "$tmp/ct0")"
expect_eq "the router forgot it after 2 s idle" 0 "$(grep -c "dport=" "$tmp/ct1")"
# shellcheck disable=SC2086
fake i "$(grep -v '^#' "$SF_SRCDIR/rules/idle-firewall.rules")" $STEPS
agree i "idle firewall: the send succeeds, silence, then the kernel's ETIMEDOUT and EPIPE" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
peer send = sent 4
recv = 4
gate c0
gate c1
sendns = 4
peer expect = silence
rcvtimeo = 0
recv = -1 EAGAIN
pollin = IN,ERR,HUP,RDHUP
since = *
recv = -1 ETIMEDOUT
sendns = -1 EPIPE
send = -1 EPIPE
getpeername = -1 ENOTCONN
sigpipes = 1
peer expect = silence
EOF2
expect_between "real: the kernel gave up after (ms)" 1000 9000 "$(sed -n 's/^since = //p' "$tmp/i.real")"

# The Windows symptom is what the Windows file says, and nothing Linux does.
# shellcheck disable=SC2086
fake w "$(grep -v '^#' "$SF_SRCDIR/rules/idle-firewall-windows.rules")" $STEPS
expect_in "$tmp/w.fake" '^sendns = -1 ENOTCONN$' "the Windows file: WSAENOTCONN (ENOTCONN) on the send after the idle time"
expect_not_in "$tmp/i.real" '^(send|sendns|recv)[a-z]* = -1 ENOTCONN$' "the real Linux firewall: no send or receive fails with ENOTCONN"

finish
