#!/bin/sh
# What moves: `short N` (a correct client that loops gets every byte to the
# peer, in order), `drop` on datagrams (the send says yes, the peer gets
# nothing; a receive loses exactly one), and `delay D~J` (measured as a lower
# bound only; the jittered value itself is read from the log).
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- short writes: the peer reassembles exactly what was sent ---
for spec in send:1 write:7 writev:3 sendmsg:5; do
	op=${spec%%:*} n=${spec#*:}
	peer_start s -n 1 -t 30 sink
	sf_run SOCKFAULT_RULES_TEXT="$op => short $n log=quiet" "$T/tclient" sendall -o "$op" -b 300 "127.0.0.1:$s_port"
	expect_rc 0 "$op short $n: the client finished"
	expect_out "^largest = $n$" "$op short $n: no call moved more than $n bytes"
	expect_out "^calls = $(((300 + n - 1) / n))$" "$op short $n: every call moved $n bytes"
	sum=$(out_line '^sent = ' | sed 's/.*fnv=//')
	peer_wait s
	expect_in "$s_out" "^peer: conn 1: 300 bytes fnv=$sum " "$op short $n: the peer got the same 300 bytes"
	expect_empty "$tmp/err" "$op short $n: log=quiet logs nothing"
done
peer_start s -n 1 -t 30 sink
sf_run "$T/tclient" sendall -o writev -b 300 "127.0.0.1:$s_port"
expect_out '^largest = 300$' "without rules a loopback writev moves all 300 bytes"
peer_wait s

for spec in recv:2 readv:3 recvmsg:4 read:1; do
	op=${spec%%:*} n=${spec#*:}
	peer_start e -n 1 -t 30 echo
	sf_run SOCKFAULT_RULES_TEXT="$op => short $n" SOCKFAULT_LOG=off "$T/tclient" recvall -o "$op" -b 100 "127.0.0.1:$e_port"
	expect_rc 0
	expect_out "^largest = $n$" "$op short $n: no call took more than $n bytes"
	expect_out '^received = 100 intact$' "$op short $n: the rest stayed for the next calls"
	peer_wait e
done

# --- UDP drop, sending: success for the program, nothing for the peer ---
peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT='sendto proto=udp => drop' "$T/tclient" udp-send -n 3 "127.0.0.1:$u_port"
expect_rc 0
expect_eq "drop: each sendto reports the datagram sent" 3 "$(grep -c '^sendto = 2$' "$tmp/out")"
expect_eq "drop: each one is logged" 3 "$(grep -c 'fired on sendto .*: drop$' "$tmp/err")"
peer_wait u
expect_in "$u_out" '^peer: END after 0 datagrams$' "drop: the peer received none of them"

peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT='sendto proto=udp when=2 => drop' "$T/tclient" udp-send -n 3 "127.0.0.1:$u_port"
peer_wait u
expect_in "$u_out" '^peer: datagram 1: 2 bytes "d1"$'
expect_in "$u_out" '^peer: datagram 2: 2 bytes "d3"$' "drop when=2: exactly the second one is lost"
expect_in "$u_out" '^peer: END after 2 datagrams$'

peer_start u -n 1 -t 20 udp
sf_run "$T/tclient" udp-send -n 3 "127.0.0.1:$u_port"
peer_wait u
expect_in "$u_out" '^peer: END after 3 datagrams$' "without rules all three arrive"

# A rule about one destination of an unconnected socket counts the calls to
# that destination only, however the destinations alternate, and whether
# the call is decided in full or in the quick lane (the same destination
# again: a cached verdict).
peer_start u -n 1 -t 20 udp
peer_start v -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3 => drop" "$T/tclient" udp-send -n 4 \
	"127.0.0.1:$u_port" "127.0.0.1:$v_port"
peer_wait u
peer_wait v
expect_in "$u_out" '^peer: datagram 3: 2 bytes "d4"$' "per destination, alternating: the third to it is lost"
expect_in "$u_out" '^peer: END after 3 datagrams$'
expect_in "$v_out" '^peer: END after 4 datagrams$' "per destination, alternating: the other one is not counted"
peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3+2 => drop" "$T/tclient" udp-send -n 8 \
	"127.0.0.1:$u_port"
peer_wait u
expect_eq "per destination, the same one again: the 3rd, 5th and 7th are lost" "d1 d2 d4 d6 d8" \
	"$(sed -n 's/^peer: datagram [0-9]*: 2 bytes "\(d[0-9]\)"$/\1/p' "$u_out" | tr '\n' ' ' | sed 's/ $//')"
# Once a rule about the destination has silenced the socket, every later
# datagram goes nowhere, to that destination (the same one again: the
# quick lane) as to others.
peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3 => blackhole" "$T/tclient" udp-send -n 5 \
	"127.0.0.1:$u_port"
peer_wait u
expect_eq "blackhole by destination: every sendto reports its datagram sent" 5 "$(grep -c '^sendto = 2$' "$tmp/out")"
expect_in "$u_out" '^peer: END after 2 datagrams$' "blackhole by destination: nothing arrives after it fired"
peer_start u -n 1 -t 20 udp
peer_start v -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT="sendto peer=127.0.0.1:$u_port when=3 => blackhole" "$T/tclient" udp-send -n 3 \
	"127.0.0.1:$u_port" "127.0.0.1:$v_port"
peer_wait u
peer_wait v
expect_in "$u_out" '^peer: END after 2 datagrams$'
expect_in "$v_out" '^peer: END after 2 datagrams$' "blackhole by destination: the dead socket sends to no one"

# --- UDP drop, receiving: exactly one datagram is lost ---
for op in recvfrom recv recvmsg read; do
	peer_start u -n 1 -t 20 udp
	sf_run SOCKFAULT_RULES_TEXT="$op proto=udp once => drop" "$T/tclient" udp-recv -o "$op" "127.0.0.1:$u_port"
	expect_rc 0
	expect_eq "$op drop once: d1 is lost, d2 and d3 arrive" "got d2|got d3|got nothing more" \
		"$(grep -E '^(got|recv)' "$tmp/out" | tr '\n' '|' | sed 's/|$//')"
	peer_wait u
done
peer_start u -n 1 -t 20 udp
sf_run "$T/tclient" udp-recv "127.0.0.1:$u_port"
expect_eq "without rules all three arrive" "got d1|got d2|got d3|got nothing more" \
	"$(grep '^got' "$tmp/out" | tr '\n' '|' | sed 's/|$//')"
peer_wait u

# --- delay: at least D; with jitter at least D-J, and the value chosen is
# within D±J and the same for the same seed ---
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
