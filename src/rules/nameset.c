#include "nameset.h"

#include <stdlib.h>
#include <string.h>

const struct sf_rule *sf_nameset_find(const struct sf_nameset *s, const struct sf_ruleset *rs, const char *name,
				      uint64_t hash)
{
	if (!s->cap)
		return NULL;
	unsigned mask = s->cap - 1;
	for (unsigned i = (unsigned)hash & mask;; i = (i + 1) & mask) {
		unsigned v = s->slot[i];
		if (!v)
			return NULL;
		const struct sf_rule *r = &rs->rules[v - 1];
		if (r->name_hash == hash && strcmp(r->name, name) == 0)
			return r;
	}
}

static void put(unsigned *slot, unsigned cap, uint64_t hash, unsigned value)
{
	unsigned i = (unsigned)hash & (cap - 1);
	while (slot[i])
		i = (i + 1) & (cap - 1);
	slot[i] = value;
}

int sf_nameset_add(struct sf_nameset *s, const struct sf_ruleset *rs, unsigned index)
{
	/* At most half full, so that a probe ends soon at an empty slot. */
	if (2 * (s->n + 1) > s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 64;
		unsigned *slot = calloc(cap, sizeof *slot);
		if (!slot)
			return 0;
		for (unsigned i = 0; i < s->cap; i++)
			if (s->slot[i])
				put(slot, cap, rs->rules[s->slot[i] - 1].name_hash, s->slot[i]);
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	put(s->slot, s->cap, rs->rules[index].name_hash, index + 1);
	s->n++;
	return 1;
}

void sf_nameset_free(struct sf_nameset *s)
{
	free(s->slot);
	memset(s, 0, sizeof *s);
}
