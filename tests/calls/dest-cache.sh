#!/bin/sh
# sendto and sendmsg on an unconnected UDP socket, whose rules about peers are decided
# per destination (sockfault-rules(5), peer=): the verdict kept for the last
# destination must never answer for another one, however the calls
# alternate (address, port), from one thread or several at once, and after
# the rules file is read again (SOCKFAULT_RELOAD); a rule that reads the
# socket's bytes (sent>) sees the datagrams to every destination.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# Destinations on loopback nobody listens at: an unconnected socket's
# sendto says yes, unless a rule says otherwise.
a=127.0.0.1:40001 b=127.0.0.1:40002 c=127.0.0.2:40001
others() {
	i=0
	while [ $i -lt 200 ]; do
		echo "sendto peer=10.0.$((i / 250)).$((i % 250 + 1)):9 => error ECONNRESET"
		i=$((i + 1))
	done
}
{
	others
	echo "sendto peer=$a => error EPERM"
} >"$tmp/a.rules"
{
	others
	echo "sendto peer=$b => error EPERM"
} >"$tmp/b.rules"

n=300
sf_run SOCKFAULT_RULES="$tmp/a.rules" "$T/tdest" alternate $n $a $b $c $b $a $a $c
expect_rc 0
expect_out "^before $a: Operation not permitted=$((3 * n))\$" "every call to the faulted destination fails"
expect_eq "no call to it goes through" 0 "$(grep -c "^before $a: ok" "$tmp/out" || :)"
expect_out "^before $b: ok=$((2 * n))\$" "another port of the same address: every call goes"
expect_out "^before $c: ok=$((2 * n))\$" "the same port of another address: every call goes"
expect_eq "the others fail nothing" 3 "$(grep -c '^before ' "$tmp/out")"

# Twice the same destination in a row: the second call may take the
# verdict kept for the first, while other threads keep others.
threads=4
sf_run SOCKFAULT_RULES="$tmp/a.rules" "$T/tdest" alternate -t $threads $n $a $b $b $c $c
expect_rc 0
expect_out "^before $a: Operation not permitted=$((threads * n))\$" "$threads threads at once: every call to the faulted destination fails"
expect_out "^before $b: ok=$((2 * threads * n))\$" "$threads threads: every call to another port goes"
expect_out "^before $c: ok=$((2 * threads * n))\$" "$threads threads: every call to another address goes"
expect_eq "$threads threads: nothing else" 3 "$(grep -c '^before ' "$tmp/out")"

cp "$tmp/a.rules" "$tmp/now.rules"
sf_run SOCKFAULT_RULES="$tmp/now.rules" SOCKFAULT_RELOAD=1 "$T/tdest" alternate -t 2 -r "$tmp/now.rules" \
	-s "$tmp/b.rules" $n $a $b $b $c
expect_rc 0
expect_out '^reloaded after a change$'
expect_out "^after $a: ok=$((2 * n))\$" "after the reload: the destination the rule left goes"
expect_out "^after $b: Operation not permitted=$((4 * n))\$" "after the reload: the one it names now fails"
expect_out "^after $c: ok=$((2 * n))\$" "after the reload: a third one still goes"
expect_eq "after the reload: nothing else" 3 "$(grep -c '^after ' "$tmp/out")"

# sent> counts every datagram of the socket, those that go straight to
# libc too: seven bytes a round (to a, three to b, three to c), so the rule
# about a holds from its second call. Among the 200 others, so that more
# than one rule names sendto.
{
	others
	echo "sendto peer=$a sent>5 => error EPERM"
} >"$tmp/sent.rules"
sf_run SOCKFAULT_RULES="$tmp/sent.rules" "$T/tdest" alternate 10 $a $b $b $b $c $c $c
expect_rc 0
expect_out "^before $a: ok=1\$" "sent>5: the calls to the other destinations count"
expect_out "^before $a: Operation not permitted=9\$" "sent>5: then every call to it fails"
expect_out "^before $b: ok=30\$"

