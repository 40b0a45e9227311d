#!/bin/sh
# Sockets the program inherits from whoever started `sockfault run`, below
# the threshold: the filter names their numbers, so the rules see their
# calls, and a copy of one is put at the threshold or above like every other
# socket (sockfault(1), THE SUPERVISOR).
# shellcheck disable=SC2154 # tmp and rc are lib.sh's
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
. "$SF_SRCDIR/tests/reach/rlib.sh"
reach_need_supervisor
reach_tstatic

# tstatic launch gives the run a unix socket at fd 5 and prints what its
# other end receives.
plain_run SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT='send => error EIO' \
	"$R/tstatic" launch 5 "$SF_CLI" run -- "$R/tstatic" inherited 5
expect_out '^launched = 0$' "inherited socket: the program ran to its end"
expect_out '^inherited send = -1 EIO$' "a send on an inherited socket: the rule fired"
expect_err 'fired on send fd=5 ' "the log names the inherited socket's own number"
expect_out '^inherited dup = high$' "a copy of an inherited socket is put at the threshold or above"
expect_out '^dup send = -1 EIO$' "a send on the copy: the rule fired"
expect_out "^peer got = ''$" "the peer received nothing"
expect_no_err 'supervisor .* died' "the supervisor ended with the program, and nothing says otherwise"

plain_run SOCKFAULT_LIBRARY="$SF_LIB" SOCKFAULT_RULES_TEXT='send when=9 => error EIO' \
	"$R/tstatic" launch 5 "$SF_CLI" run -- "$R/tstatic" inherited 5
expect_out '^inherited send = 3$' "a send on an inherited socket, made by the supervisor"
expect_out "^peer got = 'onetwo'\$" "the peer received both sends, from the socket and its copy"
finish
