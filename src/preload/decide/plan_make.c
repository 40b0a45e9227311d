#include "plan_make.h"

#include <string.h>

#include "conditions.h"
#include "match.h"

#define SF_OPS_LIFECYCLE (SF_OPS_ALL & ~SF_OPS_IO)

/* The operations whose call may name a peer of its own: on a datagram
 * socket, connected or not, the rules about peers read that one
 * (sockfault-rules(5), peer=), for a connected UDP socket's datagram goes
 * there. */
#define SF_OPS_OWN_DEST \
	(SF_OPBIT(SF_OP_connect) | SF_OPBIT(SF_OP_sendto) | SF_OPBIT(SF_OP_sendmsg) | SF_OPBIT(SF_OP_sendmmsg))

/* Rule i can ever apply to the socket: for this program, fit for its kind
 * (some actions only make sense for one kind of socket; on the other the
 * rule simply does not apply, and check refused rules that name that
 * kind), and its fixed conditions could hold: 1. 2: on a connected
 * datagram socket, they hold for another peer than the socket's, which
 * only a call with a destination of its own can name (the entry's away);
 * 0: never. */
static int enters(const struct sf_plan_in *in, uint32_t i)
{
	const struct sf_rule *r = &in->rules[i];
	if (!in->for_exe[i] || !sf_action_fits(r->action, !in->gate.dgram))
		return 0;
	if (sf_rule_statics_hold(r, in->gate.subj, 1))
		return 1;
	if (!in->gate.dgram || !(r->ops & SF_OPS_OWN_DEST) || !(r->has & SF_HAS_PER_DEST) ||
	    in->gate.subj->peer.family == SF_ADDR_ANY)
		return 0;
	struct sf_subject elsewhere = *in->gate.subj;
	memset(&elsewhere.peer, 0, sizeof elsewhere.peer);
	elsewhere.hosts = NULL;
	return sf_rule_statics_hold(r, &elsewhere, 1) ? 2 : 0;
}

/* The data calls that must reach the library on a socket the rule applies
 * to: those whose bookkeeping it reads, and, for a rule that can kill the
 * connection, every data call (one under way in the kernel when it dies
 * must be given the dead connection's answer, not the kernel's words for
 * the abort). */
static sf_opmask tracked_by(const struct sf_rule *r)
{
	return (sf_action_kills(r->action, r->sticky) ? SF_OPS_IO : 0) | sf_conds_track(r->has);
}

uint32_t sf_plan_count(const struct sf_plan_in *in)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < in->nrules; i++)
		n += enters(in, i) != 0;
	return n;
}

static void fill(const struct sf_plan_in *in, struct sf_plan *plan, uint32_t n, const struct sf_plan *carry,
		 struct sf_plan_out *out)
{
	int dgram = in->gate.dgram;
	plan->gen = in->gen;
	plan->stats = in->stats;
	plan->draw_ord = in->gate.ordinal;
	plan->draw_id = sf_plan_draws_for(in->gate.proc_key, in->gate.ordinal);
	/* The entries are counted in as they are made: the cache's place is
	 * after all n (sf_plan_dg once they are). */
	plan->dgram = (uint8_t)(dgram != 0);
	struct sf_plan_dgram *dg = dgram ? (struct sf_plan_dgram *)&plan->e[n] : NULL;
	/* The ops the entries a call without a destination of its own may
	 * meet name (all but the away ones). */
	sf_opmask peer_named = 0;
	for (uint32_t i = 0; i < in->nrules && plan->n < n; i++) {
		const struct sf_rule *r = &in->rules[i];
		int how = enters(in, i);
		if (!how)
			continue;
		struct sf_plan_entry *e = &plan->e[plan->n++];
		e->rule = i;
		/* A rule for other peers than the connected one's names no
		 * call without a destination of its own. */
		e->away = how == 2;
		e->ops = e->away ? r->ops & SF_OPS_OWN_DEST : r->ops;
		struct sf_gate g = sf_gate_make(r, &in->gate);
		e->flags = g.flags;
		e->draw_key = g.draw_key;
		e->num = g.num;
		if (g.num) {
			/* An empty range holds for no number the lane can see
			 * (none reaches UINT64_MAX). */
			const struct sf_range *rg = &r->num[g.num - 1];
			e->lo = rg->lo <= rg->hi ? rg->lo : UINT64_MAX;
			e->span = rg->lo <= rg->hi ? rg->hi - rg->lo : 0;
		}
		if (dgram && !(e->flags & SF_PE_PER_DEST))
			dg->fixed[dg->nfixed++] = (uint16_t)(plan->n - 1);
		const struct sf_plan_entry *was = NULL;
		for (uint32_t k = 0; carry && k < carry->n; k++)
			if (carry->e[k].rule == i) {
				was = &carry->e[k];
				e->calls = SF_LOAD(&was->calls);
				e->fired = SF_LOAD(&was->fired);
				e->mark = SF_LOAD(&was->mark) & SF_MARK_STUCK;
			}
		/* p= alone goes on with its sequence where its draws do
		 * (gate.h sf_gate_gap_count); where they are new, one starts
		 * at the count. */
		if (!sf_gate_gaps(e->flags))
			e->next = sf_when_next(&r->when, e->calls + 1);
		else if (was && sf_gate_gaps(was->flags) && was->draw_key == e->draw_key)
			e->next = SF_LOAD(&was->next);
		else
			e->next = sf_gap_next(r->p_scaled, e->draw_key, e->calls);
		out->ops |= e->ops | tracked_by(r);
		/* The destination cache lets through no call whose bookkeeping
		 * a rule reads (decide/dest.h). */
		if (dgram) {
			dg->tracked |= tracked_by(r);
			if (!e->away)
				peer_named |= e->ops;
		}
		if (r->has & SF_HAS_NUM(SF_NUM_IDLE))
			out->idle = 1;
	}
	if (dgram)
		dg->peer_pass = ~(peer_named | dg->tracked);
}

void sf_plan_make(const struct sf_plan_in *in, struct sf_plan *plan, uint32_t n, const struct sf_plan *carry,
		  struct sf_plan_out *out)
{
	out->ops = SF_OPS_LIFECYCLE;
	out->idle = 0;
	if (plan) {
		memset(plan, 0, sf_plan_size(n, in->gate.dgram));
		fill(in, plan, n, carry, out);
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
	if (in->all_slow)
		quick = dest_only = 0;
	if (plan) {
		memset(plan->quick, 0xff, sizeof plan->quick);
		for (uint32_t i = 0; i < plan->n && i < 0xff; i++)
			for (int op = 0; op < SF_OP__COUNT; op++)
				if (((quick & plan->e[i].ops) & SF_OPBIT(op)) && sf_quick_slot[op])
					plan->quick[sf_quick_slot[op] - 1] = (uint8_t)i;
	}
	if (in->all_slow || in->relayed)
		out->ops = SF_OPS_ALL;
	out->quick = quick;
	out->dest_only = dest_only;
}
