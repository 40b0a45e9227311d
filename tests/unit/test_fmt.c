/* The log's fixed-buffer formatter: numbers, JSON strings, timestamps, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

/* A buffer with guard bytes after `cap`, to catch any write past it. */
struct guarded {
	char mem[256];
	struct sf_buf b;
};

static void start(struct guarded *g, size_t cap)
{
	assert_true(cap + 16 <= sizeof g->mem);
	memset(g->mem, '#', sizeof g->mem);
	g->b.p = g->mem;
	g->b.cap = cap;
	g->b.len = 0;
}

/* The `n` bytes written so far, checked against `want`, with the guard intact. */
static void expect_n(struct guarded *g, const char *want, size_t n)
{
	size_t used = sf_buf_used(&g->b);
	assert_int_equal(g->b.len, n);
	assert_int_equal(used, n);
	assert_memory_equal(g->mem, want, used);
	for (size_t i = g->b.cap; i < sizeof g->mem; i++)
		assert_int_equal(g->mem[i], '#');
}

static void expect(struct guarded *g, const char *want)
{
	expect_n(g, want, strlen(want));
}

static void integers(void **state)
{
	struct guarded g;
	start(&g, 200);
	sf_buf_u64(&g.b, 0);
	sf_buf_str(&g.b, " ");
	sf_buf_u64(&g.b, 7);
	sf_buf_str(&g.b, " ");
	sf_buf_u64(&g.b, 1234567890);
	sf_buf_str(&g.b, " ");
	sf_buf_u64(&g.b, UINT64_MAX);
	expect(&g, "0 7 1234567890 18446744073709551615");

	start(&g, 200);
	sf_buf_i64(&g.b, 0);
	sf_buf_str(&g.b, " ");
	sf_buf_i64(&g.b, -1);
	sf_buf_str(&g.b, " ");
	sf_buf_i64(&g.b, 42);
	sf_buf_str(&g.b, " ");
	sf_buf_i64(&g.b, -1234567);
	sf_buf_str(&g.b, " ");
	sf_buf_i64(&g.b, INT64_MAX);
	sf_buf_str(&g.b, " ");
	sf_buf_i64(&g.b, INT64_MIN);
	expect(&g, "0 -1 42 -1234567 9223372036854775807 -9223372036854775808");
}

static void strings_and_memory(void **state)
{
	struct guarded g;
	start(&g, 200);
	sf_buf_str(&g.b, "");
	sf_buf_str(&g.b, "abc");
	sf_buf_mem(&g.b, "defXYZ", 3);
	sf_buf_mem(&g.b, "a\0b", 3);
	expect_n(&g, "abcdefa\0b", 9);
}

static void json(void **state)
{
	struct guarded g;
	start(&g, 200);
	sf_buf_json(&g.b, "plain", 5);
	expect(&g, "\"plain\"");

	start(&g, 200);
	sf_buf_json(&g.b, "", 0);
	expect(&g, "\"\"");

	start(&g, 200);
	sf_buf_json(&g.b, "a\"b\\c/d", 7);
	expect(&g, "\"a\\\"b\\\\c/d\"");

	/* Control characters as \u00XX, NUL included (the length is given). */
	start(&g, 200);
	sf_buf_json(&g.b, "\n\t\r\x01\x1f\0", 6);
	expect(&g, "\"\\u000a\\u0009\\u000d\\u0001\\u001f\\u0000\"");

	/* 0x7f and UTF-8 pass as they are. */
	start(&g, 200);
	sf_buf_json(&g.b, "\x7f\xc3\xa9 ", 4);
	expect(&g, "\"\x7f\xc3\xa9 \"");

	/* Only n bytes. */
	start(&g, 200);
	sf_buf_json(&g.b, "abcdef", 2);
	expect(&g, "\"ab\"");
}

static void ts(int64_t sec, long usec, const char *want)
{
	struct guarded g;
	start(&g, 64);
	sf_buf_timestamp(&g.b, sec, usec);
	expect(&g, want);
}

