/* A reset at a time (deadline.h) aborts the kernel's socket, which throws
 * away what it had queued; on a real RST that data is still read first.
 * The library takes it out of the kernel just before the abort and gives it
 * to the receives that follow, then the kernel's answer (ECONNRESET once,
 * then 0). At most SF_STASH_MAX bytes (a larger queue loses its tail). */
#ifndef SF_STASH_H
#define SF_STASH_H

#include <sys/uio.h>

#include "sock.h"

#define SF_STASH_MAX (8u << 20)

/* Move what the kernel has queued for fd into s's stash. */
void sf_stash_take(int fd, struct sf_sock *s);

/* Bytes left in the stash. */
static inline uint32_t sf_stash_left(const struct sf_sock *s)
{
	const struct sf_sock_rare *r = sf_sock_rare_if(s);
	return r ? __atomic_load_n(&r->stash_len, __ATOMIC_ACQUIRE) - __atomic_load_n(&r->stash_off, __ATOMIC_RELAXED)
		 : 0;
}

/* Copy stashed bytes into the program's buffers (consumed unless peek):
 * how many, or -1 with EFAULT where a buffer cannot be written. */
long sf_stash_give(struct sf_sock *s, const struct iovec *iov, int iovcnt, int peek);

/* Write len bytes into the program's memory at dst: 1 done, 0 if it cannot
 * be written (the kernel would say EFAULT). */
int sf_user_put(void *dst, const void *src, size_t len);

#endif
