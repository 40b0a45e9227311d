#include "when.h"

#include <stdio.h>

static int number(const char *s, size_t len, size_t *i, uint64_t *out)
{
	size_t start = *i;
	uint64_t v = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[*i] - '0');
		(*i)++;
	}
	*out = v;
	return *i > start;
}

const char *sf_when_parse(const char *s, size_t len, struct sf_when *w, size_t *at)
{
	static const char *form = "when= is FIRST, FIRST..LAST, FIRST+, FIRST+STEP or FIRST..LAST+STEP";
	size_t i = 0;
	*w = SF_WHEN_ALWAYS;
	*at = 0;
	if (!number(s, len, &i, &w->first))
		return form;
	if (w->first == 0)
		return "calls are counted from 1: the first matching call is when=1";
	w->last = w->first;
	int ranged = 0;
	if (i + 1 < len && s[i] == '.' && s[i + 1] == '.') {
		i += 2;
		*at = i;
		if (!number(s, len, &i, &w->last))
			return form;
		if (w->last < w->first)
			return "the range ends before it starts (LAST is smaller than FIRST)";
		ranged = 1;
	}
	if (i < len && s[i] == '+') {
		i++;
		/* FIRST+ runs forever; FIRST..LAST+ stays within the range. */
		if (!ranged)
			w->last = UINT64_MAX;
		*at = i;
		if (i < len) {
			if (!number(s, len, &i, &w->step))
				return form;
			if (w->step == 0)
				return "a step of 0 would never move on: STEP is 1 or more";
		}
	}
	if (i != len) {
		*at = i;
		return form;
	}
	return NULL;
}

size_t sf_when_format(char *buf, size_t cap, const struct sf_when *w)
{
	unsigned long long f = w->first, l = w->last, st = w->step;
	if (w->last == UINT64_MAX)
		return st == 1 ? (size_t)snprintf(buf, cap, "%llu+", f)
			       : (size_t)snprintf(buf, cap, "%llu+%llu", f, st);
	if (l == f)
		return (size_t)snprintf(buf, cap, "%llu", f);
	return st == 1 ? (size_t)snprintf(buf, cap, "%llu..%llu", f, l)
		       : (size_t)snprintf(buf, cap, "%llu..%llu+%llu", f, l, st);
}
