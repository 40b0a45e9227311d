#include "suggest.h"

#include <string.h>

#define SF_SUGGEST_MAXLEN 64

static char fold(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

unsigned sf_edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen > SF_SUGGEST_MAXLEN || blen > SF_SUGGEST_MAXLEN)
		return (unsigned)-1;
	unsigned d[SF_SUGGEST_MAXLEN + 1][SF_SUGGEST_MAXLEN + 1];
	for (size_t i = 0; i <= alen; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= blen; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= alen; i++) {
		for (size_t j = 1; j <= blen; j++) {
			unsigned cost = fold(a[i - 1]) != fold(b[j - 1]);
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[alen][blen];
}

void sf_suggest_init(struct sf_suggest *sg, const char *word, size_t len)
{
	sg->word = word;
	sg->len = len;
	sg->best = NULL;
	sg->best_dist = (unsigned)-1;
}

void sf_suggest_try(struct sf_suggest *sg, const char *candidate)
{
	unsigned d = sf_edit_distance(sg->word, sg->len, candidate, strlen(candidate));
	if (d < sg->best_dist) {
		sg->best = candidate;
		sg->best_dist = d;
	}
}

void sf_suggest_list(struct sf_suggest *sg, const char *const *candidates)
{
	for (; *candidates; candidates++)
		sf_suggest_try(sg, *candidates);
}

const char *sf_suggest_result(const struct sf_suggest *sg)
{
	/* A third of the word, at least one edit and at most three: close enough
	 * to be a typo, far enough that `ab` does not suggest `io`. */
	size_t allowed = sg->len / 3;
	if (allowed < 1)
		allowed = 1;
	if (allowed > 3)
		allowed = 3;
	return sg->best && sg->best_dist <= allowed ? sg->best : NULL;
}
