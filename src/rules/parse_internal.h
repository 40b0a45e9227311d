/* What the parser hands to the checker: where each part of a rule was written. */
#ifndef SF_PARSE_INTERNAL_H
#define SF_PARSE_INTERNAL_H

#include <stddef.h>

#include "rules.h"

#define SF_NOWHERE ((size_t)-1)

/* Offsets in the logical line of each part, SF_NOWHERE when absent. */
struct sf_rule_where {
	size_t ops;
	size_t action;
	size_t key[SF_KEY__COUNT];
	size_t num_op[SF_NUM__COUNT][2]; /* the first two comparisons of each numeric key */
	size_t now, icmp, sticky;
	sf_opmask named_ops; /* the ops named one by one */
};

typedef void (*sf_report_fn)(void *ctx, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Refuse what can never fire (sockfault-rules(5): a rule that can never fire is an error) and narrow the
 * groups to the operations the action and conditions can apply to.
 * Returns the number of problems reported. */
unsigned sf_check_rule(struct sf_rule *r, const struct sf_rule_where *w, sf_report_fn report, void *ctx);

#endif
