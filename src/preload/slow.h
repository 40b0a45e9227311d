/* What every slow path shares: entering the library, the socket a descriptor
 * refers to, and leaving with the right errno. */
#ifndef SF_SLOW_H
#define SF_SLOW_H

#include "sf.h"

#include <errno.h>

#include "active.h"
#include "engine.h"
#include "fdtab.h"
#include "real.h"
#include "sock.h"

/* The fast path's question: can this call go straight to libc? */
#define SF_OPS_HEAL (SF_OPBIT(SF_OP_dup) | SF_OPBIT(SF_OP_dup2) | SF_OPBIT(SF_OP_dup3) | SF_OPBIT(SF_OP_fcntl))
static inline int sf_pass(enum sf_op op, int fd)
{
	if (SF_LIKELY(!(SF_LOAD(&sf_hot) & SF_OPBIT(op))))
		return 1;
	uintptr_t v = sf_fd_get(fd);
	if (v == SF_FD_NOTSOCK)
		/* Not a socket, but a new descriptor from dup may land on a stale entry. */
		return !(SF_OPBIT(op) & SF_OPS_HEAL);
	if (v == 0)
		return 0;
	const struct sf_sock *s = (const struct sf_sock *)v;
	return sf_sock_current(s, SF_LOAD(&sf_gen)) && !(SF_LOAD(&s->opmask) & SF_OPBIT(op));
}

/* Initialise if needed; 0 means "do not touch anything, call libc": a call
 * nested inside the library (a signal handler, a callback) or one made while
 * another thread is initialising. */
int sf_init_ready(void);

static inline int sf_enter(void)
{
	if (sf_self.depth || !sf_init_ready())
		return 0;
	sf_self.depth++;
	return 1;
}

static inline void sf_leave(void)
{
	sf_self.depth--;
}

/* The socket record of fd, learning the descriptor if it was never seen;
 * NULL if it is not a socket the library tracks. */
struct sf_sock *sf_lookup(int fd);

/* Leave the library with the result `ret` and errno `err`. */
static inline long sf_done(long ret, int err)
{
	sf_leave();
	errno = err;
	return ret;
}

/* Leave after a rule decided the call: -1 with its errno (logged already). */
long sf_fail(struct sf_call *c, int err);

/* Trace the call's result, if SOCKFAULT_TRACE asked for it. */
void sf_trace(const struct sf_call *c, long ret, int err);

/* A connect error injected on a nonblocking socket is pending in the kernel
 * as ECONNREFUSED: give the injected errno in its place, once. */
int sf_pending_error(struct sf_sock *s, int err);

/* 0 in the child of vfork, which shares the parent's memory but not its
 * descriptors: its close and dup2 (the redirections before exec) must not
 * change the parent's table. */
int sf_table_is_ours(void);

/* The fd's file status flags include O_NONBLOCK. */
int sf_fd_nonblocking(int fd);

#define SF_CALL(ret, name, params, args, fd, op, fallback) ret sf_slow_##name params;
#define SF_SYM(ret, name, params)
#include "calls.def"
#undef SF_CALL
#undef SF_SYM
int sf_slow_fcntl_dup(int fd, int cmd, int arg);
void sf_forget_range(unsigned lo, unsigned hi);

#endif
