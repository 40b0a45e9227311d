#include "engine.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "active.h"
#include "clock.h"
#include "decide.h"
#include "dest.h"
#include "gate.h"
#include "judge.h"
#include "quick.h"
#include "names.h"
#include "proctree.h"
#include "reclaim.h"
#include "usermem.h"
#include "replay.h"
#include "report.h"
#include "settings.h"
#include "enter.h"
#include "lookup.h"
#include "wine.h"

struct eval {
	int stale; /* the socket's record turned out stale: nothing fires */
	struct sf_call *c;
	struct sf_active *a;
	struct sf_subject subj;
	int have_subject; /* subj's state, side and numbers are filled in */
	int have_addrs;	  /* subj's addresses (and hosts) are filled in */
	int have_draw;	  /* draw: the draws' inputs are gathered */
	struct sf_judge_draw_in draw;
	uint32_t ordinal;
	uint64_t delay_ns;
	const char **hosts;	   /* room for the host= names, when rules have host= */
	struct sf_firings firings; /* logged once the rules are read */
	char *pathbuf;		   /* room for a call's own unix path */
};

/* What rules with conditions look at: the state, the side, the numbers.
 * Filled in on first need: a rule whose conditions the socket's plan has
 * settled needs none of it. The addresses come separately (need_addrs). */
static void need_subject(struct eval *ev)
{
	struct sf_call *c = ev->c;
	struct sf_sock *s = c->s;
	struct sf_subject *subj = &ev->subj;
	if (ev->have_subject)
		return;
	ev->have_subject = 1;
	subj->op = c->op;
	subj->num_known = 0;
	subj->hosts = NULL;
	subj->exe = sf_config.exe;
	subj->exe_also = *sf_wine_program ? sf_wine_program : NULL;
	struct sf_snap sn = { .state = SF_STATE_UNCONNECTED };
	if (s) {
		subj->proto = s->proto;
		subj->side = s->side;
		sf_sock_snap(s, 0, &sn);
		subj->side_known = s->side != 0 || (s->flags & SF_SOCK_LEARNED) || sn.state == SF_STATE_LISTENING;
	} else {
		subj->proto = c->proto;
		subj->side = 0;
		subj->side_known = 0;
	}
	subj->state = sn.state;
	if (c->op == SF_OP_connect && !subj->side) {
		subj->side = SF_SIDE_CLIENT;
		subj->side_known = 1;
	}
	if (ev->a->num_used & SF_NUMS_CLOCK)
		sf_sock_snap_clock(s, &sn);
	/* Without a socket, only uptime= means something. */
	uint32_t known = s ? (1u << SF_NUM__COUNT) - 1 : 1u << SF_NUM_UPTIME;
	for (int k = 0; k < SF_NUM__COUNT; k++)
		if ((known & (1u << k)) && sf_snap_number(&sn, k, &subj->num[k]))
			subj->num_known |= 1u << k;
}

/* The addresses, for the rules that must check them on this call. A call's
 * own address is the peer it is about (connect, sendto), or for bind the
 * local address it asks for. */
static void need_addrs(struct eval *ev)
{
	struct sf_call *c = ev->c;
	struct sf_subject *subj = &ev->subj;
	if (ev->have_addrs)
		return;
	need_subject(ev);
	ev->have_addrs = 1;
	memset(&subj->peer, 0, sizeof subj->peer);
	memset(&subj->local, 0, sizeof subj->local);
	if (c->s) {
		sf_sock_addr_view(c->s, 1, &subj->peer);
		sf_sock_addr_view(c->s, 0, &subj->local);
	}
	if (c->addr)
		sf_sockaddr_view(c->addr, c->addrlen, c->op == SF_OP_bind ? &subj->local : &subj->peer, ev->pathbuf,
				 SF_UNIX_PATH_ROOM);
	if (ev->a->has_host) {
		sf_names_of(&subj->peer, ev->hosts);
		subj->hosts = ev->hosts;
	}
}

/* The draws' inputs, gathered for the first rule that draws. Which peer
 * they are about: the connection's, or for a call with its own
 * destination (sendto, connect), that destination; a datagram sent to
 * another than the connected peer draws as an unconnected socket's does,
 * on no connection (sockfault-rules(5), DETERMINISM). */
