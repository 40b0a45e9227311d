/* Making a nonblocking connect fail the way the kernel fails one: the socket
 * really connects to a loopback port that refuses, so poll, epoll and select
 * see it writable with POLLERR, and SO_ERROR has an error to give. */
#ifndef SF_REFUSE_H
#define SF_REFUSE_H

#include <sys/socket.h>

/* Start a connect of fd (family AF_INET or AF_INET6) that the kernel will
 * refuse. Returns 1 when it is under way (the call returned EINPROGRESS). */
int sf_refuse_connect(int fd, int family);

/* Has the connect of fd, a TCP socket whose connect the library saw go
 * under way, already failed (the kernel's socket is closed)? The kernel then answers the next
 * connect itself, with the error not yet read or ECONNABORTED, without
 * sending anything. */
int sf_connect_failed(int fd);

/* The program closed fd (or every descriptor of a range): if it was one of
 * ours, forget it. */
void sf_refuse_fd_lost(int fd);
void sf_refuse_fd_range_lost(unsigned lo, unsigned hi);

#endif
