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
 * counter is not known to run at one rate on every CPU (sf_tsc_trusted). */
struct sf_tsc {
	uint64_t tsc0, ns0;
	uint64_t mult;
	/* The kernel's clock is read again, and the line checked and
	 * refitted, once this time (ns) has come: at most a second after the
	 * last fit, so that the line follows the kernel's clock as NTP trims
	 * it, and a counter set back (a resume from sleep) is seen. */
	uint64_t next_fit;
	/* The counter's ticks a ns, times 2^32, a part in 1024 low: what
	 * sf_tsc_until makes of a span comes before the span's end, within
	 * the line's next fit. 0 without a line. */
	uint64_t tpn;
	/* Added to the counter where a mark is compared (sf_tsc_ahead): 0
	 * while the line lives; once it ends, half the counter's range, so
	 * that every mark made with it reads as long past, whatever the
	 * counter does next. */
	uint64_t mark_skew;
};
extern SF_HIDDEN struct sf_tsc sf_tsc;

/* Refit the line from a fresh reading of both clocks (sf_now, once the
 * next fit is due); a counter found off the line ends it for good. */
void sf_tsc_fit(void);

static inline uint64_t sf_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (SF_UNLIKELY(now >= SF_LOAD(&sf_tsc.next_fit)))
		sf_tsc_fit();
	return now;
}

/* sf_now from the counter, with no call: 1, or 0 when there is no line
 * (yet, or any more) or the reading is past the next fit (then the
 * kernel's clock answers, and refits). A few instructions where
 * clock_gettime costs a call, which would cost the quick lane's wrapper a
 * frame (entry/wrappers.c). */
static inline __attribute__((always_inline)) int sf_now_fast_at(uint64_t *ns, uint64_t *tsc)
{
#if defined(__x86_64__)
	uint64_t mult = SF_ACQUIRE(&sf_tsc.mult);
	if (!mult)
		return 0;
	*tsc = __rdtsc();
	uint64_t at = sf_tsc.ns0 + (uint64_t)(((unsigned __int128)(*tsc - sf_tsc.tsc0) * mult) >> 32);
	/* A counter behind the line's start reads as far ahead. */
	if (SF_UNLIKELY(at >= SF_LOAD(&sf_tsc.next_fit)))
		return 0;
	*ns = at;
	return 1;
#else
	(void)ns, (void)tsc;
	return 0;
#endif
}

/* sf_now_fast_at, without the counter's reading. */
static inline __attribute__((always_inline)) int sf_now_fast(uint64_t *ns)
{
	uint64_t tsc;
	return sf_now_fast_at(ns, &tsc);
}

/* How far ahead of the counter a mark of sf_tsc_until may be, in ticks (a
 * second at 2 GHz): a counter set back by less (a resume from sleep, before
 * the next fit ends the line: then sf_tsc.mark_skew) can hold a bound off
 * by no more. A constant a compare takes whole. */
#define SF_TSC_AHEAD_MAX 0x7fffffffull

/* The counter's last reading before ns have passed since its reading tsc
 * (sf_now_fast_at, which read the line's at), or an earlier one: a part in
 * 1024 early, no further than the line's next fit (the line is trusted no
 * further: a young line's rate is the least sure), and never more than
 * SF_TSC_AHEAD_MAX ticks on. */
static inline uint64_t sf_tsc_until(uint64_t tsc, uint64_t at, uint64_t ns)
{
	uint64_t fit = SF_LOAD(&sf_tsc.next_fit), trusted = fit > at ? fit - at : 0;
	if (ns > trusted)
		ns = trusted;
	unsigned __int128 t = ((unsigned __int128)ns * SF_LOAD(&sf_tsc.tpn)) >> 32;
	return tsc + (t < SF_TSC_AHEAD_MAX ? (uint64_t)t : SF_TSC_AHEAD_MAX) - 1;
}

/* The counter is at most `until` (sf_tsc_until), and not further behind
 * it than a mark can be: one reading and a compare, where the clock costs
 * a conversion and its checks. A mark long past stays past: the counter
 * moves on; once the line has ended, every mark is past. */
static inline __attribute__((always_inline)) int sf_tsc_ahead(const uint64_t *until)
{
#if defined(__x86_64__)
	uint64_t now = __rdtsc() + SF_LOAD(&sf_tsc.mark_skew);
	return SF_LOAD(until) - now <= SF_TSC_AHEAD_MAX;
#else
	(void)until;
	return 0;
#endif
}

/* The fast reading where there is one, else sf_now. */
static inline uint64_t sf_now_cheap(void)
{
	uint64_t ns = 0;
	return sf_now_fast(&ns) ? ns : sf_now();
}

/* The counter runs at one rate on every CPU, in step, as the kernel's own
 * clock needs it to: the kernel's clock is the counter ("tsc"), or a
 * hypervisor's clock that reads it in the guest's user space ("kvm-clock"),
 * on a CPU whose counter neither changes rate nor stops (the flags
 * constant_tsc and nonstop_tsc: the kernel's own test of whether a guest
 * may take the counter for its clock). Under kvm-clock the counter must
 * also be one the kernel did not find out of step: "tsc" is among the
 * available clocksources, or the kernel was told not to use it
 * ("tsc=unstable" on its command line) and so never checked it. The
 * line's refits check it then (sf_tsc_fit): a counter found off the line
 * ends it for good. clocksource and available: the kernel's
 * current_clocksource and available_clocksource files; cmdline:
 * /proc/cmdline; cpuinfo: /proc/cpuinfo's start, after a newline. */
int sf_tsc_trusted(const char *clocksource, const char *available, const char *cmdline, const char *cpuinfo);

/* Take the line's first point (sf_tsc_fit measures its rate later): 1,
 * or 0 when no pair of readings was close enough (then no line). */
int sf_tsc_begin(void);

/* At start: where the counter is trusted, sf_tsc_begin. */
void sf_tsc_start(void);

/* Sleep the whole of ns, resuming after signal handlers run, until the
 * deadline it set at the start. */
void sf_sleep_ns(uint64_t ns);

#endif