static const struct sf_judge_draw_in *gather_draws(void *ctx)
{
	struct eval *ev = ctx;
	struct sf_call *c = ev->c;
	struct sf_sock *s = c->s;
	if (!ev->have_draw) {
		ev->have_draw = 1;
		ev->draw.seed = sf_config.seed;
		ev->draw.proc_key = sf_proctree_key();
		ev->draw.ordinal = ev->ordinal;
		if (c->addr && c->op != SF_OP_bind &&
		    (!s || !(s->flags & SF_SOCK_HAS_PEER) || !(s->flags & SF_SOCK_STREAM))) {
			need_addrs(ev);
			ev->draw.peer_hash = sf_call_accepted(c) ? sf_accepted_hash(&ev->subj.local, &ev->subj.peer)
								 : sf_peer_hash(&ev->subj.peer);
			if (s && !(s->flags & SF_SOCK_STREAM) && (SF_OPS_TX & SF_OPBIT(c->op)) &&
			    (!(s->flags & SF_SOCK_HAS_PEER) || ev->draw.peer_hash != s->peer_hash))
				ev->draw.ordinal = 0;
		} else {
			ev->draw.peer_hash = s ? s->peer_hash : 0;
		}
	}
	return &ev->draw;
}

/* Before a rule fires, the descriptor must still be the socket of the
 * record: the program may have closed it where the library could not see
 * (fclose of an fdopen'ed socket, a raw close, libc's own) and got the
 * number back for a file or another socket. Then nothing fires, and the
 * entry is learned again (sf_sock_is). One fstat, only on a firing. */
static int stale(struct eval *ev)
{
	if (!ev->stale && ev->c->s && !sf_sock_is(ev->c->s, ev->c->fd))
		ev->stale = 1;
	return ev->stale;
}

static int replayed(void *ctx, const struct sf_rule *r, uint64_t idx)
{
	struct eval *ev = ctx;
	return sf_replay_fired(ev->c, r->name, ev->ordinal, idx);
}

static int stale_hook(void *ctx)
{
	return stale(ctx);
}

/* One rule against the call: its conditions checked here, the rest judged
 * (judge.h); a firing is noted for the log. Returns 1 when it decided the
 * call. */
static int consider(struct eval *ev, uint32_t ri, struct sf_plan_entry *e)
{
	const struct sf_rule *r = &ev->a->rs.rules[ri];
	struct sf_call *c = ev->c;
	/* A rule for other peers than the connected one's (the entry's away)
	 * reads only a call's own destination. */
	if (e && e->away && !(c->addr && c->op != SF_OP_bind))
		return 0;
	/* A stuck rule fires whatever its conditions say now. */
	if (!(e && sf_entry_stuck(e))) {
		if (e && (e->flags & SF_PE_STATICS_OK)) {
			if (e->flags & SF_PE_DYNAMIC) {
				need_subject(ev);
				if (!sf_rule_dynamics_hold(r, &ev->subj))
					return 0;
			}
		} else {
			need_addrs(ev);
			if (!sf_rule_matches(r, &ev->subj))
				return 0;
		}
	}
	struct sf_judge_in in = {
		.r = r,
		.asking = c->op == SF_OP_connect && c->s &&
			  sf_judge_asking(c->op, c->s->flags & SF_SOCK_STREAM, SF_LOAD(&c->s->state)),
		.holds = 1,
		.replaying = sf_replaying != 0,
		.gather = gather_draws,
		.replayed = replayed,
		.stale = stale_hook,
		.ctx = ev,
	};
	struct sf_judge_counts k = { .st = &ev->a->stats[ri], .e = e };
	struct sf_judge_out out;
	enum sf_judged j = sf_judge(&in, &k, c, &out);
	if (j == SF_JUDGED_STALE)
		return 1;
	if (j == SF_JUDGED_DECIDED) {
		c->v.err = sf_wine_errno(c->v.err);
		c->v.ends = (uint8_t)sf_verdict_ends(c);
	}
	if (out.fired) {
		ev->delay_ns += out.delay_ns;
		sf_report_fault_later(&ev->firings, r, out.delay_ns, sf_verdict_errno(c), ev->ordinal, out.nth);
	}
	return j == SF_JUDGED_DECIDED;
}

/* Which per-destination entries hold for this call's destination: from the
 * plan's cache when the destination is the last one seen, else checked one
 * by one (and cached when the answer is short). */
struct dest_view {
	int all; /* no cache to use: check each entry */
	uint16_t n;
	uint16_t idx[SF_DEST_IDX_MAX];
};

/* The cache's key for a call's destination (sf_dest_key); no destination
 * (the socket's peer): all zero, when the socket has one. */
