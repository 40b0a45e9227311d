/* p= decisions and seeded randomness: pure functions of their inputs, so the
 * same seed and the same calls give the same faults whatever the scheduling. */
#ifndef SF_DECIDE_H
#define SF_DECIDE_H

#include <stdint.h>

#include "addr.h"
#include "rules.h"
#include "when.h"

/* What a draw is for, so that p=, jitter and corrupt never reuse one draw. */
enum sf_draw {
	SF_DRAW_P = 1,
	SF_DRAW_JITTER = 2,
	SF_DRAW_CORRUPT = 3,
	SF_DRAW_LOSS = 4,
};

/* A 64-bit mixer (splitmix64's finaliser); inline: the quick lane draws
 * with it on every call of a p= rule. */
static inline uint64_t sf_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Identity of a peer address for draws (family, address, port). */
uint64_t sf_peer_hash(const struct sf_sockaddr *a);

/* Identity of an accepted connection for draws: the local (listening)
 * address and the client's address without its port, which the client's
 * kernel picks anew in every run. */
uint64_t sf_accepted_hash(const struct sf_sockaddr *local, const struct sf_sockaddr *client);

/* 64 random bits for (seed, process, rule, peer, nth connection to that
 * peer, nth matching call on the connection, purpose). The process is its
 * place in the run's tree (sf_tree_key), so that the children of one run
 * draw apart and two runs draw alike. */
uint64_t sf_draw(uint64_t seed, uint64_t proc_key, uint64_t rule_hash, uint64_t peer_hash, uint64_t conn_ordinal,
		 uint64_t call_index, enum sf_draw what);

/* The same with everything but the call fixed: sf_draw(..., n, what) is
 * sf_mix64(sf_draw_key(...) ^ n), so that a connection's draws cost one
 * mix each (the plan keeps the key). */
uint64_t sf_draw_key(uint64_t seed, uint64_t proc_key, uint64_t rule_hash, uint64_t peer_hash, uint64_t conn_ordinal,
		     enum sf_draw what);

static inline int sf_p_hit(uint64_t p_scaled, uint64_t bits)
{
	return (bits >> 11) < p_scaled;
}

/* p= on a connection with no when= (the plan's entry draws it, gate.h):
 * the calls that fire are a sequence, each drawn from the one before as a
 * gap, so that the calls in between cost no draw. From m (a call that
 * fired, or where the count started), the next call to fire is m + 1 +
 * G, G geometric (the calls that do not fire before one that does, each
 * firing with chance p: the chance that G >= k is (1-p)^k) from the draw
 * sf_mix64(key ^ m); UINT64_MAX when that is past every count. A pure
 * function of its arguments: the same seed fires the same calls. */
uint64_t sf_gap_next(uint64_t p_scaled, uint64_t key, uint64_t m);

/* Given that the rule's other conditions hold, is the n-th counted call due
 * by when= and p=? (limit= is taken separately: it needs an atomic counter.) */
static inline int sf_rule_due(const struct sf_rule *r, uint64_t nth, uint64_t pbits)
{
	if (!sf_when_hit(&r->when, nth))
		return 0;
	return r->p_scaled >= SF_P_ONE || sf_p_hit(r->p_scaled, pbits);
}

/* lossy P (sockfault-rules(5)): the wait of one TCP segment on a noisy
 * link, sent at 0. Each try is lost with chance `loss` and retransmitted a
 * timeout later, the timeout doubling from 200 ms as the kernel's does; at
 * most SF_LOSSY_TRIES tries are lost (12.6 s). The n-th segment's draws
 * under `key`, a draw key of purpose SF_DRAW_LOSS. */
#define SF_LOSSY_RTO_NS 200000000ull
#define SF_LOSSY_TRIES 6
uint64_t sf_lossy_wait(uint64_t loss, uint64_t key, uint64_t n);

/* A delay of D~J: uniform in [D-J, D+J]. */
uint64_t sf_jittered(uint64_t d, uint64_t j, uint64_t bits);

#endif
