/* What the interposed calls share once inside the library: whether a call
 * may go straight to libc, failing and tracing a call, a pending connect
 * error, accounting for the bytes moved. Entering and leaving the library
 * is state/enter.h; the socket a descriptor refers to, state/lookup.h. */
#ifndef SF_SLOW_H
#define SF_SLOW_H

#include "sf.h"

#include <errno.h>

#include "active.h"
#include "engine.h"
#include "enter.h"
#include "fate.h"
#include "lookup.h"
#include "real.h"
#include "reload.h"
#include "report.h"
#include "settings.h"

/* Can this call go straight to libc, as far as the socket's record v
 * (sf_fd_get) says, under the rules of generation gen? */
static inline int sf_pass_record_v(enum sf_op op, uintptr_t v, uint32_t gen)
{
	if (v == 0)
		return 0;
	const struct sf_sock *s = (const struct sf_sock *)v;
	return sf_sock_current(s, gen) && !(SF_LOAD(&s->opmask) & SF_OPBIT(op));
}

static inline int sf_pass_record(enum sf_op op, int fd)
{
	return sf_pass_record_v(op, sf_fd_get(fd), SF_LOAD(&sf_gen));
}

/* The fast path's question: can this call go straight to libc? 1: yes;
 * 0: no, the descriptor's record *v is current and asks for the call; -1:
 * no, there is no record, or it is not current. While reloading is on no
 * record is current (sf_pass_gen): the out-of-line part looks at the files
 * first (reload.h), then asks the record. */
static inline int sf_pass_v(enum sf_op op, int fd, uintptr_t *v)
{
	*v = 0;
	if (SF_LIKELY(!(SF_LOAD(&sf_hot) & SF_OPBIT(op))))
		return 1;
	*v = sf_fd_get(fd);
	const struct sf_sock *s = (const struct sf_sock *)*v;
	if (!s || !sf_sock_current(s, SF_LOAD(&sf_pass_gen)))
		return -1;
	return !(SF_LOAD(&s->opmask) & SF_OPBIT(op));
}

static inline int sf_pass(enum sf_op op, int fd)
{
	uintptr_t v;
	return sf_pass_v(op, fd, &v) > 0;
}

/* Leave after a rule decided the call: -1 with its errno (logged already). */
long sf_fail(struct sf_call *c, int err);

/* Trace the call's result, if SOCKFAULT_TRACE asked for it. */
static inline void sf_trace(const struct sf_call *c, long ret, int err)
{
	if (SF_UNLIKELY(sf_config.trace))
		sf_report_trace(c, ret, err);
}

/* After a data call: bytes moved, when, and a pending connect seen to
 * complete by a successful call. */
void sf_account(struct sf_sock *s, int tx, long r, size_t moved);

/* The quick lane (lane.h) is inline in the wrappers. */

#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback) ret sf_slow_##name params;
#define SF_SYM(ret, name, params)
#include "calls.def"
#undef SF_CALL
#undef SF_SYM
int sf_slow_fcntl_dup(int fd, int cmd, int arg);
/* recvmsg (p: its msghdr) or recvmmsg (p: its vector, r messages) returned:
 * forget the entries of the descriptors it received. */
void sf_rights_received(enum sf_op op, long r, uintptr_t p);
void sf_forget_range(unsigned lo, unsigned hi);

#endif
