#!/bin/sh
# Every interposed call, faulted once with `error E`: the program sees -1 and
# E, the log names the call, and what follows shows that nothing happened
# (nothing sent, nothing received, the descriptor still open after a failed
# close, the connection still queued after a failed accept). Each call is
# also made without a rule, under the preload: it succeeds, so the rule is
# what made the difference.
# shellcheck disable=SC2034 # TREAL_OPTS is read by lib.sh's run
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

PROG=${TCALLS:-$T/tcalls}

# call OP PEER RULE ERRNO: run `tcalls -e ERRNO OP` against a fresh peer
# (echo, udp or none), with RULE; the peer's report is left in $tmp/p.out.
call() {
	_op=$1 _mode=$2 _rule=$3 _err=$4
	_target=
	if [ "$_mode" != none ]; then
		peer_start p -n 1 -t 15 "$_mode"
		_target=127.0.0.1:$p_port
	fi
	if [ -n "$_rule" ]; then
		sf_run SOCKFAULT_RULES_TEXT="$_rule" "$PROG" -e "$_err" "$_op" ${_target:+"$_target"}
	else
		sf_run "$PROG" -e "$_err" "$_op" ${_target:+"$_target"}
	fi
	expect_rc 0 "$_op: $_err${_rule:+ under '$_rule'}"
	_logop=${_op%%-*}
	case $_logop in fcntl64) _logop=fcntl ;; esac
	if [ -n "$_rule" ]; then
		expect_err "^sockfault\[[0-9]+\]: text-1 fired on $_logop fd=-?[0-9]+ peer=[^ ]+: error $_err \($_err\)$" \
			"$_op: the fault is logged"
	else
		expect_empty "$tmp/err" "$_op: nothing logged without rules"
	fi
	if [ "$_mode" != none ]; then
		peer_wait p
	else
		: >"$tmp/p.out"
	fi
}

peer() { expect_in "$tmp/p.out" "$@"; }

# --- creating and setting up ---
call socket none 'socket once => error EMFILE' EMFILE
call socket none '' ok

call socketpair none 'socketpair once => error ENFILE' ENFILE
expect_out '^after: sv = -1 -1$' "socketpair: the program's array is untouched"
call socketpair none '' ok

call bind none 'bind once => error EADDRINUSE' EADDRINUSE
expect_out '^after: bound = no$' "bind: the socket stayed unbound"
call bind none '' ok
expect_out '^after: bound = yes$'

call listen none 'listen once => error EADDRINUSE' EADDRINUSE
expect_out '^after: connect = -1 ECONNREFUSED$' "listen: the kernel socket is not listening"
call listen none '' ok
expect_out '^after: connect = 0$'

call connect echo 'connect once => error ECONNREFUSED' ECONNREFUSED
expect_out '^after: connect = 0$' "connect: the same socket can connect afterwards"
expect_out '^after: echo = 5 "after"$'
peer '^peer: accepted 1$'
peer '^peer: done, 1 connections$' "connect: the peer saw one connection, the second attempt's"
call connect echo '' ok
expect_no_out '^after: connect'

call accept none 'accept once => error EMFILE' EMFILE
expect_out '^after: accept = 0$' "accept: the connection stayed queued"
call accept none '' ok

call accept4 none 'accept4 once => error ENFILE' ENFILE
expect_out '^after: accept4 = 0$' "accept4: the connection stayed queued"
expect_out '^after: cloexec = yes$'
call accept4 none '' ok
expect_out '^after: cloexec = yes$' "accept4: flags passed through"

call shutdown echo 'shutdown once => error ENOTCONN' ENOTCONN
expect_out '^after: echo = 5 "after"$' "shutdown: both directions still work"
peer 'first="after" end=eof'
call shutdown echo '' ok
expect_out '^after: send = -1 EPIPE$' "shutdown: without the rule, writing is over"

call close echo 'close once => error EIO' EIO
expect_out '^after: fd closed$' "close: a failed close released the descriptor, as Linux's always does"
peer 'conn 1: 0 bytes .* end=eof' "close: the peer saw the real close"
call close echo '' ok
expect_out '^after: fd closed$'

