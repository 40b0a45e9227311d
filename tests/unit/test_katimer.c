/* The kernel's keepalive timer as the library keeps it for a silenced
 * connection (katimer.h): when it ends the connection, from the last
 * segment received, with TCP_KEEPCNT probes or TCP_USER_TIMEOUT, and how
 * the options set meanwhile move that end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "katimer.h"

#define MS 1000000ull
#define S (1000 * MS)

/* The oracle's keepalive: the first probe 1 s after the last segment
 * (received at 10 s), 2 probes 1 s apart. */
static struct sf_katimer quick(void)
{
	struct sf_katimer k = {
		.last_rx = 10 * S, .next = 11 * S, .idle_ms = 1000, .intvl_ms = 1000, .cnt = 2, .on = 1
	};
	return k;
}

static void the_probes_then_the_end(void **state)
{
	(void)state;
	struct sf_katimer k = quick();
	assert_int_equal(sf_katimer_end(&k), 13 * S);
	/* A firing set before the idle time has passed only sets it again. */
	k.next = 10 * S + 200 * MS;
	assert_int_equal(sf_katimer_end(&k), 13 * S);
	/* A probe already out when the silence began. */
	k = quick();
	k.sent = 1;
	k.next = 12 * S;
	assert_int_equal(sf_katimer_end(&k), 13 * S);
	/* As many out as TCP_KEEPCNT: the next firing ends it. */
	k.sent = 2;
	assert_int_equal(sf_katimer_end(&k), 12 * S);
	/* The kernel's defaults: 7200 s, then 9 probes 75 s apart. */
	struct sf_katimer d = { .next = 7200 * S, .idle_ms = 7200000, .intvl_ms = 75000, .cnt = 9, .on = 1 };
	assert_int_equal(sf_katimer_end(&d), (7200 + 9 * 75) * S);
}

static void the_user_timeout_instead_of_the_count(void **state)
{
	(void)state;
	struct sf_katimer k = quick();
	/* 2.5 s since the last segment, with a probe out: the firing at 3 s. */
	k.ut_ms = 2500;
	assert_int_equal(sf_katimer_end(&k), 13 * S);
	/* Longer than the count would allow: the count no longer ends it. */
	k.ut_ms = 4500;
	assert_int_equal(sf_katimer_end(&k), 15 * S);
	/* Shorter than the idle time: one probe goes first. */
	k.ut_ms = 500;
	assert_int_equal(sf_katimer_end(&k), 12 * S);
	k.sent = 1;
	assert_int_equal(sf_katimer_end(&k), 11 * S);
}

static void turned_on_and_off(void **state)
{
	(void)state;
	struct sf_katimer k = quick();
	k.on = 0;
	/* On at 15 s: the first firing TCP_KEEPIDLE later. */
	sf_katimer_change(&k, SF_KA_ON, 1, 15 * S);
	assert_int_equal(sf_katimer_end(&k), 18 * S);
	/* On again: the kernel's timer stays where it was. */
	sf_katimer_change(&k, SF_KA_ON, 1, 16 * S);
	assert_int_equal(sf_katimer_end(&k), 18 * S);
	/* Off after its first probe, on again: the probe still counts. */
	sf_katimer_change(&k, SF_KA_ON, 0, 16500 * MS);
	assert_int_equal(k.on, 0);
	assert_int_equal(k.sent, 1);
	sf_katimer_change(&k, SF_KA_ON, 1, 17 * S);
	assert_int_equal(sf_katimer_end(&k), 19 * S);
}

static void the_options_set_meanwhile(void **state)
{
	(void)state;
	/* A new idle time sets the timer again from the last segment. */
	struct sf_katimer k = quick();
	sf_katimer_change(&k, SF_KA_IDLE, 2000, 10500 * MS);
	assert_int_equal(sf_katimer_end(&k), 14 * S);
	/* Already past: the timer fires at once. */
	k = quick();
	sf_katimer_change(&k, SF_KA_IDLE, 1000, 11500 * MS);
	assert_int_equal(k.sent, 1);
	assert_int_equal(sf_katimer_end(&k), 12500 * MS);
	/* More probes, after one is out. */
	k = quick();
	sf_katimer_change(&k, SF_KA_CNT, 5, 11500 * MS);
	assert_int_equal(sf_katimer_end(&k), 16 * S);
	/* A longer interval from the next firing on: that one keeps its time. */
	k = quick();
	sf_katimer_change(&k, SF_KA_INTVL, 3000, 11500 * MS);
	assert_int_equal(sf_katimer_end(&k), 15 * S);
	/* TCP_USER_TIMEOUT set while probing. */
	k = quick();
	sf_katimer_change(&k, SF_KA_UT, 1500, 11500 * MS);
	assert_int_equal(sf_katimer_end(&k), 12 * S);
	/* Set while off: they take effect when it comes on. */
	k = quick();
	k.on = 0;
	sf_katimer_change(&k, SF_KA_IDLE, 3000, 12 * S);
	sf_katimer_change(&k, SF_KA_ON, 1, 12 * S);
	assert_int_equal(sf_katimer_end(&k), 17 * S);
}

static void counted_up_to_the_end(void **state)
{
	(void)state;
	/* A change long after the end's time counts no probe past it: the
	 * end stays where it was, due. */
	struct sf_katimer k = quick();
	sf_katimer_change(&k, SF_KA_UT, 0, 100 * S);
	assert_int_equal(k.sent, 2);
	assert_int_equal(sf_katimer_end(&k), 13 * S);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_probes_then_the_end), cmocka_unit_test(the_user_timeout_instead_of_the_count),
		cmocka_unit_test(turned_on_and_off),	   cmocka_unit_test(the_options_set_meanwhile),
		cmocka_unit_test(counted_up_to_the_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
