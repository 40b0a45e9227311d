/* The fate of a call on a socket the library tracks, looked at once before
 * the real call and once after it. Before: a dead connection answers for
 * itself and is past the rules (sockfault-rules(5), the actions that end a
 * connection); a live one gets the rules' verdict, once, and the verdict
 * says whether the connection ends here. After: a connection that died
 * while the call was in the kernel, or an injected connect error pending
 * in it, gives the call its answer. */
#ifndef SF_FATE_H
#define SF_FATE_H

#include "call.h"
#include "engine.h"

enum sf_fate {
	SF_FATE_ALIVE,	      /* not dead: the rules are next (sf_fate_rules) */
	SF_FATE_DEAD,	      /* dead, and the kernel answers: the real call runs, no rule is asked */
	SF_FATE_RUN,	      /* the rules let the real call run (shaped as the verdict says) */
	SF_FATE_ANSWERED,     /* the library answers: *ret and *err */
	SF_FATE_PRETEND_SENT, /* the data "went out": the caller knows the call's shape */
	SF_FATE_FAILED,	      /* a rule failed the call with *err */
	SF_FATE_UNTRACKED,    /* the number is no socket the library tracks any more: libc alone */
	SF_FATE_STASHED,      /* a receive after a reset at a time: the data kept from before it (stash.h) */
};

/* Is the call's connection dead (c->s set, `flags` its MSG_ flags)? A
 * record whose descriptor turned out to be another file or socket now is
 * learned again: c->s is the record of what the number is now (DEAD is
 * then never the answer), or NULL (UNTRACKED). A receive on a connection
 * reset at a time, while data that came before the reset is kept, is
 * STASHED: that data is its answer. */
enum sf_fate sf_fate_dead_slow(struct sf_call *c, int flags, long *ret, int *err);
static inline enum sf_fate sf_fate_dead(struct sf_call *c, int flags, long *ret, int *err)
{
	if (SF_LIKELY(!SF_LOAD(&c->s->dead)))
		return SF_FATE_ALIVE;
	return sf_fate_dead_slow(c, flags, ret, err);
}

/* The rules' verdict on the call (sf_decide) and what it does: a verdict
 * that ends the connection (c->v.ends) changes the socket now (dead.h
 * sf_dead_begin) and answers or lets the call run. On a data call `drop`
 * on a send pretends it went out, and `drop` on a receive and `short` run
 * the call shaped; every other verdict fails the call: FAILED with the
 * errno (and SIGPIPE for EPIPE on a stream send, as the kernel raises it). */
enum sf_fate sf_fate_verdict(struct sf_call *c, int flags, long *ret, int *err);
static inline enum sf_fate sf_fate_rules(struct sf_call *c, int flags, long *ret, int *err)
{
	sf_decide(c);
	if (SF_LIKELY(!c->v.decided))
		return SF_FATE_RUN;
	return sf_fate_verdict(c, flags, ret, err);
}

/* After the real call on s: its result, and *err its errno (meaningful
 * for a negative result), put right for a connection that died while the
 * call was in the kernel (another thread's reset, the timeout's deadline)
 * or for an injected connect error pending in the kernel. */
long sf_fate_after_slow(struct sf_sock *s, int fd, enum sf_op op, long r, int *err);
static inline long sf_fate_after(struct sf_sock *s, int fd, enum sf_op op, long r, int *err)
{
	if (SF_LIKELY(!(SF_LOAD(&s->pending_err) || SF_LOAD(&s->dead))))
		return r;
	return sf_fate_after_slow(s, fd, op, r, err);
}

/* A connect error injected on a nonblocking socket is pending in the kernel
 * as ECONNREFUSED (ECONNRESET for a router's ICMP, icmp.h): give the
 * injected errno in its place, once. */
int sf_pending_error(struct sf_sock *s, int err);

/* Is err the kernel's stand-in for s's injected connect error? */
int sf_pending_kernel_error(const struct sf_sock *s, int err);

#endif
