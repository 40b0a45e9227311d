#!/bin/sh
# A static program (treal linked with musl-gcc -static) under the seccomp
# supervisor: every TCP action of the realism suite (tcp-body.sh), with the
# same transcripts, program and peer, as in a dynamic program.
set -eu
. "$SF_SRCDIR/tests/integ/lib.sh"
. "$SF_SRCDIR/tests/realism/rlib.sh"
. "$SF_SRCDIR/tests/reach/rlib.sh"
reach_need_supervisor
reach_static_treal
TREAL_OPTS=
. "$SF_SRCDIR/tests/realism/tcp-body.sh"
finish
