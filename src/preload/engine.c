#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "active.h"
#include "clock.h"
#include "decide.h"
#include "log.h"
#include "names.h"
#include "reclaim.h"
#include "replay.h"
#include "settings.h"

struct eval {
	struct sf_call *c;
	const char *hosts[SF_NAMES_PER_ADDR + 1];
	char peer_text[160];            /* replay only: the peer as the log has it */
	struct sf_active *a;
	struct sf_subject subj;
	uint64_t peer_hash;
	uint32_t ordinal;
	uint64_t delay_ns;
};

static void build_subject(struct eval *ev, char *pathbuf, size_t pathcap)
{
	struct sf_call *c = ev->c;
	struct sf_sock *s = c->s;
	struct sf_subject *subj = &ev->subj;
	if (s) {
		sf_sock_subject(s, subj);
		ev->peer_hash = s->peer_hash;
		ev->ordinal = s->conn_ordinal;
	} else {
		memset(subj, 0, sizeof *subj);
		subj->proto = c->proto;
		subj->state = SF_STATE_UNCONNECTED;
		subj->exe = sf_config.exe;
	}
	subj->op = c->op;
	if (c->op == SF_OP_connect && !subj->side) {
		subj->side = SF_SIDE_CLIENT;
		subj->side_known = 1;
	}
	/* A call's own address is the peer it is about (connect, sendto), or for
	 * bind the local address it asks for. */
	if (c->addr) {
		struct sf_sockaddr *v = c->op == SF_OP_bind ? &subj->local : &subj->peer;
		sf_sockaddr_view(c->addr, c->addrlen, v, pathbuf, pathcap);
		if (c->op != SF_OP_bind && (!s || !(s->flags & SF_SOCK_HAS_PEER) || !(s->flags & SF_SOCK_STREAM)))
			ev->peer_hash = sf_peer_hash(v);
	}
	if (ev->a->has_host) {
		sf_names_of(&subj->peer, ev->hosts);
		subj->hosts = ev->hosts;
	}
	if (s) {
		subj->num[SF_NUM_SENT] = SF_LOAD(&s->sent);
		subj->num[SF_NUM_RECEIVED] = SF_LOAD(&s->received);
		subj->num_known = (1u << SF_NUM_SENT) | (1u << SF_NUM_RECEIVED);
	}
	if (ev->a->num_used & ((1u << SF_NUM_IDLE) | (1u << SF_NUM_AGE) | (1u << SF_NUM_UPTIME))) {
		uint64_t now = sf_now();
		subj->num[SF_NUM_UPTIME] = now - sf_config.t_start;
		subj->num_known |= 1u << SF_NUM_UPTIME;
		if (s && s->t_connected) {
			uint64_t last = SF_LOAD(&s->t_last_io);
			if (last < s->t_connected)
				last = s->t_connected;
			subj->num[SF_NUM_AGE] = now - s->t_connected;
			subj->num[SF_NUM_IDLE] = now > last ? now - last : 0;
			subj->num_known |= (1u << SF_NUM_AGE) | (1u << SF_NUM_IDLE);
		}
	}
}

/* limit=: take one firing if any is left (a compare-and-swap, so two threads
 * cannot both take the last one). */
