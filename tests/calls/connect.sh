#!/bin/sh
# connect faults are delivered as the kernel delivers a failed connect:
# blocking, unix and UDP connects fail at once; a nonblocking TCP connect
# says EINPROGRESS, poll/select/epoll then report the socket writable with
# an error, SO_ERROR gives the injected errno once and getpeername fails with
# ENOTCONN; `now` makes the connect itself fail. Both on 127.0.0.1 and ::1.
# Also: Winsock names, and a second connect on a connected socket.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# A port where nothing listens: a peer's, once it has finished.
peer_start gone -n 0 -t 1 sink
peer_wait gone
closed_port=$gone_port

# $1: the family's name, $2: its loopback address, $3: tpeer's flag for it.
blocking() {
	peer_start p "$3" -n 1 -t 15 echo
	sf_run SOCKFAULT_RULES_TEXT='connect => error ECONNREFUSED' "$T/tclient" connect "$2:$p_port"
	expect_rc 0
	expect_out '^connect = -1 ECONNREFUSED$' "$1 blocking: fails with the injected errno"
	expect_out '^getpeername = -1 ENOTCONN$' "$1 blocking: not connected"
	sf_run "$T/tclient" connect "$2:$p_port"
	expect_out '^connect = 0$' "$1 blocking: without rules it connects"
	expect_out '^echo = 2$'
	peer_wait p
	expect_in "$p_out" '^peer: conn 1: 2 bytes .*first="hi"' \
		"$1 blocking: the faulted connect never reached the peer"
}

nonblocking() {
	for how in poll select epoll; do
		peer_start p "$3" -n 1 -t 15 echo
		sf_run SOCKFAULT_RULES_TEXT='connect => error ENETUNREACH' "$T/tclient" connect-nb "$how" "$2:$p_port"
		expect_rc 0
		expect_out '^connect = -1 EINPROGRESS$' "$1 $how: connect says EINPROGRESS"
		case $how in
		select) expect_out '^select = [12] writable=yes$' "$1 select: writable" ;;
		*) expect_out "^$how = 1 events=(IN,)?OUT,ERR" "$1 $how: writable, with an error" ;;
		esac
		expect_out '^SO_ERROR = ENETUNREACH$' "$1 $how: SO_ERROR gives the injected errno"
		expect_out '^SO_ERROR again = 0$' "$1 $how: once"
		expect_out '^getpeername = -1 ENOTCONN$' "$1 $how: getpeername fails"
		expect_err "text-1 fired on connect fd=[0-9]+ peer=[^ ]+: error ENETUNREACH \(ENETUNREACH\)$"
		inj=$(out_line "^$how = ")

		# The kernel's own refusal, for comparison: the same readiness.
		sf_run "$T/tclient" connect-nb "$how" "$2:$closed_port"
		expect_out '^SO_ERROR = ECONNREFUSED$' "$1 $how: a real refusal"
		expect_eq "$1 $how: readiness as for a real refusal" "$(out_line "^$how = ")" "$inj"

		sf_run "$T/tclient" connect-nb "$how" "$2:$p_port"
		expect_out '^SO_ERROR = 0$' "$1 $how: without rules it connects"
		expect_out '^getpeername = 0$'
		peer_wait p
	done

	sf_run SOCKFAULT_RULES_TEXT='connect => error ENETUNREACH now' "$T/tclient" connect-nb poll "$2:$closed_port"
	expect_out '^connect = -1 ENETUNREACH$' "$1 now: the nonblocking connect itself fails"
	expect_out '^SO_ERROR = 0$' "$1 now: no pending error"
}

blocking IPv4 127.0.0.1 -4
nonblocking IPv4 127.0.0.1 -4
if have_ipv6; then
	blocking IPv6 '[::1]' -6
	nonblocking IPv6 '[::1]' -6
else
	echo "::1 is not available: IPv6 cases skipped"
fi

