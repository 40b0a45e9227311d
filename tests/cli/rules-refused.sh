#!/bin/sh
# rules/refused.rules, as shipped (connect => error WSAECONNREFUSED):
# a blocking connect fails at once with ECONNREFUSED; a nonblocking one says
# EINPROGRESS, then poll, select and epoll report the socket writable with
# an error, SO_ERROR gives ECONNREFUSED once and getpeername ENOTCONN. The
# server never sees a connection. Without the rules the same connects
# succeed.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

refusal_story refused ECONNREFUSED
finish
