/* p= decisions, jitter and the seeded draws behind them (sockfault-rules(5), DETERMINISM). */
#include "helpers.h"

#include <string.h>

#include "decide.h"

/* splitmix64's finaliser: pinned, so that a seed gives the same faults on every build. */
static void mix_is_splitmix64(void **state)
{
	assert_int_equal(sf_mix64(0), 0xe220a8397b1dcdafull);
	assert_int_equal(sf_mix64(0), sf_mix64(0));
	assert_int_not_equal(sf_mix64(1), sf_mix64(0));
	/* One input bit moves about half of the output bits. */
	for (int bit = 0; bit < 64; bit++) {
		int changed = __builtin_popcountll(sf_mix64(0x1234) ^ sf_mix64(0x1234 ^ (1ull << bit)));
		assert_in_range(changed, 12, 52);
	}
}

static void draw_is_deterministic(void **state)
{
	uint64_t a = sf_draw(42, 11, 7, 9, 1, 3, SF_DRAW_P);
	uint64_t b = sf_draw(42, 11, 7, 9, 1, 3, SF_DRAW_P);
	assert_int_equal(a, b);
	/* Pinned too: the same seed reproduces on another machine. */
	uint64_t again = sf_mix64(sf_mix64(42) ^ SF_DRAW_P);
	again = sf_mix64(again ^ 11);
	again = sf_mix64(again ^ 7);
	again = sf_mix64(again ^ 9);
	again = sf_mix64(again ^ 1);
	again = sf_mix64(again ^ 3);
	assert_int_equal(a, again);
}

/* Any change to any input changes the bits, by about half of them. */
static void draw_depends_on_every_input(void **state)
{
	const uint64_t in[7] = { 42, 11, 7, 9, 1, 3, SF_DRAW_P };
	uint64_t base = sf_draw(in[0], in[1], in[2], in[3], in[4], in[5], (enum sf_draw)in[6]);
	for (int k = 0; k < 6; k++) {
		for (int bit = 0; bit < 64; bit += 7) {
			uint64_t v[7];
			memcpy(v, in, sizeof v);
			v[k] ^= 1ull << bit;
			uint64_t d = sf_draw(v[0], v[1], v[2], v[3], v[4], v[5], (enum sf_draw)v[6]);
			assert_int_not_equal(d, base);
			assert_in_range(__builtin_popcountll(d ^ base), 8, 56);
		}
	}
	/* The purpose: p=, jitter and corrupt never share a draw. */
	uint64_t p = sf_draw(42, 11, 7, 9, 1, 3, SF_DRAW_P);
	uint64_t j = sf_draw(42, 11, 7, 9, 1, 3, SF_DRAW_JITTER);
	uint64_t c = sf_draw(42, 11, 7, 9, 1, 3, SF_DRAW_CORRUPT);
	assert_int_not_equal(p, j);
	assert_int_not_equal(p, c);
	assert_int_not_equal(j, c);
	/* Swapping two inputs is a different draw. */
	assert_int_not_equal(sf_draw(1, 6, 2, 3, 4, 5, SF_DRAW_P), sf_draw(1, 6, 2, 3, 5, 4, SF_DRAW_P));
	assert_int_not_equal(sf_draw(1, 6, 2, 3, 4, 5, SF_DRAW_P), sf_draw(2, 6, 1, 3, 4, 5, SF_DRAW_P));
	assert_int_not_equal(sf_draw(1, 6, 2, 3, 4, 5, SF_DRAW_P), sf_draw(1, 2, 6, 3, 4, 5, SF_DRAW_P));
}

/* An accepted connection: the client's port (its kernel's pick) is left
 * out, its address and the listening address are not. */
static void accepted_hash(void **state)
{
	struct sf_sockaddr l = ip4("127.0.0.1", 8080), c1 = ip4("127.0.0.1", 40001), c2 = ip4("127.0.0.1", 51234);
	assert_int_equal(sf_accepted_hash(&l, &c1), sf_accepted_hash(&l, &c2));
	struct sf_sockaddr other_client = ip4("127.0.0.2", 40001);
	assert_int_not_equal(sf_accepted_hash(&l, &c1), sf_accepted_hash(&l, &other_client));
	struct sf_sockaddr other_listener = ip4("127.0.0.1", 8081);
	assert_int_not_equal(sf_accepted_hash(&l, &c1), sf_accepted_hash(&other_listener, &c1));
	/* Never the key of a connection made to the client or to the listener. */
	assert_int_not_equal(sf_accepted_hash(&l, &c1), sf_peer_hash(&c1));
	assert_int_not_equal(sf_accepted_hash(&l, &c1), sf_peer_hash(&l));
}

