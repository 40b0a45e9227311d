#!/bin/sh
# Bad input stops the program before main() with exit status 2 and one
# `sockfault: FILE:LINE:COL: message` per problem (with a did-you-mean where
# a word was misspelt); SOCKFAULT_ON_ERROR=warn prints the same and runs the
# program with no faults. Bad environment values are handled the same way.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

rules=$tmp/bad.rules
cat >"$rules" <<'RULES'
# the first two lines are fine
send => error ECONNRESET
connect peer=127.0.0.1 => error ECONNREFUZED
sned => error EIO
send peerr=1.2.3.4 => error EIO
send => eror EIO
connect => drop
tx proto=udp side=server => error EIO
send => delay 200
connect peer=300.1.2.3 => error EIO
connect => error WSAEPROCLIM
RULES
sf_run SOCKFAULT_RULES="$rules" "$T/tcalls" socket
expect_stopped "a bad rules file"
e() { expect_err "^sockfault: $rules:$1$" "${2:-$1}"; }
e "3:33: unknown errno 'ECONNREFUZED' \(did you mean 'ECONNREFUSED'\?\)" "a misspelt errno, with did-you-mean"
e "4:1: unknown operation 'sned' \(did you mean 'send'\?\)" "a misspelt operation"
e "5:6: unknown condition 'peerr' \(did you mean 'peer'\?\)" "a misspelt key"
e "6:9: unknown action 'eror' \(did you mean 'error'\?\)" "a misspelt action"
e "7:12: this rule can never fire on connect: .*" "an action that does not apply (drop on connect)"
e "8:14: contradictory conditions: .*" "contradictory conditions (proto=udp side=server)"
e "9:15: .*200.*" "a duration without unit"
e "10:14: .*" "a malformed address"
e "11:18: WSAEPROCLIM \(10067\) has no POSIX counterpart.*" "a Winsock code without counterpart, named"
expect_eq "one message per problem" 9 "$(grep -c '^sockfault: ' "$tmp/err")"

printf 'send => error ECONNRESET\r\nsend when=0 => error EIO\r\n' >"$tmp/crlf.rules"
sf_run SOCKFAULT_RULES="$tmp/crlf.rules" "$T/tcalls" socket
expect_stopped "CRLF rules file"
expect_err "^sockfault: $tmp/crlf.rules:2:[0-9]+: " "CRLF: the line number"

sf_run SOCKFAULT_RULES_TEXT='send => error ECONNRESET; recv => error ECONNRESTE' "$T/tcalls" socket
expect_stopped "bad SOCKFAULT_RULES_TEXT"
expect_err "^sockfault: SOCKFAULT_RULES_TEXT:1:[0-9]+: unknown errno 'ECONNRESTE' \(did you mean 'ECONNRESET'\?\)$" \
	"SOCKFAULT_RULES_TEXT: named as the file"

# --- SOCKFAULT_ON_ERROR=warn: the same messages, and no faults at all ---
sf_run SOCKFAULT_RULES="$rules" SOCKFAULT_ON_ERROR=warn "$T/tcalls" -e ok socket
expect_rc 0 "warn: the program runs"
expect_out '^main: tcalls socket$'
expect_err "^sockfault: $rules:3:33: unknown errno 'ECONNREFUZED'" "warn: the same message"
expect_eq "warn: every message" 9 "$(grep -c "^sockfault: $rules:" "$tmp/err")"
peer_start e -n 1 -t 20 echo
sf_run SOCKFAULT_RULES="$rules" SOCKFAULT_ON_ERROR=warn "$T/tcalls" -e ok send "127.0.0.1:$e_port"
expect_rc 0 "warn: not even the good rule of line 2 fires"
expect_no_err 'fired' "warn: no fault logged"
peer_wait e
expect_in "$e_out" 'first="helloafter"'

sf_run SOCKFAULT_RULES=/nonexistent/sockfault.rules SOCKFAULT_ON_ERROR=warn "$T/tcalls" -e ok socket
expect_rc 0 "warn: an unreadable rules file too"

# --- files that cannot be read ---
sf_run SOCKFAULT_RULES="$tmp/missing.rules" "$T/tcalls" socket
expect_stopped "a missing rules file"
expect_err "^sockfault: $tmp/missing\.rules: cannot read the rules file: No such file or directory" "a missing rules file: said so"
sf_run SOCKFAULT_RULES="$tmp" "$T/tcalls" socket
expect_stopped "a directory as rules file"
expect_err "^sockfault: $tmp: cannot read the rules file"
if [ "$(id -u)" != 0 ]; then
	printf 'send => error EIO\n' >"$tmp/secret.rules"
	chmod 000 "$tmp/secret.rules"
	sf_run SOCKFAULT_RULES="$tmp/secret.rules" "$T/tcalls" socket
	expect_stopped "an unreadable rules file"
	expect_err "cannot read the rules file: Permission denied"
else
	echo "running as root: the permission case is skipped"
fi

# --- bad environment values ---
env_bad() { # VAR=VALUE ERE
	sf_run "$1" SOCKFAULT_RULES_TEXT='send => error EIO' "$T/tcalls" socket
	expect_stopped "$1"
	expect_err "^sockfault: ${1%%=*}: $2" "$1: said so"
}
env_bad SOCKFAULT_SEED=abc "'abc' is not a number"
env_bad SOCKFAULT_SEED=12x "'12x' is not a number"
env_bad SOCKFAULT_SEED=18446744073709551616 "'18446744073709551616' is not a number"
env_bad SOCKFAULT_LOG_FORMAT=jsn "unknown value 'jsn' \(did you mean 'json'\?\)"
env_bad SOCKFAULT_LOG_FORMAT=txt "unknown value 'txt' \(did you mean 'text'\?\)"
env_bad SOCKFAULT_ON_ERROR=wran "unknown value 'wran' \(did you mean 'warn'\?\)"
env_bad SOCKFAULT_TRACE=yes "unknown value 'yes'"
env_bad SOCKFAULT_LOG=/nonexistent/dir/sf.log "cannot open '/nonexistent/dir/sf.log'"

sf_run SOCKFAULT_SEED=abc SOCKFAULT_ON_ERROR=warn SOCKFAULT_RULES_TEXT='socket => error EMFILE' "$T/tcalls" -e ok socket
expect_rc 0 "SOCKFAULT_SEED=abc with warn: runs, without faults"
expect_err "^sockfault: SOCKFAULT_SEED: 'abc' is not a number"
# Good values, for contrast.
sf_run SOCKFAULT_SEED=0xFFFFFFFFFFFFFFFF SOCKFAULT_LOG_FORMAT=json SOCKFAULT_TRACE=0 SOCKFAULT_ON_ERROR=exit \
	SOCKFAULT_RULES_TEXT='socket => error EMFILE' "$T/tcalls" -e EMFILE socket
expect_rc 0 "good values are accepted"
expect_err '"seed":"?18446744073709551615"?' "a 0x seed, logged in decimal"

finish
