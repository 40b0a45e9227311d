/* Durations, sizes and rates: parsing, the errors, and the canonical text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "units.h"

#define NS_MIN (60 * SF_NS_PER_S)
#define NS_H (3600 * SF_NS_PER_S)
#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * 1024 * 1024)
#define TIB (1024ull * 1024 * 1024 * 1024)

static uint64_t dur_ok(const char *s)
{
	uint64_t v = 12345;
	struct sf_unit_result r = sf_parse_duration(s, strlen(s), &v);
	if (r.err != SF_UNIT_OK)
		print_message("# duration '%s': error %d at %zu\n", s, (int)r.err, r.at);
	assert_int_equal(r.err, SF_UNIT_OK);
	return v;
}

static struct sf_unit_result dur_err(const char *s)
{
	uint64_t v = 12345;
	struct sf_unit_result r = sf_parse_duration(s, strlen(s), &v);
	if (r.err == SF_UNIT_OK)
		print_message("# duration '%s' accepted as %llu\n", s, (unsigned long long)v);
	assert_int_not_equal(r.err, SF_UNIT_OK);
	/* A refused text leaves the output alone. */
	assert_int_equal(v, 12345);
	return r;
}

static uint64_t size_ok(const char *s)
{
	uint64_t v = 12345;
	struct sf_unit_result r = sf_parse_size(s, strlen(s), &v);
	if (r.err != SF_UNIT_OK)
		print_message("# size '%s': error %d at %zu\n", s, (int)r.err, r.at);
	assert_int_equal(r.err, SF_UNIT_OK);
	return v;
}

static struct sf_unit_result size_err(const char *s)
{
	uint64_t v = 12345;
	struct sf_unit_result r = sf_parse_size(s, strlen(s), &v);
	if (r.err == SF_UNIT_OK)
		print_message("# size '%s' accepted as %llu\n", s, (unsigned long long)v);
	assert_int_not_equal(r.err, SF_UNIT_OK);
	return r;
}

static void duration_units(void **state)
{
	assert_int_equal(dur_ok("1us"), SF_NS_PER_US);
	assert_int_equal(dur_ok("3\xc2\xb5s"), 3 * SF_NS_PER_US);
	assert_int_equal(dur_ok("1ms"), SF_NS_PER_MS);
	assert_int_equal(dur_ok("1s"), SF_NS_PER_S);
	assert_int_equal(dur_ok("1m"), NS_MIN);
	assert_int_equal(dur_ok("1h"), NS_H);
	assert_int_equal(dur_ok("0s"), 0);
	assert_int_equal(dur_ok("200ms"), 200 * SF_NS_PER_MS);
	assert_int_equal(dur_ok("120s"), 120 * SF_NS_PER_S);
	/* Sums of terms. */
	assert_int_equal(dur_ok("1m30s"), 90 * SF_NS_PER_S);
	assert_int_equal(dur_ok("1h1m1s1ms1us"), NS_H + NS_MIN + SF_NS_PER_S + SF_NS_PER_MS + SF_NS_PER_US);
	assert_int_equal(dur_ok("1s1s"), 2 * SF_NS_PER_S);
	/* Fractions that come out whole. */
	assert_int_equal(dur_ok("1.5s"), 1500 * SF_NS_PER_MS);
	assert_int_equal(dur_ok("0.5m"), 30 * SF_NS_PER_S);
	assert_int_equal(dur_ok("0.25ms"), 250 * SF_NS_PER_US);
	assert_int_equal(dur_ok("2.000s"), 2 * SF_NS_PER_S);
	assert_int_equal(dur_ok("0.000001s"), SF_NS_PER_US);
	assert_int_equal(dur_ok("1.5h"), 90 * NS_MIN);
	/* The largest whole number of hours that fits in 64 bits of nanoseconds. */
	assert_int_equal(dur_ok("5124095h"), 5124095ull * NS_H);
	/* Only len bytes are read. */
	uint64_t v;
	assert_int_equal(sf_parse_duration("5sXYZ", 2, &v).err, SF_UNIT_OK);
	assert_int_equal(v, 5 * SF_NS_PER_S);
}

