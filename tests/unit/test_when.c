/* when= in strace's syntax, and the arithmetic of which calls it picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "when.h"

static struct sf_when when_ok(const char *s)
{
	struct sf_when w;
	size_t at = 99;
	const char *why = sf_when_parse(s, strlen(s), &w, &at);
	if (why)
		print_message("# when=%s: %s at %zu\n", s, why, at);
	assert_null(why);
	return w;
}

/* The calls among 1..40 that the expression picks, as "1,3,5". */
static const char *picks(const char *s)
{
	static char buf[256];
	struct sf_when w = when_ok(s);
	size_t len = 0;
	buf[0] = '\0';
	for (uint64_t n = 1; n <= 40; n++)
		if (sf_when_hit(&w, n))
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%llu", len ? "," : "",
						(unsigned long long)n);
	return buf;
}

static void forms(void **state)
{
	/* N: only the Nth. */
	assert_string_equal(picks("1"), "1");
	assert_string_equal(picks("3"), "3");
	/* N..M: N to M. */
	assert_string_equal(picks("3..6"), "3,4,5,6");
	assert_string_equal(picks("5..5"), "5");
	/* N+: from N on. */
	assert_string_equal(picks("38+"), "38,39,40");
	assert_string_equal(picks("1+"), "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
					 "25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40");
	/* N+S: every S from N. */
	assert_string_equal(picks("2+10"), "2,12,22,32");
	assert_string_equal(picks("1+1"), picks("1+"));
	/* N..M+S: every S from N, up to M. */
	assert_string_equal(picks("3..20+5"), "3,8,13,18");
	assert_string_equal(picks("3..18+5"), "3,8,13,18");
	/* N..M+ is N..M. */
	assert_string_equal(picks("3..6+"), "3,4,5,6");
	/* Past the window. */
	assert_string_equal(picks("41"), "");
}

static void fields(void **state)
{
	struct sf_when w = when_ok("7");
	assert_int_equal(w.first, 7);
	assert_int_equal(w.last, 7);
	assert_int_equal(w.step, 1);
	w = when_ok("7+");
	assert_int_equal(w.last, UINT64_MAX);
	w = when_ok("7+3");
	assert_int_equal(w.first, 7);
	assert_int_equal(w.last, UINT64_MAX);
	assert_int_equal(w.step, 3);
	w = when_ok("7..9+");
	assert_int_equal(w.last, 9);
	assert_int_equal(w.step, 1);
	w = when_ok("18446744073709551609+");
	assert_int_equal(w.first, 18446744073709551609ull);
	/* The far end of the counter. */
	assert_true(sf_when_hit(&w, UINT64_MAX));
	assert_false(sf_when_hit(&w, 18446744073709551608ull));
	w = when_ok("1+1000000");
	assert_true(sf_when_hit(&w, 3000001));
	assert_false(sf_when_hit(&w, 3000000));
	/* The default: every call. */
	struct sf_when all = SF_WHEN_ALWAYS;
	assert_true(sf_when_hit(&all, 1));
	assert_true(sf_when_hit(&all, UINT64_MAX));
	/* Call 0 does not exist: nothing picks it. */
	assert_false(sf_when_hit(&all, 0));
}

static void refused(const char *s, size_t want_at, const char *want)
{
	struct sf_when w;
	size_t at = 99;
	const char *why = sf_when_parse(s, strlen(s), &w, &at);
	if (!why)
		print_message("# when=%s accepted\n", s);
	assert_non_null(why);
	assert_string_equal(why, want);
	assert_int_equal(at, want_at);
}

#define FORM "when= is FIRST, FIRST..LAST, FIRST+, FIRST+STEP or FIRST..LAST+STEP"

static void errors(void **state)
{
	refused("", 0, FORM);
	refused("0", 0, "calls are counted from 1: the first matching call is when=1");
	refused("0..5", 0, "calls are counted from 1: the first matching call is when=1");
	refused("5..2", 3, "the range ends before it starts (LAST is smaller than FIRST)");
	refused("2+0", 2, "a step of 0 would never move on: STEP is 1 or more");
	refused("2..9+0", 5, "a step of 0 would never move on: STEP is 1 or more");
	refused("abc", 0, FORM);
	refused("3x", 1, FORM);
	refused("1..", 3, FORM);
	refused("1.5", 1, FORM);
	refused("1...5", 3, FORM);
	refused("2+x", 2, FORM);
	refused("2++", 2, FORM);
	refused("+2", 0, FORM);
	refused("-1", 0, FORM);
	refused("1..5..9", 4, FORM);
	refused("99999999999999999999", 0, FORM);
}

static void format(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "1", "1" },	      { "3..6", "3..6" }, { "5..5", "5" },	    { "2+", "2+" },
		{ "2+1", "2+" },      { "2+10", "2+10" }, { "3..20+5", "3..20+5" }, { "3..6+", "3..6" },
		{ "3..6+1", "3..6" }, { "5..5+3", "5" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[64];
		struct sf_when w = when_ok(cases[i].in);
		size_t n = sf_when_format(buf, sizeof buf, &w);
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		/* The printed form picks the same calls. */
		char again[256];
		snprintf(again, sizeof again, "%s", picks(cases[i].in));
		assert_string_equal(picks(buf), again);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forms),
		cmocka_unit_test(fields),
		cmocka_unit_test(errors),
		cmocka_unit_test(format),
	};
	return cmocka_run_group_tests_name("when", tests, NULL, NULL);
}
