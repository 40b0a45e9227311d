#!/bin/sh
# A rules file is read within bounds, by the library before main and by the
# CLI (sockfault-rules(5), LIMITS): at most 16 MiB, and a pipe or FIFO must
# deliver its rules and close within 2 s; a device is refused unread. A FIFO
# without a writer, /dev/zero and a 5 MB file each end in one message that
# names the file and the limit, exit 2 (or, with SOCKFAULT_ON_ERROR=warn, a
# warning and no faults), well within 5 s, however many FIFOs
# SOCKFAULT_RULES names; a FIFO whose writer delivers in
# time, a file of exactly 16 MiB and 100 000 rules all work.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

now_ms() { date +%s%3N; }
# within MS WHAT: the last run took less than MS milliseconds.
within() {
	_took=$(($(now_ms) - started))
	if [ "$_took" -lt "$1" ]; then
		pass "$2: done in ${_took} ms (< $1)"
	else
		fail "$2: took ${_took} ms (limit $1)"
	fi
}

fifo=$tmp/rules.fifo
mkfifo "$fifo"
# feed TEXT: a writer of the FIFO in the background, given up after 10 s if
# no reader ever comes (so that a broken reader fails the test, not hangs it).
feed() {
	timeout 10 sh -c 'printf "%s\n" "$1" >"$2"' feed "$1" "$fifo" &
}

# --- a FIFO nobody writes: refused after 2 s, not a hang before main ---
started=$(now_ms)
sf_run SOCKFAULT_RULES="$fifo" "$T/tcalls" socket
within 5000 "a FIFO without a writer"
expect_stopped "a FIFO without a writer"
expect_err "^sockfault: $fifo: cannot read the rules file: it did not deliver all of it and close within 2 s \(the limit for a pipe or FIFO; at most 16 MiB\)" \
	"a FIFO without a writer: the file and the limits named"
expect_count "a FIFO without a writer: one message" 1 "$tmp/err" 'sockfault:'

started=$(now_ms)
sf_run SOCKFAULT_RULES="$fifo" SOCKFAULT_ON_ERROR=warn "$T/tcalls" -e ok socket
within 5000 "a FIFO without a writer, warn"
expect_rc 0 "a FIFO without a writer, warn: the program runs"
expect_out '^main:' "warn: main() ran"
expect_err 'SOCKFAULT_ON_ERROR=warn: running with no faults' "warn: said so"

# --- three FIFOs and a file: one bound for all of them, not 2 s each ---
mkfifo "$tmp/f2.fifo" "$tmp/f3.fifo"
printf 'sock: socket => error EACCES\n' >"$tmp/good.rules"
started=$(now_ms)
sf_run SOCKFAULT_RULES="$fifo:$tmp/f2.fifo:$tmp/f3.fifo:$tmp/good.rules" "$T/tcalls" socket
within 4000 "three FIFOs and a file"
expect_stopped "three FIFOs and a file"
expect_count "three FIFOs and a file: one message per FIFO" 3 "$tmp/err" 'did not deliver all of it'
expect_no_err 'good\.rules' "three FIFOs and a file: the file itself read"

# --- a FIFO whose writer delivers at once: read like a file ---
feed 'sock: socket => error EACCES'
sf_run SOCKFAULT_RULES="$fifo" "$T/tcalls" -e EACCES socket
expect_rc 0 "a FIFO that delivers its rules: they apply"
wait

# --- a device: refused before it is read (no 1.7 GB of /dev/zero) ---
started=$(now_ms)
sf_run SOCKFAULT_RULES=/dev/zero "$T/tcalls" socket
within 5000 "/dev/zero"
expect_stopped "/dev/zero"
expect_err "^sockfault: /dev/zero: cannot read the rules file: it is a device" "/dev/zero: a device, said so"
sf_run SOCKFAULT_RULES=/dev/null "$T/tcalls" socket
expect_stopped "/dev/null (a device too)"

