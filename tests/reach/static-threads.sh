#!/bin/sh
# tests/robust/threads-fork.sh with treal linked statically (musl-gcc
# -static), under the seccomp supervisor: a call that waits in one thread
# (made by a worker of the supervisor) holds up no other thread; a forked
# child has a supervisor context of its own, with the counters copied at the
# fork, as the preload's library is.
SF_REACH=static
export SF_REACH
exec sh "$SF_SRCDIR/tests/robust/threads-fork.sh"
