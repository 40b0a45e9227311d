/* The JSONL reader of replay and `sockfault report` on the edges of its
 * input: escapes cut or bad (the output is always a terminated string),
 * surrogate pairs, a NUL escape, output cut at a character boundary, and
 * integers at and past the 64-bit limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "jsonl.h"

/* Unescape `in` into a buffer of cap bytes filled with 'Z' first: the result
 * must be terminated within cap whatever the input. */
static const char *unesc(const char *in, size_t cap)
{
	static char out[64];
	assert_true(cap <= sizeof out);
	memset(out, 'Z', sizeof out);
	size_t n = sf_json_unescape(in, strlen(in), out, cap);
	assert_true(n < cap);
	assert_int_equal(out[n], '\0');
	assert_int_equal(strlen(out), n);
	return out;
}

static void plain_and_simple_escapes(void **state)
{
	(void)state;
	assert_string_equal(unesc("abc", 64), "abc");
	assert_string_equal(unesc("a\\nb\\tc\\\"d\\\\e\\/f", 64), "a\nb\tc\"d\\e/f");
	assert_string_equal(unesc("\\u0041\\u00e9\\u20ac", 64), "A\xc3\xa9\xe2\x82\xac");
}

static void bad_or_cut_escapes_end_the_text(void **state)
{
	(void)state;
	assert_string_equal(unesc("ab\\u12", 64), "ab");
	assert_string_equal(unesc("ab\\uZZZZcd", 64), "ab");
	assert_string_equal(unesc("ab\\u", 64), "ab");
	assert_string_equal(unesc("ab\\", 64), "ab");
	assert_string_equal(unesc("ab\\u0000cd", 64), "ab");
	assert_string_equal(unesc("ab\\xcd", 64), "ab");
}

static void surrogates(void **state)
{
	(void)state;
	assert_string_equal(unesc("\\ud83d\\ude00", 64), "\xf0\x9f\x98\x80");
	assert_string_equal(unesc("x\\ud800y", 64), "x\xef\xbf\xbdy");
	assert_string_equal(unesc("x\\udc00y", 64), "x\xef\xbf\xbdy");
	assert_string_equal(unesc("x\\ud800\\u0041", 64), "x\xef\xbf\xbd"
							  "A");
}

static void cut_at_a_character_boundary(void **state)
{
	(void)state;
	assert_string_equal(unesc("abcdef", 4), "abc");
	/* é is two bytes: it does not fit after "ab" in 4, and is left out whole. */
	assert_string_equal(unesc("ab\\u00e9", 4), "ab");
	assert_string_equal(unesc("a\\u20ac", 4), "a");
	assert_string_equal(unesc("\\ud83d\\ude00", 4), "");
	assert_string_equal(unesc("\\ud83d\\ude00", 5), "\xf0\x9f\x98\x80");
	assert_string_equal(unesc("abc", 1), "");
	char one = 'Z';
	assert_int_equal(sf_json_unescape("abc", 3, &one, 0), 0);
	assert_int_equal(one, 'Z');
}

static int int_of(const char *text, int64_t *v)
{
	struct sf_json_field f = { "k", 1, text, strlen(text), 0 };
	return sf_json_int(&f, v);
}

static void integers_and_their_limits(void **state)
{
	(void)state;
	int64_t v = 7;
	assert_true(int_of("0", &v) && v == 0);
	assert_true(int_of("-12", &v) && v == -12);
	assert_true(int_of("9223372036854775807", &v) && v == INT64_MAX);
	assert_true(int_of("-9223372036854775808", &v) && v == INT64_MIN);
	v = 7;
	assert_false(int_of("9223372036854775808", &v));
	assert_false(int_of("-9223372036854775809", &v));
	assert_false(int_of("99999999999999999999", &v));
	assert_false(int_of("123456789012345678901234567890", &v));
	assert_false(int_of("-", &v));
	assert_false(int_of("1.5", &v));
	assert_int_equal(v, 7);
	struct sf_json_field s = { "k", 1, "12", 2, 1 };
	assert_false(sf_json_int(&s, &v));
	assert_false(sf_json_int(NULL, &v));
}

