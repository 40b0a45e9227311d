#include "active.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "names.h"
#include "sock.h"
#include "settings.h"
#include "wine.h"

struct sf_active *sf_active_now;
uint32_t sf_gen;
uint32_t sf_pass_gen;
/* Until the library has initialised, every call takes the slow path, which
 * initialises it (another library's constructor may call us before ours ran). */
sf_opmask sf_hot = SF_OPS_ALL;
sf_opmask sf_hot_floor;

void sf_hot_everything(void)
{
	/* Once a connection is dead, or holds a connect error for later, all of
	 * its calls must reach the library, whichever operations the rules
	 * name; until then they cost nothing. */
	__atomic_fetch_or(&sf_hot_floor, SF_OPS_ALL, __ATOMIC_RELAXED);
	__atomic_fetch_or(&sf_hot, SF_OPS_ALL, __ATOMIC_RELEASE);
}

/* Calls that keep the socket records right: they are rare next to data
 * calls, so they always take the slow path while any rule is in force. */
#define SF_OPS_LIFECYCLE (SF_OPS_ALL & ~SF_OPS_IO)

struct sf_active *sf_active_build(struct sf_ruleset *rs, const char *exe)
{
	static uint32_t next_gen = 1;
	struct sf_active *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->rs = *rs;
	memset(rs, 0, sizeof *rs);
	/* Never 0 (no rules) nor SF_GEN_NEVER, even after 2^32 reloads. */
	do
		a->gen = __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED);
	while (a->gen == 0 || a->gen == SF_GEN_NEVER);
	unsigned n = a->rs.n;
	a->for_exe = calloc(n ? n : 1, 1);
	a->stats = calloc(n ? n : 1, sizeof *a->stats);
	a->nosock = calloc(n ? n : 1, sizeof *a->nosock);
	if (!a->for_exe || !a->stats || !a->nosock) {
		free(a->for_exe);
		free(a->stats);
		free(a->nosock);
		sf_ruleset_free(&a->rs);
		free(a);
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sf_rule *r = &a->rs.rules[i];
		if ((r->has & SF_HAS_EXE) && !(exe && sf_glob_match(r->exe, exe, strlen(exe))) &&
		    !(*sf_wine_program && sf_glob_match(r->exe, sf_wine_program, strlen(sf_wine_program))))
			continue;
		sf_wine_fit(r);
		a->for_exe[i] = 1;
		a->rule_ops |= r->ops;
		a->track_ops |= sf_conds_track(r->has) | (sf_rule_kills(r) ? SF_OPS_IO : 0);
		for (int k = 0; k < SF_NUM__COUNT; k++)
			if (r->has & SF_HAS_NUM(k))
				a->num_used |= 1u << k;
		if (r->has & SF_HAS_HOST)
			a->has_host = 1;
		if (r->ops & (SF_OPBIT(SF_OP_socket) | SF_OPBIT(SF_OP_socketpair)))
			a->nosock[a->nnosock++] = i;
	}
	return a;
}

void sf_active_free(struct sf_active *a)
{
	sf_ruleset_free(&a->rs);
	free(a->for_exe);
	free(a->stats);
	free(a->nosock);
	free(a);
}

/* One install at a time: a reload (from a call) and the control channel
 * may replace the rules at once, and each must retire exactly the set it
 * replaced, with the fast path's mask of the set in force. */
static int installing;

void sf_active_child_reset(void)
{
	installing = 0; /* the thread that held it is gone */
}

/* Reloading looks at the files from the wrappers' out-of-line part: while
 * it is on, no record is current for the fast path's question (slow.h
 * sf_pass_v), which so has no test of its own for it (4 instructions a
 * call). */
static int reloading;

void sf_active_reloading(void)
{
	while (__atomic_exchange_n(&installing, 1, __ATOMIC_ACQUIRE))
		sched_yield();
	reloading = 1;
	SF_RELEASE(&sf_pass_gen, SF_GEN_NEVER);
	__atomic_store_n(&installing, 0, __ATOMIC_RELEASE);
}

struct sf_active *sf_active_install(struct sf_active *a)
{
	while (__atomic_exchange_n(&installing, 1, __ATOMIC_ACQUIRE))
		sched_yield();
	sf_opmask hot = 0;
	if (a && (a->rule_ops || sf_config.reload || sf_config.control))
		hot = SF_OPS_LIFECYCLE | a->rule_ops | a->track_ops;
	if (sf_config.reload || sf_config.control)
		hot |= SF_OPS_LIFECYCLE;
	/* Reloading looks at the files from calls, any call (reload.h). */
	if (sf_config.reload && sf_config.rules_path)
		hot = SF_OPS_ALL;
	if (sf_config.trace)
		hot = SF_OPS_ALL;
	hot |= SF_LOAD(&sf_hot_floor);
	struct sf_active *old = __atomic_exchange_n(&sf_active_now, a, __ATOMIC_ACQ_REL);
	/* "Not a socket" is current under every rule set. */
	SF_STORE(&sf_notsock.gen, a ? a->gen : 0);
	SF_RELEASE(&sf_gen, a ? a->gen : 0);
	SF_RELEASE(&sf_pass_gen, reloading ? SF_GEN_NEVER : a ? a->gen : 0);
	SF_RELEASE(&sf_hot, hot);
	sf_names_want(a != NULL);
	__atomic_store_n(&installing, 0, __ATOMIC_RELEASE);
	return old;
}
