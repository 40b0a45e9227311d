/* The gate of a plan's entry (src/rules/gate.h): what the plan
 * settles for each kind of condition when it is built, and the decision
 * for one call from a rule, a socket's snapshot and the call's count. */
#include "helpers.h"

#include <arpa/inet.h>
#include <string.h>

#include "decide.h"
#include "gate.h"

#define SEC 1000000000ull

/* A connected unix stream socket, as the plan sees it. */
static struct sf_subject subject(void)
{
	struct sf_subject s;
	memset(&s, 0, sizeof s);
	s.op = SF_OP_send;
	s.proto = SF_PROTO_UNIX;
	s.side = SF_SIDE_CLIENT;
	s.side_known = 1;
	s.state = SF_STATE_CONNECTED;
	return s;
}

static struct sf_gate_in gate_in(const struct sf_subject *subj)
{
	struct sf_gate_in in = { .subj = subj, .seed = 42, .proc_key = 7, .peer_hash = 99, .ordinal = 3 };
	return in;
}

static struct sf_gate make(const char *text, int dgram, int replaying)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, text);
	struct sf_subject subj = subject();
	if (dgram)
		subj.proto = SF_PROTO_UDP;
	struct sf_gate_in in = gate_in(&subj);
	in.dgram = dgram;
	in.replaying = replaying;
	struct sf_gate g = sf_gate_make(r, &in);
	parsed_free(&p);
	return g;
}

/* Each kind of condition: which checks the call makes. */
static void plan_settles_each_condition(void **state)
{
	const uint8_t quick = SF_PE_STATICS_OK | SF_PE_GATED | SF_PE_QUICK;
	assert_int_equal(make("send => error EAGAIN", 0, 0).flags, quick | SF_PE_EVERY);
	assert_int_equal(make("send when=1000000 => error EAGAIN", 0, 0).flags, quick);
	assert_int_equal(make("send limit=1 => error EAGAIN", 0, 0).flags, quick | SF_PE_EVERY);
	assert_int_equal(make("send sent>1TiB => error EAGAIN", 0, 0).flags, quick | SF_PE_DYNAMIC | SF_PE_EVERY);
	assert_int_equal(make("send received>1TiB => error EAGAIN", 0, 0).flags, quick | SF_PE_DYNAMIC | SF_PE_EVERY);
	assert_int_equal(make("send state=connected => error EAGAIN", 0, 0).flags, quick | SF_PE_DYNAMIC | SF_PE_EVERY);
	assert_int_equal(make("send idle>1h => error EAGAIN", 0, 0).flags,
			 quick | SF_PE_DYNAMIC | SF_PE_CLOCK | SF_PE_EVERY);
	assert_int_equal(make("send age>1h => error EAGAIN", 0, 0).flags,
			 quick | SF_PE_DYNAMIC | SF_PE_CLOCK | SF_PE_EVERY);
	assert_int_equal(make("send uptime>1h => error EAGAIN", 0, 0).flags,
			 quick | SF_PE_DYNAMIC | SF_PE_CLOCK | SF_PE_EVERY);
	assert_int_equal(make("send p=0.5 => error EAGAIN", 0, 0).flags, quick | SF_PE_DRAWS | SF_PE_EVERY);
	/* With when=, p= draws where when= makes the call due: no gaps. */
	assert_int_equal(make("send when=5 p=0.5 => error EAGAIN", 0, 0).flags, quick);
	assert_int_equal(make("send p=1 => error EAGAIN", 0, 0).flags, quick | SF_PE_EVERY);
	/* Counted per process, or replayed from a log: the full path. */
	assert_int_equal(make("send per=process when=5 => error EAGAIN", 0, 0).flags, SF_PE_STATICS_OK);
	assert_int_equal(make("send p=0.5 => error EAGAIN", 0, 1).flags, SF_PE_STATICS_OK | SF_PE_EVERY);
	/* A fixed condition that does not hold: never quick. */
	assert_int_equal(make("send proto=tcp => error EAGAIN", 0, 0).flags, SF_PE_GATED | SF_PE_EVERY);
	/* A datagram socket's peer is each call's destination. */
	assert_int_equal(make("send peer=10.0.0.1:9 => drop", 1, 0).flags, SF_PE_PER_DEST | SF_PE_GATED | SF_PE_EVERY);
	assert_int_equal(make("send host=example.com => drop", 1, 0).flags, SF_PE_PER_DEST | SF_PE_GATED | SF_PE_EVERY);
	assert_int_equal(make("send proto=udp => drop", 1, 0).flags, quick | SF_PE_EVERY);
}

