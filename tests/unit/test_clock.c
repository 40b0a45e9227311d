/* The quick lane's clock (base/clock.h): the CPU's counter on a line fitted
 * against CLOCK_MONOTONIC, which it must follow; and none at all where the
 * counter is not known to run in step on every CPU (sf_tsc_trusted). */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void slurp(const char *path, char *buf, size_t max)
{
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, max - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* The library's own question, of this machine. */
static int kernel_on_tsc(void)
{
	static char source[32], available[256], cmdline[4096], cpuinfo[8192];
	slurp("/sys/devices/system/clocksource/clocksource0/current_clocksource", source, sizeof source);
	slurp("/sys/devices/system/clocksource/clocksource0/available_clocksource", available, sizeof available);
	slurp("/proc/cmdline", cmdline, sizeof cmdline);
	cpuinfo[0] = '\n';
	slurp("/proc/cpuinfo", cpuinfo + 1, sizeof cpuinfo - 1);
	return sf_tsc_trusted(source, available, cmdline, cpuinfo);
}

/* Which kernels' clocks vouch for the counter. */
static void the_counter_is_trusted_where_the_kernel_reads_it(void **state)
{
	(void)state;
	static const char steady[] = "\nprocessor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc rdtscp\n"
				     "processor\t: 1\n";
	static const char drifts[] = "\nprocessor\t: 0\nflags\t\t: fpu tsc constant_tsc rdtscp\n"
				     "flags\t\t: nonstop_tsc\n";
	static const char last[] = "\nflags\t\t: nonstop_tsc constant_tsc";
	static const char kvm_tsc[] = "kvm-clock tsc acpi_pm \n";
	static const char booted[] = "console=ttyS0 quiet\n";
	static const char told[] = "console=ttyS0 tsc=unstable quiet\n";
	assert_true(sf_tsc_trusted("tsc\n", "", "", ""));
	assert_true(sf_tsc_trusted("kvm-clock\n", kvm_tsc, booted, steady));
	assert_true(sf_tsc_trusted("kvm-clock\n", kvm_tsc, booted, last));
	assert_true(sf_tsc_trusted("kvm-clock\n", "tsc kvm-clock\n", booted, steady));
	/* The kernel marked the counter unstable by a check of its own (or
	 * never found it in step): it is no clocksource of its any more. */
	assert_false(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", booted, steady));
	assert_false(sf_tsc_trusted("kvm-clock\n", "kvm-clock tsc_early\n", booted, steady));
	/* It was told to: it never checked, the line's refits do. */
	assert_true(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", told, steady));
	assert_true(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", "tsc=unstable\n", steady));
	assert_true(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", "quiet tsc=reliable tsc=unstable", steady));
	assert_false(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", told, drifts));
	assert_false(sf_tsc_trusted("hpet\n", "hpet \n", told, steady));
	/* Whole parameters, the kernel's: those after "--" are init's. */
	assert_false(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", "quiet xtsc=unstable\n", steady));
	assert_false(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", "quiet tsc=unstable2\n", steady));
	assert_false(sf_tsc_trusted("kvm-clock\n", "kvm-clock \n", "quiet -- tsc=unstable\n", steady));
	/* Only the first CPU's flags, whole words. */
	assert_false(sf_tsc_trusted("kvm-clock\n", kvm_tsc, booted, drifts));
	assert_false(sf_tsc_trusted("kvm-clock\n", kvm_tsc, booted, "\nflags\t\t: xconstant_tsc nonstop_tsc\n"));
	assert_false(sf_tsc_trusted("kvm-clock\n", kvm_tsc, booted, "\nflags\t\t: constant_tscx nonstop_tsc\n"));
	assert_false(sf_tsc_trusted("kvm-clock\n", kvm_tsc, booted, ""));
	assert_false(sf_tsc_trusted("hpet\n", kvm_tsc, booted, steady));
	assert_false(sf_tsc_trusted("acpi_pm\n", kvm_tsc, booted, steady));
	assert_false(sf_tsc_trusted("tsc", kvm_tsc, booted, ""));
	assert_false(sf_tsc_trusted("", kvm_tsc, booted, steady));
}

/* Before the first fit the lane has no counter's clock; once the kernel's
 * has been read 1 ms after the start, it has one, within 50 us of the
 * kernel's, and the next fit is when the time since the start has doubled. */
static void the_line_follows_the_kernel(void **state)
{
	(void)state;
	uint64_t ns = 0;
	assert_false(sf_now_fast(&ns));
	sf_tsc_start();
	if (!kernel_on_tsc()) {
		/* No line where the counter is not trusted, fits or not. */
		sf_now();
		pause_ms(2);
		sf_now();
		assert_false(sf_now_fast(&ns));
		assert_true(SF_LOAD(&sf_tsc.next_fit) == UINT64_MAX);
		return;
	}
	assert_false(sf_now_fast(&ns));
	pause_ms(2);
	uint64_t now = sf_now();
	assert_true(SF_LOAD(&sf_tsc.next_fit) >= sf_tsc.ns0 + 2 * (now - sf_tsc.ns0));
	for (int i = 0; i < 5; i++) {
		pause_ms(20);
		uint64_t before = sf_now();
		assert_true(sf_now_fast(&ns));
		uint64_t after = sf_now();
		assert_true(ns + 50000 >= before);
		assert_true(ns <= after + 50000);
	}
	assert_true(sf_now_cheap() + 50000 >= sf_now());
	/* The line was drawn on one CPU and holds on each: their counters
	 * run in step. */
	cpu_set_t all, one;
	assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
		uint64_t before = sf_now();
		assert_true(sf_now_fast(&ns));
		uint64_t after = sf_now();
		assert_true(ns + 50000 >= before);
		assert_true(ns <= after + 50000);
	}
	assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
}

/* A reading past the next fit is not given (the kernel's clock answers,
 * and refits); a counter off the line at a fit (set back by a resume from
 * sleep, or gone astray) ends the line for good. The line is begun by hand
 * (sf_tsc_begin), whether or not the library would trust this machine's
 * counter: over these few milliseconds any counter follows the kernel. */
static void a_counter_off_the_line_ends_it(void **state)
{
	(void)state;
	uint64_t ns = 0;
	assert_true(sf_tsc_begin());
	pause_ms(2);
	sf_now();
	assert_true(sf_now_fast(&ns));
	SF_STORE(&sf_tsc.next_fit, sf_tsc.ns0 + 1);
	assert_false(sf_now_fast(&ns));
	sf_now();
	assert_true(sf_now_fast(&ns));
	/* 10 ms of the counter's ticks more than the line expects. */
	uint64_t ten_ms = (uint64_t)((10000000.0 * 4294967296.0) / (double)sf_tsc.mult);
	sf_tsc.tsc0 -= ten_ms;
	SF_STORE(&sf_tsc.next_fit, 0);
	sf_now();
	assert_false(sf_now_fast(&ns));
	assert_true(SF_LOAD(&sf_tsc.next_fit) == UINT64_MAX);
	assert_true(sf_now_cheap() > 0);
	/* Set back behind the start: no line from the first fit on. */
	assert_true(sf_tsc_begin());
	pause_ms(2);
	sf_tsc.tsc0 = __rdtsc() + (1ull << 40);
	sf_now();
	assert_false(sf_now_fast(&ns));
	assert_true(SF_LOAD(&sf_tsc.next_fit) == UINT64_MAX);
}

/* A bound the lane marks with the counter (sf_tsc_until) comes no later
 * than the span it was given on the kernel's clock, nor past the line's next
 * fit, and looks no further ahead than SF_TSC_AHEAD_MAX; a mark long past
 * stays past, however long the program was silent, and one further ahead
 * than a mark can be (a counter set back) is not taken; once the line has
 * ended, no mark holds and none is made. The line is begun by hand, as
 * above, and fitted over 60 ms: its next fit is as far again. */
static void a_span_on_the_counter_ends_in_time(void **state)
{
	(void)state;
	uint64_t ns = 0, tsc = 0;
	assert_true(sf_tsc_begin());
	pause_ms(2);
	sf_now();
	pause_ms(60);
	sf_now();
	assert_true(sf_now_fast_at(&ns, &tsc));
	assert_true(SF_LOAD(&sf_tsc.tpn) > 0);
	assert_true(SF_LOAD(&sf_tsc.next_fit) >= ns + 40000000);
	uint64_t until = sf_tsc_until(tsc, ns, 30000000);
	assert_true(sf_tsc_ahead(&until));
	/* On the kernel's clock the span has ended: so has the mark. Each
	 * look is bounded (300 of 1 ms). */
	for (int i = 0; i < 300 && sf_now() < ns + 30000000; i++)
		pause_ms(1);
	assert_true(sf_now() >= ns + 30000000);
	assert_false(sf_tsc_ahead(&until));
	/* The span's end on the counter, from the line's rate: within a part
	 * in 1024 (and a tick) before it. */
	assert_true(sf_now_fast_at(&ns, &tsc));
	uint64_t ticks = (uint64_t)((1000000.0 * 4294967296.0) / (double)sf_tsc.mult);
	uint64_t ms = sf_tsc_until(tsc, ns, 1000000) + 1 - tsc;
	assert_true(ms <= ticks + 1);
	assert_true(ms + ticks / 1000 + 1 >= ticks);
	/* No further than the next fit, nor than a mark may be ahead; and
	 * nothing for no span. */
	uint64_t fit = SF_LOAD(&sf_tsc.next_fit);
	uint64_t far = sf_tsc_until(tsc, ns, UINT64_MAX) + 1 - tsc;
	assert_true(far <= SF_TSC_AHEAD_MAX);
	assert_true(far <= (uint64_t)((double)(fit - ns) * 4294967296.0 / (double)sf_tsc.mult) + 1);
	assert_true(sf_tsc_until(tsc, fit, 1000000) + 1 == tsc);
	until = sf_tsc_until(tsc, ns, 0);
	assert_false(sf_tsc_ahead(&until));
	/* Marks made from one to eight of the furthest look ago, each as
	 * long as can be: all past (a compare of 32 bits would take half of
	 * them for marks to come). */
	for (uint64_t k = 4; k <= 32; k++) {
		until = __rdtsc() - k * (SF_TSC_AHEAD_MAX / 4) + SF_TSC_AHEAD_MAX - 1;
		assert_false(sf_tsc_ahead(&until));
	}
	/* A mark further ahead than one is made: the counter was set back. */
	until = __rdtsc() + 2 * SF_TSC_AHEAD_MAX;
	assert_false(sf_tsc_ahead(&until));
	/* The line ended: a mark that held holds no more, and no rate makes
	 * no span. */
	assert_true(sf_now_fast_at(&ns, &tsc));
	until = sf_tsc_until(tsc, ns, 30000000);
	assert_true(sf_tsc_ahead(&until));
	SF_STORE(&sf_tsc.next_fit, 0);
	sf_tsc.tsc0 = __rdtsc() + (1ull << 40);
	sf_now();
	assert_false(sf_tsc_ahead(&until));
	assert_int_equal(SF_LOAD(&sf_tsc.tpn), 0);
	until = sf_tsc_until(__rdtsc(), ns, 30000000);
	assert_false(sf_tsc_ahead(&until));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_counter_is_trusted_where_the_kernel_reads_it),
		cmocka_unit_test(the_line_follows_the_kernel),
		cmocka_unit_test(a_counter_off_the_line_ends_it),
		cmocka_unit_test(a_span_on_the_counter_ends_in_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