static void duration_errors(void **state)
{
	struct sf_unit_result r = dur_err("");
	assert_int_equal(r.err, SF_UNIT_EMPTY);
	r = dur_err("120");
	assert_int_equal(r.err, SF_UNIT_BARE);
	assert_int_equal(r.at, 0);
	r = dur_err("1m30");
	assert_int_equal(r.err, SF_UNIT_BARE);
	assert_int_equal(r.at, 2);
	r = dur_err("abc");
	assert_int_equal(r.err, SF_UNIT_NOT_NUMBER);
	assert_int_equal(r.at, 0);
	r = dur_err("5s x");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	r = dur_err("-5s");
	assert_int_equal(r.err, SF_UNIT_NOT_NUMBER);
	r = dur_err("1.s");
	assert_int_equal(r.err, SF_UNIT_NOT_NUMBER);
	assert_int_equal(r.at, 2);
	r = dur_err("5sec");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	assert_int_equal(r.at, 1);
	assert_int_equal(r.unit_len, 3);
	r = dur_err("5S");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	r = dur_err("5ns");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	r = dur_err("5d");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	r = dur_err("1m5x");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	assert_int_equal(r.at, 3);
	assert_int_equal(r.unit_len, 1);
	/* Overflow of one term, of the sum, of the digits. */
	r = dur_err("5124096h");
	assert_int_equal(r.err, SF_UNIT_TOO_BIG);
	r = dur_err("5124095h5124095h");
	assert_int_equal(r.err, SF_UNIT_TOO_BIG);
	r = dur_err("99999999999999999999999s");
	assert_int_equal(r.err, SF_UNIT_TOO_BIG);
	r = dur_err("18446744073709551616us");
	assert_int_equal(r.err, SF_UNIT_TOO_BIG);
}

/* The smallest unit a user can write is the microsecond: a finer fraction
 * would print as "ns", which no rule may contain. */
static void duration_fraction_finer_than_a_microsecond(void **state)
{
	struct sf_unit_result r = dur_err("0.5us");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	r = dur_err("1.0000001s");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	r = dur_err("1s0.0001ms");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	assert_int_equal(r.at, 2);
	/* Digits past the nanosecond are not silently dropped. */
	r = dur_err("1.0000000001s");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	/* Trailing zeros are fine, however many. */
	assert_int_equal(dur_ok("1.000000000000s"), SF_NS_PER_S);
	assert_int_equal(dur_ok("0.001ms"), SF_NS_PER_US);
}

static void size_units(void **state)
{
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok("100"), 100);
	assert_int_equal(size_ok("100B"), 100);
	assert_int_equal(size_ok("1KiB"), KIB);
	assert_int_equal(size_ok("64KiB"), 64 * KIB);
	assert_int_equal(size_ok("1MiB"), MIB);
	assert_int_equal(size_ok("1GiB"), GIB);
	assert_int_equal(size_ok("1TiB"), TIB);
	assert_int_equal(size_ok("1.5KiB"), 1536);
	assert_int_equal(size_ok("0.5MiB"), 512 * KIB);
	assert_int_equal(size_ok("16777215TiB"), 16777215ull * TIB);
	assert_int_equal(size_ok("1.0B"), 1);

	struct sf_unit_result r = size_err("");
	assert_int_equal(r.err, SF_UNIT_EMPTY);
	r = size_err("KiB");
	assert_int_equal(r.err, SF_UNIT_NOT_NUMBER);
	r = size_err("64kib");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	assert_int_equal(r.at, 2);
	assert_int_equal(r.unit_len, 3);
	r = size_err("64KB");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	r = size_err("1KiB1KiB");
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	assert_int_equal(r.at, 4);
	r = size_err("1.5B");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	r = size_err("1.5");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	r = size_err("0.1KiB");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	r = size_err("1.0000000001TiB");
	assert_int_equal(r.err, SF_UNIT_FRACTION);
	r = size_err("16777216TiB");
	assert_int_equal(r.err, SF_UNIT_TOO_BIG);
	r = size_err("99999999999999999999");
	assert_int_equal(r.err, SF_UNIT_TOO_BIG);
}

