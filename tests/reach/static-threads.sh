#!/bin/sh
# Threads of a static program under the supervisor: a call that waits in one
# thread (made by a worker of the supervisor) holds up no other thread.
set -eu
. "$SF_SRCDIR/tests/integ/lib.sh"
SF_REACH=static
. "$SF_SRCDIR/tests/realism/rlib.sh"

# A recv waiting in one thread while another sends, and resets, the
# connection: the send is not held up behind the recv, and the recv ends as
# on a reset connection.
run 'send => reset' p:listen connect p:accept bg=recv sleep=200 mark sendns join
expect_out '^sendns = -1 ECONNRESET$' "the send in the other thread was made (and reset)"
v=$(value 'bg1 recv')
case $v in
0 | '-1 ECONNRESET') pass "a recv blocked in another thread ends with $v" ;;
*) fail "a recv blocked in another thread when the connection is reset: expected 0 or ECONNRESET, got '$v'" ;;
esac
expect_between "the blocked recv woke at once" 0 1000 "$(value 'bg1 woke')"

# A delay in one thread holds up that thread only.
run 'recv => delay 1500ms' p:listen connect p:accept bg=recv sleep=100 mark sendns p:expect,1000 since p:send join
expect_out '^sendns = 4$' "a send while another thread's recv is delayed"
expect_between "the send was not held up by the delayed recv" 0 700 "$(value since)"
finish