static inline __attribute__((always_inline)) int dest_key(const struct sf_sock *s, const struct sockaddr *addr,
							  socklen_t len, uint64_t words[SF_DEST_KEY_WORDS])
{
	if (!addr) {
		memset(words, 0, SF_DEST_KEY_WORDS * sizeof words[0]);
		return (s->flags & SF_SOCK_HAS_PEER) != 0;
	}
	return sf_dest_key(addr, len, words);
}

/* The cache holds this destination's entries, for the names known now;
 * *n: how many (at most SF_DEST_IDX_MAX). Read under the sequence count. */
static inline int dest_cached(const struct sf_plan *plan, const uint64_t key[SF_DEST_KEY_WORDS], uint16_t *n)
{
	const struct sf_plan_dgram *dg = sf_plan_dg(plan);
	sf_opmask pass;
	/* Loaded once: a writer may change it under the reader, who then
	 * throws the result away (the sequence count) but must never index
	 * past dest_idx before that. */
	uint16_t dn = __atomic_load_n(&dg->dest_n, __ATOMIC_RELAXED);
	if (dn > SF_DEST_IDX_MAX || !sf_dest_cached(dg, key, &pass))
		return 0;
	*n = dn;
	return 1;
}

static void dest_entries(struct eval *ev, struct sf_plan *plan, struct dest_view *dv)
{
	struct sf_call *c = ev->c;
	uint64_t key[SF_DEST_KEY_WORDS];
	const struct sockaddr *addr = c->op != SF_OP_bind ? c->addr : NULL;
	dv->all = 1;
	dv->n = 0;
	if (!c->s || !sf_plan_dg(plan) || !dest_key(c->s, addr, c->addrlen, key))
		return;
	uint32_t names = SF_LOAD(&sf_names_gen);
	uint32_t seq = __atomic_load_n(&sf_plan_dg(plan)->dest_seq, __ATOMIC_ACQUIRE);
	uint16_t n;
	if (!(seq & 1) && dest_cached(plan, key, &n)) {
		for (uint16_t k = 0; k < n; k++)
			dv->idx[k] = SF_LOAD(&sf_plan_dg(plan)->dest_idx[k]);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sf_plan_dg(plan)->dest_seq, __ATOMIC_RELAXED) == seq) {
			dv->all = 0;
			dv->n = n;
			return;
		}
	}
	/* Check every per-destination entry against this destination. */
	need_addrs(ev);
	n = 0;
	sf_opmask held = 0;
	for (uint32_t i = 0; i < plan->n; i++) {
		if (!(plan->e[i].flags & SF_PE_PER_DEST) || (plan->e[i].away && !addr))
			continue;
		if (!sf_rule_statics_hold(&ev->a->rs.rules[plan->e[i].rule], &ev->subj, 0))
			continue;
		if (n == SF_DEST_IDX_MAX) {
			n = SF_DEST_MANY;
			break;
		}
		held |= plan->e[i].ops;
		dv->idx[n++] = (uint16_t)i;
	}
	/* Keep it, if no other thread is writing the cache right now. */
	if (!(seq & 1) && __atomic_compare_exchange_n(&sf_plan_dg(plan)->dest_seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE,
						      __ATOMIC_RELAXED)) {
		/* The odd count must be seen before any of what follows (on
		 * a weakly ordered CPU the stores could overtake it). */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		for (int w = 0; w < SF_DEST_KEY_WORDS; w++)
			SF_STORE(&sf_plan_dg(plan)->dest[w], key[w]);
		/* What sf_dest_pass lets through: the calls that no rule
		 * holding here names, and whose bookkeeping no rule reads. */
		SF_STORE(&sf_plan_dg(plan)->pass, n == SF_DEST_MANY ? 0 : ~(held | sf_plan_dg(plan)->tracked));
		/* The one entry holding here that names sendto (sendmsg),
		 * when the wrapper's look may run its gate (dest.h
		 * sf_dest_gate): gated, nothing dynamic, and no rule reads
		 * the call's bookkeeping. */
		for (int k = 0; k < 2; k++) {
			enum sf_op op = sf_dest_one_op(k);
			uint16_t one = n == SF_DEST_MANY || (sf_plan_dg(plan)->tracked & SF_OPBIT(op)) ? SF_DEST_SEVERAL
												       : SF_DEST_NONE;
			for (uint16_t j = 0; one != SF_DEST_SEVERAL && j < n; j++) {
				const struct sf_plan_entry *e = &plan->e[dv->idx[j]];
				if (!(e->ops & SF_OPBIT(op)))
					continue;
				int gated = (e->flags & (SF_PE_GATED | SF_PE_DYNAMIC)) == SF_PE_GATED;
				one = one == SF_DEST_NONE && gated ? dv->idx[j] : SF_DEST_SEVERAL;
			}
			SF_STORE(&sf_plan_dg(plan)->one[k], one);
		}
		__atomic_store_n(&sf_plan_dg(plan)->dest_n, n, __ATOMIC_RELAXED);
		for (uint16_t k = 0; n != SF_DEST_MANY && k < n; k++)
			SF_STORE(&sf_plan_dg(plan)->dest_idx[k], dv->idx[k]);
		/* The names this verdict was made with (host=): a name learned
		 * later makes it stale. */
		SF_STORE(&sf_plan_dg(plan)->names_gen, names);
		SF_STORE(&sf_plan_dg(plan)->dest_valid, 1);
		__atomic_store_n(&sf_plan_dg(plan)->dest_seq, seq + 2, __ATOMIC_RELEASE);
	}
	if (n != SF_DEST_MANY) {
		dv->all = 0;
		dv->n = n;
	}
}

