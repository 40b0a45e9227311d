#!/bin/sh
# scripts/check-layers on copies of src/preload: it passes the tree as it
# is, and fails, naming the file and line, an include that goes up a rank
# and a circle of includes within one rank.
# shellcheck disable=SC2154 # tmp is lib.sh's
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
py=${SF_PYTHON3:-python3}
command -v "$py" >/dev/null 2>&1 || skip "no python3"
src=$SF_SRCDIR

# A fresh copy of the sources; $1 names it.
copy() {
	mkdir -p "$tmp/$1/src" "$tmp/$1/scripts"
	cp -R "$src/src/preload" "$src/src/rules" "$tmp/$1/src/"
	cp "$src/scripts/check-layers" "$tmp/$1/scripts/"
}

copy ok
expect_passes "the tree as it is goes one way" "$py" "$tmp/ok/scripts/check-layers" "$tmp/ok"

# The logger pulling in the call helpers: upward.
copy up
sed -i 's/^#include "fmt.h"$/#include "fmt.h"\n#include "slow.h"/' "$tmp/up/src/preload/base/log.c"
expect_refuses "an upward include is named with its file and line" \
	'^src/preload/base/log.c:[0-9]*: base/log.c includes calls/slow.h, which is above it$' \
	"$py" "$tmp/up/scripts/check-layers" "$tmp/up"

# The descriptor table using the names cache, which uses socket records,
# which use the table: a circle within state/.
copy circle
sed -i 's/^#include "fdtab.h"$/#include "fdtab.h"\n#include "names.h"/' "$tmp/circle/src/preload/state/fdtab.c"
expect_refuses "a circle is named, step by step" \
	'^a circle: .*src/preload/state/fdtab.c:[0-9]* includes state/names.h' \
	"$py" "$tmp/circle/scripts/check-layers" "$tmp/circle"
finish
