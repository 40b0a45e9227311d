/* Monotonic nanoseconds (vDSO: no system call), and the quick lane's
 * cheaper reading of the same clock from the CPU's time-stamp counter. */
#ifndef SF_CLOCK_H
#define SF_CLOCK_H

#include "sf.h"

#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* The counter's line against CLOCK_MONOTONIC: ns = ns0 + (tsc - tsc0) *
 * mult / 2^32. mult is 0 until measured (clock.c), and stays 0 where the
 * kernel does not keep its own clock on the counter: then the counter is
 * not known to run at one rate on every CPU. */
struct sf_tsc {
	uint64_t tsc0, ns0;
	uint64_t mult;
	uint64_t next_fit; /* the clock reading (ns) at which to measure again */
};
extern SF_HIDDEN struct sf_tsc sf_tsc;

/* Measure the counter's rate from its start to now (sf_now's): each time
 * the time since the start has doubled, so that the line stays within a
 * few parts per million of the kernel's clock, whose rate NTP trims. */
void sf_tsc_fit(uint64_t now);

static inline uint64_t sf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (SF_UNLIKELY(now >= SF_LOAD(&sf_tsc.next_fit)))
		sf_tsc_fit(now);
	return now;
}

/* sf_now from the counter, with no call: 1, or 0 when there is no line
 * (yet, or any more: a counter found behind the line's start, set back by
 * a resume from sleep, ends it at the next fit; until then a reading may
 * be far ahead, which the rules' thresholds must not take for time that
 * passed: sf_now_sane). A few instructions where clock_gettime costs a
 * call, which would cost the quick lane's wrapper a frame
 * (entry/wrappers.c). */
static inline __attribute__((always_inline)) int sf_now_fast(uint64_t *ns)
{
#if defined(__x86_64__)
	uint64_t mult = SF_ACQUIRE(&sf_tsc.mult);
	if (!mult)
		return 0;
	uint64_t ticks = __rdtsc() - sf_tsc.tsc0;
	*ns = sf_tsc.ns0 + (uint64_t)(((unsigned __int128)ticks * mult) >> 32);
	return 1;
#else
	(void)ns;
	return 0;
#endif
}

/* A reading of sf_now_fast that lies within a few years of the line's
 * start. */
static inline int sf_now_sane(uint64_t ns)
{
	return ns - sf_tsc.ns0 < (1ull << 60);
}

/* The fast reading where there is one, else sf_now. */
static inline uint64_t sf_now_cheap(void)
{
	uint64_t ns = 0;
	return sf_now_fast(&ns) ? ns : sf_now();
}

/* At start: where the kernel's clock runs on the counter, take the line's
 * first point (sf_tsc_fit measures its rate later). */
void sf_tsc_start(void);

/* Sleep the whole of ns, resuming after signal handlers run, until the
 * deadline it set at the start. */
void sf_sleep_ns(uint64_t ns);

#endif
