#include "envval.h"

#include <stdio.h>
#include <string.h>

#include "suggest.h"

int sf_env_choice(const char *v, const char *const *words, char *msg, size_t cap)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(v, words[i]) == 0)
			return i;
	struct sf_suggest sg;
	sf_suggest_init(&sg, v, strlen(v));
	sf_suggest_list(&sg, words);
	/* "2" is not a typo of "0": numbers get the list, not a guess. */
	const char *best = v[0] >= '0' && v[0] <= '9' ? NULL : sf_suggest_result(&sg);
	char expected[128] = "";
	for (int i = 0; words[i]; i++)
		snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s", i ? ", " : "",
			 words[i]);
	if (best)
		snprintf(msg, cap, "unknown value '%s' (did you mean '%s'?)", v, best);
	else
		snprintf(msg, cap, "unknown value '%s' (expected %s)", v, expected);
	return -1;
}

int sf_env_seed(const char *v, uint64_t *out)
{
	int base = 10;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		base = 16, v += 2;
	if (!*v)
		return 0;
	uint64_t n = 0;
	for (; *v; v++) {
		int d;
		if (*v >= '0' && *v <= '9')
			d = *v - '0';
		else if (base == 16 && *v >= 'a' && *v <= 'f')
			d = *v - 'a' + 10;
		else if (base == 16 && *v >= 'A' && *v <= 'F')
			d = *v - 'A' + 10;
		else
			return 0;
		if (n > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return 0;
		n = n * (uint64_t)base + (uint64_t)d;
	}
	*out = n;
	return 1;
}
