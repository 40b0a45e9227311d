#!/bin/sh
# reset, eof, hangup, blackhole, timeout and sticky errors on TCP over IPv4:
# what the program and the peer see (tcp-body.sh).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
TREAL_OPTS=
. "$SF_SRCDIR/tests/actions/tcp-body.sh"
finish
