/* SOCKFAULT_RELOAD: the rules files are looked at, at most every 250 ms, by
 * the program's own calls, and re-read when they change. No thread of the
 * library's: a single-threaded program stays single-threaded (it may
 * unshare(CLONE_NEWUSER)). */
#ifndef SF_RELOAD_H
#define SF_RELOAD_H

#include <stdint.h>
#include <time.h>

#include "sf.h"

/* Nonzero when reloading is on; the coarse monotonic time (ns) at which the
 * files are next looked at. */
extern SF_HIDDEN int sf_reload_on;
extern SF_HIDDEN uint64_t sf_reload_next;

/* A coarse clock: the vDSO answers it without a system call, to the tick. */
static inline uint64_t sf_coarse_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* At start, once the rules are in force: turn reloading on. */
void sf_reload_start(void);

/* From a call on its way into the library: look at the files if they are
 * due (one call in 250 ms does it; the others go on), and install new rules
 * if they changed. errno is kept. */
void sf_reload_check(void);

#endif
