/* The glob matcher of unix:, host= and exe=, and its syntax check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "glob.h"

static int g(const char *pat, const char *s)
{
	return sf_glob_match(pat, s, strlen(s));
}

static void literals(void **state)
{
	assert_true(g("", ""));
	assert_false(g("", "a"));
	assert_false(g("a", ""));
	assert_true(g("abc", "abc"));
	assert_false(g("abc", "abd"));
	assert_false(g("abc", "ab"));
	assert_false(g("ab", "abc"));
	/* Case matters. */
	assert_false(g("curl", "Curl"));
	/* Only slen bytes of the subject count. */
	assert_true(sf_glob_match("abc", "abcdef", 3));
	assert_false(sf_glob_match("abcd", "abcdef", 3));
	assert_true(sf_glob_match("", "xyz", 0));
}

static void star_and_question(void **state)
{
	assert_true(g("*", ""));
	assert_true(g("*", "anything/at/all"));
	assert_true(g("**", "x"));
	assert_true(g("a*", "a"));
	assert_true(g("a*", "abc"));
	assert_false(g("a*", "ba"));
	assert_true(g("*c", "abc"));
	assert_false(g("*c", "abd"));
	assert_true(g("a*c", "ac"));
	assert_true(g("a*c", "a/b/c"));
	assert_true(g("*.example.com", "db.example.com"));
	assert_false(g("*.example.com", "example.com"));
	assert_true(g("?", "x"));
	assert_false(g("?", ""));
	assert_false(g("?", "xy"));
	assert_true(g("a?c", "abc"));
	assert_false(g("a?c", "ac"));
	assert_true(g("?*", "a"));
	assert_false(g("?*", ""));
	assert_true(g("*?", "a"));
}

/* Cases that need the matcher to go back to the last star. */
static void backtracking(void **state)
{
	assert_true(g("*ab", "aab"));
	assert_true(g("*ab", "abab"));
	assert_false(g("*ab", "aba"));
	assert_true(g("a*b*c", "aXbYbZc"));
	assert_true(g("a*b*c", "abbbc"));
	assert_false(g("a*b*c", "aXbYbZ"));
	assert_true(g("*a*a*a", "aaa"));
	assert_false(g("*a*a*a", "aa"));
	assert_true(g("*aab", "aaaab"));
	assert_true(g("*.sock", "a.sock.sock"));
	assert_true(g("*[0-9]", "abc1"));
	assert_false(g("*[0-9]", "abc"));
	assert_true(g("*?x", "abx"));
	assert_false(g("*?x", "x"));
	/* A long subject with a late miss stays fast (linear, not exponential). */
	char s[4096];
	memset(s, 'a', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	assert_false(g("*a*a*a*a*a*a*a*a*b", s));
	s[sizeof s - 2] = 'b';
	assert_true(g("*a*a*a*a*a*a*a*a*b", s));
}

static void sets(void **state)
{
	assert_true(g("[abc]", "b"));
	assert_false(g("[abc]", "d"));
	assert_false(g("[abc]", ""));
	assert_true(g("[a-z]", "m"));
	assert_true(g("[a-z]", "a"));
	assert_true(g("[a-z]", "z"));
	assert_false(g("[a-z]", "A"));
	assert_false(g("[a-z]", "-"));
	assert_true(g("[!a-z]", "A"));
	assert_false(g("[!a-z]", "q"));
	assert_true(g("[^a-z]", "0"));
	assert_false(g("[^a-z]", "q"));
	assert_true(g("db[0-9][0-9]", "db42"));
	assert_false(g("db[0-9][0-9]", "db4x"));
	assert_true(g("[a-cx-z]", "y"));
	assert_false(g("[a-cx-z]", "m"));
	/* ']' first in the set is a member; '-' first or last is itself. */
	assert_true(g("[]]", "]"));
	assert_true(g("[]a]", "a"));
	assert_false(g("[]a]", "b"));
	assert_true(g("[!]]", "x"));
	assert_false(g("[!]]", "]"));
	assert_true(g("[a-]", "-"));
	assert_true(g("[-a]", "-"));
	assert_false(g("[a-]", "b"));
	/* '*' and '?' inside a set are plain characters. */
	assert_true(g("[*?]", "?"));
	assert_false(g("[*?]", "x"));
	/* A set after other characters, and a set of non-ASCII bytes. */
	assert_true(g("host-[12].internal", "host-2.internal"));
	assert_true(g("[\xc3]*", "\xc3\xa9"));
}

static void escapes(void **state)
{
	assert_true(g("\\*", "*"));
	assert_false(g("\\*", "a"));
	assert_true(g("a\\?c", "a?c"));
	assert_false(g("a\\?c", "abc"));
	assert_true(g("\\[x]", "[x]"));
	assert_false(g("\\[x]", "x"));
	assert_true(g("\\\\", "\\"));
	assert_true(g("\\a", "a"));
	assert_true(g("*\\*", "abc*"));
	assert_false(g("*\\*", "abc"));
}

static void check_syntax(void **state)
{
	size_t at = 99;
	assert_null(sf_glob_check("", &at));
	assert_null(sf_glob_check("a*b?[c-d][!e]\\*", &at));
	assert_null(sf_glob_check("[]]", &at));
	assert_null(sf_glob_check("\\[", &at));
	assert_int_equal(at, 99);

	assert_string_equal(sf_glob_check("ab\\", &at), "a '\\' at the end of a pattern escapes nothing");
	assert_int_equal(at, 2);
	assert_string_equal(sf_glob_check("a[bc", &at), "'[' opens a character set that is never closed with ']'");
	assert_int_equal(at, 1);
	assert_string_equal(sf_glob_check("x[]", &at), "'[' opens a character set that is never closed with ']'");
	assert_int_equal(at, 1);
	assert_string_equal(sf_glob_check("[a]b[!", &at), "'[' opens a character set that is never closed with ']'");
	assert_int_equal(at, 4);
	assert_string_equal(sf_glob_check("\\\\\\", &at), "a '\\' at the end of a pattern escapes nothing");
	assert_int_equal(at, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literals), cmocka_unit_test(star_and_question), cmocka_unit_test(backtracking),
		cmocka_unit_test(sets),	    cmocka_unit_test(escapes),		 cmocka_unit_test(check_syntax),
	};
	return cmocka_run_group_tests_name("glob", tests, NULL, NULL);
}
