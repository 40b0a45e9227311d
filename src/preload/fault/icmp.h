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

/* A blocking TCP connect answered by a router's ICMP (err EHOSTUNREACH or
 * ENETUNREACH; ECONNREFUSED with the icmp modifier, else an RST): the
 * kernel reports it when the SYN is first retransmitted (its initial RTO,
 * 1 s), and SO_ERROR still holds it after. Waits that long and leaves the
 * error for SO_ERROR: 1; 0 if this is not such a connect (nonblocking: see
 * sockfault-rules(5), error). */
int sf_unreach_blocking(int fd, struct sf_sock *s, int err, int icmp);

#endif