# when= counts the calls to the destination it holds for, and only those,
# also where the kept verdict lets the count settle a call (twice a in a
# row): the fourth call to a and every one after it fail.
{
	others
	echo "sendto peer=$a when=4+ => error EPERM"
} >"$tmp/when.rules"
sf_run SOCKFAULT_RULES="$tmp/when.rules" "$T/tdest" alternate 5 $a $a $b $b $a $c
expect_rc 0
expect_out "^before $a: ok=3\$" "when=4+: three calls to a go"
expect_out "^before $a: Operation not permitted=12\$" "when=4+: from the fourth on, they fail"
expect_out "^before $b: ok=10\$" "when=4+: the calls to b neither fail nor count"
sf_run SOCKFAULT_RULES="$tmp/when.rules" "$T/tdest" alternate -t 4 50 $a $a $b $b $a $c
expect_rc 0
expect_out "^before $a: ok=3\$" "when=4+, 4 threads: three calls to a go, whichever thread"
expect_out "^before $a: Operation not permitted=597\$" "when=4+, 4 threads: the others fail"

# IPv6: the address's two halves are compared apart (::1 and 1::1 differ in
# the first, ::1 and ::ffff:127.0.0.1 in the second).
if ip -6 addr show lo 2>/dev/null | grep -q '::1/128'; then
	{
		others
		echo "sendto peer=[::1]:40001 => error EPERM"
	} >"$tmp/v6.rules"
	a6='[::1]:40001' b6='[1::1]:40001' c6='[::ffff:127.0.0.1]:40001'
	sf_run SOCKFAULT_RULES="$tmp/v6.rules" "$T/tdest" alternate 20 "$a6" "$b6" "$b6" "$a6" "$c6" "$c6" "$a6" "[::1]:40002" "[::1]:40002"
	expect_rc 0
	expect_out "^before \[::1\]:40001: Operation not permitted=60\$" "IPv6: every call to the faulted destination fails"
	expect_out "^before \[1::1\]:40001: ok=40\$" "IPv6: another first half goes"
	expect_out "^before \[::ffff:127.0.0.1\]:40001: ok=40\$" "IPv6: another second half goes"
	expect_out "^before \[::1\]:40002: ok=40\$" "IPv6: another port goes"
	expect_eq "IPv6: nothing else" 4 "$(grep -c '^before ' "$tmp/out")"
else
	echo "note: no ::1 on lo: the IPv6 case is not run"
fi

# sendmsg: the destination in the header, the same verdicts and counts.
sed 's/^sendto /sendmsg /' "$tmp/sent.rules" >"$tmp/msg.rules"
sf_run SOCKFAULT_RULES="$tmp/msg.rules" "$T/tdest" alternate -m 10 $a $b $b $b $c $c $c
expect_rc 0
expect_out "^before $a: ok=1\$" "sendmsg, sent>5: the calls to the other destinations count"
expect_out "^before $a: Operation not permitted=9\$" "sendmsg, sent>5: then every call to it fails"
expect_out "^before $b: ok=30\$" "sendmsg: another port goes"
expect_out "^before $c: ok=30\$" "sendmsg: another address goes"

# A socket made anew keeps no verdict of its old plan: side=client holds
# once the socket has connected (connect names a rule, so the library sees
# it), and still once connect(2)'s AF_UNSPEC has made it unconnected again.
# The last call before is to a, as is the first after.
{
	others
	echo "connect peer=192.0.2.1:9 => error ECONNREFUSED"
	echo "sendto peer=$a side=client => error EPERM"
} >"$tmp/side.rules"
sed 's/^sendto /sendmsg /' "$tmp/side.rules" >"$tmp/side-msg.rules"
for how in sendto sendmsg; do
	rules=$tmp/side.rules m=
	[ $how = sendto ] || rules=$tmp/side-msg.rules m=-m
	sf_run SOCKFAULT_RULES="$rules" "$T/tdest" alternate $m -c 127.0.0.3:40009 -d 10 $a $c $a
	expect_rc 0
	expect_out "^before $a: ok=20\$" "$how, side=client: not before the socket connects"
	expect_out "^after $a: Operation not permitted=20\$" "$how, side=client: every call after, the first too"
	expect_out "^after $c: ok=10\$" "$how: another address goes"
	expect_eq "$how, side=client: nothing else" 4 "$(grep -c '^before \|^after ' "$tmp/out")"
done

finish
