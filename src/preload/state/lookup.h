/* The socket a descriptor refers to, as the library's calls see it. */
#ifndef SF_LOOKUP_H
#define SF_LOOKUP_H

#include "sf.h"

#include "fdtab.h"
#include "sock.h"

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

/* The fd's file status flags include O_NONBLOCK. */
int sf_fd_nonblocking(int fd);

#endif
