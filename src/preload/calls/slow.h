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
#include "reload.h"
#include "log.h"
#include "settings.h"
#include "sock.h"

/* Can this call go straight to libc, as far as the socket's record says? */
static inline int sf_pass_record(enum sf_op op, int fd)
{
	uintptr_t v = sf_fd_get(fd);
	if (v == 0)
		return 0;
	const struct sf_sock *s = (const struct sf_sock *)v;
	return sf_sock_current(s, SF_LOAD(&sf_gen)) && !(SF_LOAD(&s->opmask) & SF_OPBIT(op));
}

/* The fast path's question: can this call go straight to libc? While
 * reloading is on, no: the wrapper's out-of-line part looks at the files
 * first (reload.h), then asks the record. */
static inline int sf_pass(enum sf_op op, int fd)
{
	if (SF_LIKELY(!(SF_LOAD(&sf_hot) & SF_OPBIT(op))))
		return 1;
	if (SF_UNLIKELY(SF_LOAD(&sf_reload_on)))
		return 0;
	return sf_pass_record(op, fd);
}

/* Initialise if needed; 0 means "do not touch anything, call libc": a call
 * nested inside the library (a signal handler, a callback) or one made while
 * another thread is initialising. sf_nested tells a nested call from the
 * first call after a signal handler longjmp'ed out of the library (and
 * forgets the abandoned call). */
extern int sf_init_done;
int sf_init_ready(void);

int sf_nested(uintptr_t here);
/* How far below the frame of the call under way a nested call surely is. */
#define SF_NEST_GAP 512

static inline int sf_enter(void)
{
	if ((SF_UNLIKELY(sf_self.depth) && sf_nested((uintptr_t)__builtin_frame_address(0))) ||
	    (SF_UNLIKELY(!SF_ACQUIRE(&sf_init_done)) && !sf_init_ready()))
		return 0;
	SF_ENTER_MARK();
	return 1;
}

static inline void sf_leave(void)
{
	if (sf_self.nheld)
		sf_sock_release_held();
	sf_depth_down();
}

/* The socket record of fd, held until the call leaves (sock.h
 * sf_sock_get), learning the descriptor if it was never seen; NULL if it is
 * not a socket the library tracks. */
struct sf_sock *sf_learn(int fd);
static inline struct sf_sock *sf_lookup(int fd)
{
	struct sf_sock *s = sf_sock_get(fd);
	if (SF_LIKELY(s != NULL))
		return s;
	return sf_fd_get(fd) ? NULL : sf_learn(fd);
}

/* Is fd still the socket of s? If not (closed where the library could not
 * see, and the number reused), the entry is learned again and the answer
 * is 0: then only libc may answer the call. One fstat: asked only before an
 * answer that is not libc's own (a fault, a dead connection's answer). */
int sf_sock_is(struct sf_sock *s, int fd);

/* Leave the library with the result `ret` and errno `err`. */
static inline long sf_done(long ret, int err)
{
	sf_leave();
	errno = err;
	return ret;
}

/* The same with errno's address in hand (errno is a function call in libc:
 * a slow path that touches it four times keeps the pointer). */
static inline long sf_done_at(int *errp, long ret, int err)
{
	sf_leave();
	*errp = err;
	return ret;
}

/* Leave after a rule decided the call: -1 with its errno (logged already). */
long sf_fail(struct sf_call *c, int err);

/* Trace the call's result, if SOCKFAULT_TRACE asked for it. */
static inline void sf_trace(const struct sf_call *c, long ret, int err)
{
	if (SF_UNLIKELY(sf_config.trace))
		sf_log_trace(c, ret, err);
}

/* A connect error injected on a nonblocking socket is pending in the kernel
 * as ECONNREFUSED: give the injected errno in its place, once. */
int sf_pending_error(struct sf_sock *s, int err);

/* 0 in a child that shares the parent's memory but not its descriptors
 * (vfork): its close, dup2 and close_range (the redirections before exec)
 * go straight to libc and change nothing the parent sees (proc.h). */
int sf_table_is_ours(void);

/* After a data call: bytes moved, when, and a pending connect seen to
 * complete by a successful call. */
void sf_account(struct sf_sock *s, int tx, long r, size_t moved);

/* The quick lane (decide/quick.h) is inline in the wrappers. */

/* The fd's file status flags include O_NONBLOCK. */
int sf_fd_nonblocking(int fd);

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
