#!/bin/sh
# shellcheck disable=SC2034,SC2154 # RUN_ENV is read by lib.sh's run; us_1 and us_2 are set by eval
# delay D~J on each call (sockfault-rules(5)): the call waits at least D and
# then does what it would have done (measured as a lower bound only); with
# jitter at least D-J, and the value chosen, read from the log, is within
# D±J and the same for the same seed. A later rule still decides the call.
# On TCP a delay holds back the data by default (delay-relay.sh): the waits
# inside the calls are measured with SOCKFAULT_DELAY=call, which draws the
# same delays.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# The delay the log says was applied, in microseconds.
logged_us() {
	_d=$(grep -E -o 'fired on [a-z]+ .*: delay [0-9]+[a-z]+$' "$tmp/err" | head -n 1 | sed 's/.*: delay //')
	case $_d in
	*us) echo "${_d%us}" ;;
	*ms) echo $((${_d%ms} * 1000)) ;;
	*s) echo $((${_d%s} * 1000000)) ;;
	*) echo -1 ;;
	esac
}

# delay_steps OP: the steps that make OP once, timed by the step after it
# (took); a recv has its byte waiting first, so that only the delay counts.
delay_steps() {
	case $1 in
	connect) echo 'p:listen connect took' ;;
	send) echo 'p:listen connect p:accept sendns took' ;;
	recv) echo 'p:listen connect p:accept p:send pollin=1000 recv took' ;;
	esac
}

for op in connect send recv; do
	RUN_ENV=SOCKFAULT_DELAY=call
	# shellcheck disable=SC2046 # the steps are words
	run "$op => delay 200ms" $(delay_steps "$op")
	case $op in
	send) expect_out '^sendns = 4$' "$op delayed: still succeeds" ;;
	recv) expect_out '^recv = 4$' "$op delayed: still succeeds" ;;
	*) expect_out "^$op = 0\$" "$op delayed: still succeeds" ;;
	esac
	expect_ge "$op delay 200ms: the call took at least 200 ms" 200 "$(value took)"
	port=$(value 'peer listen' | sed 's/port //')
	expect_log "fired on $op fd=[0-9]+ peer=127\.0\.0\.1:$port: delay 200ms\$"
done

run 'send => delay 200ms; send => error ECONNRESET' p:listen connect p:accept sendns took
expect_out '^sendns = -1 ECONNRESET$' "delay then error: the later rule still decides"
expect_ge "delay then error: after at least 200 ms" 200 "$(value took)"

# The jitter depends on the seed and on the peer, so the peer keeps its port.
run '' p:listen
port=$(value 'peer listen' | sed 's/port //')
for seed in 1 2; do
	RUN_ENV="SOCKFAULT_DELAY=call SOCKFAULT_SEED=$seed"
	run 'send => delay 300ms~100ms' "p:listen,$port" connect p:accept sendns took
	expect_out "^peer listen = port $port\$" "the peer is on port $port again"
	expect_ge "delay 300ms~100ms (seed $seed): at least 200 ms" 200 "$(value took)"
	us=$(logged_us)
	expect_between "seed $seed: the jittered delay (us) is within 300ms~100ms" 200000 400000 "$us"
	expect_ge "seed $seed: the call took at least the logged delay" $((us / 1000)) "$(value took)"
	eval "us_$seed=\$us"
done
RUN_ENV="SOCKFAULT_DELAY=call SOCKFAULT_SEED=1"
run 'send => delay 300ms~100ms' "p:listen,$port" connect p:accept sendns took
expect_eq "the same seed, the same jitter" "$us_1" "$(logged_us)"
expect_ne "another seed, another jitter ($us_1 / $us_2 us)" "$us_1" "$us_2"

finish
