/* The plan: which rules can ever apply to a socket, decided when what the
 * rules look at (peer, local, proto, side, program) is fixed, so that a call
 * checks only those. With a thousand rules for other peers the plan is empty
 * and the socket's data calls never leave the fast path. */
#include <string.h>

#include "active.h"
#include "alloc.h"
#include "gate.h"
#include "names.h"
#include "proctree.h"
#include "reclaim.h"
#include "relay.h"
#include "replay.h"
#include "settings.h"
#include "sock.h"
#include "wine.h"

#define SF_OPS_LIFECYCLE (SF_OPS_ALL & ~SF_OPS_IO)

const uint8_t sf_quick_slot[SF_OP__COUNT] = {
	[SF_OP_send] = 1, [SF_OP_sendto] = 2,	[SF_OP_sendmsg] = 3, [SF_OP_write] = 4, [SF_OP_writev] = 5,
	[SF_OP_recv] = 6, [SF_OP_recvfrom] = 7, [SF_OP_recvmsg] = 8, [SF_OP_read] = 9,	[SF_OP_readv] = 10,
};

void sf_sock_subject(const struct sf_sock *s, struct sf_subject *subj)
{
	memset(subj, 0, sizeof *subj);
	subj->proto = s->proto;
	subj->side = s->side;
	subj->side_known = s->side != 0 || (s->flags & SF_SOCK_LEARNED) || s->state == SF_STATE_LISTENING;
	subj->state = s->state;
	sf_sock_addr_view(s, 1, &subj->peer);
	sf_sock_addr_view(s, 0, &subj->local);
	subj->exe = sf_config.exe;
	subj->exe_also = *sf_wine_program ? sf_wine_program : NULL;
}

/* Some actions only make sense for one kind of socket; on the other kind the
 * rule simply does not apply (and check refused rules that name that kind). */
static int action_fits(const struct sf_rule *r, const struct sf_sock *s)
{
	return sf_action_fits(r->action, (s->flags & SF_SOCK_STREAM) != 0);
}

/* The data calls that must reach the library on a socket the rule applies
 * to: those whose bookkeeping it reads, and, for a rule that can kill the
 * connection, every data call (one under way in the kernel when it dies
 * must be given the dead connection's answer, not the kernel's words for
 * the abort). */
static sf_opmask tracked_by(const struct sf_rule *r)
{
	return (sf_rule_kills(r) ? SF_OPS_IO : 0) | sf_conds_track(r->has);
}

