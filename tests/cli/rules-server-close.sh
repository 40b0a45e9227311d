#!/bin/sh
# rules/server-close.rules, as shipped (rx side=client age>1s => eof): a
# client talks to a server that answers, waits past a second, then sends
# and receives. Its receives return 0 as if the server had closed, while
# the server is still there (its answer is waiting in the kernel) and the
# client's sends are still delivered. Before the second, data flows; and
# without the rules the client reads the answer.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

steps='p:listen connect p:accept sendns=4 p:recvall,4 p:send,4 recv=4 sleep=1200 rcvtimeo=1000 sendns=5 p:recvall,5
p:send,5 inq pollin=1000 recv recvnb read sendns=5 p:recvall,5'
# shellcheck disable=SC2086 # the steps are words on purpose
cli_run run -r "$RULES/server-close.rules" -- "$R/treal" -S "$tmp/u" $steps
expect_rc 0
transcript "after a second the receives end (poll readable, 0, again, read too) while the server's answer waits in the kernel; the sends are delivered" <<'EOF2'
peer listen = port *
connect = 0
peer accept = accepted 1
sendns = 4
peer recvall = got 4 bits=0 *
peer send = sent 4
recv = 4
rcvtimeo = 0
sendns = 5
peer recvall = got 5 bits=0 *
peer send = sent 5
inq = 5
pollin = IN*
recv = 0
recvnb = 0
read = 0
sendns = 5
peer recvall = got 5 bits=0 *
EOF2
expect_err 'server-close fired on recv .*: eof' "the rule fired"

# shellcheck disable=SC2086
sf_run "$R/treal" -S "$tmp/u" $steps
expect_eq "contrast: without the rules the answer is read" 5 "$(value recv 2)"

finish
