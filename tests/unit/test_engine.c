/* The engine's judge (src/preload/decide/judge.c): one rule of a call's
 * plan against the call, once its conditions are known: counting, when=,
 * p=, limit= and once, sticky, the verdict and its errno, the shaping
 * actions, a second connect, replay. */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "actions.h"
#include "decide.h"
#include "judge.h"

/* One rule on one connection: its counters and a call's facts. */
struct conn {
	struct parsed p;
	const struct sf_rule *r;
	struct sf_rule_stats st;
	struct sf_plan_entry e;
	struct sf_judge_in in;
};

static void conn_open(struct conn *k, const char *text)
{
	memset(k, 0, sizeof *k);
	k->r = parse_one(&k->p, text);
	k->in.r = k->r;
	k->in.holds = 1;
	k->in.draw.seed = 42;
	k->in.draw.proc_key = 7;
	k->in.draw.peer_hash = 99;
	k->in.draw.ordinal = 3;
}

static void conn_close(struct conn *k)
{
	parsed_free(&k->p);
}

/* One call on the connection (per_conn) or without one: its verdict in *c. */
static enum sf_judged call_on(struct conn *k, int per_conn, struct sf_call *c, struct sf_judge_out *out)
{
	struct sf_judge_counts cnt = { .st = &k->st, .e = per_conn ? &k->e : NULL };
	memset(c, 0, sizeof *c);
	return sf_judge(&k->in, &cnt, c, out);
}

/* The call is failed by the rule. */
static int decided(struct conn *k)
{
	struct sf_call c;
	struct sf_judge_out out;
	enum sf_judged j = call_on(k, 1, &c, &out);
	assert_int_equal(j == SF_JUDGED_DECIDED, c.v.decided);
	assert_int_equal(out.fired, c.v.decided);
	return j == SF_JUDGED_DECIDED;
}

static void when_counts_the_calls_that_hold(void **state)
{
	struct conn k;
	conn_open(&k, "send when=3..7+2 => error EPIPE");
	static const int want[] = { 0, 0, 1, 0, 1, 0, 1, 0, 0 };
	/* And the next count when= makes due, for the quick lane. */
	static const uint64_t next[] = { 3, 3, 5, 5, 7, 7, UINT64_MAX, UINT64_MAX, UINT64_MAX };
	for (unsigned n = 0; n < 9; n++) {
		/* A call the rule's conditions do not hold for is not counted. */
		k.in.holds = 0;
		assert_false(decided(&k));
		k.in.holds = 1;
		assert_int_equal(decided(&k), want[n]);
		assert_int_equal(k.e.calls, n + 1);
		assert_true(k.e.next == next[n]);
	}
	assert_int_equal(k.st.matched, 9);
	assert_int_equal(k.st.fired, 3);
	assert_int_equal(k.e.fired, 3);
	/* Counted per process, without a connection: the process's count. */
	conn_close(&k);
	conn_open(&k, "send per=process when=2 => error EPIPE");
	struct sf_call c;
	struct sf_judge_out out;
	assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_ON);
	assert_int_equal(call_on(&k, 0, &c, &out), SF_JUDGED_DECIDED);
	assert_int_equal(out.nth, 2);
	assert_int_equal(k.st.proc_calls, 2);
	assert_int_equal(k.st.proc_fired, 1);
	assert_int_equal(k.e.fired, 0);
	conn_close(&k);
	(void)state;
}

#define DRAWS 10000

/* The calls of a connection p= fires on, as a bit array. */
static unsigned p_run(struct conn *k, uint8_t fired[DRAWS])
{
	unsigned total = 0;
	memset(&k->e, 0, sizeof k->e);
	memset(&k->st, 0, sizeof k->st);
	for (unsigned n = 0; n < DRAWS; n++) {
		fired[n] = (uint8_t)decided(k);
		total += fired[n];
	}
	return total;
}

