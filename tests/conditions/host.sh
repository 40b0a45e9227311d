#!/bin/sh
# shellcheck disable=SC2034,SC2154 # TREAL_OPTS is read by lib.sh's run, tmp set by lib.sh
# host=GLOB: the rule matches a peer whose address this process's own
# getaddrinfo / gethostbyname (gethostbyname2, gethostbyname_r) returned for
# a name matching GLOB. A program that resolves "localhost" and connects
# gets the fault; one that connects to 127.0.0.1 by number, resolving
# nothing, does not; a glob that does not match the name does not; and the
# library resolves nothing itself (strace: no /etc/hosts, no nsswitch.conf
# in the program that resolves nothing). /etc/hosts is left alone: the
# machine's own "localhost" is used.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

getent hosts localhost 2>/dev/null | grep -q '^127\.0\.0\.1' ||
	grep -Eq '^127\.0\.0\.1[[:space:]].*localhost' /etc/hosts 2>/dev/null ||
	skip "localhost does not resolve to 127.0.0.1 here"

refuse='connect host=localhost => error ECONNREFUSED'
for how in gai ghbn ghbn2 ghbn_r; do
	run "$refuse" p:listen "resolve=$how,localhost" connect
	transcript "$how: localhost is 127.0.0.1, resolved: the host= rule fires" <<'EOF2'
peer listen = port *
address = 127.0.0.1
connect = -1 ECONNREFUSED
EOF2
	expect_err 'text-1 fired on connect .*peer=127\.0\.0\.1:' "$how: logged"
done
run "$refuse" p:listen resolve=none,127.0.0.1 connect send=2
transcript "by number, nothing resolved: the host= rule does not fire" <<'EOF2'
peer listen = port *
address = 127.0.0.1
connect = 0
send = 2
EOF2
expect_no_err 'fired' "by number: nothing logged"

# A glob, on another operation.
run 'send host=local* => error EPIPE' p:listen resolve=gai,localhost connect sendns=2
expect_out '^connect = 0$' "host=local* on send: the connect is left alone"
expect_out '^sendns = -1 EPIPE$' "host=local*: matches localhost"
run 'send host=local* => error EPIPE' p:listen resolve=none,127.0.0.1 connect sendns=2
expect_out '^sendns = 2$' "host=local*, by number: no fault"
run 'connect host=*.example.com => error ECONNREFUSED' p:listen resolve=gai,localhost connect
expect_out '^connect = 0$' "host=*.example.com: localhost does not match"
run 'connect host=localhost => error ECONNREFUSED
send host=*.example.com => error EPIPE' p:listen resolve=ghbn,localhost connect
expect_out '^connect = -1 ECONNREFUSED$' "two host= rules: the matching one fires"

# The library resolves nothing itself: in the program that resolves
# nothing, no resolver file is opened; in the one that resolves, it is
# (the contrast that shows strace would see it).
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true >/dev/null 2>&1 && [ -z "${SF_SANITIZE:-}" ]; then
	for how in none gai; do
		name=localhost
		[ "$how" = none ] && name=127.0.0.1
		plain_run strace -f -o "$tmp/strace.$how" -e trace=%file,connect \
			-E LD_PRELOAD="$(sf_preload)" -E SOCKFAULT_RULES_TEXT="$refuse" \
			"$R/treal" -S "$tmp/u" p:listen "resolve=$how,$name" connect
		grep -E 'hosts|nsswitch|resolv\.conf|htons\(53\)' "$tmp/strace.$how" | sed "s/^/  strace $how| /" || :
	done
	expect_not_in "$tmp/strace.none" '/etc/hosts|nsswitch\.conf|resolv\.conf|htons\(53\)' "the library resolves nothing (no resolver files, no DNS)"
	expect_in "$tmp/strace.gai" '/etc/hosts|nsswitch\.conf' "contrast: the program's own getaddrinfo reads them"
else
	echo "note: no working strace (or a sanitizer build): 'resolves nothing itself' is not traced"
fi

# A name learned after datagrams already went to its address: the rule
# holds from then on (the verdict cached for the address is not kept).
TREAL_OPTS=-D
run 'sendto host=localhost => drop' p:listen socket sendto=1 sendto=2 resolve=gai,localhost sendto=3 sendto=4 \
	p:udpexpect,300 p:udpexpect,300 p:udpexpect,300
transcript "late name: every sendto says sent; before the name was known they go, then host=localhost drops them" <<'EOF2'
peer udp = port *
socket = 0
sendto = 1
sendto = 2
address = 127.0.0.1
sendto = 3
sendto = 4
peer udpexpect = dgram 1 bits=0
peer udpexpect = dgram 2 bits=0
peer udpexpect = silence
EOF2

finish