void sf_sock_replan(struct sf_sock *s)
{
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *old = SF_ACQUIRE(&s->plan);
	struct sf_plan *plan = NULL;
	sf_opmask ops = SF_OPS_LIFECYCLE;
	uint32_t n = 0;
	uint8_t idle = 0;

	if (a) {
		struct sf_subject subj;
		const char *hosts[SF_NAMES_PER_ADDR + 1];
		sf_sock_subject(s, &subj);
		sf_names_of(&subj.peer, hosts);
		subj.hosts = hosts;
		for (unsigned i = 0; i < a->rs.n; i++) {
			const struct sf_rule *r = &a->rs.rules[i];
			if (a->for_exe[i] && action_fits(r, s) && sf_rule_statics_hold(r, &subj, 1))
				n++;
		}
		int dgram = !(s->flags & SF_SOCK_STREAM);
		struct sf_gate_in gin = {
			.subj = &subj,
			.dgram = dgram,
			.replaying = sf_replaying,
			.seed = sf_config.seed,
			.proc_key = sf_proctree_key(),
			.peer_hash = s->peer_hash,
			.ordinal = s->conn_ordinal,
		};
		size_t size = sizeof *plan + n * sizeof plan->e[0];
		if (dgram)
			size += sizeof(struct sf_plan_dgram) + n * sizeof(uint16_t);
		plan = n ? sf_alloc(size) : NULL;
		if (plan) {
			plan->size = (uint32_t)size;
			plan->gen = a->gen;
			plan->draw_proc = gin.proc_key;
			plan->draw_ord = gin.ordinal;
			if (dgram)
				plan->dg = (struct sf_plan_dgram *)&plan->e[n];
			for (unsigned i = 0; i < a->rs.n; i++) {
				const struct sf_rule *r = &a->rs.rules[i];
				if (!a->for_exe[i] || !action_fits(r, s) || !sf_rule_statics_hold(r, &subj, 1))
					continue;
				struct sf_plan_entry *e = &plan->e[plan->n++];
				e->r = r;
				e->rule = i;
				e->ops = r->ops;
				struct sf_gate g = sf_gate_make(r, &gin);
				e->flags = g.flags;
				e->draw_key = g.draw_key;
				if (dgram && !(e->flags & SF_PE_PER_DEST))
					plan->dg->fixed[plan->dg->nfixed++] = (uint16_t)(plan->n - 1);
				/* Counters carry over when the plan is rebuilt for the same
				 * rules (a connect fixing the peer keeps when= counting). */
				if (old && SF_LOAD(&s->gen) == a->gen)
					for (uint32_t k = 0; k < old->n; k++)
						if (old->e[k].rule == i) {
							e->calls = SF_LOAD(&old->e[k].calls);
							e->fired = SF_LOAD(&old->e[k].fired);
							e->stuck = SF_LOAD(&old->e[k].stuck);
						}
				ops |= r->ops | tracked_by(r);
				if (r->has & SF_HAS_NUM(SF_NUM_IDLE))
					idle = 1;
			}
		}
	}
	/* The quick lane (sf_quick_enter): ops named by at most one rule of the
	 * plan, one whose fixed conditions hold and whose gate decides it. */
	sf_opmask quick = SF_OPS_ALL, seen = 0;
	for (uint32_t i = 0; plan && i < plan->n; i++) {
		quick &= ~(plan->e[i].ops & seen);
		if (!(plan->e[i].flags & SF_PE_QUICK) || i >= 0xff)
			quick &= ~plan->e[i].ops;
		seen |= plan->e[i].ops;
	}
	/* Datagram sockets: the ops that only per-destination rules name; a
	 * call to a destination none of them holds for takes the quick lane. */
	sf_opmask dest_only = 0, other = 0;
	for (uint32_t i = 0; plan && i < plan->n; i++) {
		if (plan->e[i].flags & SF_PE_PER_DEST)
			dest_only |= plan->e[i].ops;
		else
			other |= plan->e[i].ops;
	}
	dest_only &= ~other & ~quick;
	/* A dead connection, a pending error and tracing all need the full
	 * path on every call. */
	if (sf_config.trace || SF_LOAD(&s->dead) || SF_LOAD(&s->pending_err))
		quick = dest_only = 0;
	if (plan) {
		memset(plan->quick, 0xff, sizeof plan->quick);
		for (uint32_t i = 0; i < plan->n && i < 0xff; i++)
			for (int op = 0; op < SF_OP__COUNT; op++)
				if (((quick & plan->e[i].ops) & SF_OPBIT(op)) && sf_quick_slot[op])
					plan->quick[sf_quick_slot[op] - 1] = (uint8_t)i;
	}
	/* A dead connection and a pending injected error answer every call. */
	if (sf_config.trace || SF_LOAD(&s->dead) || SF_LOAD(&s->pending_err))
		ops = SF_OPS_ALL;
	/* A relayed connection's calls are answered for its real socket. */
	int relayed = sf_relay_real_fd(s, -1) >= 0;
	if (relayed)
		ops = SF_OPS_ALL;
	/* Two threads may replan one socket at once (after a reload, both see
	 * it stale): one plan wins, the other was never seen by anyone and is
	 * freed at once, and the old one is retired exactly once. */
	if (!__atomic_compare_exchange_n(&s->plan, &old, plan, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (plan)
			sf_free(plan, plan->size);
		sf_read_end();
		return;
	}
	SF_STORE(&s->dest_ops, dest_only);
	SF_STORE(&s->quick_ops, quick);
	SF_STORE(&s->track_idle, idle);
	SF_STORE(&s->opmask, ops);
	SF_RELEASE(&s->gen, a ? a->gen : 0);
	if (old)
		sf_retire(old, old->size, sf_free);
	sf_read_end();
	/* Its link takes the new plan's delays (none: it carries the bytes at
	 * once). */
	if (relayed)
		sf_relay_replanned(s, -1);
}

void sf_sock_all_slow(struct sf_sock *s)
{
	SF_STORE(&s->quick_ops, 0);
	SF_STORE(&s->dest_ops, 0);
	SF_STORE(&s->opmask, SF_OPS_ALL);
	sf_hot_everything();
}