static void p_is_a_seeded_chance(void **state)
{
	static uint8_t a[DRAWS], b[DRAWS];
	struct conn k;
	conn_open(&k, "send p=0.25 => error EPIPE");
	/* 2500 expected, sd 43: 6 sd either side. */
	unsigned fa = p_run(&k, a);
	assert_in_range(fa, 2240, 2760);
	/* The same seed: the same calls. */
	assert_int_equal(p_run(&k, b), fa);
	assert_memory_equal(a, b, sizeof a);
	/* Another seed, connection, process or peer: other calls. */
	k.in.draw.seed = 43;
	p_run(&k, b);
	assert_memory_not_equal(a, b, sizeof a);
	k.in.draw.seed = 42;
	k.in.draw.ordinal = 4;
	p_run(&k, b);
	assert_memory_not_equal(a, b, sizeof a);
	k.in.draw.ordinal = 3;
	k.in.draw.proc_key = 8;
	p_run(&k, b);
	assert_memory_not_equal(a, b, sizeof a);
	k.in.draw.proc_key = 7;
	k.in.draw.peer_hash = 100;
	p_run(&k, b);
	assert_memory_not_equal(a, b, sizeof a);
	conn_close(&k);
	/* p= and when= together: only calls when= lets through are drawn. */
	conn_open(&k, "send when=2+2 p=0.5 => error EPIPE");
	unsigned f = p_run(&k, a);
	assert_in_range(f, 2250, 2750);
	for (unsigned n = 0; n < DRAWS; n += 2)
		assert_int_equal(a[n], 0);
	conn_close(&k);
	(void)state;
}

/* The draws' inputs from the caller's hook: asked only by a rule that
 * draws, and the same draws as given in `draw`. */
struct gathering {
	struct sf_judge_draw_in d;
	unsigned asked;
};

static const struct sf_judge_draw_in *gather(void *ctx)
{
	struct gathering *g = ctx;
	g->asked++;
	return &g->d;
}

static void draws_gathered_on_need(void **state)
{
	static uint8_t given[DRAWS], gathered[DRAWS];
	struct conn k;
	struct gathering g = { .asked = 0 };
	conn_open(&k, "send when=2+2 => error EPIPE");
	g.d = k.in.draw;
	k.in.gather = gather;
	k.in.ctx = &g;
	p_run(&k, gathered);
	assert_int_equal(g.asked, 0);
	conn_close(&k);
	conn_open(&k, "send p=0.3 => error EPIPE");
	p_run(&k, given);
	memset(&k.in.draw, 0, sizeof k.in.draw);
	k.in.gather = gather;
	k.in.ctx = &g;
	p_run(&k, gathered);
	assert_int_equal(g.asked, DRAWS);
	assert_memory_equal(given, gathered, DRAWS);
	conn_close(&k);
	(void)state;
}

/* Two connections' calls interleaved any way: each connection fires on
 * the same calls as alone. */
static void p_ignores_interleaving(void **state)
{
	static uint8_t alone[2][DRAWS], mixed[2][DRAWS];
	struct conn k[2];
	for (int i = 0; i < 2; i++) {
		conn_open(&k[i], "send p=0.3 => error EPIPE");
		k[i].in.draw.ordinal = 1 + (uint32_t)i;
		p_run(&k[i], alone[i]);
		memset(&k[i].e, 0, sizeof k[i].e);
	}
	/* The process's stats are shared by both connections. */
	struct sf_rule_stats shared = { 0 };
	unsigned n[2] = { 0, 0 };
	for (unsigned step = 0; n[0] < DRAWS || n[1] < DRAWS; step++) {
		int i = n[0] >= DRAWS ? 1 : n[1] >= DRAWS ? 0 : (int)((step * 2654435761u) >> 31);
		struct sf_judge_counts cnt = { .st = &shared, .e = &k[i].e };
		struct sf_call c = { 0 };
		struct sf_judge_out out;
		mixed[i][n[i]++] = sf_judge(&k[i].in, &cnt, &c, &out) == SF_JUDGED_DECIDED;
	}
	for (int i = 0; i < 2; i++) {
		assert_memory_equal(alone[i], mixed[i], DRAWS);
		conn_close(&k[i]);
	}
	(void)state;
}

/* Threads calling on one connection: each call takes its own index, and
 * the set of indices that fire is the one a single thread sees. */
