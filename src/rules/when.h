/* `when=` in strace's syntax: FIRST[..LAST][+[STEP]]. */
#ifndef SF_WHEN_H
#define SF_WHEN_H

#include <stddef.h>
#include <stdint.h>

struct sf_when {
	uint64_t first, last, step; /* last is UINT64_MAX when open-ended */
};

/* Every call (the default when no when= is given). */
#define SF_WHEN_ALWAYS ((struct sf_when){ 1, UINT64_MAX, 1 })

/* NULL on success, else what is wrong; *at is the offset of the problem. */
const char *sf_when_parse(const char *s, size_t len, struct sf_when *w, size_t *at);

/* Does the n-th matching call (1 is the first) fall in the expression? */
static inline int sf_when_hit(const struct sf_when *w, uint64_t n)
{
	return n >= w->first && n <= w->last && (n - w->first) % w->step == 0;
}

/* The first call from the n-th on that falls in the expression; UINT64_MAX
 * when none does. */
static inline uint64_t sf_when_next(const struct sf_when *w, uint64_t n)
{
	if (n <= w->first)
		return w->first;
	if (n > w->last)
		return UINT64_MAX;
	if (w->step == 1)
		return n;
	uint64_t past = (n - w->first) % w->step, m;
	if (!past)
		return n;
	if (__builtin_add_overflow(n, w->step - past, &m) || m > w->last)
		return UINT64_MAX;
	return m;
}

size_t sf_when_format(char *buf, size_t cap, const struct sf_when *w);

#endif
