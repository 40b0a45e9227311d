/* The pace of a relayed direction (pace.h): a TCP sender's windows, its
 * repairs of lost segments (one round trip when later segments follow, the
 * tail loss probe when none does, the timeout for a retransmission lost in
 * the last window), the order kept, the draws seeded; and the bottleneck
 * of throttle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "decide.h"
#include "pace.h"
#include "rules.h"

#define MS 1000000ull
#define RTT (40 * MS)
#define TEN_PERCENT (SF_P_ONE / 10)
#define MANY 1000 /* "many segments follow" */

static int lost(uint64_t key, uint64_t seg, uint64_t k)
{
	return sf_p_hit(TEN_PERCENT, sf_mix64(key ^ (seg * SF_LOSSY_TRIES + k)));
}

/* A key under which segment `seg` is lost on its first try, and its
 * retransmission (`again`: too), and no other of the first `n`. */
static uint64_t key_losing(uint64_t seg, int again, uint64_t n)
{
	for (uint64_t key = 1; key < 1000000; key++) {
		int ok = lost(key, seg, 0) && lost(key, seg, 1) == again && !(again && lost(key, seg, 2));
		for (uint64_t i = 0; ok && i < n; i++)
			ok = i == seg || !lost(key, i, 0);
		if (ok)
			return key;
	}
	fail_msg("no key loses segment %llu alone", (unsigned long long)seg);
	return 0;
}

static void windows_without_loss(void **state)
{
	(void)state;
	struct sf_pace p = { 0 };
	/* 10 segments in the first round, 20 in the second, 40 in the third. */
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(sf_pace_segment(&p, i, 0, MANY, RTT), 0);
	for (uint64_t i = 10; i < 30; i++)
		assert_int_equal(sf_pace_segment(&p, i, 0, MANY, RTT), RTT);
	for (uint64_t i = 30; i < 70; i++)
		assert_int_equal(sf_pace_segment(&p, i, 0, MANY, RTT), 2 * RTT);
	assert_int_equal(sf_pace_segment(&p, 70, 0, MANY, RTT), 3 * RTT);
}

static void an_unused_window_does_not_grow(void **state)
{
	(void)state;
	struct sf_pace p = { 0 };
	/* One segment a round trip: the window never fills, and stays 10. */
	for (uint64_t i = 0; i < 5; i++)
		assert_int_equal(sf_pace_segment(&p, i, i * RTT, MANY, RTT), i * RTT);
	for (uint64_t i = 5; i < 15; i++)
		assert_int_equal(sf_pace_segment(&p, i, 5 * RTT, MANY, RTT), 5 * RTT);
	assert_int_equal(sf_pace_segment(&p, 15, 5 * RTT, MANY, RTT), 6 * RTT);
}

static void a_loss_costs_a_round_trip_and_holds_what_follows(void **state)
{
	(void)state;
	struct sf_pace p = { .loss = TEN_PERCENT, .key = key_losing(3, 0, 10) };
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(sf_pace_segment(&p, i, 0, MANY, RTT), 0);
	/* Found by the acknowledgements of the later ones: one round trip. */
	assert_int_equal(sf_pace_segment(&p, 3, 0, MANY, RTT), RTT);
	/* Those later ones arrived, but are delivered in order after it. */
	for (uint64_t i = 4; i < 10; i++)
		assert_int_equal(sf_pace_segment(&p, i, 0, MANY, RTT), RTT);
}

static void a_lost_tail_waits_for_the_probe(void **state)
{
	(void)state;
	uint64_t key = key_losing(3, 0, 4);
	struct sf_pace p = { .loss = TEN_PERCENT, .key = key };
	for (uint64_t i = 0; i < 3; i++)
		sf_pace_segment(&p, i, 0, 3 - i, RTT);
	assert_int_equal(sf_pace_segment(&p, 3, 0, 0, RTT), 2 * RTT);
	/* On a short round trip, the probe's floor. */
	struct sf_pace q = { .loss = TEN_PERCENT, .key = key };
	for (uint64_t i = 0; i < 3; i++)
		sf_pace_segment(&q, i, 0, 3 - i, 0);
	assert_int_equal(sf_pace_segment(&q, 3, 0, 0, 0), SF_PACE_PTO_MIN);
}

