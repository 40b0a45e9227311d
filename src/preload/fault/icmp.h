/* ICMP port unreachable for a connected UDP socket, made by the kernel
 * itself: for one send the socket is connected to a closed port of its own
 * address, the datagram goes there (not to the peer), and the kernel's own
 * ICMP comes back over loopback. The socket then holds the kernel's pending
 * ECONNREFUSED: poll reports POLLERR, the next call (receive or send) fails
 * with it once, SO_ERROR takes it (sockfault-rules(5), error). */
#ifndef SF_ICMP_H
#define SF_ICMP_H

#include <sys/socket.h>

#include "sock.h"

struct sf_icmp_save {
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

/* Does a send with this errno, on s (dest: the call's own address, or
 * NULL), draw an ICMP port unreachable rather than fail? */
int sf_icmp_udp(const struct sf_sock *s, const void *dest, int err);

/* Point fd at a closed port of its own address (1), keeping its peer in
 * *save; 0 if that cannot be done (the send then fails as a plain error). */
int sf_icmp_redirect(int fd, struct sf_icmp_save *save);

/* After the send: wait (briefly) for the ICMP, and connect fd back to its
 * peer. */
void sf_icmp_restore(int fd, const struct sf_icmp_save *save);

/* A blocking TCP connect answered by the host's own firewall (the rule's
 * icmp=local; err ECONNREFUSED, EHOSTUNREACH or ENETUNREACH): its ICMP
 * comes back while the connect still holds the socket, so the kernel keeps
 * it as a soft error and reports it when the SYN is first retransmitted
 * (its initial RTO, 1 s); SO_ERROR still holds it after. Waits that long
 * and leaves the error for SO_ERROR: 1; 0 if this is not such a connect (a
 * router's ICMP, the rule's plain icmp, fails the connect as a hard error
 * after the round trip of the connect's delay rules; nonblocking: see
 * sockfault-rules(5), icmp). */
int sf_unreach_blocking(int fd, struct sf_sock *s, int err, int icmp);

/* A nonblocking TCP connect that a router's ICMP answers one round trip
 * later (at `deadline`): the socket connects to the refuser (refuse.h)
 * behind a filter that drops its RST, so it stays connecting as the real
 * one does (poll: nothing; sends EAGAIN; SO_ERROR 0), and the timer thread
 * brings the ICMP at the deadline (sf_icmp_arrives). 1 if so under way. */
int sf_icmp_connect_later(int fd, struct sf_sock *s, int err, uint64_t deadline);

/* From the timer thread, at that deadline: the ICMP arrives, a hard error:
 * the connect is abandoned (connect(AF_UNSPEC), nothing sent) and the
 * socket shut, so that it is dead at once (poll: IN|OUT|ERR|HUP|RDHUP),
 * and SO_ERROR gives err once. icmp_err is then SF_ICMP_ARRIVED.
 * 1 if s had an ICMP on its way. */
int sf_icmp_arrives(int fd, struct sf_sock *s);

/* icmp_err once the ICMP has come: the kernel's socket is unconnected (the
 * abandoned connect), where a real one failed by the ICMP is still a
 * failed connect, which a second connect would not make anew. */
#define SF_ICMP_ARRIVED 0x8000u

/* A connect on fd after its ICMP came: the kernel's answer to a second
 * connect after a failed one (the error, if the program has not read it,
 * else ECONNABORTED; nothing sent), which leaves the socket unconnected:
 * the next connect is a new attempt. Returns that errno. */
int sf_icmp_connect_again(int fd, struct sf_sock *s);

/* The connect's waiters wake at the first step of the ICMP's arrival, the
 * socket dead but not yet shut: a woken program's SO_ERROR waits (briefly)
 * for the second, so that what it reads next is the kernel's dead socket. */
void sf_icmp_settle(const struct sf_sock *s);

#endif