# --- duplicating ---
call dup none 'dup once => error EMFILE' EMFILE
call dup none '' ok
call dup2 none 'dup2 once => error EBUSY' EBUSY
expect_out '^after: fd 100 closed$' "dup2: no descriptor was made"
call dup2 none '' ok
call dup3 none 'dup3 once => error EMFILE' EMFILE
expect_out '^after: fd 101 closed$' "dup3: no descriptor was made"
call dup3 none '' ok
call fcntl-dupfd none 'fcntl once => error EMFILE' EMFILE
expect_out '^after: F_GETFL = 0$' "fcntl: other commands are not faulted"
call fcntl-dupfd none '' ok
call fcntl-dupfd-cloexec none 'fcntl once => error EINVAL' EINVAL
expect_out '^after: F_GETFL = 0$'
call fcntl-dupfd-cloexec none '' ok
if "$PROG" fcntl64-dupfd >/dev/null 2>&1; then
	call fcntl64-dupfd none 'fcntl once => error EMFILE' EMFILE
	call fcntl64-dupfd none '' ok
else
	echo "this libc has no fcntl64: skipped"
fi

# --- sending: the peer gets "after" alone when the call failed ---
for spec in send:ECONNRESET sendto:ENOBUFS sendmsg:EMSGSIZE write:EPIPE writev:ETIMEDOUT; do
	op=${spec%%:*} err=${spec#*:}
	call "$op" echo "$op once => error $err" "$err"
	expect_out '^after: echo = 5 "after"$' "$op: the connection still works"
	peer 'conn 1: 5 bytes .*first="after" end=eof' "$op: nothing of the failed call reached the peer"
	call "$op" echo '' ok
	expect_out '^after: echo = 10 "helloafter"$'
	peer 'conn 1: 10 bytes .*first="helloafter" end=eof' "$op: without the rule the peer gets both"
done

call sendmmsg udp 'sendmmsg once => error ENOBUFS' ENOBUFS
expect_out '^after: send = 5$'
peer '^peer: datagram 1: 5 bytes "after"$' "sendmmsg: no datagram of the failed call was sent"
peer '^peer: END after 1 datagrams$'
call sendmmsg udp '' ok
expect_out '^sendmmsg = 2$'
peer '^peer: datagram 1: 2 bytes "m1"$'
peer '^peer: END after 3 datagrams$'

# An EPIPE from a rule raises SIGPIPE on a stream socket, as the kernel's
# does, unless the call passed MSG_NOSIGNAL; never on a datagram socket.
for err in EPIPE WSAESHUTDOWN; do
	run "tx => error $err" p:listen connect send=1 sigpipes sendns=1 sigpipes sendmsg=1 sigpipes sendmsgns=1 sigpipes \
		write=1 sigpipes writev=1 sigpipes
	# Each call's name (when it failed with EPIPE) and the SIGPIPEs so far.
	expect_eq "$err: send, sendmsg, write and writev raise SIGPIPE, not with MSG_NOSIGNAL" \
		"send 1 sendns 1 sendmsg 2 sendmsgns 2 write 3 writev 4" \
		"$(awk '/ = -1 EPIPE$/{ c = $1 } /^sigpipes = /{ printf "%s%s %s", sep, c, $3; c = "?"; sep = " " }' "$tmp/out")"
	TREAL_OPTS=-D
	run "tx => error $err" p:listen connect send=1 sigpipes
	TREAL_OPTS=
	expect_out '^send = -1 EPIPE$' "$err on a UDP socket"
	expect_out '^sigpipes = 0$' "$err: not on a UDP socket"
done

# --- receiving: the data the failed call did not take is still there ---
for spec in recv:ECONNRESET recvfrom:ETIMEDOUT recvmsg:ENOTCONN read:EINTR readv:ECONNABORTED; do
	op=${spec%%:*} err=${spec#*:}
	call "$op" echo "$op once => error $err" "$err"
	expect_out '^after: recv = 4$' "$op: nothing was consumed"
	expect_out '^data: "ping"$'
	call "$op" echo '' ok
	expect_out "^$op = 4$"
	expect_out '^data: "ping"$'
done

call recvmmsg udp 'recvmmsg once => error EAGAIN' EAGAIN
expect_out '^after: recv = 4$' "recvmmsg: the datagram is still queued"
expect_out '^data: "ping"$'
call recvmmsg udp '' ok
expect_out '^recvmmsg = 4$'

# --- asking ---
call getsockopt echo 'getsockopt once => error ENOPROTOOPT' ENOPROTOOPT
expect_out '^after: getsockopt\(SO_TYPE\) = 1$' "getsockopt: only SO_ERROR is faulted"
call getsockopt echo '' ok
expect_out '^SO_ERROR = 0$'
call getpeername echo 'getpeername once => error ENOTCONN' ENOTCONN
expect_out '^after: getsockname = 0$'
call getpeername echo '' ok

finish
