/* The gate of one rule of a socket's plan: does the rule apply to this call,
 * and is this counted call due? Answered from what the plan settled when it
 * was built (sf_gate_make) and a snapshot of the socket, by pure functions of
 * their arguments (no global is read), so that the quick lane and the first
 * walk of sf_decide share one answer, from the numbers the full path reads
 * too (sf_snap_number), and unit tests can ask it. */
#ifndef SF_GATE_H
#define SF_GATE_H

#include <stdint.h>

#include "decide.h"
#include "match.h"
#include "rules.h"
#include "when.h"

/* What the plan settles for one of its entries (sock.h sf_plan_entry). */
enum {
	SF_PE_STATICS_OK = 1 << 0, /* peer/local/side are fixed and known to hold */
	SF_PE_DYNAMIC = 1 << 1,	   /* conditions that change from call to call */
	SF_PE_QUICK = 1 << 2,	   /* GATED, and its fixed conditions hold: the quick lane decides it */
	SF_PE_PER_DEST = 1 << 3,   /* datagram socket, peer=/host=: decided per destination */
	SF_PE_GATED = 1 << 4,	   /* counted per connection: sf_gate answers whether it applies and is due */
	SF_PE_CLOCK = 1 << 5,	   /* it reads the clock (idle=, age=, uptime=) */
	SF_PE_DRAWS = 1 << 6,	   /* p= alone: draws by gaps on draw_key, this connection's key */
	SF_PE_EVERY = 1 << 7,	   /* no when=: every counted call may be due (p= draws each) */
};

/* What the conditions that change from call to call read of a socket
 * (sockfault-rules(5), the numeric conditions and state=). */
struct sf_snap {
	uint8_t state; /* enum sf_state */
	uint64_t sent, received;
	uint64_t now;	      /* monotonic ns; read only for rules that need the clock */
	uint64_t t_start;     /* the process's start, for uptime= */
	uint64_t t_connected; /* 0: no connection yet (no age=, no idle=) */
	uint64_t t_last_io;
};

#define SF_NUMS_CLOCK ((1u << SF_NUM_IDLE) | (1u << SF_NUM_AGE) | (1u << SF_NUM_UPTIME))

/* The numeric conditions a rule names: bit k for SF_NUM k. */
static inline uint32_t sf_rule_nums(const struct sf_rule *r)
{
	return (r->has / SF_HAS_NUM(0)) & ((1u << SF_NUM__COUNT) - 1);
}

/* Number k of the snapshot; 0 when it means nothing yet (age= and idle=
 * before a connection; the clock's numbers when `now` was not read). */
static inline int sf_snap_number(const struct sf_snap *sn, int k, uint64_t *v)
{
	switch (k) {
	case SF_NUM_SENT:
		*v = sn->sent;
		return 1;
	case SF_NUM_RECEIVED:
		*v = sn->received;
		return 1;
	default:
		break;
	}
	if (!sn->now)
		return 0;
	if (k == SF_NUM_UPTIME) {
		*v = sn->now - sn->t_start;
		return 1;
	}
	if (!sn->t_connected)
		return 0;
	if (k == SF_NUM_AGE) {
		*v = sn->now - sn->t_connected;
		return 1;
	}
	/* idle: since the last byte moved, or since the connection was made
	 * when none has yet. */
	uint64_t last = sn->t_last_io > sn->t_connected ? sn->t_last_io : sn->t_connected;
	*v = sn->now > last ? sn->now - last : 0;
	return 1;
}

/* The conditions that change from call to call, but the operation (the
 * plan's entry names it): state= and the numbers, each its range. */
static inline int sf_gate_holds(const struct sf_rule *r, const struct sf_snap *sn)
{
	if (!(r->states & (1u << sn->state)))
		return 0;
	for (uint32_t need = sf_rule_nums(r); need; need &= need - 1) {
		int k = __builtin_ctz(need);
		uint64_t v;
		if (!sf_snap_number(sn, k, &v) || v < r->num[k].lo || v > r->num[k].hi)
			return 0;
	}
	return 1;
}

/* Move an entry's `next` (sf_gate_gap_count) from m to the next call of
 * its sequence, unless another thread moved it first (to the same place). */
static inline void sf_gate_gap_move(uint64_t p_scaled, uint64_t key, uint64_t *next, uint64_t m)
{
	__atomic_compare_exchange_n(next, &m, sf_gap_next(p_scaled, key, m), 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* Count a call of an entry that draws p= alone (SF_PE_DRAWS) on its
 * connection's key: its count in *nth, and 1 when it is a call of the
 * sequence sf_gap_next draws. *next (the plan's entry's) is the first call
 * of the sequence not yet counted: the quick lane counts a call below it
 * with no draw (decide/quick.h), and a call that reaches it moves it on.
 * Lock-free: a thread that finds *calls at or past *next (the thread that
 * counted *next stopped before it moved it on, or counts that are not the
 * sequence's went past it: a datagram's to another destination, a forked
 * child's on its parent's plan) moves it on itself, along the sequence,
 * to the same place any other thread would. */
static inline int sf_gate_gap_count(uint64_t p_scaled, uint64_t key, uint64_t *calls, uint64_t *next, uint64_t *nth)
{
	for (;;) {
		uint64_t n = __atomic_load_n(calls, __ATOMIC_ACQUIRE), m = __atomic_load_n(next, __ATOMIC_ACQUIRE);
		if (n >= m) {
			sf_gate_gap_move(p_scaled, key, next, m);
			continue;
		}
		if (!__atomic_compare_exchange_n(calls, &n, n + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		*nth = n + 1;
		if (n + 1 < m)
			return 0;
		sf_gate_gap_move(p_scaled, key, next, m);
		return 1;
	}
}

/* The entry draws p= by gaps (sf_gate_gap_count): p= with no when=,
 * counted on its connection. */
static inline int sf_gate_gaps(uint8_t flags)
{
	return (flags & SF_PE_DRAWS) != 0;
}

/* What the plan settles for one rule on one socket. */
struct sf_gate_in {
	const struct sf_subject *subj; /* the socket as the rules see it (sf_sock_subject) */
	int dgram;		       /* a datagram socket: its peer is each call's */
	int replaying;		       /* SOCKFAULT_REPLAY: the log decides, not the gate */
	uint64_t seed, proc_key;       /* the draws' inputs fixed for the socket */
	uint64_t peer_hash;
	uint32_t ordinal;
};

struct sf_gate {
	uint8_t flags;	   /* SF_PE_* */
	uint8_t num;	   /* 1 + k: what changes is number k alone (SF_NUM_*); 0: not so */
	uint64_t draw_key; /* p=: sf_draw_key for the connection (SF_PE_DRAWS) */
};

/* The entry's flags (sock.h SF_PE_*) and draw key for rule r, whose fixed
 * conditions could hold for the socket (plan.c). */
struct sf_gate sf_gate_make(const struct sf_rule *r, const struct sf_gate_in *in);

#endif
