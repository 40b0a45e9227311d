#!/bin/sh
# Connections no rule can touch: an accepted socket whose data calls the
# rules can never see again (its peer known, nothing that could change the
# rules) is put at a quiet number, where the filter does not trap its data
# calls; one a rule applies to, or any while rules may change, is not
# (sockfault(1), THE SUPERVISOR).
# shellcheck disable=SC2154 # tmp and rc are lib.sh's
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/reach/rlib.sh"
reach_need_supervisor
reach_tstatic

# The quiet numbers start half way between the threshold (512) and the hard
# descriptor limit, at least 4096 above the threshold; none below 8704.
hard=$(awk '/^Max open files/ { print $5 }' /proc/self/limits)
[ "$hard" = unlimited ] && hard=1048576
[ "$hard" -ge 8704 ] || skip "the hard descriptor limit ($hard) leaves no room for quiet numbers"
accepted() { sed -n 's/^accepted fd = //p' "$tmp/out"; }
dupped() { sed -n 's/^dup fd = //p' "$tmp/out"; }

# --- a rule for another peer: the connection is quiet, and works ---
sf_run SOCKFAULT_RULES_TEXT='send peer=192.0.2.1:9 => error EIO' "$R/tstatic" serve
expect_rc 0 "quiet: the program ran to its end"
expect_between "a connection no rule can touch: at a quiet number" 4608 "$hard" "$(accepted)"
expect_between "a copy of it: quiet too" 4608 "$hard" "$(dupped)"
expect_out '^accepted send = 3$' "quiet: a send on it goes through"
expect_out "^client got = 'onetwo'\$" "quiet: the peer got what both copies sent"

# --- a rule for every peer: not quiet, the rule fires ---
sf_run SOCKFAULT_RULES_TEXT='send => error EIO' "$R/tstatic" serve
expect_between "a connection a rule applies to: at an ordinary number" 512 4607 "$(accepted)"
expect_between "a copy of it: ordinary too" 512 4607 "$(dupped)"
expect_out '^accepted send = -1 EIO$' "the rule fired on the accepted socket"
expect_out '^dup send = -1 EIO$' "the rule fired on its copy"

# --- a control channel may bring rules later: nothing is quiet ---
sf_run SOCKFAULT_CONTROL=1 SOCKFAULT_RULES_TEXT='send peer=192.0.2.1:9 => error EIO' "$R/tstatic" serve
expect_between "with a control channel: an ordinary number" 512 4607 "$(accepted)"
finish
