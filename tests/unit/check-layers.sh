#!/bin/sh
# scripts/check-layers on copies of src/preload: it passes the tree as it
# is, and fails, naming the file and line, an include that goes up a rank
# and a circle of includes within one rank.
py=${SF_PYTHON3:-python3}
command -v "$py" >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
src=${SF_SRCDIR:?}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
bad=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; bad=1; }

# A fresh copy of the sources; $1 names it.
copy() {
	mkdir -p "$tmp/$1/src" "$tmp/$1/scripts"
	cp -R "$src/src/preload" "$src/src/rules" "$tmp/$1/src/"
	cp "$src/scripts/check-layers" "$tmp/$1/scripts/"
}

copy ok
if "$py" "$tmp/ok/scripts/check-layers" "$tmp/ok" >"$tmp/ok.out" 2>&1; then
	pass "the tree as it is goes one way"
else
	fail "the tree as it is: $(cat "$tmp/ok.out")"
fi

# The logger pulling in the call helpers: upward.
copy up
sed -i 's/^#include "fmt.h"$/#include "fmt.h"\n#include "slow.h"/' "$tmp/up/src/preload/base/log.c"
if "$py" "$tmp/up/scripts/check-layers" "$tmp/up" >"$tmp/up.out" 2>&1; then
	fail "an upward include is let through"
elif grep -q '^src/preload/base/log.c:[0-9]*: base/log.c includes calls/slow.h, which is above it$' "$tmp/up.out"; then
	pass "an upward include is named with its file and line"
else
	fail "an upward include, but not said so: $(cat "$tmp/up.out")"
fi

# The descriptor table using the names cache, which uses socket records,
# which use the table: a circle within state/.
copy circle
sed -i 's/^#include "fdtab.h"$/#include "fdtab.h"\n#include "names.h"/' "$tmp/circle/src/preload/state/fdtab.c"
if "$py" "$tmp/circle/scripts/check-layers" "$tmp/circle" >"$tmp/circle.out" 2>&1; then
	fail "a circle is let through"
elif grep -q '^a circle: .*src/preload/state/fdtab.c:[0-9]* includes state/names.h' "$tmp/circle.out"; then
	pass "a circle is named, step by step"
else
	fail "a circle, but not said so: $(cat "$tmp/circle.out")"
fi
exit $bad
