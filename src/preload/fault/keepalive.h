/* The program's keepalive on a silenced TCP connection (blackhole,
 * timeout). Its probes go unanswered, so the kernel ends the connection
 * with ETIMEDOUT, as on a dead link, but its last act is an RST, which the
 * dead link loses and which here would reach the peer. So while the
 * connection is silenced the library turns the kernel's keepalive off and
 * keeps it itself: it times the probes as the kernel's timer would
 * (katimer.h: the first TCP_KEEPIDLE after the last segment received,
 * then one every TCP_KEEPINTVL; the end after TCP_KEEPCNT of them, or once
 * TCP_USER_TIMEOUT has passed since that segment), follows the program's
 * setsockopt of those options and of SO_KEEPALIVE (getsockopt reports what
 * the program set), and at the end's time the connection is ended without
 * a word (dead.h sf_dead_keepalive_expired; sockfault-rules(5),
 * blackhole). Only where that can be done: a connection of this process
 * alone, not relayed, with CAP_NET_ADMIN; elsewhere the kernel's keepalive
 * stays, with its RST. */
#ifndef SF_KEEPALIVE_H
#define SF_KEEPALIVE_H

#include "sf.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sock.h"

/* Some connection of this process has been silenced: setsockopt of the
 * keepalive options must reach the library (0: none ever was). */
extern SF_HIDDEN unsigned sf_keepalive_watch;

static inline int sf_keepalive_option(int level, int name)
{
	return (level == SOL_SOCKET && name == SO_KEEPALIVE) ||
	       (level == IPPROTO_TCP &&
		(name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT || name == TCP_USER_TIMEOUT));
}

/* fd, the kernel's TCP socket of s, is being silenced (before its
 * TCP_USER_TIMEOUT is changed): if the program's keepalive is on, the
 * library keeps it from now on. errno is kept. */
void sf_keepalive_silenced(int fd, struct sf_sock *s);

/* setsockopt of a keepalive option (sf_keepalive_option) on fd, a socket
 * of s that is not relayed: the real call, whose answer is the program's;
 * on a silenced connection the library's keepalive follows it. */
int sf_keepalive_setsockopt(int fd, struct sf_sock *s, int level, int name, const void *val, socklen_t len);

/* getsockopt(SO_KEEPALIVE): 1 if the program has it on while the library
 * keeps it (the kernel's is off). */
int sf_keepalive_kept_on(const struct sf_sock *s);

/* From the timer thread, at the deadline it was given: would the kernel's
 * keepalive end the connection of fd now? 1: it would, and the end is
 * marked under way (sf_keepalive_settle waits for it) until
 * sf_keepalive_ended. */
int sf_keepalive_due(int fd, struct sf_sock *s);
void sf_keepalive_ended(struct sf_sock *s);

/* A call woken by that end, or made while it is under way: wait until the
 * kernel's socket has its final state (a few system calls). */
void sf_keepalive_settle(const struct sf_sock *s);

#endif
