#!/bin/sh
# tests/actions/corrupt.sh with treal linked statically (musl-gcc -static), under
# the seccomp supervisor: the same transcripts, program and peer.
SF_REACH=static
export SF_REACH
exec sh "$SF_SRCDIR/tests/actions/corrupt.sh"
