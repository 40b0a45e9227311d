/* The rules in force in this process: the parsed set, narrowed to this
 * program (exe=), with the process-wide counters and what the fast path
 * must send to the slow path. Replaced as a whole on reload. */
#ifndef SF_ACTIVE_H
#define SF_ACTIVE_H

#include "sf.h"

#include "rules.h"

struct sf_rule_stats {
	uint64_t matched; /* counted calls (all conditions but when/p/limit held) */
	uint64_t fired;
	uint64_t proc_calls; /* per=process counting */
	uint64_t proc_fired;
};

struct sf_active {
	struct sf_ruleset rs;
	uint32_t gen;
	uint8_t *for_exe; /* rule i can apply to this program */
	struct sf_rule_stats *stats;
	sf_opmask rule_ops;  /* union of the ops of this program's rules */
	sf_opmask track_ops; /* ops whose bookkeeping some rule reads */
	uint32_t num_used;   /* bit k: some rule reads num[k] */
	int has_host;	     /* some rule has host= */
	/* Rules for calls with no socket yet (socket, socketpair), in order. */
	uint32_t *nosock;
	uint32_t nnosock;
};

/* The rules now in force (NULL: none), and their generation. */
extern SF_HIDDEN struct sf_active *sf_active_now;
extern SF_HIDDEN uint32_t sf_gen;
/* sf_gen for the fast path's question; SF_GEN_NEVER, which no record has,
 * while reloading is on (slow.h sf_pass). */
extern SF_HIDDEN uint32_t sf_pass_gen;
#define SF_GEN_NEVER UINT32_MAX
/* Reloading is on from now (reload.c sf_reload_start). */
void sf_active_reloading(void);
/* The operations the fast path must not pass straight to libc. */
extern SF_HIDDEN sf_opmask sf_hot;
/* Operations that stay hot whatever the rules: once a connection has died,
 * all of its calls must reach the library, even after a reload. */
extern SF_HIDDEN sf_opmask sf_hot_floor;
void sf_hot_everything(void);

/* Build the active set from parsed rules (taking them over). */
struct sf_active *sf_active_build(struct sf_ruleset *rs, const char *exe);
void sf_active_free(struct sf_active *a);

/* The rule can end a connection (sf_action_kills, from actions.def). */
static inline int sf_rule_kills(const struct sf_rule *r)
{
	return sf_action_kills(r->action, r->sticky);
}

/* Make `a` the rules in force and recompute the fast-path mask; returns
 * the set it replaced (for the caller to retire). */
struct sf_active *sf_active_install(struct sf_active *a);
void sf_active_child_reset(void);

static inline struct sf_active *sf_active_get(void)
{
	return SF_ACQUIRE(&sf_active_now);
}

#endif
