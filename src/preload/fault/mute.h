/* Sends into a blackhole: the kernel keeps taking them into its buffer and
 * runs its own timers, but nothing new leaves for the peer. */
#ifndef SF_MUTE_H
#define SF_MUTE_H

#include <stdint.h>

/* fd, an established TCP socket whose incoming segments are dropped from
 * now on: what is not yet sent stays unsent. Needs CAP_NET_ADMIN (without
 * it, nothing changes: the first window of what the program sends reaches
 * the peer; sockfault-rules(5), blackhole). With a deadline (`timeout`,
 * from now; 0: none), only if the kernel's window probes cannot end the
 * connection before it: the deadline is the timeout's promise. Returns
 * how long after the next send the kernel's clock for TCP_USER_TIMEOUT
 * starts (its first window probe), or 0 (not held back, or data in flight:
 * its retransmissions keep the clock). errno is kept. */
uint64_t sf_mute_sends(int fd, uint64_t deadline_ns);

#endif
