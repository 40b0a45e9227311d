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

/* The first `max` bytes of a file of the kernel's, read with raw system
 * calls (the library's start runs before libc's stdio may), NUL-ended;
 * 0 when it cannot be read. */
static size_t read_kernel_file(const char *path, char *buf, size_t max)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t n = 0;
	while (n + 1 < max) {
		long r = syscall(SYS_read, fd, buf + n, max - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	syscall(SYS_close, fd);
	buf[n] = 0;
	return n;
}

/* `word` is one of the words of `line` (up to its end or a newline). */
static int has_word(const char *line, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = line; *p && *p != '\n'; p++)
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') && strncmp(p, word, len) == 0 &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == 0))
			return 1;
	return 0;
}

/* `param` is one of the kernel's parameters on its command line (those
 * after a "--" are init's). */
static int kernel_param(const char *cmdline, const char *param)
{
	const char *init = strstr(cmdline, " -- ");
	size_t len = strlen(param);
	for (const char *p = cmdline; (p = strstr(p, param)) != NULL; p += len)
		if ((!init || p < init) && (p == cmdline || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || p[len] == 0))
			return 1;
	return 0;
}

int sf_tsc_trusted(const char *clocksource, const char *available, const char *cmdline, const char *cpuinfo)
{
	if (strcmp(clocksource, "tsc\n") == 0)
		return 1;
	/* A counter the kernel found out of step is no clocksource of its any
	 * more; one it was told not to use (tsc=unstable) it never checked,
	 * and the line's own checks stand in for the kernel's (sf_tsc_fit). */
	if (strcmp(clocksource, "kvm-clock\n") != 0 ||
	    (!has_word(available, "tsc") && !kernel_param(cmdline, "tsc=unstable")))
		return 0;
	const char *flags = strstr(cpuinfo, "\nflags");
	if (!flags || !(flags = strchr(flags + 1, ':')))
		return 0;
	return has_word(flags + 1, "constant_tsc") && has_word(flags + 1, "nonstop_tsc");
}

/* Read once, at the library's start (not on a thread's stack: 12 KiB). */
static char cpuinfo[8192], cmdline[4096];

static int kernel_clock_on_tsc(void)
{
	char source[32], available[256];
	if (!read_kernel_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", source,
			      sizeof source) ||
	    !read_kernel_file("/sys/devices/system/clocksource/clocksource0/available_clocksource", available,
			      sizeof available))
		return 0;
	read_kernel_file("/proc/cmdline", cmdline, sizeof cmdline);
	/* The first CPU's lines hold its flags: they are the same on all. */
	cpuinfo[0] = '\n';
	read_kernel_file("/proc/cpuinfo", cpuinfo + 1, sizeof cpuinfo - 1);
	return sf_tsc_trusted(source, available, cmdline, cpuinfo);
}

#if defined(__x86_64__)
/* Both clocks at one moment: the kernel's, between two counter readings.
 * A pair whose counter readings lie further apart than SF_TSC_PAIR_TICKS
 * (the thread was preempted between them, or runs under valgrind on a
 * loaded machine) says too little of the moment: read again, a few
 * times; 0 if no pair was close enough. At most 50 us at 1 GHz: each
 * pair is then within 25 us of the moment, and a line through two of them
 * off by about 75 us a span later, well within SF_TSC_OFF_NS. */
#define SF_TSC_PAIR_TICKS 50000ull
#define SF_TSC_PAIR_TRIES 4
static int read_both(uint64_t *tsc, uint64_t *ns)
{
	for (int i = 0; i < SF_TSC_PAIR_TRIES; i++) {
		struct timespec ts;
		uint64_t before = __rdtsc();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t after = __rdtsc();
		*tsc = before + (after - before) / 2;
		*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (after - before <= SF_TSC_PAIR_TICKS)
			return 1;
	}
	return 0;
}
#endif

int sf_tsc_begin(void)
{
#if defined(__x86_64__)
	int e = errno, ok = read_both(&sf_tsc.tsc0, &sf_tsc.ns0);
	errno = e;
	SF_RELEASE(&sf_tsc.mult, 0);
	/* A line begun anew: no mark was made with it. */
	SF_STORE(&sf_tsc.mark_skew, 0);
	SF_RELEASE(&sf_tsc.next_fit, ok ? sf_tsc.ns0 + SF_TSC_FIRST_FIT_NS : UINT64_MAX);
	return ok;
#else
	return 0;
#endif
}

void sf_tsc_start(void)
{
	int e = errno;
	if (kernel_clock_on_tsc())
		sf_tsc_begin();
	errno = e;
}

/* No line any more: the kernel's clock for good. */
static void end_line(void)
{
	SF_STORE(&sf_tsc.next_fit, UINT64_MAX);
	SF_RELEASE(&sf_tsc.mult, 0);
	SF_STORE(&sf_tsc.tpn, 0);
	SF_STORE(&sf_tsc.mark_skew, 1ull << 63);
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
	int paired = read_both(&tsc, &now);
	errno = e;
	if (!paired) {
		/* Unchecked, the line is not used: the kernel's clock answers,
		 * and the next reading tries again. */
		SF_RELEASE(&sf_tsc.next_fit, due);
		return;
	}
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
	SF_STORE(&sf_tsc.tpn, (uint64_t)((double)ticks / (double)span * 4294967296.0 * (1.0 - 1.0 / 1024)));
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
