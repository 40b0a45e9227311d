#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# timeout D, what the program and the peer see (sockfault-rules(5)):
# silence for D, then ETIMEDOUT once for the program; on TCP (over IPv4 and
# IPv6) nothing for the peer, on a unix stream socket an end of file.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# What the peer gets of the sends into the silence, and of the end the
# program's keepalive gives it: nothing, with CAP_NET_ADMIN (without it,
# the sends and the keepalive's RST: sockfault-rules(5), blackhole).
unheard=silence
kaend=silence
[ "$(id -u)" -eq 0 ] || { unheard='data *' && kaend='err ECONNRESET ms=*'; }

tcp() {
# --- timeout: silence, then ETIMEDOUT once for the program, nothing for the
# peer; after it, what the kernel gives on a connection it timed out ---
steps='p:listen connect p:accept p&:expect,5000 recv took pwait recv sendns send sigpipes recvnb peername so_error
so_error pollin=0 epoll=0 select=0 reconnect'
# shellcheck disable=SC2086
run 'recv => timeout 1s' $steps
transcript "$name timeout 1s on a blocking recv" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
recv = -1 ETIMEDOUT
took = *
peer expect = silence
recv = 0
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
recvnb = 0
getpeername = -1 ENOTCONN
SO_ERROR = 0
SO_ERROR = 0
pollin = IN*
epoll = IN*
select = r*
connect = -1 EISCONN
EOF
expect_between "$name timeout 1s: the recv failed after 0.9..2 s" 900 2000 "$(value took)"

# The program's keepalive (the first probe after 1 s idle, 2 probes 1 s
# apart) ends the silent connection before D, as the blackhole's does:
# ETIMEDOUT after 3 s, and nothing for the peer (sockfault-rules(5),
# blackhole).
run 'recv => timeout 10s' p:listen connect p:accept keepalive=1 recv took pollin=0 recv p:expect,1000
transcript "$name timeout 10s, the keepalive on: its end first" <<EOF
peer listen = port *
connect = 0
peer accept = accepted 1
keepalive = 0
recv = -1 ETIMEDOUT
took = *
pollin = IN,HUP,RDHUP
recv = 0
peer expect = $kaend
EOF
expect_between "$name timeout 10s, the keepalive on: ETIMEDOUT after 3 s" 2700 4500 "$(value took)"

# Sending into the silence until the buffer is full: the kernel's own
# TCP_USER_TIMEOUT ends the connection at D from the firing, with the sends
# held back too (their clock then starts at the first window probe, which
# the library allows for: sockfault-rules(5), timeout).
run 'tx when=2+ => timeout 1s' p:listen connect p:accept sendns p:expect,1000 mark sendns sendfill pollout=3000 since \
	sendns p:expect,300
transcript "$name timeout 1s while sending: the full buffer's wait ends at D" <<EOF
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
sendns = 4
sendfill = * EAGAIN
pollout = OUT,ERR,HUP
since = *
sendns = -1 ETIMEDOUT
peer expect = $unheard
EOF
expect_between "$name timeout 1s while sending: POLLERR after 0.9..1.15 s" 900 1150 "$(value since)"

# The deadline is the rule's first firing plus D: a program that retries
# (here every second, with SO_RCVTIMEO) gets ETIMEDOUT once D has passed,
# not a deadline pushed back by every retry. Half a second each side of the
# deadline: the retries end at 1 s and 2 s, the deadline comes at 2.5 s,
# inside the third (a loaded machine, or the supervisor, slows each call).
run 'recv => timeout 2500ms' p:listen connect p:accept mark rcvtimeo=1000 recv recv recv recv recv since
transcript "$name timeout 2500ms with SO_RCVTIMEO 1 s: EAGAIN, then ETIMEDOUT once 2.5 s have passed" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
rcvtimeo = 0
recv = -1 EAGAIN
recv = -1 EAGAIN
recv = -1 ETIMEDOUT
recv = 0
recv = 0
since = *
EOF

run 'connect => timeout 1s' p:listen connect-nb pollout=5000 took epollout=0 selectw=0 so_error so_error peername \
	sendns send recvnb reconnect sigpipes p:accept,200
transcript "$name timeout 1s on a nonblocking connect" <<'EOF'
peer listen = port *
connect = -1 EINPROGRESS
pollout = OUT*ERR*
took = *
epollout = OUT*ERR*
selectw = w*
SO_ERROR = ETIMEDOUT
SO_ERROR = 0
getpeername = -1 ENOTCONN
sendns = -1 EPIPE
send = -1 EPIPE
recvnb = -1 ENOTCONN
connect = -1 ECONNABORTED
sigpipes = 1
peer accept = none
EOF
expect_between "$name timeout 1s: poll saw the connect fail after 0.9..2 s" 900 2000 "$(value took)"
run 'connect => timeout 1s' p:listen socket reconnect took peername so_error
transcript "$name timeout 1s on a blocking connect" <<'EOF'
peer listen = port *
socket = 0
connect = -1 ETIMEDOUT
took = *
getpeername = -1 ENOTCONN
SO_ERROR = 0
EOF
expect_between "$name timeout 1s: the blocking connect failed after 0.9..2 s" 900 2000 "$(value took)"
run 'connect => timeout 3s' p:listen socket sndtimeo=300 reconnect took
transcript "$name timeout 3s on a blocking connect with SO_SNDTIMEO 300 ms: the program's timeout first" <<'EOF'
peer listen = port *
socket = 0
sndtimeo = 0
connect = -1 EINPROGRESS
took = *
EOF
expect_between "$name timeout 3s: SO_SNDTIMEO ended the connect" 280 1500 "$(value took)"
}
each_tcp_family tcp

# --- unix stream ---
TREAL_OPTS=-U
run 'connect => timeout 1s' p:listen connect took sleep=1100 reconnect peername so_error p:accept,200
transcript "unix timeout 1s on connect: EAGAIN during the silence (as blackhole), ETIMEDOUT after it" <<'EOF2'
peer listenu = port 0
connect = -1 EAGAIN
took = *
connect = -1 ETIMEDOUT
getpeername = -1 ENOTCONN
SO_ERROR = 0
peer accept = none
EOF2

run 'recv => timeout 1s' p:listen connect p:accept p\&:expect,5000 recv took pwait recv sendns peername so_error \
	so_error pollin=0
transcript "unix timeout 1s: ETIMEDOUT after the silence, the peer sees the end" <<'EOF2'
peer listenu = port 0
connect = 0
peer accept = accepted 1
recv = -1 ETIMEDOUT
took = *
peer expect = eof ms=*
recv = 0
sendns = -1 EPIPE
getpeername = -1 ENOTCONN
SO_ERROR = 0
SO_ERROR = 0
pollin = IN*
EOF2
expect_between "unix timeout 1s: after 0.9..2 s" 900 2000 "$(value took)"
expect_between "unix timeout 1s: the peer's end after 0.9..2 s" 900 2000 "$(field 'peer expect = eof' ms)"

finish
