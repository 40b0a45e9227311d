#!/bin/sh
# The man pages format without a single warning from groff (every warning
# enabled), and each page names every operation, action and environment
# variable it is the reference for, so they cannot drift from the code.
set -eu
dir="$SF_SRCDIR/man"
status=0
for page in "$dir/sockfault.1" "$dir/sockfault-rules.5"; do
	out=$(LC_ALL=C.UTF-8 groff -ww -z -t -man "$page" 2>&1) || status=1
	if [ -n "$out" ]; then
		echo "$page:"
		echo "$out"
		status=1
	fi
done
for word in socket socketpair connect accept accept4 bind listen shutdown close dup dup2 dup3 fcntl \
	send sendto sendmsg sendmmsg write writev recv recvfrom recvmsg recvmmsg read readv getsockopt getpeername \
	error reset eof hangup blackhole timeout delay short drop corrupt throttle lossy sticky now log=quiet \
	peer= local= proto= side= state= when= per= p= sent received idle age uptime host= exe= limit= once; do
	grep -q -- "$word" "$dir/sockfault-rules.5" || { echo "sockfault-rules.5 does not mention $word"; status=1; }
done
for var in SOCKFAULT_RULES SOCKFAULT_RULES_TEXT SOCKFAULT_SEED SOCKFAULT_LOG SOCKFAULT_LOG_FORMAT \
	SOCKFAULT_TRACE SOCKFAULT_RELOAD SOCKFAULT_ON_ERROR SOCKFAULT_STATS SOCKFAULT_REPLAY SOCKFAULT_CONTROL; do
	grep -q "$var" "$dir/sockfault.1" || { echo "sockfault.1 does not document $var"; status=1; }
done
exit $status
