#!/bin/sh
# rules/unreachable.rules, as shipped (connect => error WSAEHOSTUNREACH):
# a blocking connect fails with EHOSTUNREACH at once (a router's ICMP, no
# round trip given: sockfault-rules(5), error); a nonblocking one says
# EINPROGRESS, then poll, select and epoll report the socket writable with
# an error, SO_ERROR gives EHOSTUNREACH once and getpeername ENOTCONN. The
# server never sees a connection. Without the rules the same connects
# succeed.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

refusal_story unreachable EHOSTUNREACH
finish
