#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, tmp set by lib.sh
# peer= on a connected UDP socket (sockfault-rules(5)): a sendto, or a
# sendmsg with its msg_name, to another address than the connected peer
# sends the datagram there, and the rules about peers read that address;
# a call without one (send, write) is about the connected peer. The peer
# has two UDP sockets: the first on port pa, the second on pb, which the
# program connects to.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
TREAL_OPTS=-D

run '' p:listen
pa=$(value 'peer udp' | sed 's/port //')
pb=$pa
for _try in 1 2 3 4 5; do
	[ "$pb" = "$pa" ] || break
	run '' p:listen
	pb=$(value 'peer udp' | sed 's/port //')
done

# One datagram of each kind, each of its own size: 1 and 5 bytes to pa
# (sendto, sendmsg), 2, 3, 6 and 7 to pb (sendto, send, sendmsg with the
# address, sendmsg without one).
calls="sendto=1 sendto=2,2 send=3 sendmsgto=5 sendmsgto=6,2 sendmsg=7"
arrive="p:udpexpect,300,1 p:udpexpect,300,1 p:udpexpect,300,1 p:udpexpect,300,2 p:udpexpect,300,2 p:udpexpect,300,2 p:udpexpect,300,2 p:udpexpect,300,2"
# shellcheck disable=SC2086 # the steps are words on purpose
steps() { run "$1" "p:listen,$pa" "p:listen,$pb" connect $calls $arrive; }
# seen: the datagrams the peer's two sockets got, "1: ... 2: ...".
seen() {
	awk '/^peer udpexpect = /{ v = ($4 == "dgram" ? $5 : "-"); if (++n <= 3) a = a " " v; else b = b " " v }
		END { print "1:" a " 2:" b }' "$tmp/out"
}

steps ''
expect_eq "without a rule: every datagram where it was sent" "1: 1 5 - 2: 2 3 6 7 -" "$(seen)"
expect_out '^connect = 0$'

steps "tx peer=127.0.0.1:$pa => drop"
expect_eq "a rule for the other address: its sendto and sendmsg are dropped, the connected peer's arrive" \
	"1: - - - 2: 2 3 6 7 -" "$(seen)"
expect_out '^sendto = 1$' "a dropped datagram is sent as far as the program sees"

steps "tx peer=127.0.0.1:$pb => drop"
expect_eq "a rule for the connected peer: the datagrams sent elsewhere arrive" "1: 1 5 - 2: - - - - -" "$(seen)"

steps "sendto,sendmsg peer=127.0.0.0/8:$pa => error EPERM"
expect_out '^sendto = -1 EPERM$' "sendto to the other address fails"
expect_out '^sendmsgto = -1 EPERM$' "sendmsg to the other address fails"
expect_out '^send = 3$' "send goes to the connected peer"
expect_out '^sendmsg = 7$' "sendmsg without an address goes to the connected peer"
expect_eq "the other address: nothing arrives" "1: - - - 2: 2 3 6 7 -" "$(seen)"

# Among 200 rules for other addresses, so that the plan keeps its verdict
# per destination; calls alternate: only those to pa fail, and when=
# counts them alone (the second call to pa is its second).
i=0
while [ $i -lt 200 ]; do
	echo "sendto peer=10.0.$((i / 250)).$((i % 250 + 1)):9 => error ECONNRESET"
	i=$((i + 1))
done >"$tmp/many.rules"
echo "sendto peer=127.0.0.1:$pa when=2+ => error EPERM" >>"$tmp/many.rules"
RUN_ENV="SOCKFAULT_RULES=$tmp/many.rules"
run '' "p:listen,$pa" "p:listen,$pb" connect sendto=1 sendto=2,2 sendto=2,2 sendto=1 sendto=1 sendto=2,2 send=3 sendto=1
expect_eq "200 other rules, when=2+: calls to pa counted alone" "1 2 2 EPERM EPERM 2 3 EPERM" \
	"$(awk '/^(sendto|send) = /{ printf "%s%s", sep, ($3 == "-1" ? $4 : $3); sep = " " }' "$tmp/out")"

# p= draws by the destination, as on an unconnected socket: the same seed
# fails the same calls to pa, whether the socket is connected to pb or not.
sends=$(printf ' sendto=1%.0s' $(seq 24))
draws() {
	awk '/^sendto = /{ printf "%s", ($3 == "-1" ? "x" : ".") }' "$tmp/out"
}
# shellcheck disable=SC2086 # the steps are words on purpose
RUN_ENV=SOCKFAULT_SEED=7 run "sendto peer=127.0.0.1:$pa p=0.5 => error EPERM" "p:listen,$pa" "p:listen,$pb" socket $sends
unconnected=$(draws)
# shellcheck disable=SC2086
RUN_ENV=SOCKFAULT_SEED=7 run "sendto peer=127.0.0.1:$pa p=0.5 => error EPERM" "p:listen,$pa" "p:listen,$pb" connect $sends
expect_eq "p=: the connected socket's draws to pa are the unconnected one's" "$unconnected" "$(draws)"
case $unconnected in
*x*.* | *.*x*) ;;
*) fail "p=0.5 over 24 calls: some fail, some go ($unconnected)" ;;
esac

finish
