#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, tmp set by lib.sh
# connect faults are delivered as the kernel delivers a failed connect:
# blocking, unix and UDP connects fail at once; a nonblocking TCP connect
# says EINPROGRESS, poll/select/epoll then report the socket writable with
# an error, SO_ERROR gives the injected errno once and getpeername fails with
# ENOTCONN; `now` makes the connect itself fail. Both on 127.0.0.1 and ::1.
# Also: Winsock names, and a second connect on a connected socket.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# A port where nothing listens: the peer's of a run that has ended.
run '' p:listen
closed=$(value 'peer listen' | sed 's/port //')

# $1: the family's name, $2: treal's option for it, $3: its loopback address.
blocking() {
	TREAL_OPTS=$2
	run 'connect => error ECONNREFUSED' p:listen connect peername p:accept,200
	transcript "$1 blocking: fails with the injected errno, not connected, never reaches the peer" <<'EOF2'
peer listen = port *
connect = -1 ECONNREFUSED
getpeername = -1 ENOTCONN
peer accept = none
EOF2
	run '' p:listen connect p:accept sendns=2 p:recvall,2
	transcript "$1 blocking: without rules it connects" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 2
peer recvall = got 2 bits=0 *
EOF2
}

nonblocking() {
	for wait in pollout selectw epollout; do
		TREAL_OPTS=$2
		run 'connect => error ENETUNREACH' p:listen connect-nb "$wait=5000" so_error so_error peername
		case $wait in
		selectw) ready='selectw = *w*' ;;
		*) ready="$wait = *OUT,ERR*" ;;
		esac
		transcript "$1 $wait: EINPROGRESS, writable with an error, SO_ERROR the injected errno once, getpeername fails" <<EOF2
peer listen = port *
connect = -1 EINPROGRESS
$ready
SO_ERROR = ENETUNREACH
SO_ERROR = 0
getpeername = -1 ENOTCONN
EOF2
		expect_err "text-1 fired on connect fd=[0-9]+ peer=[^ ]+: error ENETUNREACH \(ENETUNREACH\)$"
		inj=$(value "$wait")

		# The kernel's own refusal, for comparison: the same readiness.
		TREAL_OPTS="$2 -A $3:$closed"
		run '' connect-nb "$wait=5000" so_error
		expect_out '^SO_ERROR = ECONNREFUSED$' "$1 $wait: a real refusal"
		expect_eq "$1 $wait: readiness as for a real refusal" "$(value "$wait")" "$inj"

		TREAL_OPTS=$2
		run '' p:listen connect-nb "$wait=5000" so_error peername
		expect_out '^SO_ERROR = 0$' "$1 $wait: without rules it connects"
		expect_out '^getpeername = 0$'
	done

	TREAL_OPTS="$2 -A $3:$closed"
	run 'connect => error ENETUNREACH now' connect-nb pollout=5000 so_error
	expect_out '^connect = -1 ENETUNREACH$' "$1 now: the nonblocking connect itself fails"
	expect_out '^SO_ERROR = 0$' "$1 now: no pending error"
	TREAL_OPTS=
}

blocking IPv4 '' 127.0.0.1
nonblocking IPv4 '' 127.0.0.1
if have_ipv6; then
	blocking IPv6 -6 '[::1]'
	nonblocking IPv6 -6 '[::1]'
else
	echo "::1 is not available: IPv6 cases skipped"
fi

# unix and UDP sockets have no connect in progress: they fail at once, even
# when nonblocking.
TREAL_OPTS=-U
run 'connect => error ECONNREFUSED' p:listen connect-nb
expect_out '^connect = -1 ECONNREFUSED$' "unix nonblocking: fails at once"
run 'connect => error EACCES' p:listen connect
expect_out '^connect = -1 EACCES$' "unix blocking: fails"
run '' p:listen connect p:accept sendns=2 p:recvall,2
expect_out '^connect = 0$' "unix: without rules it connects"
expect_out '^peer recvall = got 2 bits=0 '

TREAL_OPTS="-D -A 127.0.0.1:$closed"
run 'connect proto=udp => error ENETUNREACH' connect
expect_out '^connect = -1 ENETUNREACH$' "UDP: fails at once"
run '' connect
expect_out '^connect = 0$' "UDP: without rules it connects"

# Winsock names and numbers map to the nearest POSIX errno.
TREAL_OPTS="-A 127.0.0.1:$closed"
for spec in WSAECONNREFUSED:ECONNREFUSED 10061:ECONNREFUSED WSAEHOSTUNREACH:EHOSTUNREACH \
	10065:EHOSTUNREACH WSAENETUNREACH:ENETUNREACH WSAETIMEDOUT:ETIMEDOUT WSAECONNABORTED:ECONNABORTED; do
	run "connect => error ${spec%%:*}" connect-nb pollout=5000 so_error
	expect_out "^SO_ERROR = ${spec#*:}$" "${spec%%:*} is ${spec#*:}"
	expect_err ": error ${spec#*:} \(${spec#*:}\)$" "${spec%%:*}: the log names the POSIX errno"
done
TREAL_OPTS=

for spec in WSAENOTCONN:ENOTCONN 10057:ENOTCONN WSAENETRESET:ENETRESET WSAEWOULDBLOCK:EAGAIN \
	WSAECONNRESET:ECONNRESET 10054:ECONNRESET WSAENOBUFS:ENOBUFS; do
	run "send => error ${spec%%:*}" p:listen connect sendns
	expect_out "^sendns = -1 ${spec#*:}$" "${spec%%:*} on send is ${spec#*:}"
done

# A second connect on a connected socket: the kernel says EISCONN; a rule
# can say it too (the WSAEISCONN story), or something else. (The first
# line, the peer's port, differs from run to run.)
twice='p:listen connect reconnect reconnect peername'
# shellcheck disable=SC2086 # the steps are words on purpose
run '' $twice
expect_eq "the kernel's own EISCONN" "-1 EISCONN" "$(value connect 2)"
expect_empty "$tmp/err" "no rules, no log"
kernel=$(sed 1d "$tmp/out")
# shellcheck disable=SC2086
run 'connect state=connected => error WSAEISCONN' $twice
expect_eq "injected EISCONN: what the program sees" "$kernel" "$(sed 1d "$tmp/out")"
expect_eq "injected EISCONN: fired on the 2nd and 3rd connect" 2 "$(grep -c 'fired on connect.*(EISCONN)$' "$tmp/err")"
# A connect on a connected socket asks for the first one's outcome: a rule
# that does not name the state counts attempts only, and the kernel answers.
# shellcheck disable=SC2086
run 'connect when=2+ => error ECONNREFUSED' $twice
expect_eq "a rule for attempts: the kernel answers the second connect" "$kernel" "$(sed 1d "$tmp/out")"
expect_not_in "$tmp/err" 'fired on connect' "a rule for attempts: it never fired"
# shellcheck disable=SC2086
run 'connect state=connected => error WSAEALREADY' $twice
transcript "state=connected: the first connect is not faulted, the next ones are, the connection is still there" <<'EOF2'
peer listen = port *
connect = 0
connect = -1 EALREADY
connect = -1 EALREADY
getpeername = 0
EOF2

finish
