#include "rcommon.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

uint64_t rc_bitdiff(const unsigned char *buf, size_t len, uint64_t off)
{
	uint64_t bits = 0;
	for (size_t i = 0; i < len; i++)
		bits += (uint64_t)__builtin_popcount((unsigned)(buf[i] ^ tn_pattern((size_t)(off + i))));
	return bits;
}

void rc_fill(unsigned char *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = tn_pattern((size_t)(off + i));
}

const char *rc_events(unsigned ev)
{
	static __thread char buf[64];
	buf[0] = '\0';
	/* poll's and epoll's bits have the same values on Linux. */
	if (ev & POLLIN)
		strcat(buf, ",IN");
	if (ev & POLLOUT)
		strcat(buf, ",OUT");
	if (ev & POLLERR)
		strcat(buf, ",ERR");
	if (ev & POLLHUP)
		strcat(buf, ",HUP");
	if (ev & POLLRDHUP)
		strcat(buf, ",RDHUP");
	return buf[0] ? buf + 1 : "none";
}

void rc_ephemeral_range(int *lo, int *hi)
{
	*lo = 32768;
	*hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	if (f) {
		if (fscanf(f, "%d %d", lo, hi) != 2) {
			*lo = 32768;
			*hi = 60999;
		}
		fclose(f);
	}
}

int rc_bind_low(struct tn_addr *a, int family, int type)
{
	int lo, hi;
	rc_ephemeral_range(&lo, &hi);
	/* Well clear of the range and of the privileged ports; a start that
	 * depends on the pid, so that tests running side by side do not keep
	 * trying the same ports. */
	int top = lo - 1, bottom = lo > 12000 ? lo - 10000 : 1024;
	if (top <= bottom)
		return -1;
	int span = top - bottom;
	int start = bottom + (int)((unsigned)getpid() * 7919u % (unsigned)span);
	for (int i = 0; i < 300; i++) {
		int port = bottom + (start - bottom + i * 37) % span;
		tn_loopback(a, family, port);
		int fd = tn_bind_listen(a, type);
		if (fd >= 0)
			return fd;
	}
	return -1;
}
