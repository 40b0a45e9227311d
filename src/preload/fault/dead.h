/* Connections a fault has changed for good: the kernel socket is made to
 * agree (a real RST, a real FIN, a filter that drops everything coming in),
 * and every later call on the socket gets what the kernel would give for
 * such a connection. A dead connection never comes back to life. */
#ifndef SF_DEAD_H
#define SF_DEAD_H

#include "engine.h"
#include "ghost.h"
#include "sock.h"

/* The dead states themselves (enum sf_dead) belong to the rules: actions.h. */

/* A deciding rule with one of reset, eof, hangup, blackhole, timeout, or a
 * sticky error on a connection, fired on the call. Changes the socket; then
 * either answers the call (returns 1, *ret and *err set) or lets it run
 * (returns 0: blackhole and timeout receive for real from a silenced socket). */
int sf_dead_begin(struct sf_call *c, int flags, long *ret, int *err);

/* A call on a dead socket: answered by the library (returns 1), answered
 * as "sent" (returns SF_DEAD_PRETEND_SENT: the caller knows the call's
 * shape), or run for real because the kernel already gives the right
 * answer (returns 0). */
#define SF_DEAD_PRETEND_SENT 2
int sf_dead_answer(struct sf_call *c, int flags, long *ret, int *err);

/* A real call that was under way when the socket died (woken by the RST of
 * another thread or of the timeout): the error it reports. */
int sf_dead_fixup(struct sf_sock *s, int fd, enum sf_op op, long ret, int err);

/* For getsockopt(SO_ERROR) on a dead socket: the error to report (0: none). */
int sf_dead_so_error(struct sf_sock *s, int fd, int kernel_error);

/* A timed rule fired at its time (deadline.h, from the timer thread): the
 * connection changes in the kernel as the real fault would change it, so
 * that poll, epoll and the next calls see it. */
void sf_dead_at_time(int fd, struct sf_sock *s, const struct sf_verdict *v);

/* The program is closing fd, a descriptor of s that the table has already
 * forgotten: on a dead link the close goes unheard like everything else.
 * Returns 1 when the connection's ghost is to be raised after the close
 * (*ghost filled: sf_ghost_raise). */
int sf_dead_closing(int fd, struct sf_sock *s, struct sf_ghost_plan *ghost);

/* The timeout's deadline has come (from the timer thread), or the round
 * trip of a router's ICMP (icmp.h: sf_icmp_arrives). */
void sf_dead_timeout_expired(int fd, struct sf_sock *s);

/* The end the program's keepalive gives a silenced connection has come
 * (keepalive.h, from the timer thread): ETIMEDOUT for the program, as the
 * kernel's keepalive gives it, and nothing for the peer. */
void sf_dead_keepalive_expired(int fd, struct sf_sock *s);

/* An EPIPE the library produces raises SIGPIPE, as the kernel's does, unless
 * the call passed MSG_NOSIGNAL. */
void sf_raise_sigpipe(enum sf_op op, int flags);

#endif