/* The next entry at or after i to visit: every entry, or with a valid
 * cache only the fixed ones and those the cache says hold, in order. */
static uint32_t next_entry(const struct sf_plan *plan, const struct dest_view *dv, uint32_t i, uint32_t *fk,
			   uint32_t *dk)
{
	if (dv->all)
		return i;
	while (*fk < sf_plan_dg(plan)->nfixed && sf_plan_dg(plan)->fixed[*fk] < i)
		(*fk)++;
	while (*dk < dv->n && dv->idx[*dk] < i)
		(*dk)++;
	uint32_t a = *fk < sf_plan_dg(plan)->nfixed ? sf_plan_dg(plan)->fixed[*fk] : plan->n;
	uint32_t b = *dk < dv->n ? dv->idx[*dk] : plan->n;
	return a < b ? a : b;
}

void sf_decide(struct sf_call *c)
{
	c->v.decided = 0;
	c->short_len = 0;
	c->throttle = 0;
	c->corrupt_bits = 0;
	/* A record planned for other rules is planned again before the rules
	 * are read, not in the middle of reading them. */
	uint32_t gen = SF_LOAD(&sf_gen);
	if (c->s && gen && !sf_sock_current(c->s, gen))
		sf_sock_replan(c->s);
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = NULL;
	uint32_t i = 0;
	if (!a)
		goto out;
	if (c->s) {
		plan = SF_ACQUIRE(&c->s->plan);
		/* A reload since the plan was made: this call goes through
		 * untouched rather than read one rule set's plan against
		 * another's rules. */
		if (!plan || plan->gen != a->gen)
			goto out;
		/* The common case first: rules the gate settles (they do not
		 * apply, or count the call and are not due). The full evaluation
		 * starts at the first rule it does not settle. A connect may be
		 * the program asking for an outcome (sf_judge_asking): the full
		 * path tells. */
		int own_dest = c->addr && c->op != SF_OP_bind &&
			       (!(c->s->flags & SF_SOCK_HAS_PEER) || !(c->s->flags & SF_SOCK_STREAM));
		for (; i < plan->n && c->op != SF_OP_connect; i++) {
			struct sf_plan_entry *e = &plan->e[i];
			if (!(e->ops & SF_OPBIT(c->op)) || (c->timed && !sf_rule_timed(&a->rs.rules[e->rule])))
				continue;
			if (!(e->flags & SF_PE_QUICK) || !sf_gate_pass(a, plan, e, c->s, own_dest, SF_GATE_ENGINE))
				break;
		}
		if (i >= plan->n)
			goto out;
	}

	struct eval ev;
	const char *hosts[SF_NAMES_PER_ADDR + 1];
	char pathbuf[SF_UNIX_PATH_ROOM];
	ev.c = c;
	ev.stale = 0;
	ev.a = a;
	ev.have_subject = 0;
	ev.have_addrs = 0;
	ev.have_draw = 0;
	ev.delay_ns = 0;
	ev.hosts = hosts;
	ev.pathbuf = pathbuf;
	ev.ordinal = c->s ? c->s->conn_ordinal : 0;
	sf_firings_init(&ev.firings);
	c->corrupt_draw = 0;
	if (plan) {
		struct dest_view dv;
		uint32_t fk = 0, dk = 0;
		dest_entries(&ev, plan, &dv);
		for (i = next_entry(plan, &dv, i, &fk, &dk); i < plan->n; i = next_entry(plan, &dv, i + 1, &fk, &dk)) {
			struct sf_plan_entry *e = &plan->e[i];
			if (!(e->ops & SF_OPBIT(c->op)) || (c->timed && !sf_rule_timed(&a->rs.rules[e->rule])))
				continue;
			if (consider(&ev, e->rule, e))
				break;
		}
	} else {
		for (uint32_t k = 0; k < a->nnosock; k++)
			if (consider(&ev, a->nosock[k], NULL))
				break;
	}
	if (ev.stale) {
		/* Not this socket any more: the call goes through untouched. */
		c->v.decided = 0;
		c->short_len = c->throttle = c->corrupt_bits = 0;
		ev.delay_ns = 0;
	}
	sf_read_end();
	if (ev.firings.head)
		sf_report_firings(&ev.firings, c);
	c->delay_ns = ev.delay_ns;
	if (ev.delay_ns && !c->defer_delay)
		sf_sleep_ns(ev.delay_ns);
	return;
out:
	sf_read_end();
}