static void peer_hash(void **state)
{
	struct sf_sockaddr a = ip4("10.0.0.1", 80), b = ip4("10.0.0.1", 80);
	assert_int_equal(sf_peer_hash(&a), sf_peer_hash(&b));
	b.port = 81;
	assert_int_not_equal(sf_peer_hash(&a), sf_peer_hash(&b));
	b = ip4("10.0.0.2", 80);
	assert_int_not_equal(sf_peer_hash(&a), sf_peer_hash(&b));
	/* The same 16 bytes as IPv6 are another peer. */
	b = a;
	b.family = SF_ADDR_IP6;
	assert_int_not_equal(sf_peer_hash(&a), sf_peer_hash(&b));
	/* The last byte of an IPv6 address counts. */
	struct sf_sockaddr c = { 0 }, d = { 0 };
	c.family = d.family = SF_ADDR_IP6;
	d.ip[15] = 1;
	assert_int_not_equal(sf_peer_hash(&c), sf_peer_hash(&d));
	/* Unix paths: only path_len bytes, and unnamed ones hash alike. */
	struct sf_sockaddr u = { 0 }, v = { 0 };
	u.family = v.family = SF_ADDR_UNIX;
	u.path = "/run/a.sock";
	u.path_len = 11;
	v.path = "/run/a.sockXX";
	v.path_len = 11;
	assert_int_equal(sf_peer_hash(&u), sf_peer_hash(&v));
	v.path = "/run/b.sock";
	assert_int_not_equal(sf_peer_hash(&u), sf_peer_hash(&v));
	v.path = NULL;
	v.path_len = 0;
	u.path = "";
	u.path_len = 0;
	assert_int_equal(sf_peer_hash(&u), sf_peer_hash(&v));
}

static void p_hit_threshold(void **state)
{
	/* The top 53 bits against p_scaled. */
	assert_true(sf_p_hit(1, 0));
	assert_true(sf_p_hit(1, 2047));
	assert_false(sf_p_hit(1, 2048));
	assert_false(sf_p_hit(0, 0));
	assert_true(sf_p_hit(SF_P_ONE, UINT64_MAX));
	assert_true(sf_p_hit(SF_P_ONE / 2, (1ull << 63) - 1));
	assert_false(sf_p_hit(SF_P_ONE / 2, 1ull << 63));
}

static void rule_due_follows_when_and_p(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect when=2..8+3 => error EIO");
	/* p=1: every call that when= picks, whatever the bits. */
	for (uint64_t n = 1; n <= 12; n++) {
		int want = n == 2 || n == 5 || n == 8;
		assert_int_equal(sf_rule_due(r, n, 0), want);
		assert_int_equal(sf_rule_due(r, n, UINT64_MAX), want);
	}
	parsed_free(&p);

	r = parse_one(&p, "connect when=3 p=0.5 => error EIO");
	assert_true(sf_rule_due(r, 3, 0));
	assert_false(sf_rule_due(r, 3, UINT64_MAX));
	assert_true(sf_rule_due(r, 3, (1ull << 63) - 1));
	assert_false(sf_rule_due(r, 3, 1ull << 63));
	/* Bits that would fire do not help a call when= does not pick. */
	assert_false(sf_rule_due(r, 2, 0));
	assert_false(sf_rule_due(r, 4, 0));
	parsed_free(&p);
}

/* p=0.1 fires on close to a tenth of the calls, and the same ones each time. */
static void probability_over_many_draws(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect p=0.1 => error ECONNREFUSED");
	struct sf_sockaddr peer = ip4("127.0.0.1", 6379);
	uint64_t ph = sf_peer_hash(&peer);
	unsigned fired = 0, again = 0;
	for (uint64_t call = 1; call <= 20000; call++) {
		uint64_t bits = sf_draw(1234, 0, r->name_hash, ph, 1, call, SF_DRAW_P);
		fired += (unsigned)sf_rule_due(r, call, bits);
	}
	for (uint64_t call = 1; call <= 20000; call++)
		again += (unsigned)sf_rule_due(r, call, sf_draw(1234, 0, r->name_hash, ph, 1, call, SF_DRAW_P));
	/* 2000 expected; the standard deviation is about 42. */
	assert_in_range(fired, 1800, 2200);
	assert_int_equal(fired, again);
	/* Another seed picks other calls, about as many. */
	unsigned other = 0, both = 0;
	for (uint64_t call = 1; call <= 20000; call++) {
		int a = sf_rule_due(r, call, sf_draw(1234, 0, r->name_hash, ph, 1, call, SF_DRAW_P));
		int b = sf_rule_due(r, call, sf_draw(4321, 0, r->name_hash, ph, 1, call, SF_DRAW_P));
		other += (unsigned)b;
		both += (unsigned)(a && b);
	}
	assert_in_range(other, 1800, 2200);
	/* Independent: about 1% of the calls fire under both seeds. */
	assert_in_range(both, 100, 300);
	parsed_free(&p);
}