/* The one number a rule's changing conditions read, for the quick lane to
 * compare alone; 0 when there is none, or more than it. */
static void plan_names_the_one_number(void **state)
{
	assert_int_equal(make("send sent>1TiB => error EAGAIN", 0, 0).num, 1 + SF_NUM_SENT);
	assert_int_equal(make("send sent>1KiB sent<1MiB => error EAGAIN", 0, 0).num, 1 + SF_NUM_SENT);
	assert_int_equal(make("send received>1TiB => error EAGAIN", 0, 0).num, 1 + SF_NUM_RECEIVED);
	assert_int_equal(make("send idle>1h => error EAGAIN", 0, 0).num, 1 + SF_NUM_IDLE);
	assert_int_equal(make("send age>1h => error EAGAIN", 0, 0).num, 1 + SF_NUM_AGE);
	assert_int_equal(make("send uptime>1h => error EAGAIN", 0, 0).num, 1 + SF_NUM_UPTIME);
	assert_int_equal(make("send p=0.5 idle>1h => error EAGAIN", 0, 0).num, 1 + SF_NUM_IDLE);
	assert_int_equal(make("send => error EAGAIN", 0, 0).num, 0);
	assert_int_equal(make("send when=5 p=0.5 => error EAGAIN", 0, 0).num, 0);
	assert_int_equal(make("send sent>1 received>1 => error EAGAIN", 0, 0).num, 0);
	assert_int_equal(make("send state=connected sent>1 => error EAGAIN", 0, 0).num, 0);
	assert_int_equal(make("send state=connected => error EAGAIN", 0, 0).num, 0);
}

/* The plan's draw key is sf_draw's for the connection: the same seed,
 * process, rule, peer and connection give the same key, and another of
 * any of them another. */
static void draw_key_is_the_connections(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "send p=0.3 => error EAGAIN");
	struct sf_subject subj = subject();
	struct sf_gate_in in = gate_in(&subj);
	struct sf_gate g = sf_gate_make(r, &in);
	assert_int_equal(g.draw_key, sf_draw_key(42, 7, r->name_hash, 99, 3, SF_DRAW_P));
	for (uint64_t n = 1; n <= 100; n++)
		assert_int_equal(sf_mix64(g.draw_key ^ n), sf_draw(42, 7, r->name_hash, 99, 3, n, SF_DRAW_P));
	in.ordinal = 4;
	assert_int_not_equal(sf_gate_make(r, &in).draw_key, g.draw_key);
	in.ordinal = 3;
	in.proc_key = 8;
	assert_int_not_equal(sf_gate_make(r, &in).draw_key, g.draw_key);
	parsed_free(&p);
}

/* The calls p= alone fires on a connection, counted one at a time as the
 * full path counts them (sf_gate_gap_count). */
static unsigned gap_fired(uint64_t p_scaled, uint64_t key, uint64_t calls, uint8_t *fired)
{
	uint64_t count = 0, next = sf_gap_next(p_scaled, key, 0), nth;
	unsigned n_fired = 0;
	for (uint64_t n = 1; n <= calls; n++) {
		int due = sf_gate_gap_count(p_scaled, key, &count, &next, &nth);
		assert_int_equal(nth, n);
		/* What the lane reads: the count stays at or below `next`, and
		 * past a firing `next` has moved on. */
		assert_true(count < next);
		fired[n] = (uint8_t)due;
		n_fired += (unsigned)due;
	}
	return n_fired;
}

/* p= alone fires each call with chance p, independently: the counts of
 * firings and of firings in a row are those of p, the same key fires the
 * same calls, and another key others. */
