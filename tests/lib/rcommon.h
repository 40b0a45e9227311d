/* What the realism test program (treal, under the preload) and its peer
 * (rpeer, never preloaded) share: the byte pattern both ends compare
 * against, readiness printed in one form, and a free port below the kernel's
 * ephemeral range (so that a connection's side can be told from its ports). */
#ifndef RCOMMON_H
#define RCOMMON_H

#include <stddef.h>
#include <stdint.h>

#include "tnet.h"

/* Bits in which buf differs from the test pattern at stream offset off. */
uint64_t rc_bitdiff(const unsigned char *buf, size_t len, uint64_t off);
/* Fill buf with the test pattern from stream offset off. */
void rc_fill(unsigned char *buf, size_t len, uint64_t off);

/* "IN,OUT,ERR,HUP,RDHUP" of poll or epoll bits (the values are the same);
 * "none" for 0. */
const char *rc_events(unsigned ev);

/* A socket of family (AF_INET, AF_INET6) and type bound to a free port
 * below the ephemeral range, listening if a stream; -1 if none was found.
 * The port is stored in a. */
int rc_bind_low(struct tn_addr *a, int family, int type);

/* The kernel's ephemeral port range. */
void rc_ephemeral_range(int *lo, int *hi);

#endif
