#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Until sf_tsc_start, and for good where there is no counter to use: no
 * reading ever reaches next_fit. */
struct sf_tsc sf_tsc = { .next_fit = UINT64_MAX };

/* The first point is 1 ms old before a rate is measured from it: the
 * clock's own granularity is then a part in 20 000 at worst. Afterwards the
 * line is refitted at most a second apart: NTP trims the kernel's clock by
 * at most 500 parts per million, half a millisecond a second. */
#define SF_TSC_FIRST_FIT_NS 1000000ull
#define SF_TSC_FIT_EVERY_NS 1000000000ull
/* A counter further than this from the line at a fit is not the one the
 * line was drawn for (set back by a resume from sleep, or stopped). */
#define SF_TSC_OFF_NS 1000000ull

/* The kernel keeps CLOCK_MONOTONIC on the counter only when it found the
 * counter invariant and in step on every CPU (clocksource "tsc"). */
static int kernel_clock_is_tsc(void)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/sys/devices/system/clocksource/clocksource0/current_clocksource",
			      O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[16];
	long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
	syscall(SYS_close, fd);
	return n == 4 && memcmp(buf, "tsc\n", 4) == 0;
}

#if defined(__x86_64__)
/* Both clocks at one moment: the kernel's, between two counter readings. */
static void read_both(uint64_t *tsc, uint64_t *ns)
{
	struct timespec ts;
	uint64_t before = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t after = __rdtsc();
	*tsc = before + (after - before) / 2;
	*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#endif

void sf_tsc_start(void)
{
#if defined(__x86_64__)
	int e = errno;
	if (kernel_clock_is_tsc()) {
		read_both(&sf_tsc.tsc0, &sf_tsc.ns0);
		SF_RELEASE(&sf_tsc.next_fit, sf_tsc.ns0 + SF_TSC_FIRST_FIT_NS);
	}
	errno = e;
#endif
}

/* No line any more: the kernel's clock for good. */
static void end_line(void)
{
	SF_STORE(&sf_tsc.next_fit, UINT64_MAX);
	SF_RELEASE(&sf_tsc.mult, 0);
}

void sf_tsc_fit(void)
{
#if defined(__x86_64__)
	uint64_t due = SF_LOAD(&sf_tsc.next_fit);
	/* One thread fits; the others go on with the line they have. */
	if (due == UINT64_MAX ||
	    !__atomic_compare_exchange_n(&sf_tsc.next_fit, &due, UINT64_MAX - 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	int e = errno;
	uint64_t tsc, now;
	read_both(&tsc, &now);
	errno = e;
	uint64_t ticks = tsc - sf_tsc.tsc0, span = now - sf_tsc.ns0;
	if ((int64_t)ticks <= 0 || (int64_t)span <= 0) {
		end_line();
		return;
	}
	uint64_t mult = SF_LOAD(&sf_tsc.mult);
	if (mult) {
		uint64_t at = sf_tsc.ns0 + (uint64_t)(((unsigned __int128)ticks * mult) >> 32);
		if ((at > now ? at - now : now - at) > SF_TSC_OFF_NS) {
			end_line();
			return;
		}
	}
	SF_RELEASE(&sf_tsc.mult, (uint64_t)((double)span / (double)ticks * 4294967296.0));
	SF_RELEASE(&sf_tsc.next_fit, now + (span < SF_TSC_FIT_EVERY_NS ? span : SF_TSC_FIT_EVERY_NS));
#endif
}

void sf_sleep_ns(uint64_t ns)
{
	/* To a deadline, not for a length: a sleep restarted after each signal
	 * handler would lose the time already slept, and the timer slack, at
	 * every signal (a program with a fast interval timer would never wake). */
	uint64_t until = sf_now() + ns;
	struct timespec ts = { (time_t)(until / 1000000000ull), (long)(until % 1000000000ull) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
