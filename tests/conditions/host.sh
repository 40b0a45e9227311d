#!/bin/sh
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

peer_start p -n 0 -t 60 sink

refuse='connect host=localhost => error ECONNREFUSED'
for how in gai ghbn ghbn2 ghbn_r; do
	sf_run SOCKFAULT_RULES_TEXT="$refuse" "$T/topr" resolve "$how" localhost "$p_port"
	expect_rc 0
	expect_out '^address = 127\.0\.0\.1$' "$how: localhost is 127.0.0.1"
	expect_out '^connect = -1 ECONNREFUSED$' "$how: resolved localhost, the host= rule fires"
	expect_err 'text-1 fired on connect .*peer=127\.0\.0\.1:' "$how: logged"
done
sf_run SOCKFAULT_RULES_TEXT="$refuse" "$T/topr" resolve none 127.0.0.1 "$p_port"
expect_out '^connect = 0$' "by number, nothing resolved: the host= rule does not fire"
expect_out '^send = 2$'
expect_no_err 'fired' "by number: nothing logged"

# A glob, on another operation.
sf_run SOCKFAULT_RULES_TEXT='send host=local* => error EPIPE' "$T/topr" resolve gai localhost "$p_port"
expect_out '^connect = 0$' "host=local* on send: the connect is left alone"
expect_out '^send = -1 EPIPE$' "host=local*: matches localhost"
sf_run SOCKFAULT_RULES_TEXT='send host=local* => error EPIPE' "$T/topr" resolve none 127.0.0.1 "$p_port"
expect_out '^send = 2$' "host=local*, by number: no fault"
sf_run SOCKFAULT_RULES_TEXT='connect host=*.example.com => error ECONNREFUSED' "$T/topr" resolve gai localhost "$p_port"
expect_out '^connect = 0$' "host=*.example.com: localhost does not match"
sf_run SOCKFAULT_RULES_TEXT='connect host=localhost => error ECONNREFUSED
send host=*.example.com => error EPIPE' "$T/topr" resolve ghbn localhost "$p_port"
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
			"$T/topr" resolve "$how" "$name" "$p_port"
		grep -E 'hosts|nsswitch|resolv\.conf|htons\(53\)' "$tmp/strace.$how" | sed "s/^/  strace $how| /" || :
	done
	expect_not_in "$tmp/strace.none" '/etc/hosts|nsswitch\.conf|resolv\.conf|htons\(53\)' "the library resolves nothing (no resolver files, no DNS)"
	expect_in "$tmp/strace.gai" '/etc/hosts|nsswitch\.conf' "contrast: the program's own getaddrinfo reads them"
else
	echo "note: no working strace (or a sanitizer build): 'resolves nothing itself' is not traced"
fi

# A name learned after datagrams already went to its address: the rule
# holds from then on (the verdict cached for the address is not kept).
peer_start u -n 1 -t 20 udp
sf_run SOCKFAULT_RULES_TEXT='sendto host=localhost => drop' "$T/topr" late-name "$u_port"
expect_rc 0
expect_eq "late name: every sendto reports its datagram sent" 4 "$(grep -c '^sendto = 2$' "$tmp/out")"
peer_wait u
expect_in "$u_out" '^peer: datagram 2: 2 bytes "d2"$' "late name: before the name was known, the datagrams go"
expect_in "$u_out" '^peer: END after 2 datagrams$' "late name: once localhost is resolved, host=localhost drops them"

finish
