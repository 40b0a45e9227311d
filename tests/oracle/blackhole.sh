#!/bin/sh
# An established connection blackholed, for real (the router drops every
# packet, both ways, from the gate on) and by sockfault (`tx when=2+ =>
# blackhole`, firing on the first send after the gate). Reading: the
# program's send goes nowhere, the peer's data never arrives, a receive
# ends at SO_RCVTIMEO (1 s, within 900-1500 ms both), poll sees nothing,
# the socket still looks connected. Sending: the kernel takes what fits in
# the send buffer, then POLLOUT clears, and its retransmission timer
# (tcp_retries2=3 in the rig) kills the connection: ETIMEDOUT once, then
# EPIPE with SIGPIPE; the peer hears nothing, not even the end (nor the
# program's close, nor an answer to what it sends after, nor the RST of
# the kernel's keepalive). `timeout 6s` is compared with the same real run.
# sockfault agrees, the peer's side too (as root: the kernel is told the
# peer's window is shut, a closed connection leaves a ghost behind, and the
# library keeps the program's keepalive; sockfault-rules(5), blackhole).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/oracle/olib.sh"
rig_up
need_iptables
need_iptables ip6tables

# shellcheck disable=SC2317 # or_play calls it at the gate
gate_x() { in_router iptables -A FORWARD -j DROP; }
# shellcheck disable=SC2317
gate_x6() { in_router ip6tables -A FORWARD -j DROP; }
RULE='tx when=2+ => blackhole'

# What the program and the peer see while reading from the silence, the
# gate named $1: the same for the real dead link and the blackhole.
rd_seen() {
	cat <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
gate $1
sendns = 4
peer expect = silence
peer send = sent 100
rcvtimeo = 0
recv = -1 EAGAIN
took = *
pollin = none
SO_ERROR = 0
getpeername = 0
sigpipes = 0
EOF2
}

RD='p:listen connect p:accept sendns p:expect,1000 gate=x sendns p:expect,500 p:send,100 rcvtimeo=1000 recv took
pollin=300 so_error peername sigpipes'
# shellcheck disable=SC2086 # the steps are words
real r $RD
fw_clear
# shellcheck disable=SC2086
fake r "$RULE" $RD
rd_seen x >"$tmp/rd.x"
agree r "blackhole while reading: silence both ways, SO_RCVTIMEO ends the wait" <"$tmp/rd.x"
for k in real fake; do
	expect_between "$k: the receive waited SO_RCVTIMEO" 900 1500 "$(sed -n 's/^took = //p' "$tmp/r.$k")"
done

# Data that arrived before the link died is read as it came (poll says
# so), then the silence: for the blackhole and timeout fired by a send,
# and a blackhole fired by the receive itself.
QD='p:listen connect p:accept sendns p:expect,1000 p:send,100 sleep=100 gate=x sendns pollin=300 recv=100 rcvtimeo=1000
recv took'
# shellcheck disable=SC2086 # the steps are words
real q $QD
fw_clear
for q in "q:$RULE" 'qt:tx when=2+ => timeout 6s' 'qr:rx => blackhole'; do
	# shellcheck disable=SC2086
	fake "${q%%:*}" "${q#*:}" $QD
done
cat >"$tmp/expect.$$" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
peer send = sent 100
gate x
sendns = 4
pollin = IN
recv = 100
rcvtimeo = 0
recv = -1 EAGAIN
took = *
EOF2
or_check "$tmp/q.real" "real network: data queued before the silence is read, then nothing"
or_check "$tmp/q.fake" "sockfault agrees (blackhole): data queued before the silence is read, then nothing"
or_check "$tmp/qt.fake" "sockfault agrees (timeout 6s): data queued before the silence is read, then nothing"
or_check "$tmp/qr.fake" "sockfault agrees (fired by the receive): data queued before the silence is read, then nothing"

# The program closes the silenced connection: the FIN is lost on the way
# like everything else, the peer hears nothing (sockfault closes the socket
# in TCP repair mode). The peer has nothing unacknowledged.
RC=$(echo "$RD" | sed 's/ p:send,100 / /')
# shellcheck disable=SC2086 # the steps are words
real c $RC close p:expect,500
fw_clear
# shellcheck disable=SC2086
fake c "$RULE" $RC close p:expect,500
{ grep -v '^peer send = ' "$tmp/rd.x"; printf 'close = 0\npeer expect = silence\n'; } >"$tmp/rd.c"
agree c "close after the blackhole: the peer hears nothing" <"$tmp/rd.c"
# Closed before a timeout's D: as silent. (D under the 2.8 s in which the
# kernel's window probes would end the connection here, so that the sends
# are held back too: sockfault-rules(5), timeout.)
# shellcheck disable=SC2086
fake ct 'tx when=2+ => timeout 2500ms' $RC close p:expect,500
cp "$tmp/rd.c" "$tmp/expect.$$"
or_check "$tmp/ct.fake" "sockfault agrees (timeout 2500ms): close before D, the peer hears nothing"

