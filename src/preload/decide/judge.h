/* One rule of a call's plan against the call, once the rule's conditions
 * are known to hold or not: is the call counted, is it due (when=, p=),
 * is a firing left (limit=, once), is the rule stuck (sticky), and what
 * its firing does to the call (sockfault-rules(5), ACTIONS). A function of
 * its arguments alone, with no global read and no lock, so that unit tests
 * can ask it; engine.c gathers the call's facts, checks the conditions and
 * notes the firings. Inline, as consider() was: a rule that applies and
 * does not fire pays no call for it. */
#ifndef SF_JUDGE_H
#define SF_JUDGE_H

#include "sf.h"

#include <stdint.h>

#include "active.h"
#include "call.h"
#include "decide.h"
#include "rules.h"
#include "sock.h"

/* The draws' inputs: the run's seed, the process's place in its tree, the
 * peer and the nth connection to it (decide.h sf_draw). */
struct sf_judge_draw_in {
	uint64_t seed, proc_key, peer_hash;
	uint32_t ordinal;
};

/* The facts of one call, for one rule. What costs something to gather
 * may be left to the caller's hooks, asked only on the paths that read
 * it: the draws' inputs for a rule that draws, the log under replay, the
 * descriptor before a firing. */
struct sf_judge_in {
	const struct sf_rule *r;
	uint8_t asking;		      /* a connect asking for the outcome of the last (sf_judge_asking) */
	uint8_t holds;		      /* the rule's conditions hold (not read once the rule is stuck) */
	uint8_t replaying;	      /* SOCKFAULT_REPLAY: the log says which calls fire */
	struct sf_judge_draw_in draw; /* the draws' inputs, when `gather` is NULL */
	/* The draws' inputs, gathered on first need (NULL: `draw`). */
	const struct sf_judge_draw_in *(*gather)(void *ctx);
	/* Under replay (needed then): did the logged run fire the idx-th call? */
	int (*replayed)(void *ctx, const struct sf_rule *r, uint64_t idx);
	/* Asked before a rule fires (NULL: never): the call's descriptor is
	 * no longer the record's socket, and nothing may fire. */
	int (*stale)(void *ctx);
	void *ctx;
};

/* A connect on a stream socket whose connect is under way or done is the
 * program asking for the outcome (an event loop's completion check), not
 * a new attempt: the kernel answers it (EALREADY, EISCONN, or the pending
 * error), and only a rule that names the state (state=connecting,
 * state=connected) speaks of it. A datagram socket's connect sets a new
 * peer at once: always an attempt. See sockfault-rules(5), state=. */
static inline int sf_judge_asking(enum sf_op op, int stream, unsigned state)
{
	return op == SF_OP_connect && stream && (state == SF_STATE_CONNECTING || state == SF_STATE_CONNECTED);
}

/* The counters a call updates: the rule's in the process, and the
 * connection's plan entry (NULL: a call without a socket). */
struct sf_judge_counts {
	struct sf_rule_stats *st;
	struct sf_plan_entry *e;
};

/* A firing to note in the log. */
struct sf_judge_out {
	uint8_t fired;	   /* the rule fired on this call */
	uint64_t nth;	   /* which of the rule's calls it is (the log's, replay's) */
	uint64_t delay_ns; /* the wait it adds (delay, lossy on a stream) */
};

enum sf_judged {
	SF_JUDGED_ON,	   /* the call goes on to the next rule (shaped or not) */
	SF_JUDGED_DECIDED, /* the rule decided the call: c->v, with the rule's own errno */
	SF_JUDGED_STALE,   /* the descriptor is not the record's socket: nothing fires */
};

/* The draws' inputs, from the caller's hook when it has one: a copy, not a
 * pointer into `in`, so that the caller's `in` can stay in registers. */
static inline struct sf_judge_draw_in sf_judge_draw_in(const struct sf_judge_in *in)
{
	return in->gather ? *in->gather(in->ctx) : in->draw;
}