static void a_lost_retransmission(void **state)
{
	(void)state;
	uint64_t key = key_losing(3, 1, 10);
	/* Many segments follow: found again a round trip later. */
	struct sf_pace p = { .loss = TEN_PERCENT, .key = key };
	for (uint64_t i = 0; i < 3; i++)
		sf_pace_segment(&p, i, 0, MANY, RTT);
	assert_int_equal(sf_pace_segment(&p, 3, 0, MANY, RTT), 2 * RTT);
	/* In the last window: the retransmission timeout finds it. */
	struct sf_pace q = { .loss = TEN_PERCENT, .key = key };
	for (uint64_t i = 0; i < 3; i++)
		sf_pace_segment(&q, i, 0, 6 - i, RTT);
	assert_int_equal(sf_pace_segment(&q, 3, 0, 3, RTT), RTT + RTT + SF_LOSSY_RTO_NS);
}

static void a_loss_ends_slow_start(void **state)
{
	(void)state;
	struct sf_pace p = { .loss = TEN_PERCENT, .key = key_losing(0, 0, 60) };
	for (uint64_t i = 0; i < 10; i++)
		sf_pace_segment(&p, i, 0, MANY, RTT);
	/* Round 2: the window grew by round 1's 10 (20), and no more. */
	for (uint64_t i = 10; i < 30; i++)
		assert_int_equal(sf_pace_segment(&p, i, 0, MANY, RTT), RTT);
	/* Round 3: one more segment (21), not twice as many. */
	for (uint64_t i = 30; i < 51; i++)
		assert_int_equal(sf_pace_segment(&p, i, 0, MANY, RTT), 2 * RTT);
	assert_int_equal(sf_pace_segment(&p, 51, 0, MANY, RTT), 3 * RTT);
}

/* A bulk transfer of 139 segments, all sent at once. */
static uint64_t bulk(uint64_t key)
{
	struct sf_pace p = { .loss = TEN_PERCENT, .key = key };
	uint64_t t = 0;
	for (uint64_t i = 0; i < 139; i++)
		t = sf_pace_segment(&p, i, 0, 138 - i, RTT);
	return t;
}

static void seeded(void **state)
{
	(void)state;
	int differ = 0;
	for (uint64_t key = 1; key < 20; key++) {
		assert_int_equal(bulk(key), bulk(key));
		differ |= bulk(key) != bulk(key + 100);
		/* Never before the four rounds of slow start; never beyond
		 * every retransmission of every try. */
		assert_in_range(bulk(key), 3 * RTT, 139 * 13 * SF_LOSSY_RTO_NS);
	}
	assert_true(differ);
}

static void the_floor_of_the_round_trip(void **state)
{
	(void)state;
	struct sf_pace p = { 0 };
	for (uint64_t i = 0; i < 10; i++)
		sf_pace_segment(&p, i, 0, MANY, 0);
	assert_int_equal(sf_pace_segment(&p, 10, 0, MANY, 0), SF_PACE_RTT_MIN);
}

static void the_bottleneck(void **state)
{
	(void)state;
	uint64_t free_at = 0;
	/* 1000 B/s: 500 bytes take half a second, the next wait behind. */
	assert_int_equal(sf_pace_rate(&free_at, 1000, 0, 500), 500 * MS);
	assert_int_equal(sf_pace_rate(&free_at, 1000, 100 * MS, 500), 1000 * MS);
	/* Idle: nothing saved up, the bytes take their own time from now. */
	assert_int_equal(sf_pace_rate(&free_at, 1000, 5000 * MS, 1), 5001 * MS);
	/* No overflow for a large count at a small rate. */
	free_at = 0;
	assert_int_equal(sf_pace_rate(&free_at, 1, 0, 1000000000ull), 1000000000ull * 1000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(windows_without_loss),
		cmocka_unit_test(an_unused_window_does_not_grow),
		cmocka_unit_test(a_loss_costs_a_round_trip_and_holds_what_follows),
		cmocka_unit_test(a_lost_tail_waits_for_the_probe),
		cmocka_unit_test(a_lost_retransmission),
		cmocka_unit_test(a_loss_ends_slow_start),
		cmocka_unit_test(seeded),
		cmocka_unit_test(the_floor_of_the_round_trip),
		cmocka_unit_test(the_bottleneck),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