# The peer sent data before the close, which the program's kernel never
# acknowledged: the peer retransmits it. On the dead link that is lost too;
# under sockfault the connection's ghost (a socket of the library's on the
# same addresses, in repair mode, dropping everything) keeps the kernel
# from answering it with an RST.
# shellcheck disable=SC2086
real cs $RD close p:expect,1500
fw_clear
# shellcheck disable=SC2086
fake cs "$RULE" $RD close p:expect,1500
{ cat "$tmp/rd.x"; printf 'close = 0\npeer expect = silence\n'; } >"$tmp/rd.cs"
agree cs "close after the blackhole, the peer's data unacknowledged: the peer hears nothing" <"$tmp/rd.cs"

# The same over IPv6.
RD6=$(echo "$RD" | sed 's/gate=x /gate=x6 /')
PEER_AT=[$OR_SERVER6]
# shellcheck disable=SC2086
real r6 $RD6
fw_clear
# shellcheck disable=SC2086
fake r6 "$RULE" $RD6
PEER_AT=$OR_SERVER
rd_seen x6 >"$tmp/rd.x6"
agree r6 "IPv6, blackhole while reading: as over IPv4" <"$tmp/rd.x6"

# at=8000: both runs wait until 8 s after the start (the kernel's end
# comes at about 7 s), so that a timer of the library's has fired too.
WR='p:listen connect p:accept sendns p:expect,1000 gate=x sendns sendfill pollout=300 mark pollout=7500 since at=8000
sendns send so_error peername recvnb sigpipes p:expect,300'
# shellcheck disable=SC2086
real w $WR
fw_clear
# shellcheck disable=SC2086
fake w "$RULE" $WR
# What the program and the peer see while sending into the silence: the
# same for the real dead link, the blackhole and timeout 6s.
WR_SEEN=$(cat <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
gate x
sendns = 4
sendfill = * EAGAIN
pollout = none
pollout = OUT,ERR,HUP
since = *
sendns = -1 ETIMEDOUT
send = -1 EPIPE
SO_ERROR = 0
getpeername = -1 ENOTCONN
recvnb = 0
sigpipes = 1
peer expect = silence
EOF2
)
agree w "blackhole while sending: the buffer fills, POLLOUT clears, the kernel's timer gives ETIMEDOUT then EPIPE" <<EOF2
$WR_SEEN
EOF2
# timeout D: the library's own end of a silent connection, after 6 s
# (the kernel's, measured above, is 5-7 s in the rig). The kernel's window
# probes would end the connection after 3 s here (tcp_retries2=3), before
# the timeout's 6 s: so the sends are not held back, and the peer gets the
# first window of them (sockfault-rules(5), timeout). The program's side
# agrees.
# shellcheck disable=SC2086
fake wt 'tx when=2+ => timeout 6s' $WR
printf '%s\n' "$WR_SEEN" | sed '$s/.*/peer expect = data */' >"$tmp/expect.$$"
or_check "$tmp/wt.fake" "timeout 6s against the kernel's own end of a blackholed connection (the program's side)"
expect_between "sockfault: timeout 6s gave ETIMEDOUT after (ms after the buffer filled)" 5000 6800 \
	"$(sed -n 's/^since = //p' "$tmp/wt.fake")"
# The peer sends after the kernel has ended the connection (ETIMEDOUT),
# the program not having closed it: on the dead link that is lost; under
# sockfault the kernel's socket is gone, and a ghost stands in for it from
# the moment the program learns the ETIMEDOUT (here its send; before
# that, a segment of the peer's would be answered with an RST).
# shellcheck disable=SC2086
real wp $WR p:send,100 p:expect,1500
fw_clear
# shellcheck disable=SC2086
fake wp "$RULE" $WR p:send,100 p:expect,1500
agree wp "the peer sends after the kernel's ETIMEDOUT, before the program's close: silence" <<EOF2
$WR_SEEN
peer send = sent 100
peer expect = silence
EOF2
# The program's own TCP_USER_TIMEOUT (3 s) ends the connection sooner than
# the retries, on the dead link as under the blackhole (the kernel's
# probe timer honours it too).
WU=$(echo "$WR" | sed -e 's/p:accept /p:accept usertimeout=3000 /' -e 's/ at=8000//')
# shellcheck disable=SC2086
real wu $WU
fw_clear
# shellcheck disable=SC2086
fake wu "$RULE" $WU
agree wu "the program's TCP_USER_TIMEOUT ends the silent sends: ETIMEDOUT then EPIPE" <<EOF2
$(printf '%s\n' "$WR_SEEN" | sed 's/^peer accept = accepted 1$/&\nusertimeout = 0/')
EOF2
for k in real fake; do
	expect_between "$k: TCP_USER_TIMEOUT 3 s gave ETIMEDOUT after (ms after the buffer filled)" 2000 4500 \
		"$(sed -n 's/^since = //p' "$tmp/wu.$k")"
