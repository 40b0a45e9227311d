#!/bin/sh
# The same as tcp4.sh over IPv6 (tcp-body.sh); skipped where ::1 cannot be used.
set -eu
. "$SF_SRCDIR/tests/integ/lib.sh"
. "$SF_SRCDIR/tests/realism/rlib.sh"
have_ipv6 || skip "no IPv6 loopback (::1) on this machine"
TREAL_OPTS=-6
. "$SF_SRCDIR/tests/realism/tcp-body.sh"
finish