struct worker {
	struct conn *k;
	uint8_t *fired; /* by index */
	unsigned calls;
	unsigned bad; /* firings with an index out of range */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct sf_judge_counts cnt = { .st = &w->k->st, .e = &w->k->e };
	for (unsigned n = 0; n < w->calls; n++) {
		struct sf_call c = { 0 };
		struct sf_judge_out out = { 0 };
		if (sf_judge(&w->k->in, &cnt, &c, &out) != SF_JUDGED_DECIDED)
			continue;
		/* cmocka's checks are for the test's own thread: noted here. */
		if (out.nth >= 1 && out.nth <= DRAWS)
			__atomic_store_n(&w->fired[out.nth - 1], 1, __ATOMIC_RELAXED);
		else
			w->bad++;
	}
	return NULL;
}

static void threads_share_one_count(void **state)
{
	static uint8_t alone[DRAWS], threaded[DRAWS];
	struct conn k;
	conn_open(&k, "send p=0.3 => error EPIPE");
	unsigned total = p_run(&k, alone);
	memset(&k.e, 0, sizeof k.e);
	memset(&k.st, 0, sizeof k.st);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ &k, threaded, DRAWS / 4, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	assert_int_equal(k.e.calls, DRAWS);
	assert_int_equal(k.st.fired, total);
	assert_memory_equal(alone, threaded, DRAWS);
	conn_close(&k);
	(void)state;
}

static void limit_and_once(void **state)
{
	struct conn k;
	conn_open(&k, "send limit=2 => error EPIPE");
	for (unsigned n = 0; n < 10; n++)
		assert_int_equal(decided(&k), n < 2);
	assert_int_equal(k.e.fired, 2);
	assert_int_equal(k.st.fired, 2);
	/* Counted on: the calls after the limit still count. */
	assert_int_equal(k.e.calls, 10);
	conn_close(&k);
	conn_open(&k, "send when=2+1 once => error EPIPE");
	for (unsigned n = 0; n < 10; n++)
		assert_int_equal(decided(&k), n == 1);
	conn_close(&k);
	/* Many threads at the last firings: never more than the limit. */
	conn_open(&k, "send limit=5 => error EPIPE");
	static uint8_t fired[DRAWS];
	memset(fired, 0, sizeof fired);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ &k, fired, 1000, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	assert_int_equal(k.e.fired, 5);
	assert_int_equal(k.st.fired, 5);
	unsigned n = 0;
	for (unsigned i = 0; i < DRAWS; i++)
		n += fired[i];
	assert_int_equal(n, 5);
	conn_close(&k);
	(void)state;
}

/* sticky: once fired, every later call of the rule's ops on the
 * connection fails the same way, whatever its conditions. */
static void sticky_stays(void **state)
{
	struct conn k;
	conn_open(&k, "send when=3 => error EPIPE sticky");
	assert_false(decided(&k));
	assert_false(decided(&k));
	assert_false(sf_entry_stuck(&k.e));
	assert_true(decided(&k));
	assert_true(sf_entry_stuck(&k.e));
	k.in.holds = 0;
	for (unsigned n = 0; n < 5; n++) {
		struct sf_call c;
		struct sf_judge_out out;
		assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_DECIDED);
		assert_true(c.v.sticky);
		assert_int_equal(c.v.err, EPIPE);
		assert_int_equal(out.nth, 3);
	}
	assert_int_equal(k.st.fired, 6);
	conn_close(&k);
	/* Without sticky, when=3 fires once. */
	conn_open(&k, "send when=3 => error EPIPE");
	for (unsigned n = 0; n < 8; n++)
		assert_int_equal(decided(&k), n == 2);
	assert_false(sf_entry_stuck(&k.e));
	conn_close(&k);
	(void)state;
}

