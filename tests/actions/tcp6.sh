#!/bin/sh
# The same as tcp4.sh over IPv6 (tcp-body.sh); skipped where ::1 cannot be used.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
have_ipv6 || skip "no IPv6 loopback (::1) on this machine"
TREAL_OPTS=-6
. "$SF_SRCDIR/tests/actions/tcp-body.sh"
finish
