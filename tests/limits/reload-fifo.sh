#!/bin/sh
# SOCKFAULT_RELOAD=1 and a rules file replaced by a FIFO that no one writes
# to, then by /dev/zero: the watcher reads them under the same bounds as the
# start (sockfault-rules(5), LIMITS), reports each with the limit, and the
# rules in force stay; the program's calls go on meanwhile, and a good file
# put back is reloaded.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

peer_start p -n 0 -t 90 sink
P=127.0.0.1:$p_port
live=$tmp/live.rules
printf 'send => error EPIPE\n' >"$live"
printf 'send => error ECONNRESET\n' >"$tmp/B.rules"
# The swaps, while topr holds EPIPE: a FIFO at 0.5 s, /dev/zero (a link to
# it) at 3.5 s, then a good file at 6.5 s.
(
	sleep 0.5
	rm -f "$live" && mkfifo "$live"
	sleep 3
	rm -f "$live" && ln -s /dev/zero "$live"
	sleep 3
	rm -f "$live" && cp "$tmp/B.rules" "$live"
) &
swapper=$!
sf_run SOCKFAULT_RULES="$live" SOCKFAULT_RELOAD=1 "$T/topr" watch "$P" \
	hold:EPIPE:6000 until:ECONNRESET:4000
wait "$swapper"
expect_rc 0 "every step as expected"
expect_out '^step 1: hold EPIPE for 6000 ms: [0-9]+ calls, 0 other$' "the FIFO and /dev/zero: the rules in force stay, the calls go on"
expect_err "$live: cannot read the rules file: it did not deliver all of it and close within 2 s" "the FIFO: reported with its limit"
expect_err "$live: cannot read the rules file: it is a device" "/dev/zero: reported"
expect_out '^step 2: ECONNRESET after [0-9]+ ms' "a good file put back: reloaded (the watcher was not held)"

finish