/* The verdict: the action, and the errno the call fails with. */
static void verdict_and_errno(void **state)
{
	static const struct {
		const char *rule;
		enum sf_action action;
		int err;
	} cases[] = {
		{ "send => error EPIPE", SF_ACT_ERROR, EPIPE },
		{ "send => error ENOBUFS", SF_ACT_ERROR, ENOBUFS },
		{ "recv => reset", SF_ACT_RESET, ECONNRESET },
		{ "send => timeout 5s", SF_ACT_TIMEOUT, ETIMEDOUT },
		{ "recv => eof", SF_ACT_EOF, 0 },
		{ "send => short 10", SF_ACT_SHORT, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct conn k;
		conn_open(&k, cases[i].rule);
		struct sf_call c;
		struct sf_judge_out out;
		assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_DECIDED);
		assert_int_equal(c.v.action, cases[i].action);
		assert_int_equal(sf_action_errno(c.v.action, c.v.err), cases[i].err);
		assert_int_equal(out.nth, 1);
		assert_int_equal(out.delay_ns, 0);
		if (cases[i].action == SF_ACT_TIMEOUT)
			assert_int_equal(c.v.dur_ns, 5000000000ull);
		assert_int_equal(c.short_len, cases[i].action == SF_ACT_SHORT ? 10 : 0);
		conn_close(&k);
	}
	(void)state;
}

/* delay, throttle, corrupt shape the call and let the next rules run. */
static void shaping_goes_on(void **state)
{
	struct conn k;
	struct sf_call c;
	struct sf_judge_out out;
	conn_open(&k, "send => delay 10ms~2ms");
	uint64_t lo = UINT64_MAX, hi = 0;
	for (unsigned n = 0; n < 1000; n++) {
		assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_ON);
		assert_true(out.fired);
		assert_false(c.v.decided);
		lo = out.delay_ns < lo ? out.delay_ns : lo;
		hi = out.delay_ns > hi ? out.delay_ns : hi;
	}
	assert_true(lo >= 8000000 && lo < 8500000);
	assert_true(hi <= 12000000 && hi > 11500000);
	conn_close(&k);
	conn_open(&k, "send => corrupt 3");
	assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_ON);
	assert_int_equal(c.corrupt_bits, 3);
	assert_int_not_equal(c.corrupt_draw, 0);
	uint64_t first = c.corrupt_draw;
	assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_ON);
	assert_int_not_equal(c.corrupt_draw, first);
	conn_close(&k);
	/* Two throttles: the slower wins, whichever comes first. */
	struct conn slow, fast;
	conn_open(&slow, "send => throttle 1KiB/s");
	conn_open(&fast, "send => throttle 1MiB/s");
	struct sf_judge_counts cs = { .st = &slow.st, .e = &slow.e }, cf = { .st = &fast.st, .e = &fast.e };
	memset(&c, 0, sizeof c);
	assert_int_equal(sf_judge(&fast.in, &cf, &c, &out), SF_JUDGED_ON);
	assert_int_equal(sf_judge(&slow.in, &cs, &c, &out), SF_JUDGED_ON);
	assert_int_equal(c.throttle, slow.r->rate);
	memset(&c, 0, sizeof c);
	assert_int_equal(sf_judge(&slow.in, &cs, &c, &out), SF_JUDGED_ON);
	assert_int_equal(sf_judge(&fast.in, &cf, &c, &out), SF_JUDGED_ON);
	assert_int_equal(c.throttle, slow.r->rate);
	assert_true(slow.r->rate < fast.r->rate);
	conn_close(&slow);
	conn_close(&fast);
	(void)state;
}

/* lossy: a datagram is dropped with the chance; a stream's call waits for
 * its retransmissions and is never failed. */
static void lossy_loses(void **state)
{
	struct conn k;
	struct sf_call c;
	struct sf_judge_out out;
	struct sf_sock dgram = { .flags = 0 }, stream = { .flags = SF_SOCK_STREAM };
	struct sf_judge_counts cnt;
	conn_open(&k, "recv => lossy 0.2");
	cnt = (struct sf_judge_counts){ .st = &k.st, .e = &k.e };
	unsigned lost = 0;
	for (unsigned n = 0; n < DRAWS; n++) {
		memset(&c, 0, sizeof c);
		c.s = &dgram;
		if (sf_judge(&k.in, &cnt, &c, &out) == SF_JUDGED_DECIDED) {
			assert_int_equal(c.v.action, SF_ACT_DROP);
			lost++;
		}
	}
	assert_in_range(lost, 1750, 2250);
	unsigned waited = 0;
	for (unsigned n = 0; n < DRAWS; n++) {
		memset(&c, 0, sizeof c);
		c.s = &stream;
		assert_int_equal(sf_judge(&k.in, &cnt, &c, &out), SF_JUDGED_ON);
		assert_int_equal(out.fired, out.delay_ns != 0);
		assert_int_equal(out.delay_ns % SF_LOSSY_RTO_NS, 0);
		waited += out.fired;
	}
	assert_in_range(waited, 1750, 2250);
	/* Relayed: the relay holds the data back, the call does not wait. */
	for (unsigned n = 0; n < 100; n++) {
		memset(&c, 0, sizeof c);
		c.s = &stream;
		c.defer_delay = 1;
		assert_int_equal(sf_judge(&k.in, &cnt, &c, &out), SF_JUDGED_ON);
		assert_false(out.fired);
	}
	/* No socket (socket(), socketpair()): nothing to lose. */
	for (unsigned n = 0; n < 100; n++)
		assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_ON);
	conn_close(&k);
	(void)state;
}

