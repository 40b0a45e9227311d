#!/bin/sh
# exe=GLOB across fork and exec. A shell script run under sockfault runs
# curl and other programs: a rule for curl fires in curl and nowhere else
# (the shell's own socket, through bash's /dev/tcp, and another program's
# connect are untouched), each process says what it is in the log, and the
# stats of the others say the rule is not for them. The same script with
# the rule aimed at another program shows the contrast. A program that
# forks without exec keeps its name: its rule fires in the child too.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

# --- fork without exec: the child connects and sends, then the parent ---
fork_steps='p:listen connect fork connect sendns sendns sendns endchild sendns sendns sendns'
# forked ERRNO WHAT: the output of fork_steps must be that each send
# failed with ERRNO (or sent its 4 bytes if ERRNO is 4).
forked() {
	_e=$1
	[ "$_e" = 4 ] || _e="-1 $_e"
	transcript "$2" <<EOF2
peer listen = port *
connect = 0
child connect = 0
child sendns = $_e
child sendns = $_e
child sendns = $_e
child exit = 0
sendns = $_e
sendns = $_e
sendns = $_e
EOF2
}
for glob in treal 'tre*'; do
	# shellcheck disable=SC2086 # the steps are words on purpose
	cli_run run -e "send exe=$glob => error ECONNRESET" -- "$R/treal" $fork_steps
	expect_rc 0
	forked ECONNRESET "fork, exe=$glob: the parent and the child (same name) are faulted"
done
# shellcheck disable=SC2086
cli_run run -e 'send exe=someone-else => error ECONNRESET' -- "$R/treal" $fork_steps
forked 4 "fork, exe=someone-else: the parent and the child are left alone"

# A name longer than the kernel's 15-character comm: the whole name counts
# (its peer, rpeer, is found next to it).
mkdir -p "$tmp/bin"
cp "$R/treal" "$tmp/bin/a-client-with-a-long-name"
cp "$R/rpeer" "$tmp/bin/rpeer"
# shellcheck disable=SC2086
cli_run run -e 'send exe=a-client-with-a-long-name => error ECONNRESET' -- "$tmp/bin/a-client-with-a-long-name" $fork_steps
forked ECONNRESET "a long program name: its rule fires"
# shellcheck disable=SC2086
cli_run run -e 'send exe=a-client-with-a => error ECONNRESET' -- "$tmp/bin/a-client-with-a-long-name" $fork_steps
forked 4 "a long program name: a prefix of it does not match"

# --- exec: curl in a shell script ---
# The shell and curl are the system's (glibc) programs: in a musl build they
# cannot load the musl-linked library (sf_musl), so the part is left out.
if sf_musl; then
	echo "note: a musl build: bash and curl (glibc programs) cannot load the library: the exe=curl part is skipped"
	finish
fi
curl=${SF_CURL:-}
[ -n "$curl" ] || curl=$(command -v curl 2>/dev/null || :)
if [ -z "$curl" ] || [ ! -x "$curl" ]; then
	echo "note: no curl: the exe=curl part is skipped"
	finish
fi
shell=$(command -v bash 2>/dev/null || command -v sh)
# The shell's own socket goes to an echo server, curl's to a web server.
peer_start p -n 0 -t 90 echo
peer_start web -n 0 -t 90 http
# curl itself must work in this build's environment, without sockfault: in
# an ASan build the ASan runtime comes first in LD_PRELOAD, and some curl
# builds hang in a futex before main with that runtime alone.
plain_run LD_PRELOAD="$(sf_asan_preload)" "$curl" -sS -m 5 -o /dev/null -w 'curl http=%{http_code}\n' "http://127.0.0.1:$web_port/"
if [ "$rc" -ne 0 ]; then
	echo "note: curl does not work here even without sockfault (rc=$rc, preload '$(sf_asan_preload)'): the exe=curl part is skipped"
	finish
fi
cat >"$tmp/script.sh" <<EOF
# The shell's own socket (bash only: /dev/tcp).
if [ -n "\${BASH_VERSION:-}" ]; then
	if exec 3<>/dev/tcp/127.0.0.1/$p_port; then
		echo "shell socket: ok"
		exec 3>&-
	else
		echo "shell socket: failed"
	fi
fi
"$R/treal" p:listen connect
"$curl" -sS -o /dev/null -w 'curl http=%{http_code}\n' "http://127.0.0.1:$web_port/"
echo "curl exit=\$?"
"$R/treal" p:listen connect
EOF
script_run() {
	cli_run run --stats --log "$tmp/$1.log" -e "$2" -- "$shell" "$tmp/script.sh"
	sed "s/^/  log $1| /" "$tmp/$1.log"
}

script_run curl 'connect exe=curl => error ECONNREFUSED'
expect_rc 0 "the script ran to its end"
expect_out '^curl exit=7$' "exe=curl: curl's connect is refused (curl exit 7)"
expect_out '^curl http=000$'
expect_count "exe=curl: the other program's connects go through" 2 "$tmp/out" '^connect = 0$'
if [ "${shell##*/}" = bash ]; then
	expect_out '^shell socket: ok$' "exe=curl: the shell's own socket goes through"
fi
expect_in "$tmp/curl.log" '^sockfault\[[0-9]+\]: started in curl' "the log: curl says it is curl"
curl_pid=$(sed -n 's/^sockfault\[\([0-9]*\)\]: started in curl.*/\1/p' "$tmp/curl.log" | head -n 1)
expect_count "the log: every fault is curl's" "$(count_in "$tmp/curl.log" 'fired on')" "$tmp/curl.log" "^sockfault\[$curl_pid\]: text-1 fired on connect"
expect_ge "the log: curl's connect fault is there" 1 "$(count_in "$tmp/curl.log" 'fired on connect')"
expect_in "$tmp/curl.log" "^sockfault\[$curl_pid\]: stats text-1 \(line 1\): matched [1-9][0-9]*, fired [1-9]" "curl's stats: matched and fired"
expect_in "$tmp/curl.log" '^sockfault\[[0-9]+\]: stats text-1 \(line 1\): not for this program \(exe=curl\)' "the others' stats: not for this program"

# The contrast: the same script, the rule aimed at treal.
script_run other 'connect exe=treal => error ECONNREFUSED'
expect_out '^curl exit=0$' "exe=treal: curl goes through"
expect_out '^curl http=200$' "exe=treal: curl gets its page"
expect_count "exe=treal: both of treal's connects are refused" 2 "$tmp/out" '^connect = -1 ECONNREFUSED$'
if [ "${shell##*/}" = bash ]; then
	expect_out '^shell socket: ok$' "exe=treal: the shell's socket goes through"
	script_run shell 'connect exe=bash => error ECONNREFUSED'
	expect_out '^shell socket: failed$' "exe=bash: the shell's own socket is refused (the check can fail)"
	expect_out '^curl exit=0$' "exe=bash: curl goes through"
else
	echo "note: no bash: the shell's own socket is not checked"
fi

finish