static void timestamps(void **state)
{
	ts(0, 0, "1970-01-01T00:00:00.000000Z");
	ts(0, 7, "1970-01-01T00:00:00.000007Z");
	ts(0, 999999, "1970-01-01T00:00:00.999999Z");
	ts(59, 120000, "1970-01-01T00:00:59.120000Z");
	ts(86399, 0, "1970-01-01T23:59:59.000000Z");
	ts(86400, 0, "1970-01-02T00:00:00.000000Z");
	/* Leap years: 2000 (divisible by 400) and 2024; 2100 is not one. */
	ts(951782400, 0, "2000-02-29T00:00:00.000000Z");
	ts(951868800, 0, "2000-03-01T00:00:00.000000Z");
	ts(1709210096, 10, "2024-02-29T12:34:56.000010Z");
	ts(4107456000, 0, "2100-02-28T00:00:00.000000Z");
	ts(4107542400, 0, "2100-03-01T00:00:00.000000Z");
	ts(946684799, 0, "1999-12-31T23:59:59.000000Z");
	ts(1704067200, 0, "2024-01-01T00:00:00.000000Z");
	ts(1735689599, 0, "2024-12-31T23:59:59.000000Z");
	/* Past 32-bit time_t. */
	ts(2147483648, 0, "2038-01-19T03:14:08.000000Z");
	ts(253402300799, 1, "9999-12-31T23:59:59.000001Z");
	/* Before the epoch. */
	ts(-1, 0, "1969-12-31T23:59:59.000000Z");
	ts(-86400, 0, "1969-12-31T00:00:00.000000Z");
	ts(-2203891200, 0, "1900-03-01T00:00:00.000000Z");
	ts(-11670998400, 0, "1600-02-29T00:00:00.000000Z");
}

/* Every day of four years (a leap cycle), against a plain civil calendar. */
static void timestamps_every_day(void **state)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t sec = 1704067200; /* 2024-01-01 */
	for (int year = 2024; year < 2028; year++) {
		int leap = year % 4 == 0;
		for (int m = 1; m <= 12; m++) {
			int days = mdays[m - 1] + (m == 2 && leap);
			for (int d = 1; d <= days; d++, sec += 86400) {
				char want[40];
				snprintf(want, sizeof want, "%04d-%02d-%02dT00:00:00.000000Z", year, m, d);
				ts(sec + 0, 0, want);
			}
		}
	}
	assert_int_equal(sec, 1830297600); /* 2028-01-01 */
}

/* A buffer too small keeps what fits, writes nothing past it, and counts the rest. */
static void truncation(void **state)
{
	struct guarded g;
	start(&g, 5);
	sf_buf_str(&g.b, "abc");
	sf_buf_str(&g.b, "defgh");
	assert_int_equal(g.b.len, 8);
	assert_int_equal(sf_buf_used(&g.b), 5);
	assert_memory_equal(g.mem, "abcde", 5);
	for (size_t i = 5; i < sizeof g.mem; i++)
		assert_int_equal(g.mem[i], '#');
	/* Further writes once full change nothing but the count. */
	sf_buf_u64(&g.b, 12345);
	sf_buf_json(&g.b, "x\n", 2);
	sf_buf_timestamp(&g.b, 0, 0);
	assert_int_equal(g.b.len, 8 + 5 + 9 + 27);
	assert_int_equal(sf_buf_used(&g.b), 5);
	assert_memory_equal(g.mem, "abcde", 5);
	assert_int_equal(g.mem[5], '#');

	/* Cut in the middle of a number, a JSON escape and a timestamp. */
	for (size_t cap = 0; cap < 12; cap++) {
		start(&g, cap);
		sf_buf_i64(&g.b, -9876543210);
		assert_int_equal(g.b.len, 11);
		assert_memory_equal(g.mem, "-9876543210", sf_buf_used(&g.b));
		assert_int_equal(g.mem[cap], '#');

		/* Whatever part of a JSON string fits is a prefix of the whole
		 * (whether an escape that does not fit is cut or left out). */
		start(&g, cap);
		sf_buf_json(&g.b, "a\"\x01", 3);
		size_t kept = 0;
		while (kept < cap && g.mem[kept] != '#')
			kept++;
		assert_true(kept <= sf_buf_used(&g.b));
		assert_memory_equal(g.mem, "\"a\\\"\\u0001\"", kept);
		assert_int_equal(g.mem[cap], '#');

		start(&g, cap);
		sf_buf_timestamp(&g.b, 0, 5);
		assert_memory_equal(g.mem, "1970-01-01T", sf_buf_used(&g.b));
		assert_int_equal(g.mem[cap], '#');
	}
	/* A zero-sized buffer is never touched. */
	start(&g, 0);
	sf_buf_str(&g.b, "abc");
	assert_int_equal(sf_buf_used(&g.b), 0);
	assert_int_equal(g.mem[0], '#');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers),   cmocka_unit_test(strings_and_memory),   cmocka_unit_test(json),
		cmocka_unit_test(timestamps), cmocka_unit_test(timestamps_every_day), cmocka_unit_test(truncation),
	};
	return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