/* A second connect on a stream socket whose connect is under way or done
 * asks for the outcome: only a rule naming the state speaks of it. */
static void second_connect(void **state)
{
	int stream = 1;
	assert_false(sf_judge_asking(SF_OP_connect, stream, SF_STATE_UNCONNECTED));
	assert_false(sf_judge_asking(SF_OP_connect, stream, SF_STATE_SHUTDOWN));
	assert_true(sf_judge_asking(SF_OP_connect, stream, SF_STATE_CONNECTING));
	assert_true(sf_judge_asking(SF_OP_connect, stream, SF_STATE_CONNECTED));
	/* A datagram socket's connect sets a new peer: always an attempt. */
	assert_false(sf_judge_asking(SF_OP_connect, !stream, SF_STATE_CONNECTED));
	assert_false(sf_judge_asking(SF_OP_send, stream, SF_STATE_CONNECTED));
	struct conn k;
	conn_open(&k, "connect => error ECONNREFUSED");
	assert_true(decided(&k));
	k.in.asking = 1;
	assert_false(decided(&k));
	/* Not counted either. */
	assert_int_equal(k.st.matched, 1);
	assert_int_equal(k.e.calls, 1);
	conn_close(&k);
	conn_open(&k, "connect state=connecting,connected => error ECONNREFUSED");
	k.in.asking = 1;
	assert_true(decided(&k));
	conn_close(&k);
	(void)state;
}

/* Under replay the log says which calls fire; before a firing the
 * descriptor may turn out not to be the record's socket. */
static int replay_fourth(void *ctx, const struct sf_rule *r, uint64_t idx)
{
	(void)r;
	(*(unsigned *)ctx)++;
	return idx == 4;
}

static int always_stale(void *ctx)
{
	(void)ctx;
	return 1;
}

static void replay_and_stale(void **state)
{
	struct conn k;
	unsigned asked = 0;
	conn_open(&k, "send p=0.5 => error EPIPE");
	k.in.replaying = 1;
	k.in.replayed = replay_fourth;
	k.in.ctx = &asked;
	for (unsigned n = 0; n < 8; n++)
		assert_int_equal(decided(&k), n == 3);
	assert_int_equal(asked, 8);
	conn_close(&k);
	conn_open(&k, "send limit=1 => error EPIPE");
	k.in.stale = always_stale;
	struct sf_call c;
	struct sf_judge_out out;
	assert_int_equal(call_on(&k, 1, &c, &out), SF_JUDGED_STALE);
	assert_false(c.v.decided);
	assert_false(out.fired);
	/* Nothing fired: the limit is still whole. */
	assert_int_equal(k.e.fired, 0);
	k.in.stale = NULL;
	assert_true(decided(&k));
	conn_close(&k);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(when_counts_the_calls_that_hold),
		cmocka_unit_test(p_is_a_seeded_chance),
		cmocka_unit_test(draws_gathered_on_need),
		cmocka_unit_test(p_ignores_interleaving),
		cmocka_unit_test(threads_share_one_count),
		cmocka_unit_test(limit_and_once),
		cmocka_unit_test(sticky_stays),
		cmocka_unit_test(verdict_and_errno),
		cmocka_unit_test(shaping_goes_on),
		cmocka_unit_test(lossy_loses),
		cmocka_unit_test(second_connect),
		cmocka_unit_test(replay_and_stale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
