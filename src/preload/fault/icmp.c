#include "icmp.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "real.h"
#include "enter.h"
#include "lookup.h"
#include "proc.h"
#include "real.h"
#include "settings.h"

int sf_icmp_udp(const struct sf_sock *s, const void *dest, int err)
{
	/* An unconnected socket is not told of ICMP errors (without
	 * IP_RECVERR): only a connected one, for its own peer. */
	return err == ECONNREFUSED && s->proto == SF_PROTO_UDP && !dest && (s->flags & SF_SOCK_HAS_PEER) &&
	       (s->family == AF_INET || s->family == AF_INET6);
}

/* A port of addr's address that nothing is bound to: one the kernel just
 * gave a socket of ours, closed again. */
static int closed_port(struct sockaddr_storage *addr, socklen_t len)
{
	int probe = sf_real_socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return 0;
	struct sockaddr_storage a = *addr;
	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
	socklen_t l = len;
	int ok = sf_real_bind(probe, (struct sockaddr *)&a, len) == 0 &&
		 getsockname(probe, (struct sockaddr *)&a, &l) == 0;
	sf_real_close(probe);
	if (ok)
		*addr = a;
	return ok;
}

int sf_icmp_redirect(int fd, struct sf_icmp_save *save)
{
	int saved = errno;
	struct sockaddr_storage self;
	socklen_t selflen = sizeof self;
	save->peerlen = sizeof save->peer;
	int ok = sf_real_getpeername(fd, (struct sockaddr *)&save->peer, &save->peerlen) == 0 &&
		 getsockname(fd, (struct sockaddr *)&self, &selflen) == 0 && closed_port(&self, selflen) &&
		 sf_real_connect(fd, (struct sockaddr *)&self, selflen) == 0;
	errno = saved;
	return ok;
}

void sf_icmp_restore(int fd, const struct sf_icmp_save *save)
{
	int saved = errno;
	/* Loopback delivers the ICMP before the send returns, as a rule;
	 * a loaded machine gets a few milliseconds more. */
	struct pollfd p = { fd, 0, 0 };
	poll(&p, 1, 20);
	sf_real_connect(fd, (const struct sockaddr *)&save->peer, save->peerlen);
	errno = saved;
}

int sf_unreach_blocking(int fd, struct sf_sock *s, int err, int icmp)
{
	if (icmp != SF_ICMP_LOCAL || sf_fd_nonblocking(fd))
		return 0;
	sf_sleep_ns(1000000000ull);
	SF_STORE(&s->pending_err, (uint16_t)err);
	sf_sock_all_slow(s);
	return 1;
}
