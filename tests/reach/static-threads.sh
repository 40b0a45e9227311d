#!/bin/sh
# shellcheck disable=SC2034,SC2154 # SF_REACH is read by tests/lib/lib.sh; tmp is lib.sh's
# Threads and processes of a static program under the supervisor: a call
# that waits in one thread (made by a worker of the supervisor) holds up no
# other thread; a forked child has a supervisor context of its own, with the
# counters copied at the fork, as the preload's library is.
set -eu
SF_REACH=static
. "$SF_SRCDIR/tests/lib/lib.sh"

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
# fork: the counters are copied, then each process counts its own calls.
run 'send when=3 => error EIO' p:listen connect p:accept sendns sendns fork sendns sendns endchild sendns sendns \
	p:recvall,24,2000
transcript "fork: when=3 fires once in the child and once in the parent" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
sendns = 4
child sendns = -1 EIO
child sendns = 4
child exit = 0
sendns = -1 EIO
sendns = 4
peer recvall = got 16 *
EOF2
expect_eq "fork: each process logged its own firing" 2 "$(grep -c 'text-1 fired on send' "$tmp/err")"

# Each process has the place in the run's tree (sockfault-rules(5), "Process
# trees") that the preload gives it: the supervisor's own processes are not
# counted.
steps='p:listen connect p:accept sendns sendns fork sendns sendns endchild sendns sendns p:recvall,24,2000'
# shellcheck disable=SC2086 # the steps are words
RUN_ENV=SOCKFAULT_LOG_FORMAT=json run 'send when=3 => error EIO' $steps
supervised=$(grep -o '"proc":"[^"]*","event":"fault"' "$tmp/err" | sort | tr '\n' ' ')
# shellcheck disable=SC2086
$tmo env LD_PRELOAD="$SF_LIB" SOCKFAULT_LOG_FORMAT=json SOCKFAULT_RULES_TEXT='send when=3 => error EIO' \
	"$SF_BUILDDIR/tests/lib/treal" -S "$tmp/u2" $steps >/dev/null 2>"$tmp/pre.err" || :
preloaded=$(grep -o '"proc":"[^"]*","event":"fault"' "$tmp/pre.err" | sort | tr '\n' ' ')
echo "supervised: $supervised; preloaded: $preloaded"
expect_eq "fork: the run's tree as under the preload" "$preloaded" "$supervised"
finish
