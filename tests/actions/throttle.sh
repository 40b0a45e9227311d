#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, name set by each_tcp_family
# throttle RATE on TCP (sockfault-rules(5)): a transfer of 1.25 s keeps its
# average within 10 % of RATE, measured by the receiver, in each direction
# on its own; the sender's sends return as the buffers take the bytes (the
# kernel's own, and the slow link's queue), so its own average is above the
# rate, as on a real slow link, and a nonblocking sender sees the buffers
# fill (EAGAIN, POLLOUT cleared) and empty at the rate. Without the rule
# the same transfer is far faster. Where the connection is not relayed
# (under the seccomp supervisor: SF_REACH) each send waits inside the call,
# and the sender's average is the rate too.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

rate=262144      # 256 KiB/s
bytes=327680     # 320 KiB: 1.25 s at that rate
lo=$((rate * 9 / 10)) hi=$((rate * 11 / 10))

# --- throttle, sending ---
steps="p:listen connect p:accept p&:recvall,$bytes,10000 sendall=$bytes pwait"
# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_LOG=off run 'send => throttle 256KiB/s' $steps
transcript "throttle on send: every byte arrives, intact" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendall = $bytes
rate = *
peer recvall = got $bytes bits=0 *
EOF2
expect_between "throttle 256KiB/s: the receiver's average (B/s)" $lo $hi "$(field 'peer recvall' rate)"
if [ -n "${SF_REACH:-}" ]; then
	expect_between "throttle 256KiB/s, not relayed: the sender's average (B/s)" $lo $hi "$(value rate)"
else
	# The buffers hold at most some 200 KiB here (the pair's, and 200 ms
	# of the rate): the sender's average is between the rate and three
	# times it.
	expect_between "throttle 256KiB/s: the sender's average, its buffers' start at once (B/s)" $rate \
		$((rate * 3)) "$(value rate)"

	# Readiness follows the buffers: full, then writable again as the
	# slow link empties them.
	# shellcheck disable=SC2086
	RUN_ENV=SOCKFAULT_LOG=off run 'send => throttle 256KiB/s' p:listen connect p:accept sendfill pollout=0 mark \
		pollout=5000 since p:recvall,60000,5000
	transcript "throttle, nonblocking: the buffers fill, then empty at the rate" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
sendfill = * EAGAIN
pollout = none
pollout = OUT
since = *
peer recvall = got 60000 bits=0 *
EOF2
	expect_between "throttle, nonblocking: the buffers took the start at once (bytes)" 65536 1048576 \
		"$(value sendfill | sed 's/ .*//')"
	expect_between "throttle, nonblocking: writable again as the link empties them (ms)" 50 4000 "$(value since)"
fi
# shellcheck disable=SC2086
run '' $steps
expect_between "without the rule the same transfer is more than 4 times as fast" $((rate * 4)) 999999999999 \
	"$(field 'peer recvall' rate)"

# --- throttle, receiving ---
steps="p:listen connect p:accept p&:send,$bytes recvall=$bytes pwait"
# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_LOG=off run 'recv => throttle 256KiB/s' $steps
transcript "throttle on recv: every byte is read, intact" <<EOF2
peer listen = port *
connect = 0
peer accept = accepted 1
recvall = $bytes bits=0
rate = *
peer send = sent $bytes
EOF2
expect_between "throttle 256KiB/s on recv: the receiver's average (B/s)" $lo $hi "$(value rate)"

# Per direction: a slow sending side leaves receiving alone.
# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_LOG=off run 'send => throttle 64KiB/s' $steps
expect_between "throttle on send only: receiving runs at full speed" $((rate * 4)) 999999999999 "$(value rate)"

finish
