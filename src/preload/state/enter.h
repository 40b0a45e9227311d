/* Entering and leaving the library: the reentrancy guard every entry point
 * shares (the wrappers, the reload's look at the files, the supervisor's
 * questions), and leaving with the right errno. */
#ifndef SF_ENTER_H
#define SF_ENTER_H

#include "sf.h"

#include <errno.h>

#include "sock.h"

/* Initialise if needed; 0 means "do not touch anything, call libc": a call
 * nested inside the library (a signal handler, a callback) or one made while
 * another thread is initialising. sf_nested tells a nested call from the
 * first call after a signal handler longjmp'ed out of the library (and
 * forgets the abandoned call). sf_init_ready is the library's start
 * (entry/init.c), the one function here defined above this layer: a call
 * that finds the library not started starts it. */
extern SF_HIDDEN int sf_init_done;
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

#endif
