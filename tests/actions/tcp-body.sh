# The TCP actions, what the program and the peer see: sourced by tcp4.sh and
# tcp6.sh with TREAL_OPTS set to the family ('' or -6).
#
# Each case runs treal under one rule and reads its transcript line by line:
# the program's calls (blocking and nonblocking), readiness by poll, a
# level-triggered epoll, an edge-triggered one registered before the fault,
# and select; getsockopt(SO_ERROR), getpeername, SIGPIPEs counted by a
# handler; and the peer's verdict (data, eof = a FIN, err ECONNRESET = an
# RST, silence). Where it is cheap, the same steps without the rule show
# that the checks can fail.

case ${TREAL_OPTS:-} in
-6) name=tcp6 ;;
*) name=tcp4 ;;
esac

# --- reset: ECONNRESET now, an RST for the peer, a dead socket after ---
steps='p:listen connect p:accept sendns p:expect,1000 et-add sendns p:expect,1000 et=500 sendns send sigpipes
rcvtimeo=200 recv recvnb read reconnect peername so_error pollin=0 epoll=0 select=0'
# shellcheck disable=SC2086
run 'send when=2 => reset' $steps
transcript "$name reset" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
et-add = OUT
sendns = -1 ECONNRESET
peer expect = err ECONNRESET ms=*
et = *HUP*
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
rcvtimeo = 0
recv = 0
recvnb = 0
read = 0
connect = -1 EISCONN
getpeername = -1 ENOTCONN
SO_ERROR = 0
pollin = *HUP*
epoll = *HUP*
select = r*
EOF
expect_log 'text-1 fired on send fd=[0-9]+ peer=[^ ]+: reset \(ECONNRESET\)$' "$name reset: logged"
# shellcheck disable=SC2086
run '' $steps
transcript "$name without the rule, the same steps see a live connection" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer expect = data 4 bits=0 ms=*
et-add = OUT
sendns = 4
peer expect = data 4 bits=0 ms=*
et = none
sendns = 4
send = 4
sigpipes = 0
rcvtimeo = 0
recv = -1 EAGAIN
recvnb = -1 EAGAIN
read = -1 EAGAIN
connect = -1 EISCONN
getpeername = 0
SO_ERROR = 0
pollin = none
epoll = none
select = none
EOF

# A rule that keeps matching after the reset: the connection is already
# dead, so later sends get what the kernel gives for a reset connection
# (EPIPE, and SIGPIPE without MSG_NOSIGNAL), not a second reset.
run 'send => reset' p:listen connect p:accept sendns p:expect,1000 sendns send sigpipes write sigpipes
transcript "$name reset: later sends on the dead connection get EPIPE and SIGPIPE, not ECONNRESET again" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = -1 ECONNRESET
peer expect = err ECONNRESET ms=*
sendns = -1 EPIPE
send = -1 EPIPE
sigpipes = 1
write = -1 EPIPE
sigpipes = 2
EOF

# --- eof: receives give 0, the socket polls readable, sends still go; the
# peer hears nothing ---
steps='p:listen connect p:accept et-add recv et=500 et=0 recv recvnb pollin=0 epoll=0 select=0 sendns p:expect,1000
p:expect,300 peername so_error p:send recv'
# shellcheck disable=SC2086
run 'recv => eof' $steps
transcript "$name eof" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recv = 0
et = IN*RDHUP
et = none
recv = 0
recvnb = 0
pollin = IN*
epoll = IN*
select = r
sendns = 4
peer expect = data 4 bits=0 ms=*
peer expect = silence
getpeername = 0
SO_ERROR = 0
peer send = sent 4
recv = 0
EOF

# --- hangup: eof, sends fail with EPIPE (SIGPIPE), the peer gets a FIN;
# getpeername still answers, as the kernel's does for a connection closed
# both ways that the program has not closed yet ---
steps='p:listen connect p:accept et-add recv p:expect,1000 et=500 recv recvnb sendns send sigpipes write sigpipes
pollin=0 epoll=0 select=0 so_error peername'
# shellcheck disable=SC2086
run 'recv => hangup' $steps
transcript "$name hangup" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recv = 0
peer expect = silence
et = IN*
recv = 0
recvnb = 0
sendns = 4
send = -1 EPIPE
sigpipes = 1
write = -1 EPIPE
sigpipes = 2
pollin = IN*
epoll = IN*
select = r
SO_ERROR = 0
getpeername = -1 ENOTCONN
EOF
run 'send => hangup' p:listen connect p:accept send sigpipes p:expect,1000 sendns sigpipes send sigpipes recv
transcript "$name hangup on a send: that send goes, the next one is EPIPE with SIGPIPE; nothing for the peer" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
send = 4
sigpipes = 0
peer expect = silence
sendns = -1 EPIPE
sigpipes = 0
send = -1 EPIPE
sigpipes = 1
recv = 0
EOF

