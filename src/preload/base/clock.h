/* Monotonic nanoseconds (vDSO: no system call). */
#ifndef SF_CLOCK_H
#define SF_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t sf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep the whole of ns, resuming after signal handlers run, until the
 * deadline it set at the start. */
void sf_sleep_ns(uint64_t ns);

#endif