/* lossy's segments: most arrive at once; a lost one waits 200 ms, a lost
 * retransmission 400 ms more, and so on, never past the last try; the
 * same key loses the same segments. */
static void lossy_waits_as_retransmissions(void **state)
{
	const uint64_t ms = 1000000, tenth = SF_P_ONE / 10;
	unsigned lost = 0, twice = 0;
	for (uint64_t n = 0; n < 20000; n++) {
		uint64_t w = sf_lossy_wait(tenth, 77, n);
		assert_int_equal(w, sf_lossy_wait(tenth, 77, n));
		assert_true(w == 0 || w == 200 * ms || w == 600 * ms || w == 1400 * ms || w == 3000 * ms ||
			    w == 6200 * ms || w == 12600 * ms);
		lost += w != 0;
		twice += w >= 600 * ms;
	}
	/* 2000 and 200 expected. */
	assert_in_range(lost, 1800, 2200);
	assert_in_range(twice, 140, 260);
	/* Nearly every try lost: the wait stops at the last one. */
	assert_int_equal(sf_lossy_wait(SF_P_ONE - 1, 5, 3), 12600 * ms);
	/* Another key loses other segments. */
	unsigned differ = 0;
	for (uint64_t n = 0; n < 1000; n++)
		differ += (sf_lossy_wait(tenth, 77, n) != 0) != (sf_lossy_wait(tenth, 78, n) != 0);
	assert_in_range(differ, 100, 260);
}

static void jitter_stays_in_range_and_reaches_both_ends(void **state)
{
	uint64_t lo_seen = UINT64_MAX, hi_seen = 0;
	for (uint64_t i = 0; i < 4000; i++) {
		uint64_t v = sf_jittered(100, 10, sf_draw(7, 0, 1, 2, 3, i, SF_DRAW_JITTER));
		assert_in_range(v, 90, 110);
		if (v < lo_seen)
			lo_seen = v;
		if (v > hi_seen)
			hi_seen = v;
	}
	assert_int_equal(lo_seen, 90);
	assert_int_equal(hi_seen, 110);
	/* No jitter: exactly the delay. */
	assert_int_equal(sf_jittered(100, 0, 12345), 100);
	assert_int_equal(sf_jittered(100, 0, UINT64_MAX), 100);
	/* Jitter as large as the delay reaches 0 but never wraps. */
	for (uint64_t i = 0; i < 1000; i++)
		assert_in_range(sf_jittered(5, 5, sf_draw(1, 0, 1, 1, 1, i, SF_DRAW_JITTER)), 0, 10);
	assert_int_equal(sf_jittered(5, 5, 0), 0);
	assert_int_equal(sf_jittered(5, 5, 10), 10);
	/* Nanosecond scale: 200ms~50ms. */
	const uint64_t ms = 1000000;
	for (uint64_t i = 0; i < 1000; i++)
		assert_in_range(sf_jittered(200 * ms, 50 * ms, sf_draw(9, 0, 9, 9, 9, i, SF_DRAW_JITTER)), 150 * ms,
				250 * ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mix_is_splitmix64),
		cmocka_unit_test(draw_is_deterministic),
		cmocka_unit_test(draw_depends_on_every_input),
		cmocka_unit_test(peer_hash),
		cmocka_unit_test(accepted_hash),
		cmocka_unit_test(p_hit_threshold),
		cmocka_unit_test(rule_due_follows_when_and_p),
		cmocka_unit_test(probability_over_many_draws),
		cmocka_unit_test(jitter_stays_in_range_and_reaches_both_ends),
		cmocka_unit_test(lossy_waits_as_retransmissions),
	};
	return cmocka_run_group_tests_name("decide", tests, NULL, NULL);
}
