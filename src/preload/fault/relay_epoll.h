/* The program's epoll(7) sets that watch a socket the relay swaps (relay.h).
 * A set watches an open socket through the number it was added under: once
 * another socket is put under that number, the set would go on watching the
 * old one, and a program waiting there would wait for the wrong readiness.
 * Each registration is taken out of its set before the swap and added back,
 * with its events and data as the kernel lists them in the set's fdinfo,
 * for what the number names after it. */
#ifndef SF_RELAY_EPOLL_H
#define SF_RELAY_EPOLL_H

#include <stdint.h>

/* At most this many registrations of one number are moved (more: the
 * socket is not swapped). */
#define SF_EPOLL_REGS 8

struct sf_epoll_reg {
	int epfd;
	uint32_t events;
	uint64_t data;
};

/* Take fd (the open socket it names now) out of every epoll set of the
 * program's that watches it under that number, except the relay's own
 * (skip); what was taken is in regs. Returns how many, or -1 if they cannot
 * all be known (no /proc, more than SF_EPOLL_REGS, descriptors numbered
 * past what is worth looking through): then nothing was taken. */
int sf_epoll_take(int fd, int skip, struct sf_epoll_reg *regs);

/* Add them back, for what fd names now. */
void sf_epoll_put(int fd, const struct sf_epoll_reg *regs, int n);

#endif
