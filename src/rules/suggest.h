/* "Did you mean": the closest known word to a misspelt one. */
#ifndef SF_SUGGEST_H
#define SF_SUGGEST_H

#include <stddef.h>

struct sf_suggest {
	const char *word;
	size_t len;
	const char *best;
	unsigned best_dist;
};

void sf_suggest_init(struct sf_suggest *sg, const char *word, size_t len);
void sf_suggest_try(struct sf_suggest *sg, const char *candidate);
void sf_suggest_list(struct sf_suggest *sg, const char *const *candidates);
/* The closest candidate if it is close enough to be a likely typo, else NULL. */
const char *sf_suggest_result(const struct sf_suggest *sg);

/* Edit distance with transpositions (optimal string alignment), case-insensitive
 * so that `econnreset` finds ECONNRESET. */
unsigned sf_edit_distance(const char *a, size_t alen, const char *b, size_t blen);

#endif
