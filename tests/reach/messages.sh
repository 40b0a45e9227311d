#!/bin/sh
# The calls beyond plain sends and receives, under the supervisor: more than
# 64 buffers, sendmmsg and recvmmsg (the system calls, as Go makes them),
# descriptors passed in SCM_RIGHTS (a received socket is seen like every
# other), and sendfile and splice, which fail with EINVAL on a socket whose
# data the rules watch (sockfault(1), THE SUPERVISOR).
# shellcheck disable=SC2154 # tmp and rc are lib.sh's
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/reach/rlib.sh"
reach_need_supervisor
reach_tstatic

# --- 100 buffers: the rules see the call, the data arrives whole ---
sf_run SOCKFAULT_RULES_TEXT='writev => error EIO; sendmsg => error EIO' "$R/tstatic" msgs
expect_rc 0 "100 buffers: the program ran to its end"
expect_out '^writev 100 = -1 EIO$' "writev with 100 buffers: the rule fired"
expect_out '^sendmsg 100 = -1 EIO$' "sendmsg with 100 buffers: the rule fired"
# A rule that never fires: the calls are made by the supervisor.
quiet='sendmsg when=50 => error EIO; recvmsg when=50 => error EIO; sendmmsg when=50 => error EIO;'
quiet="$quiet recvmmsg when=50 => error EIO; writev when=50 => error EIO"
sf_run SOCKFAULT_RULES_TEXT="$quiet" "$R/tstatic" msgs
expect_out '^writev 100 = 100$' "writev with 100 buffers, made by the supervisor: every byte sent"
expect_out '^recvmsg 100 = 200$' "recvmsg into 100 buffers, made by the supervisor: every byte received"
expect_out '^recvmsg 100 data = aaaa$' "recvmsg into 100 buffers: the data scattered in place"

# --- sendmmsg and recvmmsg ---
sf_run SOCKFAULT_RULES_TEXT='sendmmsg => error EIO' "$R/tstatic" msgs
expect_out '^sendmmsg = -1 EIO$' "sendmmsg: the rule fired"
sf_run SOCKFAULT_RULES_TEXT='recvmmsg => error EIO' "$R/tstatic" msgs
expect_out '^sendmmsg = 2$' "recvmmsg rule: sendmmsg sent both"
expect_out '^recvmmsg = -1 EIO$' "recvmmsg: the rule fired"
sf_run SOCKFAULT_RULES_TEXT="$quiet" "$R/tstatic" msgs
expect_out '^sendmmsg = 2$' "sendmmsg made by the supervisor: both messages sent"
expect_out '^recvmmsg data = one two, 3 3$' "recvmmsg made by the supervisor: both messages and their lengths"

# --- SCM_RIGHTS: descriptors go through; a received socket is supervised ---
expect_out '^scm pipe = hi, cloexec 1$' "SCM_RIGHTS through the supervisor: the pipe works, MSG_CMSG_CLOEXEC kept"
expect_out '^scm socket = high$' "SCM_RIGHTS through the supervisor: the socket is put at the threshold or above"
sf_run SOCKFAULT_RULES_TEXT='send => error EIO' "$R/tstatic" msgs
expect_out '^scm socket = high$' "a received socket is supervised, with no rule for recvmsg"
expect_out '^scm socket send = -1 EIO$' "a received socket: the rules see its calls"
expect_out '^scm pipe = hi, cloexec 1$' "with no rule for recvmsg, a received pipe still works"

# --- sendfile and splice: refused while rules watch the data, else made ---
expect_out '^sendfile = -1 EINVAL$' "sendfile to a socket whose sends are watched: EINVAL"
expect_out '^splice = -1 EINVAL$' "splice to a socket whose sends are watched: EINVAL"
sf_run SOCKFAULT_RULES_TEXT='recvmmsg => error EIO' "$R/tstatic" msgs
expect_out '^sendfile = 10$' "sendfile with no rule on sends: made as it is"
expect_out '^splice = 3$' "splice with no rule on sends: made as it is"
finish
