#!/bin/sh
# Closing a connection that a fault made dead (blackhole, timeout, a
# sticky error: a link or a firewall that lost it): the close goes unheard,
# as the FIN would be lost on the real dead link, and so does what the peer
# sends afterwards (no RST answers it). The library closes such a socket in
# TCP repair mode and keeps a ghost of the connection on a high descriptor
# number, close-on-exec; both need CAP_NET_ADMIN (sockfault-rules(5),
# blackhole): as root here. What the program sends into the silence does
# not reach the peer either (the kernel is told the window is shut).
# shellcheck disable=SC2154 # name is set by each_tcp_family
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "a silent close needs CAP_NET_ADMIN: run as root"

# silenced ACTION STEP...: a connection that ACTION (blackhole, timeout)
# silences after its first send (the peer gets the first 4 bytes, the second
# 4 never reach it), then STEP...; $silenced_seen is the transcript of that
# beginning.
silenced() {
	_action=$1
	shift
	run "tx when=2+ => $_action" p:listen connect p:accept sendns p:expect,1000 sendns "$@"
}
silenced_seen='peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
sendns = 4'

silenced blackhole p:expect,500 close p:expect,500
transcript "blackhole, then close: the peer hears neither the send nor the FIN" <<EOF2
$silenced_seen
peer expect = silence
close = 0
peer expect = silence
EOF2

# The peer sends after the close: its segments (and its retransmissions)
# go unanswered, where a socket that is gone would have the kernel answer
# with an RST (the peer's receive: ECONNRESET).
after_close() {
	silenced blackhole close p:send,100 p:expect,1500 socks
	transcript "$name blackhole, then close, then the peer sends: no RST comes back" <<EOF2
$silenced_seen
close = 0
peer send = sent 100
peer expect = silence
socks = *
EOF2
	expect_between "$name: the ghost's descriptor is a high one (5/8 of the limit, at most 1024)" 40 1023 "$(value socks)"
}
each_tcp_family after_close

# The kernel ends the silenced connection itself (here the timeout's
# TCP_USER_TIMEOUT, with a full send buffer): its socket leaves the
# kernel's tables before the program closes it. Once the program learns it
# (SO_ERROR, or a call failing with ETIMEDOUT), a ghost stands in for it.
silenced 'timeout 1s' sendfill pollout=3000 so_error \
	p:send,100 p:expect,1500
transcript "the kernel ends the connection, the program learns it: no RST for the peer" <<EOF2
$silenced_seen
sendfill = * EAGAIN
pollout = OUT,ERR,HUP
SO_ERROR = ETIMEDOUT
peer send = sent 100
peer expect = silence
EOF2

# The same on the accepting side: the ghost shares the listener's port.
run 'rx => blackhole' listen p:connect accept p:send,10 sleep=100 recvnb close p:send,100 p:expect,1500
transcript "blackhole on an accepted connection, then close, then the peer sends: no RST" <<'EOF2'
listen = 0
peer connect = connected 1
accept = 0
peer send = sent 10
recvnb = 10
close = 0
peer send = sent 100
peer expect = silence
EOF2

run 'rx => timeout 200ms' p:listen connect p:accept rcvtimeo=1000 recv so_error close p:send,100 p:expect,1000
transcript "timeout, then close: the peer hears nothing, and nothing answers it" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
rcvtimeo = 0
recv = -1 ETIMEDOUT
SO_ERROR = 0
close = 0
peer send = sent 100
peer expect = silence
EOF2

run 'tx => error ENOTCONN sticky' p:listen connect p:accept sendns recv close p:send,100 p:expect,1000
transcript "a sticky error (a firewall that forgot the connection), then close: the peer hears nothing" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = -1 ENOTCONN
recv = -1 ENOTCONN
close = 0
peer send = sent 100
peer expect = silence
EOF2

# A dup keeps the socket open: closing one descriptor changes nothing (the
# send after it is taken: a socket in repair mode would refuse it), the
# last one closes silently.
run 'tx when=2+ => blackhole' p:listen connect p:accept sendns p:expect,1000 dup sendns p:expect,500 close \
	use=1 sendns close p:expect,500
transcript "blackhole on a dup'd socket: the first close leaves it working, the last is silent" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
dup = *
sendns = 4
peer expect = silence
close = 0
sendns = 4
close = 0
peer expect = silence
EOF2

# The ghost is the library's: a program that execs does not get it (close-
# on-exec; the peer's next segment is then answered with an RST).
silenced blackhole close exec socks
transcript "the ghost does not pass an exec" <<EOF2
$silenced_seen
close = 0
exec'd = 1
socks = none
EOF2

# A child that execs does not get it either; the parent keeps it. (The
# new program plays the rest of the steps, the parent's last one too.)
silenced blackhole close fork exec socks endchild socks
transcript "fork and exec: the new program has no ghost, the parent still has" <<EOF2
$silenced_seen
close = 0
exec'd = 1
socks = none
socks = none
child exit = 0
socks = *
EOF2
expect_between "the parent's ghost after the child's exec" 40 1023 "$(value socks 3)"

# A socket that another process holds too (a child forked after the
# silence, which closes its copy) is closed as it is: repair mode would
# be the other process's too (its sends failing with EPIPE and SIGPIPE,
# its receives with EPERM). The parent goes on as on the dead link; its
# own close is not made silent (the library cannot know it is the last),
# but its FIN waits behind the window the silence shut, for ever.
silenced blackhole fork close endchild sendns recvnb \
	sigpipes close p:expect,500
transcript "a child closes its copy of a blackholed socket: the parent's is untouched" <<EOF2
$silenced_seen
child close = 0
child exit = 0
sendns = 4
recvnb = -1 EAGAIN
sigpipes = 0
close = 0
peer expect = silence
EOF2

# A program that closes every descriptor closes the ghost too (silently:
# it is in repair mode); the library forgets it and never touches that
# number again, which the program's own sockets then take.
silenced blackhole close closeall socks fdfill=300 \
	connect p:accept sendns p:expect,1000
transcript "a program that closes every descriptor: the ghost goes, no number of the program's is touched" <<EOF2
$silenced_seen
close = 0
closeall = done
socks = none
fdfill = clean
connect = 0
peer accept = accepted 2
sendns = 4
peer expect = data 4 bits=0 ms=*
EOF2

finish