# --- the size limit: 16 MiB is read, one byte more is not ---
# Comment lines up to exactly 16 MiB, the rule last.
rule='sock: socket => error EACCES'
big=$tmp/16mib.rules
awk -v total=16777216 -v rule="$rule" 'BEGIN {
	line = "#"; while (length(line) < 1023) line = line "x"
	n = total - length(rule) - 1
	for (i = 0; i + 1024 <= n; i += 1024) print line
	rest = n - i; if (rest > 0) { s = "#"; while (length(s) < rest - 1) s = s "y"; print s }
	print rule }' >"$big"
expect_eq "the test file is 16 MiB" 16777216 "$(wc -c <"$big" | tr -d ' ')"
sf_run SOCKFAULT_RULES="$big" "$T/tcalls" -e EACCES socket
expect_rc 0 "a rules file of exactly 16 MiB: read, its rule applies"
printf '#\n' >>"$big"
started=$(now_ms)
sf_run SOCKFAULT_RULES="$big" "$T/tcalls" socket
within 5000 "16 MiB + 2 bytes"
expect_stopped "16 MiB + 2 bytes"
expect_err "^sockfault: $big: cannot read the rules file: it is larger than 16 MiB, the limit" "too big: the limit named"

# --- 100 000 rules: parsed before main in well under the bound ---
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "r%d: connect peer=10.%d.%d.%d:%d => error ECONNREFUSED\n", i, int(i / 65536), int(i / 256) % 256, i % 256, 1 + i % 65535
	print "sock: socket => error EACCES" }' >"$tmp/many.rules"
started=$(now_ms)
sf_run SOCKFAULT_RULES="$tmp/many.rules" "$T/tcalls" -e EACCES socket
within 10000 "100 001 rules before main"
expect_rc 0 "100 001 rules: the last one applies"

# --- the CLI: the same bounds ---
started=$(now_ms)
cli_run check "$fifo"
within 5000 "check a FIFO without a writer"
expect_rc 1 "check a FIFO without a writer: refused"
expect_err "^sockfault: $fifo: cannot read the rules file: it did not deliver all of it and close within 2 s" "check: the FIFO named"
cli_run check /dev/zero
expect_rc 1 "check /dev/zero: refused"
expect_err "^sockfault: /dev/zero: cannot read the rules file: it is a device" "check /dev/zero: said so"
cli_run check "$big"
expect_rc 1 "check a file over 16 MiB: refused"
expect_err "larger than 16 MiB, the limit" "check: the limit named"
# Standard input a FIFO (a pipe, as far as the reader can tell).
feed "$rule"
cli_run check - <"$fifo"
wait
expect_rc 0 "check - from a pipe that delivers: read"
expect_out '^sock: socket => error EACCES$' "check -: the rule"
timeout 10 sh -c 'exec 3>"$1"; sleep 4' hold "$fifo" &
started=$(now_ms)
cli_run check - <"$fifo"
within 3500 "check - from a pipe that does not close"
wait
expect_rc 1 "check - from a pipe that does not close: refused"
expect_err '^sockfault: <stdin>: cannot read the rules file: it did not deliver' "check -: said so"

# run: the library reads the files again in CMD, a pipe only once.
printf '%s\n' "$rule" >"$tmp/one.rules"
cli_run run -r "$tmp/one.rules" -- "$T/tcalls" -e EACCES socket
expect_rc 0 "run -r FILE: the rule applies"
cli_run run -r - -- "$T/tcalls" socket <"$tmp/one.rules"
expect_rc 2 "run -r -: refused"
expect_err "run: -: not a regular file: .*a pipe can be read only once" "run -r -: said why"
feed "$rule"
cli_run run -r "$fifo" -- "$T/tcalls" socket
expect_rc 2 "run -r FIFO: refused"
expect_err "run: $fifo: not a regular file" "run -r FIFO: said why"
# The writer is still waiting for a reader: give it one.
timeout 5 cat "$fifo" >/dev/null || :
wait

finish
