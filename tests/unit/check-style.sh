#!/bin/sh
# scripts/check-style on a small tree of its own: a formatted file passes;
# a file out of format, and a comment that points to a draft or an issue,
# are named with their file and line.
command -v clang-format >/dev/null 2>&1 || { echo "SKIP: no clang-format"; exit 77; }
command -v git >/dev/null 2>&1 || { echo "SKIP: no git"; exit 77; }
src=${SF_SRCDIR:?}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
bad=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; bad=1; }

mkdir -p "$tmp/t/src" "$tmp/t/scripts"
cp "$src/.clang-format" "$tmp/t/"
cp "$src/scripts/check-style" "$tmp/t/scripts/"
printf '/* One function. */\nint one(void)\n{\n\treturn 1;\n}\n' >"$tmp/t/src/one.c"
git -C "$tmp/t" init -q && git -C "$tmp/t" add -A

if sh -c "bash '$tmp/t/scripts/check-style' '$tmp/t'" >"$tmp/out" 2>&1; then
	pass "a formatted tree passes"
else
	fail "a formatted tree: $(cat "$tmp/out")"
fi

printf 'int two(void) { return 2; }\n' >"$tmp/t/src/two.c"
git -C "$tmp/t" add -A
if bash "$tmp/t/scripts/check-style" "$tmp/t" >"$tmp/out" 2>&1; then
	fail "a file out of format passed"
elif grep -q '^src/two.c:1:[0-9]*: not in the project' "$tmp/out"; then
	pass "a file out of format is named with its line"
else
	fail "a file out of format: $(cat "$tmp/out")"
fi
rm "$tmp/t/src/two.c"

# The name is put together here, so that this file does not name it itself.
draft=SPEC
printf '/* As %s.md says. */\nint three(void)\n{\n\treturn 3;\n}\n' "$draft" >"$tmp/t/src/three.c"
git -C "$tmp/t" add -A
if bash "$tmp/t/scripts/check-style" "$tmp/t" >"$tmp/out" 2>&1; then
	fail "a reference to a draft passed"
elif grep -q '^src/three.c:1: points to a draft' "$tmp/out"; then
	pass "a reference to a draft is named with its line"
else
	fail "a reference to a draft: $(cat "$tmp/out")"
fi
exit $bad
