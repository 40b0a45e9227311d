#!/bin/sh
# The field stories of the issue, as tests: a firewall that dropped an idle
# FTP control connection (WSAENOTCONN on the next send, while the busy data
# connection is never touched); a server that "closes" while the client keeps
# sending; a send issued before a nonblocking connect has completed; and a
# second connect, on a connected socket (EISCONN) and during a pending one
# (EALREADY).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- the idle FTP control connection ---
# Connection 1 is the control connection, idle while connection 2 carries
# the data (a send every 200 ms for 1.2 s); then the client sends its next
# command on the control connection.
run 'ftp-idle: tx idle>700ms => error WSAENOTCONN sticky' p:listen connect p:accept connect p:accept use=2 \
	sendns sleep=200 sendns sleep=200 sendns sleep=200 sendns sleep=200 sendns sleep=200 sendns sleep=200 \
	use=1 sendns sendns peername pollin=0 p:use,1 p:expect,300 use=2 sendns p:use,2 p:recvall,28,1000
transcript "FTP: the idle control connection gets WSAENOTCONN and stays dead; the data connection goes on" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
connect = 0
peer accept = accepted 2
sendns = 4
sendns = 4
sendns = 4
sendns = 4
sendns = 4
sendns = 4
sendns = -1 ENOTCONN
sendns = -1 ENOTCONN
getpeername = -1 ENOTCONN
pollin = IN*
peer use = ok
peer expect = silence
sendns = 4
peer use = ok
peer recvall = got 28 bits=0 *
EOF2
fd1=$(grep 'ftp-idle fired' "$tmp/err" | sed -n '1s/.* fd=\([0-9]*\) .*/\1/p')
expect_eq "FTP: every firing is on the control connection" \
	"$(grep -c 'ftp-idle fired' "$tmp/err")" "$(grep -c "ftp-idle fired on send fd=$fd1 " "$tmp/err")"
expect_in "$tmp/err" 'ftp-idle fired on send .*: error ENOTCONN' "FTP: the firing is logged"

# --- the server "closes" while the client keeps sending ---
run 'recv => eof' p:listen connect p:accept sendns recv sendns sendns recv sendns p:recvall,16,1000 close \
	p:expect,1000
transcript "server closes: the client reads the end, its sends still all reach the server" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
recv = 0
sendns = 4
sendns = 4
recv = 0
sendns = 4
peer recvall = got 16 bits=0 *
close = 0
peer expect = eof ms=*
EOF2
run 'recv => hangup' p:listen connect p:accept sendns recv sendns sendns p:recvall,4,1000 p:expect,1000
transcript "server closed (hangup): the client's next send goes, the one after fails" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
recv = 0
sendns = 4
sendns = -1 EPIPE
peer recvall = got 4 bits=0 *
peer expect = silence
EOF2

# --- a send before the nonblocking connect has completed ---
# The peer's listen queue is full (backlog 0 and one connection of its own),
# so the kernel drops the SYN and the connect really is pending until the
# peer accepts and the SYN is sent again (after about 1 s).
steps='p:listen,0,0 p:fill connect-nb sendns pollout=300 p:accept pollout=4000 so_error sendns'
# shellcheck disable=SC2086
run 'tx state=connecting => error WSAENOTCONN' $steps
transcript "send before the connect completed: the rule's WSAENOTCONN, then the connection works" <<'EOF2'
peer listen = port *
peer fill = ok
connect = -1 EINPROGRESS
sendns = -1 ENOTCONN
pollout = none
peer accept = accepted 1
pollout = OUT
SO_ERROR = 0
sendns = 4
EOF2
# shellcheck disable=SC2086
run '' $steps
transcript "without the rule the same send gets the kernel's EAGAIN" <<'EOF2'
peer listen = port *
peer fill = ok
connect = -1 EINPROGRESS
sendns = -1 EAGAIN
pollout = none
peer accept = accepted 1
pollout = OUT
SO_ERROR = 0
sendns = 4
EOF2

# --- a second connect ---
rules='pending: connect state=connecting => error WSAEALREADY
twice: connect state=connected => error WSAEISCONN'
run "$rules" p:listen connect-nb reconnect pollout=1000 so_error reconnect sendns p:accept p:expect,1000
transcript "second connect: EALREADY while pending, EISCONN once connected; the connection works" <<'EOF2'
peer listen = port *
connect = -1 EINPROGRESS
connect = -1 EALREADY
pollout = OUT
SO_ERROR = 0
connect = -1 EISCONN
sendns = 4
peer accept = accepted 1
peer expect = data 4 bits=0 ms=*
EOF2
expect_log 'pending fired on connect .*: error EALREADY' "the EALREADY came from the rule for state=connecting"
expect_log 'twice fired on connect .*: error EISCONN' "the EISCONN came from the rule for state=connected"
run "$rules" p:listen connect reconnect reconnect sendns p:accept p:expect,1000
transcript "second connect on a blocking socket: EISCONN" <<'EOF2'
peer listen = port *
connect = 0
connect = -1 EISCONN
connect = -1 EISCONN
sendns = 4
peer accept = accepted 1
peer expect = data 4 bits=0 ms=*
EOF2
expect_eq "both second connects were the rule's" 2 "$(grep -c 'twice fired on connect' "$tmp/err")"
expect_not_in "$tmp/err" 'pending fired' "a completed blocking connect is never state=connecting"
# An event loop asking for a nonblocking connect's outcome with connect()
# (hiredis does) is not making an attempt: a rule for attempts must not
# refuse a connection the server has accepted.
run 'connect when=2+ => error ECONNREFUSED' p:listen connect-nb reconnect pollout=1000 reconnect sendns p:accept p:expect,1000
# (The second connect is 0 once the handshake is done, EALREADY before:
# loopback is usually done; either ends in 0 or Y, a refusal does not.)
transcript "completion checks: the kernel answers, the rule for attempts stays out" <<'EOF2'
peer listen = port *
connect = -1 EINPROGRESS
connect = *[0Y]
pollout = OUT
connect = -1 EISCONN
sendns = 4
peer accept = accepted 1
peer expect = data 4 bits=0 ms=*
EOF2
expect_not_in "$tmp/err" 'fired on connect' "the rule for attempts never fired"

finish
