#include "units.h"

#include <stdio.h>
#include <string.h>

struct unit {
	const char *name;
	uint64_t scale;
};

static const struct unit duration_table[] = {
	{ "us", SF_NS_PER_US },
	{ "\xc2\xb5s", SF_NS_PER_US },
	{ "ms", SF_NS_PER_MS },
	{ "s", SF_NS_PER_S },
	{ "m", 60 * SF_NS_PER_S },
	{ "h", 3600 * SF_NS_PER_S },
	{ NULL, 0 },
};
static const struct unit size_table[] = {
	{ "B", 1 },
	{ "KiB", 1024ull },
	{ "MiB", 1024ull * 1024 },
	{ "GiB", 1024ull * 1024 * 1024 },
	{ "TiB", 1024ull * 1024 * 1024 * 1024 },
	{ NULL, 0 },
};

const char *const sf_duration_units[] = { "us", "ms", "s", "m", "h", NULL };
/* B last: of two equally close units, the first is suggested, and 64KB/s
 * means kibibytes far more likely than bytes. */
const char *const sf_size_units[] = { "KiB", "MiB", "GiB", "TiB", "B", NULL };

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct sf_unit_result fail(enum sf_unit_err err, size_t at, size_t unit_len)
{
	struct sf_unit_result r = { err, at, unit_len };
	return r;
}

/* One `NUMBER[.FRACTION]UNIT` term starting at *pos; the unit is matched
 * against `table`. A number with no unit gets `bare_scale`, or fails with
 * SF_UNIT_BARE when bare_scale is 0. */
static struct sf_unit_result term(const char *s, size_t len, size_t *pos, const struct unit *table, uint64_t bare_scale,
				  int stop_at_slash, uint64_t *out)
{
	size_t i = *pos, start = i;
	uint64_t whole = 0, frac = 0, frac_div = 1;
	if (i >= len)
		return fail(SF_UNIT_EMPTY, i, 0);
	if (!is_digit(s[i]))
		return fail(SF_UNIT_NOT_NUMBER, i, 0);
	for (; i < len && is_digit(s[i]); i++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return fail(SF_UNIT_TOO_BIG, start, 0);
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || !is_digit(s[i]))
			return fail(SF_UNIT_NOT_NUMBER, i, 0);
		for (; i < len && is_digit(s[i]); i++) {
			if (frac_div < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				frac_div *= 10;
			} else if (s[i] != '0') {
				/* Digits past the ninth are not kept: refuse them
				 * rather than drop them silently. */
				return fail(SF_UNIT_FRACTION, start, 0);
			}
		}
	}
	size_t ustart = i;
	while (i < len && !is_digit(s[i]) && !(stop_at_slash && s[i] == '/'))
		i++;
	size_t ulen = i - ustart;
	uint64_t scale = 0;
	if (ulen == 0) {
		if (!bare_scale)
			return fail(SF_UNIT_BARE, start, 0);
		scale = bare_scale;
	} else {
		for (const struct unit *u = table; u->name; u++)
			if (strlen(u->name) == ulen && memcmp(u->name, s + ustart, ulen) == 0)
				scale = u->scale;
		if (!scale)
			return fail(SF_UNIT_BAD_UNIT, ustart, ulen);
	}
	if (whole > UINT64_MAX / scale)
		return fail(SF_UNIT_TOO_BIG, start, 0);
	uint64_t v = whole * scale;
	/* The fraction must come out whole in the smallest unit: 1.5s is 1500ms,
	 * but 1.5B is not a number of bytes. */
	if (frac) {
		unsigned __int128 f = (unsigned __int128)frac * scale;
		if (f % frac_div)
			return fail(SF_UNIT_FRACTION, start, 0);
		uint64_t add = (uint64_t)(f / frac_div);
		if (v > UINT64_MAX - add)
			return fail(SF_UNIT_TOO_BIG, start, 0);
		v += add;
	}
	*pos = i;
	*out = v;
	return fail(SF_UNIT_OK, 0, 0);
}

struct sf_unit_result sf_parse_duration(const char *s, size_t len, uint64_t *ns)
{
	size_t pos = 0;
	uint64_t total = 0;
	if (len == 0)
		return fail(SF_UNIT_EMPTY, 0, 0);
	while (pos < len) {
		uint64_t v;
		size_t at = pos;
		struct sf_unit_result r = term(s, len, &pos, duration_table, 0, 0, &v);
		if (r.err)
			return r;
		/* The microsecond is the finest unit a rule can write: a finer
		 * value would print as "ns", which would not parse back. */
		if (v % SF_NS_PER_US)
			return fail(SF_UNIT_FRACTION, at, 0);
		if (total > UINT64_MAX - v)
			return fail(SF_UNIT_TOO_BIG, 0, 0);
		total += v;
	}
	*ns = total;
	return fail(SF_UNIT_OK, 0, 0);
}

struct sf_unit_result sf_parse_size(const char *s, size_t len, uint64_t *bytes)
{
	size_t pos = 0;
	struct sf_unit_result r = term(s, len, &pos, size_table, 1, 0, bytes);
	if (r.err == SF_UNIT_OK && pos != len)
		return fail(SF_UNIT_BAD_UNIT, pos, len - pos);
	return r;
}

struct sf_unit_result sf_parse_rate(const char *s, size_t len, uint64_t *bytes_per_s)
{
	size_t pos = 0;
	struct sf_unit_result r = term(s, len, &pos, size_table, 1, 1, bytes_per_s);
	if (r.err)
		return r;
	if (len - pos != 2 || s[pos] != '/' || s[pos + 1] != 's')
		return fail(SF_UNIT_BAD_UNIT, pos, len - pos);
	return r;
}

static size_t format_scaled(char *buf, size_t cap, uint64_t v, const struct unit *table, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (table[i].scale && v % table[i].scale == 0 && (v || i == 0))
			return (size_t)snprintf(buf, cap, "%llu%s", (unsigned long long)(v / table[i].scale),
						table[i].name);
	}
	return (size_t)snprintf(buf, cap, "%llu%s", (unsigned long long)v, table[0].name);
}

size_t sf_format_duration(char *buf, size_t cap, uint64_t ns)
{
	static const struct unit fmt[] = {
		{ "ns", 1 },	      { "us", SF_NS_PER_US },	 { "ms", SF_NS_PER_MS },
		{ "s", SF_NS_PER_S }, { "m", 60 * SF_NS_PER_S }, { "h", 3600 * SF_NS_PER_S },
	};
	if (ns == 0)
		return (size_t)snprintf(buf, cap, "0s");
	return format_scaled(buf, cap, ns, fmt, sizeof fmt / sizeof fmt[0]);
}

size_t sf_format_size(char *buf, size_t cap, uint64_t bytes)
{
	return format_scaled(buf, cap, bytes, size_table, sizeof size_table / sizeof size_table[0] - 1);
}
