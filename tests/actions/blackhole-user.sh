#!/bin/sh
# blackhole in a process without privileges (sockfault-rules(5), blackhole):
# what the peer sends after the fault is dropped by a socket filter, which
# Linux gives any process; a kernel that refuses it leaves the data
# arriving, and then the log must say so. Either way the program is told
# the truth: silence, or the line that explains why there is none.
# shellcheck disable=SC2154 # need_as_user (lib.sh) sets user and as_user
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

need_as_user "running a program without privileges"
chmod 755 "$tmp"
mkdir "$tmp/nb"
chmod 777 "$tmp/nb"

echo "+ as $user: rx => blackhole, the peer sends before and after it"
set +e
# shellcheck disable=SC2086
$tmo $as_user env LD_PRELOAD="$(sf_preload)" SOCKFAULT_RULES_TEXT='rx => blackhole' \
	"$T/treal" -S "$tmp/nb/u" p:listen connect p:accept p:send,100 pollin=2000 recvnb p:send,100 sleep=300 \
	pollin=300 >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
sed 's/^/  out| /' "$tmp/out"
sed 's/^/  err| /' "$tmp/err"
expect_rc 0 "the program runs"
expect_out '^recvnb = 100$' "what arrived before the fault is read"
if grep -q 'socket filter' "$tmp/err"; then
	pass "the kernel refused the filter, and the log says what follows"
	expect_out '^pollin = IN$' "so what the peer sends still arrives"
else
	expect_no_out '^pollin = IN$' "after the fault nothing arrives"
fi
finish