/* limit=: take one firing if any is left (a compare-and-swap, so two threads
 * cannot both take the last one). */
static inline int sf_judge_take_limit(uint64_t *fired, uint64_t limit)
{
	uint64_t f = SF_LOAD(fired);
	do {
		if (limit && f >= limit)
			return 0;
	} while (!__atomic_compare_exchange_n(fired, &f, f + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 1;
}

static inline uint64_t sf_judge_draw(const struct sf_judge_in *in, uint64_t nth, enum sf_draw what)
{
	struct sf_judge_draw_in d = sf_judge_draw_in(in);
	return sf_draw(d.seed, d.proc_key, in->r->name_hash, d.peer_hash, d.ordinal, nth, what);
}

/* p= alone on this call's connection draws by gaps (gate.h
 * sf_gate_gap_count): the entry's key is the call's own (not a forked
 * child's call on its parent's plan, nor a datagram's to another
 * destination, which draw call by call). */
static inline int sf_judge_gaps(const struct sf_judge_in *in, const struct sf_plan_entry *e)
{
	if (!sf_gate_gaps(e->flags))
		return 0;
	struct sf_judge_draw_in d = sf_judge_draw_in(in);
	return sf_draw_key(d.seed, d.proc_key, in->r->name_hash, d.peer_hash, d.ordinal, SF_DRAW_P) == e->draw_key;
}

/* lossy P (sockfault-rules(5)): a stream's data arrives whole, late by its
 * segments' retransmissions: a relayed connection's relay holds them back
 * (relay_dir.c), another's calls wait as for a delay, a call for a segment.
 * A datagram is lost as drop loses it: 1 when this one is. Under replay
 * the rule fires where the log says a loss was, whatever the seed. */
static inline __attribute__((always_inline)) int sf_judge_lost(const struct sf_judge_in *in, const struct sf_call *c,
							       uint64_t nth, struct sf_judge_out *out)
{
	const struct sf_rule *r = in->r;
	if (!c->s)
		return 0;
	if (c->s->flags & SF_SOCK_STREAM) {
		if (c->defer_delay)
			return 0;
		struct sf_judge_draw_in dr = sf_judge_draw_in(in);
		uint64_t key = sf_draw_key(dr.seed, dr.proc_key, r->name_hash, dr.peer_hash, dr.ordinal, SF_DRAW_LOSS);
		uint64_t d = sf_lossy_wait(r->loss, key, nth);
		if (!d && in->replaying)
			d = SF_LOSSY_RTO_NS;
		if (d) {
			out->fired = 1;
			out->delay_ns = d;
		}
		return 0;
	}
	return in->replaying || sf_p_hit(r->loss, sf_judge_draw(in, nth, SF_DRAW_LOSS));
}

/* The rule fired on its nth call: shape the call (the call goes on, later
 * rules still run) or decide it. */
static inline __attribute__((always_inline)) enum sf_judged sf_judge_fire(const struct sf_judge_in *in,
									  struct sf_call *c, uint64_t nth,
									  struct sf_judge_out *out)
{
	const struct sf_rule *r = in->r;
	out->nth = nth;
	if (r->action == SF_ACT_DELAY) {
		out->delay_ns = sf_jittered(r->dur_ns, r->jitter_ns, sf_judge_draw(in, nth, SF_DRAW_JITTER));
		out->fired = 1;
		return SF_JUDGED_ON;
	}
	if (r->action == SF_ACT_THROTTLE) {
		if (!c->throttle || r->rate < c->throttle)
			c->throttle = r->rate;
		out->fired = 1;
		return SF_JUDGED_ON;
	}
	if (r->action == SF_ACT_CORRUPT) {
		c->corrupt_draw ^= sf_judge_draw(in, nth, SF_DRAW_CORRUPT);
		c->corrupt_bits += r->count;
		out->fired = 1;
		return SF_JUDGED_ON;
	}
	enum sf_action act = r->action;
	if (act == SF_ACT_LOSSY) {
		if (!sf_judge_lost(in, c, nth, out))
			return SF_JUDGED_ON;
		act = SF_ACT_DROP;
	}
	c->v.decided = 1;
	c->v.action = (uint8_t)act;
	c->v.sticky = r->sticky;
	c->v.now = r->now;
	c->v.icmp = r->icmp;
	c->v.err = r->err;
	c->v.dur_ns = r->dur_ns;
	if (r->action == SF_ACT_SHORT)
		c->short_len = r->count;
	out->fired = 1;
	return SF_JUDGED_DECIDED;
}

/* Does `in->r` have the call `c`? A shaping rule that fires shapes it
 * (throttle, corrupt, short) and the call goes on; a deciding one fills in
 * c->v but for v.ends, and v.err is the rule's errno, before Wine's (the
 * caller's). Of the call itself only lossy reads anything: its socket's
 * kind (c->s) and whether its delays are the relay's (c->defer_delay).
 * Inlined whole, so that the facts a path does not read cost nothing. The counters in `k` are updated atomically, so that threads
 * share them: each call takes its own index, and limit= never gives more
 * firings than it says. */
static inline __attribute__((always_inline)) enum sf_judged sf_judge(const struct sf_judge_in *in,
								     const struct sf_judge_counts *k, struct sf_call *c,
								     struct sf_judge_out *out)
{
	const struct sf_rule *r = in->r;
	struct sf_plan_entry *e = k->e;
	out->fired = 0;
	out->delay_ns = 0;
	if (in->asking && !(r->has & SF_HAS_STATE))
		return SF_JUDGED_ON;
	if (e && sf_entry_stuck(e)) {
		if (in->stale && in->stale(in->ctx))
			return SF_JUDGED_STALE;
		SF_ADD(&k->st->fired, 1);
		return sf_judge_fire(in, c, SF_LOAD(&e->calls), out);
	}
	if (!in->holds)
		return SF_JUDGED_ON;
	SF_ADD(&k->st->matched, 1);
	int per_process = r->per == SF_PER_PROCESS || !e;
	/* p= alone on the connection counts and draws at once (gate.h). */
	int gaps = e && !in->replaying && sf_judge_gaps(in, e), gap_due = 0;
	uint64_t nth_conn = 0;
	if (gaps)
		gap_due = sf_gate_gap_count(r->p_scaled, e->draw_key, &e->calls, &e->next, &nth_conn);
	else if (e)
		nth_conn = SF_ADD(&e->calls, 1) + 1;
	uint64_t nth_proc = per_process ? SF_ADD(&k->st->proc_calls, 1) + 1 : 0;
	uint64_t nth = per_process ? nth_proc : nth_conn;
	/* The quick lane counts the calls below the next one when= may make
	 * due; a thread that counted an earlier call and stores after this one
	 * only sends the lane here sooner. */
	if (e && !(e->flags & SF_PE_EVERY))
		SF_STORE(&e->next, sf_when_next(&r->when, nth_conn + 1));
	/* p= draws by the call's place on its connection, so a seed replays the
	 * same faults whatever the threads do; without a connection, by its
	 * place in the process. */
	uint64_t idx = e ? nth_conn : nth_proc;
	int due;
	if (in->replaying)
		due = in->replayed(in->ctx, r, idx);
	else if (gaps)
		due = gap_due;
	else
		due = sf_rule_due(r, nth, r->p_scaled < SF_P_ONE ? sf_judge_draw(in, idx, SF_DRAW_P) : 0);
	if (!due)
		return SF_JUDGED_ON;
	if (in->stale && in->stale(in->ctx))
		return SF_JUDGED_STALE;
	if (!sf_judge_take_limit(per_process ? &k->st->proc_fired : &e->fired, r->limit))
		return SF_JUDGED_ON;
	SF_ADD(&k->st->fired, 1);
	if (r->sticky && e)
		sf_entry_stick(e);
	return sf_judge_fire(in, c, idx, out);
}

#endif
