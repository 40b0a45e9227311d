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

/* The plan's draw key gives the very draws sf_draw gives, call by call:
 * the same seed fires the same calls as before the key existed. */
static void draw_key_replays_sf_draw(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "send p=0.3 => error EAGAIN");
	struct sf_subject subj = subject();
	struct sf_gate_in in = gate_in(&subj);
	struct sf_gate g = sf_gate_make(r, &in);
	assert_int_equal(g.draw_key, sf_draw_key(42, 7, r->name_hash, 99, 3, SF_DRAW_P));
	unsigned fired = 0;
	for (uint64_t n = 1; n <= 10000; n++) {
		uint64_t bits = sf_draw(42, 7, r->name_hash, 99, 3, n, SF_DRAW_P);
		assert_int_equal(sf_mix64(g.draw_key ^ n), bits);
		int due = sf_gate_draw_hits(r->p_scaled, g.draw_key, n);
		assert_int_equal(due, sf_rule_due(r, n, bits));
		fired += due;
	}
	assert_in_range(fired, 2700, 3300);
	/* Another connection (ordinal), process or peer draws apart. */
	in.ordinal = 4;
	assert_int_not_equal(sf_gate_make(r, &in).draw_key, g.draw_key);
	in.ordinal = 3;
	in.proc_key = 8;
	assert_int_not_equal(sf_gate_make(r, &in).draw_key, g.draw_key);
	parsed_free(&p);
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
		cmocka_unit_test(plan_settles_each_condition), cmocka_unit_test(plan_names_the_one_number),
		cmocka_unit_test(draw_key_replays_sf_draw),    cmocka_unit_test(when_names_its_next_call),
		cmocka_unit_test(when_is_a_call_count),	       cmocka_unit_test(byte_counts_are_thresholds),
		cmocka_unit_test(times_are_deadlines),	       cmocka_unit_test(state_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
