#include "refuse.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sf.h"

/* One socket per family, bound to a loopback port and never listening: a
 * SYN to that port is answered with a reset, at once. */
static int refuser[2] = { -1, -1 };
static struct sockaddr_in6 target6;
static struct sockaddr_in target4;

static int make(int family)
{
	int fd = (int)syscall(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (fd < 3) {
		int high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
		syscall(SYS_close, fd);
		if (high < 0)
			return -1;
		fd = high;
	}
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	memset(&a, 0, sizeof a);
	socklen_t len;
	if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof a.in;
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_addr = in6addr_loopback;
		len = sizeof a.in6;
	}
	if (syscall(SYS_bind, fd, &a, len) < 0 || syscall(SYS_getsockname, fd, &a, &len) < 0) {
		syscall(SYS_close, fd);
		return -1;
	}
	if (family == AF_INET)
		target4 = a.in;
	else
		target6 = a.in6;
	return fd;
}

static int ensure(int family)
{
	int *slot = &refuser[family == AF_INET6];
	int fd = SF_LOAD(slot);
	if (fd >= 0)
		return fd;
	fd = make(family);
	int expected = -1;
	if (fd >= 0 && !__atomic_compare_exchange_n(slot, &expected, fd, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		syscall(SYS_close, fd);
		return expected;
	}
	return fd;
}

int sf_refuse_connect(int fd, int family)
{
	int saved = errno;
	long r = -1;
	if (family == AF_INET && ensure(AF_INET) >= 0) {
		r = syscall(SYS_connect, fd, &target4, sizeof target4);
	} else if (family == AF_INET6) {
		if (ensure(AF_INET6) >= 0) {
			r = syscall(SYS_connect, fd, &target6, sizeof target6);
		} else if (ensure(AF_INET) >= 0) {
			/* No IPv6 loopback: a dual-stack socket can still be refused
			 * by the IPv4 one, through a v4-mapped address. */
			struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = target4.sin_port };
			mapped.sin6_addr.s6_addr[10] = 0xff;
			mapped.sin6_addr.s6_addr[11] = 0xff;
			memcpy(mapped.sin6_addr.s6_addr + 12, &target4.sin_addr, 4);
			r = syscall(SYS_connect, fd, &mapped, sizeof mapped);
		}
	}
	int ok = r < 0 && errno == EINPROGRESS;
	errno = saved;
	return ok;
}

void sf_refuse_fd_lost(int fd)
{
	for (int i = 0; i < 2; i++) {
		int expected = fd;
		if (fd >= 0)
			__atomic_compare_exchange_n(&refuser[i], &expected, -1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}

void sf_refuse_fd_range_lost(unsigned lo, unsigned hi)
{
	for (int i = 0; i < 2; i++) {
		int fd = SF_LOAD(&refuser[i]);
		if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi)
			sf_refuse_fd_lost(fd);
	}
}

int sf_connect_failed(int fd)
{
	int saved = errno;
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	memset(&ti, 0, sizeof ti);
	long r = syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	errno = saved;
	return r == 0 && len >= 1 && ti.tcpi_state == TCP_CLOSE;
}
