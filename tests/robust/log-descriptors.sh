#!/bin/sh
# The library's log writes only to a descriptor it knows is still its own
# (sockfault(1), LOG): never into a file or stream of the program that got
# the number of its log or of stderr, however the program closed it (raw
# system calls, close_range, closefrom, close, fclose) or if it started
# without stderr; it reopens its log file instead. No descriptor leaks per
# subprocess (vfork, posix_spawn, Python's subprocess), and a vfork child
# changes nothing of the parent's log, whatever it closes or logs.
# Problems found by a reload go where the log goes, not onto descriptor 2.
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"

R=$SF_BUILDDIR/tests/robust/rlog
RULE='sendto peer=127.0.0.1:9 => error EIO'

# daemon_checks DIR WHAT FAULTS: the program found its files and stream
# exactly as it wrote them.
daemon_checks() {
	sed 's/^/  result| /' "$1/result" 2>/dev/null || :
	expect_in "$1/result" '^data1: exact$' "$2: the program's first file holds what it wrote"
	expect_in "$1/result" '^data2: exact$' "$2: its second file too"
	expect_in "$1/result" '^stream: exact$' "$2: its socket pair carried only what it sent"
	expect_in "$1/result" "^faults: $3\$" "$2: the faults were injected"
}

# Started without stderr: the program's first file is number 2, its pair
# right after. Faults (the log is stderr), then a trace of every call.
for settings in "SOCKFAULT_RULES_TEXT=$RULE" SOCKFAULT_TRACE=1 -; do
	d=$tmp/closed2-${settings%%=*}
	mkdir "$d"
	if [ "$settings" = - ]; then
		echo "+ plain, stderr closed: $R daemon none"
		set +e
		$tmo "$R" daemon none "$d" >"$tmp/out" 2>&-
		rc=$?
		set -e
		what="without the library"
		faults="sent sent sent sent"
	else
		echo "+ preload, stderr closed: $settings $R daemon none"
		set +e
		$tmo env LD_PRELOAD="$(sf_preload)" "$settings" "$R" daemon none "$d" >"$tmp/out" 2>&-
		rc=$?
		set -e
		what="stderr closed at start, $settings"
		case $settings in
		*TRACE*) faults="sent sent sent sent" ;;
		*) faults="EIO EIO EIO EIO" ;;
		esac
	fi
	expect_rc 0 "$what: exit status"
	expect_in "$d/result" '^descriptors: data1=2 ' "$what: the program's first file took descriptor 2"
	daemon_checks "$d" "$what" "$faults"
done

# A daemon closes every descriptor after the log was opened (on a file, or
# stderr), then puts /dev/null on 0 and 1, its files on 2 and 3, a socket
# pair on the numbers after: the log's old number is the program's now. It
# has moved to / before: the log file, named relative to where it started,
# is opened again there.
for how in raw range closefrom close fclose; do
	for log in file stderr; do
		d=$tmp/$how-$log
		mkdir "$d"
		if [ $log = file ]; then
			cd "$d"
			sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG=sf.log "$R" daemon $how "$d"
			cd "$tmp"
		else
			sf_run SOCKFAULT_RULES_TEXT="$RULE" "$R" daemon $how "$d"
		fi
		if [ "$rc" -eq 77 ]; then
			echo "$how: not available here"
			continue
		fi
		expect_rc 0 "$how, log on $log: exit status"
		daemon_checks "$d" "$how, log on $log" "EIO EIO EIO EIO EIO"
		if [ $log = file ]; then
			n=$(grep -c 'fired on sendto' "$d/sf.log" || :)
			expect_eq "$how: every fault is in the log file, reopened after the close" 5 "$n"
		else
			n=$(grep -c 'fired on sendto' "$tmp/err" || :)
			expect_eq "$how: the fault before the close is on stderr, the others nowhere" 1 "$n"
		fi
	done
done