# --- blackhole: from now on nothing arrives and nothing is acknowledged;
# what arrived before is read; sends go to the kernel, which keeps them
# unacknowledged (the peer does get them: sockfault-rules(5)) ---
steps='p:listen connect p:accept p:send,100 pollin=2000 recvnb et-add p:send,100 sleep=300 p:outq et=0 pollin=300
epoll=100 select=100 rcvtimeo=300 recv took sendns=4 p:expect,300 peername so_error'
# shellcheck disable=SC2086
run 'rx => blackhole' $steps
transcript "$name blackhole" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 100
pollin = IN
recvnb = 100
et-add = OUT
peer send = sent 100
peer outq = outq 100
et = none
pollin = none
epoll = none
select = none
rcvtimeo = 0
recv = -1 EAGAIN
took = *
sendns = 4
peer expect = data 4 bits=0 ms=*
getpeername = 0
SO_ERROR = 0
EOF
expect_between "$name blackhole: a blocking recv waits for SO_RCVTIMEO (300 ms)" 280 1500 "$(value took)"
# shellcheck disable=SC2086
run '' $steps
transcript "$name without the rule: the data arrives and is acknowledged" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 100
pollin = IN
recvnb = 100
et-add = OUT
peer send = sent 100
peer outq = outq 0
et = IN*
pollin = IN
epoll = IN
select = r
rcvtimeo = 0
recv = 100
took = *
sendns = 4
peer expect = data 4 bits=0 ms=*
getpeername = 0
SO_ERROR = 0
EOF

# The peer's data and its FIN were already in when the silence began:
# they arrived before the link went dead, so they are read as they came.
run 'rx => blackhole' p:listen connect p:accept p:send,10 p:shutwr sleep=100 recvnb pollin=200 rcvtimeo=300 recv
transcript "$name blackhole after the peer's data and FIN arrived: both are read" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
peer send = sent 10
peer shutwr = ok
recvnb = 10
pollin = IN,RDHUP
rcvtimeo = 0
recv = 0
EOF

# A blackholed connect never completes.
run 'connect => blackhole' p:listen connect-nb pollout=1000 epollout=100 selectw=100 so_error peername p:accept,300 \
	sendns recvnb
transcript "$name blackhole on a nonblocking connect: EINPROGRESS, never writable" <<'EOF'
peer listen = port *
connect = -1 EINPROGRESS
pollout = none
epollout = none
selectw = none
SO_ERROR = 0
getpeername = -1 ENOTCONN
peer accept = none
sendns = -1 EAGAIN
recvnb = -1 EAGAIN
EOF
run '' p:listen connect-nb pollout=1000 so_error peername p:accept,300
transcript "$name without the rule the nonblocking connect completes" <<'EOF'
peer listen = port *
connect = -1 EINPROGRESS
pollout = OUT
SO_ERROR = 0
getpeername = 0
peer accept = accepted 1
EOF
run 'connect => blackhole' p:listen socket sndtimeo=500 reconnect took peername
transcript "$name blackhole on a blocking connect: EINPROGRESS at SO_SNDTIMEO" <<'EOF'
peer listen = port *
socket = 0
sndtimeo = 0
connect = -1 EINPROGRESS
took = *
getpeername = -1 ENOTCONN
EOF
expect_between "$name blackhole: the blocking connect waited for SO_SNDTIMEO (500 ms)" 480 1800 "$(value took)"

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

# The deadline is the rule's first firing plus D: a program that retries
# (here every 300 ms, with SO_RCVTIMEO) gets ETIMEDOUT once D has passed,
# not a deadline pushed back by every retry.
run 'recv => timeout 1s' p:listen connect p:accept mark rcvtimeo=300 recv recv recv recv recv recv since
transcript "$name timeout 1s with SO_RCVTIMEO 300 ms: EAGAIN, then ETIMEDOUT once 1 s has passed" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
rcvtimeo = 0
recv = -1 EAGAIN
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

# --- a sticky error on a connection: the connection is dead for the
# program, and the peer is not told ---
steps='p:listen connect p:accept et-add recvnb et=500 et=0 sendns rcvtimeo=200 recv peername so_error so_error
pollin=0 epoll=0 select=0 p:expect,500 p:send recvnb'
# shellcheck disable=SC2086
run 'recv => error ECONNABORTED sticky' $steps
transcript "$name sticky error" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recvnb = -1 ECONNABORTED
et = IN*
et = none
sendns = -1 ECONNABORTED
rcvtimeo = 0
recv = -1 ECONNABORTED
getpeername = -1 ENOTCONN
SO_ERROR = ECONNABORTED
SO_ERROR = 0
pollin = IN*
epoll = IN*
select = r
peer expect = silence
peer send = sent 4
recvnb = -1 ECONNABORTED
EOF
# shellcheck disable=SC2086
run 'recv once => error ECONNABORTED' $steps
transcript "$name the same error without sticky leaves the connection alive" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
et-add = OUT
recvnb = -1 ECONNABORTED
et = none
et = none
sendns = 4
rcvtimeo = 0
recv = -1 EAGAIN
getpeername = 0
SO_ERROR = 0
SO_ERROR = 0
pollin = none
epoll = none
select = none
peer expect = data 4 bits=0 ms=*
peer send = sent 4
recvnb = 4
EOF

# --- EPIPE made by the library raises SIGPIPE, unless MSG_NOSIGNAL ---
run 'send => error EPIPE sticky' p:listen connect p:accept send sigpipes sendns sigpipes write sigpipes recvnb \
	so_error
transcript "$name sticky EPIPE: SIGPIPE for send and write, none with MSG_NOSIGNAL" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
send = -1 EPIPE
sigpipes = 1
sendns = -1 EPIPE
sigpipes = 1
write = -1 EPIPE
sigpipes = 2
recvnb = -1 EPIPE
SO_ERROR = EPIPE
EOF
run 'tx when=1..3 => error EPIPE' p:listen connect p:accept send sigpipes sendns sigpipes write sigpipes sendns
transcript "$name EPIPE without sticky: SIGPIPE the same way, then the connection goes on" <<'EOF'
peer listen = port *
connect = 0
peer accept = accepted 1
send = -1 EPIPE
sigpipes = 1
sendns = -1 EPIPE
sigpipes = 1
write = -1 EPIPE
sigpipes = 2
sendns = 4
EOF
