#!/bin/sh
# Socket records outlive every thread that uses them: threads send, receive
# and ask for the peer on shared UDP sockets while others replace them
# (socket, connect, close the old one), dup2 /dev/null over them, dup and
# close numbers other threads hold. A rule that names the calls but applies
# to another peer is enough to make every call look at the records; one
# that applies and never fires takes them through the quick lane, whose
# calls hold a record while another thread closes its last descriptor
# (when=), note when bytes moved (idle>) and count p='s gaps from several
# threads at once; a rule of several numbers takes the lane's out-of-line
# part (sf_more_NAME) while other threads replan and close. The program
# must run to its end.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

C=$SF_BUILDDIR/tests/robust/churn
secs=${SF_CHURN_SECONDS:-2}
# The program races on its own descriptors on purpose (it closes what other
# threads are using): under TSan those races are its own, reported by the
# runtime's interceptors of close and recv. The library's own accesses and
# atomics are instrumented code, still checked.
env_tsan=
case ",${SF_SANITIZE:-}," in
*,thread,*) env_tsan="TSAN_OPTIONS=${TSAN_OPTIONS:-}:ignore_interceptors_accesses=1" ;;
esac

for rules in 'send peer=10.9.9.9:9 => error EIO' 'connect peer=10.9.9.9:9 => error EIO' \
	'io peer=10.9.9.9:9 => reset
connect peer=10.9.9.9:9 => error EIO' 'io when=1000000000 => error EIO' 'io idle>1h => error EIO' \
	'io p=0.000000001 => error EIO' 'io sent<1TiB received<1TiB when=1000000000 => error EIO'; do
	# shellcheck disable=SC2086 # empty, or one word
	sf_run $env_tsan SOCKFAULT_RULES_TEXT="$rules" "$C" "$secs" 9
	expect_rc 0 "churn under '$(echo "$rules" | head -n 1)'"
	expect_out '^churn: done$' "churn under '$(echo "$rules" | head -n 1)': ran to its end"
done

finish
