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

/* A counter that went back (a resume from sleep that reset it) ends the
 * line at the next fit: the kernel's clock for good; a reading far ahead
 * of the line is not taken for time that passed. */
static void a_counter_set_back_ends_the_line(void **state)
{
	(void)state;
	uint64_t ns = 0;
	sf_tsc_start();
	if (!kernel_on_tsc())
		skip();
	pause_ms(2);
	sf_now();
	assert_true(sf_now_fast(&ns));
	assert_true(sf_now_sane(ns));
	assert_false(sf_now_sane(sf_tsc.ns0 + (1ull << 61)));
	/* The counter's start moved past where it is now: as if it went back. */
	sf_tsc.tsc0 = __rdtsc() + (1ull << 40);
	SF_STORE(&sf_tsc.next_fit, 0);
	sf_tsc_fit(sf_now() + 1);
	assert_false(sf_now_fast(&ns));
	assert_true(SF_LOAD(&sf_tsc.next_fit) == UINT64_MAX);
	assert_true(sf_now_cheap() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_line_follows_the_kernel),
		cmocka_unit_test(a_counter_set_back_ends_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