done
filled=$(sed -n 's/^sendfill = \([0-9]*\) .*/\1/p' "$tmp/w.real")
expect_between "real: the send buffer took (bytes)" 16384 4194304 "$filled"
expect_between "real: the kernel gave up after (ms)" 3000 7500 "$(sed -n 's/^since = //p' "$tmp/w.real")"
# The blackhole's sends held back: the kernel's zero-window probe timer
# ends the connection, one backoff step before the retransmission timer
# would (sockfault-rules(5), blackhole): about 3 s instead of 6 here.
expect_between "sockfault: the kernel's window probes gave up after (ms)" 2000 4500 "$(sed -n 's/^since = //p' "$tmp/w.fake")"
echo "measured: real sendfill $filled bytes, ETIMEDOUT after $(sed -n 's/^since = //p' "$tmp/w.real") ms;" \
	"sockfault sendfill $(sed -n 's/^sendfill = //p' "$tmp/w.fake"), $(sed -n 's/^since = //p' "$tmp/w.fake") ms"

# The kernel's keepalive ends a silent idle connection (SO_KEEPALIVE: the
# first probe after 1 s idle, 2 probes 1 s apart): the receive waiting in
# it gets ETIMEDOUT 3 s after the last segment (the acknowledgement of the
# send), then the dead socket's answers, both. The kernel's last act is an
# RST, which the dead link loses; under sockfault (`recv => blackhole`,
# fired by that receive) the library keeps the keepalive in the kernel's
# place and ends the connection without it (sockfault-rules(5), blackhole):
# the peer hears nothing either. The time is taken from just before the
# send: the gate between it and the receive can take a while on a busy
# machine, and both runs count from the acknowledgement, not the receive.
KA='p:listen connect p:accept keepalive=1 mark sendns p:expect,1000 gate=x rcvtimeo=8000 recv since pollin=0 recv
sendns send peername sigpipes p:expect,1000'
# shellcheck disable=SC2086
real k $KA
fw_clear
# shellcheck disable=SC2086
fake k 'recv => blackhole' $KA
agree k "the kernel's keepalive ends the silent connection: ETIMEDOUT, then EPIPE, and the peer hears nothing" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
keepalive = 0
sendns = 4
peer expect = data 4 bits=0 ms=*
gate x
rcvtimeo = 0
recv = -1 ETIMEDOUT
since = *
pollin = IN,HUP,RDHUP
recv = 0
sendns = -1 EPIPE
send = -1 EPIPE
getpeername = -1 ENOTCONN
sigpipes = 1
peer expect = silence
EOF2
for k in real fake; do
	expect_between "$k: the keepalive gave up after (ms)" 2950 4500 "$(sed -n 's/^since = //p' "$tmp/k.$k")"
done
# SO_KEEPALIVE turned on once the link is dead (under sockfault, once the
# blackhole has fired), then TCP_KEEPIDLE: the kernel times the first
# probe from the last segment received (the acknowledgement of the send,
# 0.3 s and the gate before), the end 2 s after it, its RST lost again;
# getsockopt says the keepalive is on. Timed from just before the send,
# as above.
KL='p:listen connect p:accept mark sendns p:expect,1000 gate=x rcvtimeo=300 recv keepalive=1 kaopt rcvtimeo=8000 recv
since pollin=0 recv p:expect,1000'
# shellcheck disable=SC2086
real kl $KL
fw_clear
# shellcheck disable=SC2086
fake kl 'recv => blackhole' $KL
agree kl "SO_KEEPALIVE turned on in the silence: its end 3 s after the last segment, the peer hears nothing" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
gate x
rcvtimeo = 0
recv = -1 EAGAIN
keepalive = 0
SO_KEEPALIVE = 1
rcvtimeo = 0
recv = -1 ETIMEDOUT
since = *
pollin = IN,HUP,RDHUP
recv = 0
peer expect = silence
EOF2
for k in real fake; do
	expect_between "$k: the keepalive turned on in the silence gave up after (ms)" 2950 4500 \
		"$(sed -n 's/^since = //p' "$tmp/kl.$k")"
done

finish
