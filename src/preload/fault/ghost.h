/* What stays of a dead TCP connection after the program closes it: on the
 * real dead link the peer hears nothing, neither the close nor an answer to
 * what it sends later (its own timers end it). A socket that is gone would
 * have the kernel answer the peer's next segment with an RST; so the
 * library keeps a "ghost" of the connection: a socket of its own on the
 * same four addresses, made in TCP repair mode (nothing goes out: no SYN,
 * no ACK, no FIN when it closes) with a filter that drops everything coming
 * in. It holds a high descriptor number, close-on-exec, and is let go
 * after the time a peer takes to give up (sockfault-rules(5), blackhole). */
#ifndef SF_GHOST_H
#define SF_GHOST_H

#include <sys/socket.h>

#include "sock.h"

/* The four addresses of the connection, taken before the program's close. */
struct sf_ghost_plan {
	struct sockaddr_storage local, peer;
	socklen_t local_len, peer_len;
};

/* Fill *p for fd, a TCP socket of s: 1 when its addresses are known. */
int sf_ghost_plan_of(int fd, const struct sf_sock *s, struct sf_ghost_plan *p);

/* After the program's close: the ghost of the connection, if the kernel
 * let its socket go (a socket another process still holds is left alone),
 * the library may hold one more descriptor, and CAP_NET_ADMIN is there.
 * errno is kept. */
void sf_ghost_raise(const struct sf_ghost_plan *p);

/* fd, a TCP socket of s, was ended by the kernel itself (ETIMEDOUT) while
 * silenced: it has left the kernel's tables, so the peer's next segment
 * would be answered with an RST. A ghost stands in for it at once, the
 * program's descriptor staying as it is. errno is kept. */
void sf_ghost_for_ended(int fd, const struct sf_sock *s);

/* A fork, vfork or spawn is about to happen in this process, or this
 * process is a new child: from now on, its sockets may be another
 * process's too. */
void sf_ghost_forked(void);

/* s may be open in another process as well (it existed at a fork or spawn,
 * or came from elsewhere: inherited through exec, received): its silent
 * close would put the other process's socket in repair mode (its sends
 * failing with EINVAL, its receives with EPERM), so it is closed as it is. */
int sf_ghost_may_share(const struct sf_sock *s);

/* The program closed fd (or every descriptor of a range): a ghost there is
 * gone (silently: it was in repair mode), and the number is the program's. */
void sf_ghost_fd_range_lost(unsigned lo, unsigned hi);

#endif
