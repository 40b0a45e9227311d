/* What a call, a firing and the rules' counts say in the log: the library's
 * structures turned into the plain data base/log.h writes. */
#ifndef SF_REPORT_H
#define SF_REPORT_H

#include <stdint.h>

#include "active.h"
#include "call.h"

/* A rule fired on the call. For delay, `delay_ns` is the delay applied;
 * `err` the errno the call will return (0: none); `conn` and `call` say
 * which connection to the peer and which of the rule's calls on it this is
 * (what replay matches on). A quiet rule, or a log that is off, costs
 * nothing. */
void sf_report_fault(const struct sf_call *c, const struct sf_rule *r, uint64_t delay_ns, int err, uint64_t conn,
		     uint64_t call);
/* The firings of one call, noted while the rules are read and written
 * once the reading is over (reclaim.h): nothing that writes waits inside
 * it. A note copies what the line says of the rule, which may be freed as
 * soon as the reading ends. */
struct sf_firing_note;
struct sf_firings {
	struct sf_firing_note *head, **tail;
};
static inline void sf_firings_init(struct sf_firings *fs)
{
	fs->head = NULL;
	fs->tail = &fs->head;
}
/* As sf_report_fault, later. A note that finds no memory is a line
 * dropped, as the log drops one it cannot write at once. */
void sf_report_fault_later(struct sf_firings *fs, const struct sf_rule *r, uint64_t delay_ns, int err, uint64_t conn,
			   uint64_t call);
/* Write the noted firings of the call (at least one), in order, and
 * forget them. */
void sf_report_firings(struct sf_firings *fs, const struct sf_call *c);

/* SOCKFAULT_TRACE: the call and its result. */
void sf_report_trace(const struct sf_call *c, long ret, int err);
/* SOCKFAULT_STATS: every rule's counts. */
void sf_report_stats(const struct sf_active *a);

#endif
