#!/bin/sh
# delay D~J on each call (sockfault-rules(5)): at least D (measured as a
# lower bound only); with jitter at least D-J, and the value chosen, read
# from the log, is within D±J and the same for the same seed.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

elapsed() {
	out_line '^elapsed_ms = ' | sed 's/.* = //'
}
at_least() { # WHAT MIN ACTUAL
	if [ "$3" -ge "$2" ]; then
		pass "$1: ${3} ms >= $2 ms"
	else
		fail "$1: took ${3} ms, less than $2 ms"
	fi
}
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

peer_start e -n 0 -t 60 echo
E=127.0.0.1:$e_port
for op in connect send recv; do
	sf_run SOCKFAULT_RULES_TEXT="$op => delay 200ms" "$T/tclient" timed "$op" "$E"
	expect_out "^$op = (0|1)$" "$op delayed: still succeeds"
	at_least "$op delay 200ms" 200 "$(elapsed)"
	expect_err "fired on $op fd=[0-9]+ peer=127\.0\.0\.1:$e_port: delay 200ms$"
done

sf_run SOCKFAULT_RULES_TEXT='send => delay 200ms; send => error ECONNRESET' "$T/tclient" timed send "$E"
expect_out '^send = -1 ECONNRESET$' "delay then error: the later rule still decides"
at_least "delay then error" 200 "$(elapsed)"

for seed in 1 2; do
	sf_run SOCKFAULT_RULES_TEXT='send => delay 300ms~100ms' SOCKFAULT_SEED=$seed "$T/tclient" timed send "$E"
	at_least "delay 300ms~100ms (seed $seed)" 200 "$(elapsed)"
	us=$(logged_us)
	if [ "$us" -ge 200000 ] && [ "$us" -le 400000 ]; then
		pass "seed $seed: the jittered delay ($us us) is within 300ms~100ms"
	else
		fail "seed $seed: the jittered delay ($us us) is outside 300ms~100ms"
	fi
	at_least "seed $seed: the call took at least the logged delay" $((us / 1000)) "$(elapsed)"
	eval "us_$seed=\$us"
done
sf_run SOCKFAULT_RULES_TEXT='send => delay 300ms~100ms' SOCKFAULT_SEED=1 "$T/tclient" timed send "$E"
expect_eq "the same seed, the same jitter" "$us_1" "$(logged_us)"
if [ "$us_1" != "$us_2" ]; then
	pass "another seed, another jitter ($us_1 / $us_2 us)"
else
	fail "seeds 1 and 2 gave the same jittered delay ($us_1 us)"
fi

kill "$e_pid" 2>/dev/null || :
peer_wait e

finish
