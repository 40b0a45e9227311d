#!/bin/sh
# scripts/check-style on a small tree of its own: a formatted file passes;
# a file out of format, and a comment that points to a draft or an issue,
# are named with their file and line.
# shellcheck disable=SC2154 # tmp is lib.sh's
set -eu
. "$SF_SRCDIR/tests/lib/lib.sh"
command -v clang-format >/dev/null 2>&1 || skip "no clang-format"
command -v git >/dev/null 2>&1 || skip "no git"
src=$SF_SRCDIR

mkdir -p "$tmp/t/src" "$tmp/t/scripts"
cp "$src/.clang-format" "$tmp/t/"
cp "$src/scripts/check-style" "$tmp/t/scripts/"
printf '/* One function. */\nint one(void)\n{\n\treturn 1;\n}\n' >"$tmp/t/src/one.c"
git -C "$tmp/t" init -q && git -C "$tmp/t" add -A

expect_passes "a formatted tree passes" sh -c "bash '$tmp/t/scripts/check-style' '$tmp/t'"

printf 'int two(void) { return 2; }\n' >"$tmp/t/src/two.c"
git -C "$tmp/t" add -A
expect_refuses "a file out of format is named with its line" '^src/two.c:1:[0-9]*: not in the project' \
	bash "$tmp/t/scripts/check-style" "$tmp/t"
rm "$tmp/t/src/two.c"

# The name is put together here, so that this file does not name it itself.
draft=SPEC
printf '/* As %s.md says. */\nint three(void)\n{\n\treturn 3;\n}\n' "$draft" >"$tmp/t/src/three.c"
git -C "$tmp/t" add -A
expect_refuses "a reference to a draft is named with its line" '^src/three.c:1: points to a draft' \
	bash "$tmp/t/scripts/check-style" "$tmp/t"
finish