/* The quick lane of a datagram socket whose rules for `op` are all about
 * destinations, for a destination the plan's cache knows: 1 if no rule
 * holds for it (then nothing is counted: a rule whose conditions do not
 * hold does not count), or if one does and its gate settles the call;
 * 0: the full path decides. */
static inline int dest_quick(struct sf_sock *s, enum sf_op op, const struct sockaddr *dest, socklen_t destlen)
{
	int ok = 0;
	uint64_t key[SF_DEST_KEY_WORDS];
	/* The program's destination, copied before it is read (usermem.h).
	 * The cache keys only IPv4 and IPv6 destinations (dest_key): anything
	 * longer than a sockaddr_in6 is for the full path. */
	struct sockaddr_storage copy;
	if (dest) {
		if (destlen < (socklen_t)sizeof(sa_family_t) || destlen > (socklen_t)sizeof(struct sockaddr_in6))
			return 0;
		/* In the page of this frame, it is readable as it is (dest.h). */
		uintptr_t a = (uintptr_t)dest, h = (uintptr_t)__builtin_frame_address(0);
		if (((a ^ h) | ((a + destlen - 1) ^ h)) >> 12) {
			if (!sf_user_copy(&copy, dest, destlen))
				return 0;
			dest = (const struct sockaddr *)&copy;
		}
	}
	if (!dest_key(s, dest, destlen, key))
		return 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	if (!a || !plan || !sf_plan_dg(plan) || plan->gen != a->gen)
		goto out;
	uint32_t seq = __atomic_load_n(&sf_plan_dg(plan)->dest_seq, __ATOMIC_ACQUIRE);
	uint16_t n;
	if ((seq & 1) || !dest_cached(plan, key, &n))
		goto out;
	unsigned named = 0;
	struct sf_plan_entry *only = NULL;
	for (uint16_t k = 0; k < n && named < 2; k++) {
		struct sf_plan_entry *e = &plan->e[SF_LOAD(&sf_plan_dg(plan)->dest_idx[k])];
		if (e->ops & SF_OPBIT(op)) {
			named++;
			only = e;
		}
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&sf_plan_dg(plan)->dest_seq, __ATOMIC_RELAXED) != seq)
		goto out;
	ok = named == 0 || (named == 1 && (only->flags & SF_PE_GATED) &&
			    sf_gate_pass(a, plan, only, s, dest != NULL, SF_GATE_ENGINE));
out:
	sf_read_end();
	return ok;
}

int sf_verdict_errno(const struct sf_call *c)
{
	if (!c->v.decided)
		return 0;
	return sf_action_errno(c->v.action, c->v.err);
}

int sf_quick_by_dest(int fd, uintptr_t v, enum sf_op op, const struct sockaddr *dest, socklen_t destlen,
		     uintptr_t frame, uintptr_t ret)
{
	struct sf_sock *s = (struct sf_sock *)v;
	if (!sf_sock_try_ref(s))
		return 0;
	sf_self.depth++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* The wrapper's frame, not this one's, which is gone before the real
	 * call: a signal handler's longjmp out of what follows (a read of the
	 * program's memory through the kernel) leaves nothing behind. */
	sf_self.sp = frame;
	sf_self.ret = ret;
	sf_sock_hold(s);
	if (sf_fd_get(fd) == v && dest_quick(s, op, dest, destlen))
		return 1;
	sf_self.nheld = 0;
	sf_sock_unref(s);
	sf_depth_down();
	return 0;
}