# Subprocesses with a file log: vfork children that fault and then close
# every descriptor from 3 (Python's subprocess), posix_spawn children. The
# parent holds as many descriptors after 20 of them as before.
for how in vfork spawn; do
	sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG="$tmp/$how.log" "$R" $how 20
	if [ "$rc" -eq 77 ]; then
		echo "$how: not available here"
		continue
	fi
	expect_rc 0 "$how: no descriptor leaked in the parent"
	expect_out '^fds before=' "$how: the descriptors were counted"
	expect_ge "$how: every fault of the parent is in the log (lines)" 22 \
		"$(grep -c "^sockfault\[[0-9]*\]: .*fired on sendto" "$tmp/$how.log" || :)"
done

# A vfork child makes the process's first fault (the log is first opened
# there), then the parent opens a file on the number the child's log took:
# the parent's lines, and its start line with its own pid, go to the log.
for log in file stderr; do
	d=$tmp/vfork-first-$log
	mkdir "$d"
	if [ $log = file ]; then
		sf_run SOCKFAULT_RULES_TEXT="$RULE" SOCKFAULT_LOG="$d/sf.log" "$R" vfork-first "$d"
	else
		sf_run SOCKFAULT_RULES_TEXT="$RULE" "$R" vfork-first "$d"
		cp "$tmp/err" "$d/sf.log"
	fi
	expect_rc 0 "vfork child first, log on $log: exit status"
	expect_out '^data1: exact$' "vfork child first, log on $log: the parent's file holds what it wrote"
	pid=$(out_line '^pid=' | sed 's/pid=//')
	expect_in "$d/sf.log" "^sockfault\[$pid\]: started in rlog" \
		"vfork child first, log on $log: the parent writes its own start line"
	expect_in "$d/sf.log" "^sockfault\[$pid\]: .*fired on sendto" \
		"vfork child first, log on $log: the parent's fault is in the log"
done

# The same with Python's subprocess (vfork, then close_range in the child).
py=$(sf_python)
if [ -n "$py" ] && ! sf_musl && foreign_ok "$py" -c pass; then
	cat >"$tmp/spawn.py" <<'PY'
import os, socket, subprocess, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def fault():
    try:
        s.sendto(b"x", ("127.0.0.1", 9))
    except OSError:
        pass
fault()
before = len(os.listdir("/proc/self/fd"))
for i in range(20):
    fault()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
fault()
after = len(os.listdir("/proc/self/fd"))
print("fds before=%d after=%d" % (before, after))
sys.exit(0 if before == after else 1)
PY
	# ASan preloaded into python: its own allocations are not ours to judge.
	sf_run "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" SOCKFAULT_RULES_TEXT="$RULE" \
		SOCKFAULT_LOG="$tmp/python.log" "$py" "$tmp/spawn.py"
	expect_rc 0 "python subprocess: no descriptor leaked in the parent"
	n=$(grep -c 'fired on sendto' "$tmp/python.log" || :)
	expect_eq "python subprocess: every fault is in the log" 22 "$n"
else
	echo "python3 not usable here: its subprocess is not tried"
fi

# A reload that finds bad rules says so where the log goes: in the log
# file, as text or JSON; nothing on the program's stderr.
for format in text json; do
	printf '%s\n' "$RULE" >"$tmp/$format.rules"
	sf_run SOCKFAULT_RULES="$tmp/$format.rules" SOCKFAULT_RELOAD=1 SOCKFAULT_LOG="$tmp/reload-$format.log" \
		SOCKFAULT_LOG_FORMAT=$format "$R" reload-bad "$tmp/$format.rules"
	sed 's/^/  log| /' "$tmp/reload-$format.log"
	expect_rc 0 "reload, $format: exit status"
	expect_out '^fault after the reload: EIO$' "reload, $format: the previous rules stay"
	expect_empty "$tmp/err" "reload, $format: nothing on the program's stderr"
	if [ $format = text ]; then
		expect_in "$tmp/reload-$format.log" '^sockfault\[[0-9]+\]: reload: the new rules have problems' \
			"reload, text: the problem is in the log file"
	else
		expect_in "$tmp/reload-$format.log" '^\{"ts":"[^"]+","pid":[0-9]+,"tid":[0-9]+,("proc":"[^"]*",)?"event":"problem","text":"reload: the new rules have problems' \
			"reload, json: the problem is a JSON event in the log file"
	fi
done

finish
