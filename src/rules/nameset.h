/* The names of the rules kept so far, for the duplicate-name check of the
 * parser: a hash set, so that each new rule costs the same however many came
 * before it (100 000 rules parse in well under a second, sockfault-rules(5)). */
#ifndef SF_NAMESET_H
#define SF_NAMESET_H

#include <stdint.h>

#include "rules.h"

struct sf_nameset {
	unsigned *slot;	 /* rule index + 1; 0 is an empty slot */
	unsigned cap, n; /* cap: a power of two, or 0 */
};

/* The rule of `rs` named `name` (whose FNV-1a hash is `hash`), or NULL. */
const struct sf_rule *sf_nameset_find(const struct sf_nameset *s, const struct sf_ruleset *rs, const char *name,
				      uint64_t hash);

/* Remember rs->rules[index] (its name_hash set). Returns 0 when out of memory. */
int sf_nameset_add(struct sf_nameset *s, const struct sf_ruleset *rs, unsigned index);

void sf_nameset_free(struct sf_nameset *s);

#endif