static void rates(void **state)
{
	uint64_t v = 0;
	assert_int_equal(sf_parse_rate("64KiB/s", 7, &v).err, SF_UNIT_OK);
	assert_int_equal(v, 64 * KIB);
	assert_int_equal(sf_parse_rate("100/s", 5, &v).err, SF_UNIT_OK);
	assert_int_equal(v, 100);
	assert_int_equal(sf_parse_rate("100B/s", 6, &v).err, SF_UNIT_OK);
	assert_int_equal(v, 100);
	assert_int_equal(sf_parse_rate("1.5MiB/s", 8, &v).err, SF_UNIT_OK);
	assert_int_equal(v, 1536 * KIB);

	struct sf_unit_result r = sf_parse_rate("64KiB", 5, &v);
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	assert_int_equal(r.at, 5);
	r = sf_parse_rate("64KiB/m", 7, &v);
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	assert_int_equal(r.at, 5);
	r = sf_parse_rate("64KiB/sx", 8, &v);
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	r = sf_parse_rate("64Kb/s", 6, &v);
	assert_int_equal(r.err, SF_UNIT_BAD_UNIT);
	assert_int_equal(r.at, 2);
	assert_int_equal(r.unit_len, 2);
	r = sf_parse_rate("/s", 2, &v);
	assert_int_equal(r.err, SF_UNIT_NOT_NUMBER);
}

static void check_fmt_dur(uint64_t ns, const char *want)
{
	char buf[40];
	size_t n = sf_format_duration(buf, sizeof buf, ns);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void check_fmt_size(uint64_t b, const char *want)
{
	char buf[40];
	size_t n = sf_format_size(buf, sizeof buf, b);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* The largest unit that divides exactly. */
static void formatting(void **state)
{
	check_fmt_dur(0, "0s");
	check_fmt_dur(SF_NS_PER_US, "1us");
	check_fmt_dur(1500 * SF_NS_PER_MS, "1500ms");
	check_fmt_dur(SF_NS_PER_S, "1s");
	check_fmt_dur(90 * SF_NS_PER_S, "90s");
	check_fmt_dur(120 * SF_NS_PER_S, "2m");
	check_fmt_dur(90 * NS_MIN, "90m");
	check_fmt_dur(2 * NS_H, "2h");
	check_fmt_dur(1001 * SF_NS_PER_US, "1001us");
	check_fmt_dur(UINT64_MAX / 1000 * 1000, "18446744073709551us");

	check_fmt_size(0, "0B");
	check_fmt_size(1, "1B");
	check_fmt_size(1000, "1000B");
	check_fmt_size(1536, "1536B");
	check_fmt_size(KIB, "1KiB");
	check_fmt_size(1536 * KIB, "1536KiB");
	check_fmt_size(64 * KIB, "64KiB");
	check_fmt_size(MIB, "1MiB");
	check_fmt_size(GIB, "1GiB");
	check_fmt_size(3 * TIB, "3TiB");
	check_fmt_size(UINT64_MAX, "18446744073709551615B");
	check_fmt_size(16777215ull * TIB, "16777215TiB");

	/* Cut like snprintf. */
	char small[4];
	assert_int_equal(sf_format_size(small, sizeof small, 64 * KIB), 5);
	assert_string_equal(small, "64K");
}

/* What is printed parses back to the same value. */
static void format_round_trips(void **state)
{
	static const uint64_t durs[] = {
		0,	   SF_NS_PER_US,      999 * SF_NS_PER_US,	   1500 * SF_NS_PER_MS, 61 * SF_NS_PER_S,
		25 * NS_H, 5124095ull * NS_H, 7 * SF_NS_PER_US + 3 * NS_H,
	};
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		char buf[40];
		sf_format_duration(buf, sizeof buf, durs[i]);
		assert_int_equal(dur_ok(buf), durs[i]);
	}
	static const uint64_t sizes[] = { 0, 1, 1023, KIB, 1025, 5 * MIB, 7 * GIB, TIB + 1 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char buf[40];
		sf_format_size(buf, sizeof buf, sizes[i]);
		assert_int_equal(size_ok(buf), sizes[i]);
	}
}

/* The word lists offered as suggestions are the units the parser accepts. */
static void unit_word_lists(void **state)
{
	size_t n = 0;
	for (; sf_duration_units[n]; n++) {
		char text[16];
		snprintf(text, sizeof text, "1%s", sf_duration_units[n]);
		assert_true(dur_ok(text) > 0);
	}
	assert_int_equal(n, 5);
	for (n = 0; sf_size_units[n]; n++) {
		char text[16];
		snprintf(text, sizeof text, "1%s", sf_size_units[n]);
		assert_true(size_ok(text) > 0);
	}
	assert_int_equal(n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duration_units),
		cmocka_unit_test(duration_errors),
		cmocka_unit_test(duration_fraction_finer_than_a_microsecond),
		cmocka_unit_test(size_units),
		cmocka_unit_test(rates),
		cmocka_unit_test(formatting),
		cmocka_unit_test(format_round_trips),
		cmocka_unit_test(unit_word_lists),
	};
	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