# unix and UDP sockets have no connect in progress: they fail at once, even
# when nonblocking.
sock=$tmp/echo.sock
peer_start u -U "$sock" -n 1 -t 15 echo
sf_run SOCKFAULT_RULES_TEXT='connect => error ECONNREFUSED' "$T/tclient" connect-nb poll "unix:$sock"
expect_out '^connect = -1 ECONNREFUSED$' "unix nonblocking: fails at once"
sf_run SOCKFAULT_RULES_TEXT='connect => error EACCES' "$T/tclient" connect "unix:$sock"
expect_out '^connect = -1 EACCES$' "unix blocking: fails"
sf_run "$T/tclient" connect "unix:$sock"
expect_out '^connect = 0$' "unix: without rules it connects"
expect_out '^echo = 2$'
peer_wait u

sf_run SOCKFAULT_RULES_TEXT='connect proto=udp => error ENETUNREACH' "$T/tclient" connect -u "127.0.0.1:$closed_port"
expect_out '^connect = -1 ENETUNREACH$' "UDP: fails at once"
sf_run "$T/tclient" connect -u "127.0.0.1:$closed_port"
expect_out '^connect = 0$' "UDP: without rules it connects"

# Winsock names and numbers map to the nearest POSIX errno.
for spec in WSAECONNREFUSED:ECONNREFUSED 10061:ECONNREFUSED WSAEHOSTUNREACH:EHOSTUNREACH \
	10065:EHOSTUNREACH WSAENETUNREACH:ENETUNREACH WSAETIMEDOUT:ETIMEDOUT WSAECONNABORTED:ECONNABORTED; do
	sf_run SOCKFAULT_RULES_TEXT="connect => error ${spec%%:*}" "$T/tclient" connect-nb poll "127.0.0.1:$closed_port"
	expect_out "^SO_ERROR = ${spec#*:}$" "${spec%%:*} is ${spec#*:}"
	expect_err ": error ${spec#*:} \(${spec#*:}\)$" "${spec%%:*}: the log names the POSIX errno"
done

peer_start p -n 0 -t 30 echo
for spec in WSAENOTCONN:ENOTCONN 10057:ENOTCONN WSAENETRESET:ENETRESET WSAEWOULDBLOCK:EAGAIN \
	WSAECONNRESET:ECONNRESET 10054:ECONNRESET WSAENOBUFS:ENOBUFS; do
	sf_run SOCKFAULT_RULES_TEXT="send => error ${spec%%:*}" SOCKFAULT_LOG=off "$T/tclient" seq -n 1 "127.0.0.1:$p_port"
	expect_out "^conn 1: ${spec#*:}$" "${spec%%:*} on send is ${spec#*:}"
done
kill "$p_pid" 2>/dev/null || :
peer_wait p

# A second connect on a connected socket: the kernel says EISCONN; a rule
# can say it too (the WSAEISCONN story), or something else.
peer_start p -n 4 -t 15 echo
sf_run "$T/tclient" connect-twice "127.0.0.1:$p_port"
expect_out '^connect 1 = 0$'
expect_out '^connect 2 = -1 EISCONN$' "the kernel's own EISCONN"
expect_empty "$tmp/err" "no rules, no log"
kernel=$(cat "$tmp/out")
sf_run SOCKFAULT_RULES_TEXT='connect state=connected => error WSAEISCONN' "$T/tclient" connect-twice "127.0.0.1:$p_port"
expect_eq "injected EISCONN: what the program sees" "$kernel" "$(cat "$tmp/out")"
expect_eq "injected EISCONN: fired on the 2nd and 3rd connect" 2 "$(grep -c 'fired on connect.*(EISCONN)$' "$tmp/err")"
# A connect on a connected socket asks for the first one's outcome: a rule
# that does not name the state counts attempts only, and the kernel answers.
sf_run SOCKFAULT_RULES_TEXT='connect when=2+ => error ECONNREFUSED' "$T/tclient" connect-twice "127.0.0.1:$p_port"
expect_eq "a rule for attempts: the kernel answers the second connect" "$kernel" "$(cat "$tmp/out")"
expect_not_in "$tmp/err" 'fired on connect' "a rule for attempts: it never fired"
sf_run SOCKFAULT_RULES_TEXT='connect state=connected => error WSAEALREADY' "$T/tclient" connect-twice "127.0.0.1:$p_port"
expect_out '^connect 1 = 0$' "state=connected: the first connect is not faulted"
expect_out '^connect 2 = -1 EALREADY$' "state=connected: the second one is"
expect_out '^connect 3 = -1 EALREADY$'
expect_out '^getpeername = 0$' "and the connection is still there"
peer_wait p

finish
