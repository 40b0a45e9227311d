/* The gate's count of a call that is not due: the one step the quick lane
 * (quick.h) and the destination cache's look (dest.h) share. */
#ifndef SF_TAKE_H
#define SF_TAKE_H

#include "sf.h"

#include "active.h"
#include "sock.h"

/* Below the entry's `next` the call is not due: when= does not name it,
 * or p= alone does not fire it. Count it: 1. From `next` on the full path
 * decides (no division, no draw here): 0, and nothing counted. Counted
 * with a compare-and-swap, so that a call another thread counted
 * meanwhile goes the full path and every call is counted exactly once.
 * Under the caller's reader section. */
static inline __attribute__((always_inline)) int sf_gate_take(const struct sf_plan *plan, struct sf_plan_entry *e)
{
	uint64_t n = SF_LOAD(&e->calls);
	if (n + 1 >= SF_LOAD(&e->next))
		return 0;
	if (!__atomic_compare_exchange_n(&e->calls, &n, n + 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	SF_ADD(&plan->stats[e->rule].matched, 1);
	return 1;
}

#endif