static void p_alone_fires_by_gaps(void **state)
{
	enum { CALLS = 100000 };
	static uint8_t a[CALLS + 1], b[CALLS + 1];
	const uint64_t p3 = (uint64_t)(0.3 * (double)SF_P_ONE);
	unsigned na = gap_fired(p3, 12345, CALLS, a);
	/* 30 000 expected, sd 145. */
	assert_in_range(na, 29400, 30600);
	assert_int_equal(gap_fired(p3, 12345, CALLS, b), na);
	assert_memory_equal(a, b, sizeof a);
	unsigned nb = gap_fired(p3, 54321, CALLS, b);
	assert_in_range(nb, 29400, 30600);
	assert_memory_not_equal(a, b, sizeof a);
	/* A firing followed by another: chance p. */
	unsigned runs = 0;
	for (unsigned n = 1; n < CALLS; n++)
		runs += a[n] && a[n + 1];
	assert_in_range(runs, (unsigned)(0.3 * na) - 450, (unsigned)(0.3 * na) + 450);
	/* A small p: about one call in a million. */
	const uint64_t tiny = SF_P_ONE / 1000000;
	unsigned long total = 0;
	for (uint64_t key = 1; key <= 200; key++)
		total += sf_gap_next(tiny, key, 0);
	/* The mean of 200 first firings: 1 000 000, sd 70 700. */
	assert_in_range(total / 200, 750000, 1250000);
	/* p=1 fires every call; a gap past every count is UINT64_MAX. */
	assert_int_equal(sf_gap_next(SF_P_ONE, 9, 41), 42);
	assert_true(sf_gap_next(tiny, 9, UINT64_MAX - 1) == UINT64_MAX);
}

/* A thread stopped between counting the call at `next` and moving it on,
 * and counts that are not the sequence's (a datagram's to another
 * destination counts on the entry too): the calls after them get the
 * answers they would have got. */
static void p_alone_gaps_survive_a_stopped_thread(void **state)
{
	enum { CALLS = 3000 };
	static uint8_t in_order[CALLS + 1];
	const uint64_t p = SF_P_ONE / 4;
	gap_fired(p, 777, CALLS, in_order);
	uint64_t count = 0, next = sf_gap_next(p, 777, 0), nth;
	unsigned stopped = 0;
	for (uint64_t n = 1; n <= CALLS; n++) {
		if (in_order[n] && n % 3 == 0) {
			/* Counted, and stopped before `next` moved. */
			assert_int_equal(next, n);
			count = n;
			stopped++;
			continue;
		}
		assert_int_equal(sf_gate_gap_count(p, 777, &count, &next, &nth), in_order[n]);
		assert_int_equal(nth, n);
	}
	assert_true(stopped > 50);
	/* A count past `next` by another draw's call: the sequence goes on
	 * from it. */
	count = next = sf_gap_next(p, 777, 0);
	count += 2;
	uint64_t want = next;
	while (want <= count)
		want = sf_gap_next(p, 777, want);
	for (uint64_t n = count + 1; n < want; n++)
		assert_int_equal(sf_gate_gap_count(p, 777, &count, &next, &nth), 0);
	assert_int_equal(sf_gate_gap_count(p, 777, &count, &next, &nth), 1);
	assert_int_equal(nth, want);
}

/* The first count when= may make due, from a given one on: what the
 * quick lane counts below without looking at when= again. */
static void when_names_its_next_call(void **state)
{
	(void)state;
	struct sf_when w = { 5, 20, 5 }, all = SF_WHEN_ALWAYS, open = { 3, UINT64_MAX, UINT64_MAX / 2 };
	assert_int_equal(sf_when_next(&w, 1), 5);
	assert_int_equal(sf_when_next(&w, 5), 5);
	assert_int_equal(sf_when_next(&w, 6), 10);
	assert_int_equal(sf_when_next(&w, 19), 20);
	assert_true(sf_when_next(&w, 21) == UINT64_MAX);
	assert_int_equal(sf_when_next(&all, 7), 7);
	/* A step past the largest count: none, not a wrapped one. */
	assert_true(sf_when_next(&open, 4) == 3 + UINT64_MAX / 2);
	assert_true(sf_when_next(&open, 4 + UINT64_MAX / 2) == UINT64_MAX);
}

