#!/bin/sh
# The channel's security: another user cannot reach a process's channel
# (the directory is 0700: sockfault ctl says so, exit 1); a client of
# another uid that does get to the socket (root, past the directory) is
# refused by the program (SO_PEERCRED) and nothing changes; a channel
# directory with looser modes is refused (no channel, said on stderr); a
# setuid program (secure execution) opens no channel at all.
# shellcheck disable=SC2154 # need_as_user (lib.sh) sets user and as_user
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
ctl_setup

need_as_user "switching users"
PY=$(sf_python)
chmod 755 "$tmp"

# 1. A process of root; the client is nobody.
start_ctl prog SOCKFAULT_RULES_TEXT='send => delay 1ms' "$C/tctl" sender 0 0 0
wait_channel "$prog_pid"
echo "+ as $user: sockfault ctl $prog_pid load -e 'send => error EPIPE'"
set +e
$tmo $as_user env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" "$CLI" ctl "$prog_pid" load -e 'send => error EPIPE' >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
expect_rc 1 "another user: not reachable"
expect_err "^sockfault: $prog_pid: .* belongs to another user\$" "another user: said in one line"
ctl "$prog_pid" rules
expect_out '^text-1: send => delay 1ms' "nothing changed"
close_stdin prog
wait_bg prog

# 2. A process of nobody; root reaches its socket and is refused.
mkdir -m 700 "$tmp/nobody-run"
chown "$user" "$tmp/nobody-run"
mkfifo "$tmp/nb.in"
chmod 666 "$tmp/nb.in"
$as_user env LD_PRELOAD="$(sf_preload)" SOCKFAULT_CONTROL=1 XDG_RUNTIME_DIR="$tmp/nobody-run" \
	SOCKFAULT_RULES_TEXT='send => delay 1ms' "$C/tctl" sender 0 0 0 <"$tmp/nb.in" >"$tmp/nb.out" 2>"$tmp/nb.err" &
nb_pid=$!
bg_pids="$bg_pids $nb_pid"
sleep 30 >"$tmp/nb.in" &
nb_holder=$!
bg_pids="$bg_pids $nb_holder"
sock=$tmp/nobody-run/sockfault/$nb_pid.sock
_i=0
until [ -S "$sock" ]; do
	_i=$((_i + 1))
	[ "$_i" -le 200 ] || hard_error "nobody's program never opened its channel"
	sleep 0.05
done
if [ -n "$PY" ]; then
	"$PY" - "$sock" >"$tmp/out" 2>&1 <<'EOF' || :
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
try:
    f.write(b'{"cmd":"load","text":"send => error EPIPE"}\n')
    f.flush()
except BrokenPipeError:
    pass  # refused at once: the answer is there to read all the same
print(f.readline().decode().strip())
EOF
	sed 's/^/  root-client| /' "$tmp/out"
	expect_out '^\{"ok":false,"refused":true,"error":"permission denied' "another uid at the socket: refused"
fi
echo "+ XDG_RUNTIME_DIR=$tmp/nobody-run sockfault ctl $nb_pid rules"
set +e
XDG_RUNTIME_DIR="$tmp/nobody-run" $tmo "$CLI" ctl "$nb_pid" rules >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
expect_rc 1 "sockfault ctl as root: not reachable"
expect_err "belongs to another user" "sockfault ctl as root: said"
echo "+ as $user: sockfault ctl $nb_pid rules"
set +e
$tmo $as_user env XDG_RUNTIME_DIR="$tmp/nobody-run" "$CLI" ctl "$nb_pid" rules >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
expect_rc 0 "its own user reaches it"
expect_out '^text-1: send => delay 1ms    \(matched 0, fired 0\)$' "and the rules did not change"
kill "$nb_holder" 2>/dev/null || :
wait "$nb_pid" || :

# 3. A channel directory others may enter: refused.
mkdir -m 755 "$tmp/loose"
mkdir -m 755 "$tmp/loose/sockfault"
set +e
echo | $tmo env LD_PRELOAD="$(sf_preload)" SOCKFAULT_CONTROL=1 XDG_RUNTIME_DIR="$tmp/loose" "$C/tctl" sender 0 0 0 >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
show_output
expect_err "^sockfault: SOCKFAULT_CONTROL: $tmp/loose/sockfault: not a directory of this user with mode 0700" "a loose directory: said"
[ -z "$(ls "$tmp/loose/sockfault")" ] || fail "a socket in a loose directory"

# 4. Secure execution: a setuid-root copy of the program, linked against
# the library (the loader ignores LD_PRELOAD paths there), run by nobody.
[ -n "${SF_CC:-}" ] || skip "SF_CC is not set: cannot build the setuid copy"
if command -v findmnt >/dev/null 2>&1; then
	case ",$(findmnt -n -o OPTIONS --target "$tmp")," in
	*,nosuid,*) skip "$tmp is on a filesystem mounted nosuid" ;;
	esac
fi
mkdir "$tmp/lib"
cp "$SF_LIB" "$tmp/lib/libsockfault.so"
chmod 755 "$tmp/lib" "$tmp/lib/libsockfault.so"
san=
[ -z "${SF_SANITIZE:-}" ] || san="-fsanitize=$SF_SANITIZE"
# shellcheck disable=SC2086
$SF_CC $san -pthread -o "$tmp/tctl-linked" "$SF_SRCDIR/tests/cli/tctl.c" \
	-L"$tmp/lib" -Wl,--no-as-needed -lsockfault -Wl,-rpath,"$tmp/lib" ||
	hard_error "cannot build the linked test program"
cp "$tmp/tctl-linked" "$tmp/tctl-suid"
chown root "$tmp/tctl-suid"
chmod 4755 "$tmp/tctl-suid"
chmod 755 "$tmp/tctl-linked"
for kind in linked suid; do
	mkdir -m 700 "$tmp/run-$kind"
	chown "$user" "$tmp/run-$kind"
	echo "+ as $user: tctl-$kind with SOCKFAULT_CONTROL=1"
	(sleep 1 | $tmo $as_user env SOCKFAULT_CONTROL=1 XDG_RUNTIME_DIR="$tmp/run-$kind" \
		"$tmp/tctl-$kind" sender 0 0 0 >"$tmp/$kind.out" 2>&1) &
	sleep 0.5
	ls -la "$tmp/run-$kind" "$tmp/run-$kind/sockfault" 2>/dev/null | sed "s/^/  $kind| /" || :
	wait
done
[ -d "$tmp/run-linked/sockfault" ] || skip "the linked copy opened no channel (library not loaded?)"
pass "the plain copy opens its channel"
[ ! -e "$tmp/run-suid/sockfault" ] || fail "secure execution: a channel directory was made"
finish
