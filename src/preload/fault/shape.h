/* The shaping actions that let the call go on: throttle and corrupt. */
#ifndef SF_SHAPE_H
#define SF_SHAPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* throttle: a link that is free again at *link_free (monotonic ns). Wait
 * until it is free, then allow at most `want` bytes (stream sockets get at
 * most one slice of 20 ms worth per step, so the average holds for long
 * transfers and a blocking call never sleeps through a huge burst). */
size_t sf_throttle_wait(uint64_t *link_free, uint64_t rate, size_t want, int may_split);
/* The call moved n bytes: the link is busy for n/rate longer. */
void sf_throttle_used(uint64_t *link_free, uint64_t rate, size_t n);

/* corrupt: flip `bits` bits chosen by `draw` among the first `len` bytes of
 * the iovec. */
void sf_corrupt_iov(const struct iovec *iov, int iovcnt, size_t len, uint64_t bits, uint64_t draw);

#endif