static void when_is_a_call_count(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "send when=3..7+2 => error EAGAIN");
	static const int want[] = { 0, 0, 1, 0, 1, 0, 1, 0, 0 };
	/* The lane's protocol: a count below `next` is not due; one at it
	 * goes to the full path, which moves `next` on as it counts. */
	uint64_t next = sf_when_next(&r->when, 1);
	for (uint64_t n = 1; n <= 9; n++) {
		int due = n >= next && sf_when_hit(&r->when, n);
		assert_int_equal(due, want[n - 1]);
		assert_int_equal(n >= next, want[n - 1]);
		if (n >= next)
			next = sf_when_next(&r->when, n + 1);
	}
	parsed_free(&p);
	r = parse_one(&p, "send when=1000000 => error EAGAIN");
	assert_true(sf_when_next(&r->when, 1) == 1000000);
	assert_true(sf_when_hit(&r->when, 1000000));
	assert_true(sf_when_next(&r->when, 1000001) == UINT64_MAX);
	parsed_free(&p);
}

/* A connected socket 10 s old whose last byte moved 4 s ago. */
static struct sf_snap snap(void)
{
	struct sf_snap sn = { .state = SF_STATE_CONNECTED, .sent = 1000, .received = 50 };
	sn.t_start = 1 * SEC;
	sn.t_connected = 100 * SEC;
	sn.t_last_io = 106 * SEC;
	sn.now = 110 * SEC;
	return sn;
}

static int holds(const char *text, const struct sf_snap *sn)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, text);
	int h = sf_gate_holds(r, sn);
	parsed_free(&p);
	return h;
}

static void byte_counts_are_thresholds(void **state)
{
	struct sf_snap sn = snap();
	assert_true(holds("send sent>999 => error EAGAIN", &sn));
	assert_false(holds("send sent>1000 => error EAGAIN", &sn));
	assert_true(holds("send sent>=1000 => error EAGAIN", &sn));
	assert_false(holds("send sent>1TiB => error EAGAIN", &sn));
	assert_true(holds("send received<51 => error EAGAIN", &sn));
	assert_false(holds("send received>50 => error EAGAIN", &sn));
	assert_true(holds("send sent>999 received<51 => error EAGAIN", &sn));
	assert_false(holds("send sent>999 received>51 => error EAGAIN", &sn));
}

static void times_are_deadlines(void **state)
{
	struct sf_snap sn = snap();
	assert_true(holds("send idle>3s => error EAGAIN", &sn));
	assert_false(holds("send idle>4s => error EAGAIN", &sn));
	assert_true(holds("send age>9s => error EAGAIN", &sn));
	assert_false(holds("send age>10s => error EAGAIN", &sn));
	assert_true(holds("send uptime>108s => error EAGAIN", &sn));
	assert_false(holds("send uptime>109s => error EAGAIN", &sn));
	/* No byte moved yet: idle since the connection. */
	sn.t_last_io = 0;
	assert_true(holds("send idle>9s => error EAGAIN", &sn));
	assert_true(holds("send idle<11s => error EAGAIN", &sn));
	/* Before a connection, age= and idle= mean nothing: never hold. */
	sn.t_connected = 0;
	assert_false(holds("send idle>0s => error EAGAIN", &sn));
	assert_false(holds("send age<1h => error EAGAIN", &sn));
	assert_true(holds("send uptime>1s => error EAGAIN", &sn));
	/* The clock not read: nothing that needs it holds. */
	sn = snap();
	sn.now = 0;
	assert_false(holds("send uptime>1s => error EAGAIN", &sn));
	assert_true(holds("send sent>1 => error EAGAIN", &sn));
}

static void state_is_checked(void **state)
{
	struct sf_snap sn = snap();
	assert_true(holds("send state=connected => error EAGAIN", &sn));
	sn.state = SF_STATE_CONNECTING;
	assert_false(holds("send state=connected => error EAGAIN", &sn));
	assert_true(holds("send => error EAGAIN", &sn));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_settles_each_condition),
		cmocka_unit_test(plan_names_the_one_number),
		cmocka_unit_test(draw_key_is_the_connections),
		cmocka_unit_test(p_alone_fires_by_gaps),
		cmocka_unit_test(p_alone_gaps_survive_a_stopped_thread),
		cmocka_unit_test(when_names_its_next_call),
		cmocka_unit_test(when_is_a_call_count),
		cmocka_unit_test(byte_counts_are_thresholds),
		cmocka_unit_test(times_are_deadlines),
		cmocka_unit_test(state_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