static int take_limit(uint64_t *fired, uint64_t limit)
{
	uint64_t f = SF_LOAD(fired);
	do {
		if (limit && f >= limit)
			return 0;
	} while (!__atomic_compare_exchange_n(fired, &f, f + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 1;
}

/* The rule fired: shape the call (returns 0, later rules still run) or decide it (returns 1). */
static int fire(struct eval *ev, const struct sf_rule *r, uint64_t nth)
{
	struct sf_call *c = ev->c;
	if (r->action == SF_ACT_DELAY) {
		uint64_t bits = sf_draw(sf_config.seed, r->name_hash, ev->peer_hash, ev->ordinal, nth, SF_DRAW_JITTER);
		uint64_t d = sf_jittered(r->dur_ns, r->jitter_ns, bits);
		ev->delay_ns += d;
		sf_log_fault(c, r, d, 0, ev->ordinal, nth);
		return 0;
	}
	if (r->action == SF_ACT_THROTTLE) {
		if (!c->throttle || r->rate < c->throttle)
			c->throttle = r->rate;
		sf_log_fault(c, r, 0, 0, ev->ordinal, nth);
		return 0;
	}
	if (r->action == SF_ACT_CORRUPT) {
		c->corrupt_draw ^= sf_draw(sf_config.seed, r->name_hash, ev->peer_hash, ev->ordinal, nth, SF_DRAW_CORRUPT);
		c->corrupt_bits += r->count;
		sf_log_fault(c, r, 0, 0, ev->ordinal, nth);
		return 0;
	}
	c->v.decided = 1;
	c->v.action = (uint8_t)r->action;
	c->v.sticky = r->sticky;
	c->v.now = r->now;
	c->v.err = r->err;
	c->v.dur_ns = r->dur_ns;
	if (r->action == SF_ACT_SHORT)
		c->short_len = r->count;
	sf_log_fault(c, r, 0, sf_verdict_errno(c), ev->ordinal, nth);
	return 1;
}

/* One rule against the call. Returns 1 when it decided the call. */
static int consider(struct eval *ev, uint32_t ri, struct sf_plan_entry *e)
{
	const struct sf_rule *r = &ev->a->rs.rules[ri];
	struct sf_rule_stats *st = &ev->a->stats[ri];

	if (e && SF_LOAD(&e->stuck)) {
		SF_ADD(&st->fired, 1);
		return fire(ev, r, SF_LOAD(&e->calls));
	}
	if (e && e->statics_ok) {
		if (!sf_rule_dynamics_hold(r, &ev->subj))
			return 0;
	} else if (!sf_rule_matches(r, &ev->subj)) {
		return 0;
	}
	SF_ADD(&st->matched, 1);
	int per_process = r->per == SF_PER_PROCESS || !e;
	uint64_t nth_conn = e ? SF_ADD(&e->calls, 1) + 1 : 0;
	uint64_t nth_proc = per_process ? SF_ADD(&st->proc_calls, 1) + 1 : 0;
	uint64_t nth = per_process ? nth_proc : nth_conn;
	/* p= draws by the call's place on its connection, so a seed replays the
	 * same faults whatever the threads do; without a connection, by its
	 * place in the process. */
	uint64_t pbits = 0;
	if (r->p_scaled < SF_P_ONE)
		pbits = sf_draw(sf_config.seed, r->name_hash, ev->peer_hash, ev->ordinal, e ? nth_conn : nth_proc,
		                SF_DRAW_P);
	uint64_t idx = e ? nth_conn : nth_proc;
	int due = sf_replaying ? sf_replay_fired(r->name, ev->peer_text, ev->ordinal, idx) : sf_rule_due(r, nth, pbits);
	if (!due)
		return 0;
	if (!take_limit(per_process ? &st->proc_fired : &e->fired, r->limit))
		return 0;
	SF_ADD(&st->fired, 1);
	if (r->sticky && e)
		SF_STORE(&e->stuck, 1);
	return fire(ev, r, idx);
}

void sf_decide(struct sf_call *c)
{
	struct eval ev = { .c = c };
	char pathbuf[112];
	memset(&c->v, 0, sizeof c->v);
	c->short_len = 0;
	c->throttle = 0;
	c->corrupt_bits = 0;
	c->corrupt_draw = 0;
	sf_read_begin();
	ev.a = sf_active_get();
	if (!ev.a) {
		sf_read_end();
		return;
	}
	if (c->s && !sf_sock_current(c->s, ev.a->gen))
		sf_sock_replan(c->s);
	build_subject(&ev, pathbuf, sizeof pathbuf);
	if (sf_replaying)
		sf_call_peer(c, ev.peer_text, sizeof ev.peer_text);
	if (c->s) {
		struct sf_plan *plan = SF_ACQUIRE(&c->s->plan);
		/* A reload between the check above and here: this call goes
		 * through untouched rather than read one rule set's plan
		 * against another's rules. */
		if (plan && plan->gen != ev.a->gen)
			plan = NULL;
		for (uint32_t i = 0; plan && i < plan->n; i++)
			if ((plan->e[i].ops & SF_OPBIT(c->op)) && consider(&ev, plan->e[i].rule, &plan->e[i]))
				break;
	} else {
		for (uint32_t i = 0; i < ev.a->nnosock; i++)
			if (consider(&ev, ev.a->nosock[i], NULL))
				break;
	}
	sf_read_end();
	if (ev.delay_ns)
		sf_sleep_ns(ev.delay_ns);
}

size_t sf_call_peer(const struct sf_call *c, char *buf, size_t cap)
{
	struct sf_sockaddr v;
	char pathbuf[112];
	if (c->addr && c->op != SF_OP_bind) {
		sf_sockaddr_view(c->addr, c->addrlen, &v, pathbuf, sizeof pathbuf);
		return sf_sockaddr_format(buf, cap, &v);
	}
	if (c->s && (c->s->flags & SF_SOCK_HAS_PEER)) {
		sf_sock_addr_view(c->s, 1, &v);
		return sf_sockaddr_format(buf, cap, &v);
	}
	return (size_t)snprintf(buf, cap, "-");
}

int sf_verdict_errno(const struct sf_call *c)
{
	if (!c->v.decided)
		return 0;
	switch (c->v.action) {
	case SF_ACT_ERROR:
		return c->v.err;
	case SF_ACT_RESET:
		return ECONNRESET;
	case SF_ACT_TIMEOUT:
		return ETIMEDOUT;
	default:
		return 0;
	}
}