static int64_t t_of(const char *s)
{
	int64_t us = 12345;
	return sf_json_time(s, strlen(s), &us) ? us : 12345;
}

static void times(void **state)
{
	(void)state;
	assert_int_equal(t_of("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(t_of("1970-01-01T00:00:01.5Z"), 1500000);
	assert_int_equal(t_of("2026-01-01T00:00:00.000001Z"), 1767225600000001ll);
	assert_int_equal(t_of("0000-01-01T00:00:00Z"), -62167219200000000ll);
	assert_int_equal(t_of("9999-12-31T23:59:59.999999Z"), 253402300799999999ll);
	/* Not times: every field out of its range, signs, short. */
	const char *bad[] = { "2026-13-01T00:00:00Z",
			      "2026-00-01T00:00:00Z",
			      "2026-01-32T00:00:00Z",
			      "2026-01-01T24:00:00Z",
			      "2026-01-01T00:60:00Z",
			      "2026-01-01T00:00:61Z",
			      "-001-01-01T00:00:00Z",
			      "2026-+1-01T00:00:00Z",
			      "2026-01-01 00:00:00Z",
			      "2026-01-01T00:00:0",
			      "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(t_of(bad[i]), 12345);
}

static void objects(void **state)
{
	(void)state;
	struct sf_json_field f[4];
	int n;
	const char *ok = "{\"a\":\"x\\\"y\",\"b\":-3, \"c\":true}";
	assert_int_equal(sf_json_object(ok, strlen(ok), f, 4, &n), -1);
	assert_int_equal(n, 3);
	int64_t v;
	assert_true(sf_json_int(sf_json_get(f, n, "b"), &v) && v == -3);
	assert_null(sf_json_get(f, n, "d"));
	/* Cut short, a control character in a string, trailing bytes. */
	const char *cut = "{\"a\":\"x";
	assert_true(sf_json_object(cut, strlen(cut), f, 4, &n) >= 0);
	const char *ctl = "{\"a\":\"x\ny\"}";
	assert_int_equal(sf_json_object(ctl, strlen(ctl), f, 4, &n), 5);
	const char *tail = "{\"a\":1} x";
	assert_true(sf_json_object(tail, strlen(tail), f, 4, &n) >= 0);
	const char *esc_end = "{\"a\":\"x\\";
	assert_true(sf_json_object(esc_end, strlen(esc_end), f, 4, &n) >= 0);
	/* Only JSON's escapes: not \x, not a backslash before a NUL, not a cut \u. */
	const char *bad_esc[] = { "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\uZZZZ\"}", "{\"a\":\"\\u00",
				  "{\"a\":\"\\\t\"}" };
	for (size_t i = 0; i < sizeof bad_esc / sizeof bad_esc[0]; i++)
		assert_true(sf_json_object(bad_esc[i], strlen(bad_esc[i]), f, 4, &n) >= 0);
	const char nul_esc[] = "{\"a\":\"\\\0\"}";
	assert_true(sf_json_object(nul_esc, sizeof nul_esc - 1, f, 4, &n) >= 0);
	const char *good_esc = "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}";
	assert_int_equal(sf_json_object(good_esc, strlen(good_esc), f, 4, &n), -1);
	/* More fields than room: the first ones kept, the object still read. */
	const char *many = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}";
	assert_int_equal(sf_json_object(many, strlen(many), f, 4, &n), -1);
	assert_int_equal(n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_and_simple_escapes),
		cmocka_unit_test(bad_or_cut_escapes_end_the_text),
		cmocka_unit_test(surrogates),
		cmocka_unit_test(cut_at_a_character_boundary),
		cmocka_unit_test(integers_and_their_limits),
		cmocka_unit_test(times),
		cmocka_unit_test(objects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
