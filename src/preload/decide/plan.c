/* The plan: which rules can ever apply to a socket, decided when what the
 * rules look at (peer, local, proto, side, program) is fixed, so that a call
 * checks only those. With a thousand rules for other peers the plan is empty
 * and the socket's data calls never leave the fast path. This part gathers
 * what the plan is made from and publishes it; plan_make.c makes it. */
#include <string.h>

#include "active.h"
#include "alloc.h"
#include "names.h"
#include "plan_make.h"
#include "proctree.h"
#include "reclaim.h"
#include "relay.h"
#include "replay.h"
#include "settings.h"
#include "sock.h"
#include "wine.h"

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

void sf_sock_replan(struct sf_sock *s)
{
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *old = SF_ACQUIRE(&s->plan);
	struct sf_plan *plan = NULL;
	struct sf_subject subj;
	const char *hosts[SF_NAMES_PER_ADDR + 1];
	struct sf_plan_in in = {
		.gate = {
			.subj = &subj,
			.dgram = !(s->flags & SF_SOCK_STREAM),
			.replaying = sf_replaying,
			.seed = sf_config.seed,
			.proc_key = sf_proctree_key(),
			.peer_hash = s->peer_hash,
			.ordinal = s->conn_ordinal,
		},
		/* A dead connection, a pending error and tracing all need the
		 * full path on every call. */
		.all_slow = sf_config.trace || SF_LOAD(&s->dead) || SF_LOAD(&s->pending_err),
		.relayed = sf_relay_real_fd(s, -1) >= 0,
	};
	uint32_t n = 0;
	if (a) {
		sf_sock_subject(s, &subj);
		sf_names_of(&subj.peer, hosts);
		subj.hosts = hosts;
		in.rules = a->rs.rules;
		in.nrules = a->rs.n;
		in.for_exe = a->for_exe;
		in.gen = a->gen;
		in.stats = a->stats;
		n = sf_plan_count(&in);
		plan = n ? sf_alloc(sf_plan_size(n, in.gate.dgram)) : NULL;
	}
	struct sf_plan_out out;
	sf_plan_make(&in, plan, n, old && SF_LOAD(&s->gen) == in.gen ? old : NULL, &out);
	/* Two threads may replan one socket at once (after a reload, both see
	 * it stale): one plan wins, the other was never seen by anyone and is
	 * freed at once, and the old one is retired exactly once. */
	if (!__atomic_compare_exchange_n(&s->plan, &old, plan, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (plan)
			sf_free(plan, sf_plan_bytes(plan));
		sf_read_end();
		return;
	}
	if (out.dest_only)
		sf_sock_dest_need(s);
	sf_sock_dest_forget(s);
	SF_STORE(&s->dest_ops, out.dest_only);
	SF_STORE(&s->quick_ops, out.quick);
	SF_STORE(&s->track_idle, out.idle);
	SF_STORE(&s->opmask, out.ops);
	SF_RELEASE(&s->gen, a ? a->gen : 0);
	if (old)
		sf_retire(old, sf_plan_bytes(old), sf_free);
	sf_read_end();
	/* Its link takes the new plan's delays (none: it carries the bytes at
	 * once). */
	if (in.relayed)
		sf_relay_replanned(s, -1);
}

void sf_sock_all_slow(struct sf_sock *s)
{
	SF_STORE(&s->quick_ops, 0);
	SF_STORE(&s->dest_ops, 0);
	SF_STORE(&s->opmask, SF_OPS_ALL);
	sf_hot_everything();
}
