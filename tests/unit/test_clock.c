/* The quick lane's clock (base/clock.h): the CPU's counter on a line fitted
 * against CLOCK_MONOTONIC, which it must follow; and none at all where the
 * kernel does not keep its own clock on the counter. */
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

static int kernel_on_tsc(void)
{
	char buf[16] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (!f)
		return 0;
	int ok = fgets(buf, sizeof buf, f) && strcmp(buf, "tsc\n") == 0;
	fclose(f);
	return ok;
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
		sf_now();
		pause_ms(2);
		sf_now();
		assert_false(sf_now_fast(&ns));
		skip();
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
}

/* A reading past the next fit is not given (the kernel's clock answers,
 * and refits); a counter off the line at a fit (set back by a resume from
 * sleep, or gone astray) ends the line for good. */
static void a_counter_off_the_line_ends_it(void **state)
{
	(void)state;
	uint64_t ns = 0;
	sf_tsc_start();
	if (!kernel_on_tsc())
		skip();
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
	sf_tsc_start();
	pause_ms(2);
	sf_tsc.tsc0 = __rdtsc() + (1ull << 40);
	sf_now();
	assert_false(sf_now_fast(&ns));
	assert_true(SF_LOAD(&sf_tsc.next_fit) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_line_follows_the_kernel),
		cmocka_unit_test(a_counter_off_the_line_ends_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
