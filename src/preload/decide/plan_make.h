/* The plan of one socket made from its inputs alone: the rules, the socket
 * as the rules see it and the draws' fixed inputs, with no global read, no
 * lock and no allocation (the caller gives the room), so that unit tests
 * can ask which rules enter a plan and what it settles. plan.c gathers
 * the inputs and publishes the plan. */
#ifndef SF_PLAN_MAKE_H
#define SF_PLAN_MAKE_H

#include "sf.h"

#include <stddef.h>
#include <stdint.h>

#include "gate.h"
#include "rules.h"
#include "sock.h"

struct sf_plan_in {
	const struct sf_rule *rules; /* the rule set in force */
	uint32_t nrules;
	const uint8_t *for_exe;	     /* rule i can apply to this program (exe=) */
	uint32_t gen;		     /* the rule set's generation */
	struct sf_rule_stats *stats; /* the rule set's statistics (the plan keeps them for the quick lane) */
	/* The socket as the rules see it (subj, with its host names), stream
	 * or datagram, replay, and the draws' inputs fixed for the socket. */
	struct sf_gate_in gate;
	/* Every call takes the full path: tracing, a dead connection, a
	 * pending injected error (no quick lane, every op to the library). */
	int all_slow;
	/* A relayed connection: its calls are answered for its real socket. */
	int relayed;
};

/* What the socket's record takes from the plan (sock.h sf_sock). */
struct sf_plan_out {
	sf_opmask ops;	     /* operations that need the slow path */
	sf_opmask quick;     /* operations the quick lane decides */
	sf_opmask dest_only; /* datagram: operations only per-destination rules name */
	uint8_t idle;	     /* a rule reads idle=: note when data moves */
};

/* How many rules enter the plan. */
uint32_t sf_plan_count(const struct sf_plan_in *in);

/* Fill `plan` (room for sf_plan_size(n, dgram) bytes, n = sf_plan_count(in);
 * NULL: no plan, none of the rules apply or there was no room) and say
 * what the record takes from it. `carry`: the socket's previous plan for
 * the same rules, whose counters carry over (a connect fixing the peer
 * keeps when= counting), or NULL. */
void sf_plan_make(const struct sf_plan_in *in, struct sf_plan *plan, uint32_t n, const struct sf_plan *carry,
		  struct sf_plan_out *out);

#endif
