/* A socket's plan (src/preload/decide/plan_make.c): which rules enter it
 * for a socket as the rules see it, and what it settles for each entry
 * and for the socket's record (the quick lane, the ops of the slow path). */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "conditions.h"
#include "decide.h"
#include "plan_make.h"

/* A connected TCP client socket 10.0.0.2:5555 -> 10.0.0.1:80 of "app",
 * whose peer this process resolved from "db". */
static const char *const db_hosts[] = { "db", NULL };
static struct sf_subject tcp_client(void)
{
	struct sf_subject s;
	memset(&s, 0, sizeof s);
	s.proto = SF_PROTO_TCP;
	s.side = SF_SIDE_CLIENT;
	s.side_known = 1;
	s.state = SF_STATE_CONNECTED;
	s.peer = ip4("10.0.0.1", 80);
	s.local = ip4("10.0.0.2", 5555);
	s.exe = "app";
	s.hosts = db_hosts;
	return s;
}

/* A plan made from rules text (one rule a line) for a subject, with every
 * rule for this program unless `exe` says otherwise. */
struct made {
	struct parsed p;
	uint8_t for_exe[64];
	struct sf_plan_in in;
	struct sf_plan *plan;
	uint32_t n;
	struct sf_plan_out out;
};

static void make_in(struct made *m, const char *text, const struct sf_subject *subj, int dgram)
{
	memset(m, 0, sizeof *m);
	parse_str(&m->p, text);
	assert_int_equal(m->p.errors, 0);
	assert_true(m->p.rs.n <= sizeof m->for_exe);
	memset(m->for_exe, 1, sizeof m->for_exe);
	m->in.rules = m->p.rs.rules;
	m->in.nrules = (uint32_t)m->p.rs.n;
	m->in.for_exe = m->for_exe;
	m->in.gen = 5;
	m->in.gate.subj = subj;
	m->in.gate.dgram = dgram;
	m->in.gate.seed = 42;
	m->in.gate.proc_key = 7;
	m->in.gate.peer_hash = 99;
	m->in.gate.ordinal = 3;
}

static void make_plan(struct made *m, const struct sf_plan *carry)
{
	m->n = sf_plan_count(&m->in);
	m->plan = m->n ? malloc(sf_plan_size(m->n, m->in.gate.dgram)) : NULL;
	if (m->n)
		assert_non_null(m->plan);
	sf_plan_make(&m->in, m->plan, m->n, carry, &m->out);
	if (m->plan) {
		assert_int_equal(m->plan->n, m->n);
		assert_int_equal(m->plan->n, m->n);
	}
}

static void made_free(struct made *m)
{
	free(m->plan);
	parsed_free(&m->p);
}

/* The rule indices in the plan, as a bit mask. */
static uint64_t entered(const struct made *m)
{
	uint64_t bits = 0;
	for (uint32_t i = 0; m->plan && i < m->plan->n; i++) {
		const struct sf_plan_entry *e = &m->plan->e[i];
		if (e->num) {
			assert_int_equal(e->lo, m->p.rs.rules[e->rule].num[e->num - 1].lo);
			assert_true(e->lo + e->span == m->p.rs.rules[e->rule].num[e->num - 1].hi);
		}
		if (i)
			assert_true(m->plan->e[i].rule > m->plan->e[i - 1].rule);
		bits |= 1ull << m->plan->e[i].rule;
	}
	return bits;
}

static uint64_t plan_of(const char *text, const struct sf_subject *subj, int dgram)
{
	struct made m;
	make_in(&m, text, subj, dgram);
	make_plan(&m, NULL);
	uint64_t bits = entered(&m);
	made_free(&m);
	return bits;
}

static void peer_and_local_choose_rules(void **state)
{
	const char *rules = "send peer=10.0.0.1:80 => error EPIPE\n"
			    "send peer=10.0.0.9:80 => error EPIPE\n"
			    "send local=*:5555 => error EPIPE\n"
			    "send local=*:6000 => error EPIPE\n"
			    "send peer=10.0.0.0/8 local=*:5555 => error EPIPE\n";
	struct sf_subject s = tcp_client();
	assert_int_equal(plan_of(rules, &s, 0), 0x15);
	/* Before connect the peer is unknown: every peer could still be it. */
	s.peer.family = SF_ADDR_ANY;
	assert_int_equal(plan_of(rules, &s, 0), 0x17);
	s = tcp_client();
	s.local.family = SF_ADDR_ANY;
	assert_int_equal(plan_of(rules, &s, 0), 0x1d);
	/* No rule for this socket: no plan at all. */
	s = tcp_client();
	s.peer = ip4("192.168.0.1", 80);
	s.local.port = 7;
	assert_int_equal(plan_of(rules, &s, 0), 0);
	(void)state;
}

static void host_side_and_exe_choose_rules(void **state)
{
	const char *rules = "send host=db => error EPIPE\n"
			    "send host=web => error EPIPE\n"
			    "send side=server => error EPIPE\n"
			    "send side=client => error EPIPE\n"
			    "send exe=app => error EPIPE\n"
			    "send exe=curl => error EPIPE\n";
	struct sf_subject s = tcp_client();
	assert_int_equal(plan_of(rules, &s, 0), 0x19);
	static const char *const web[] = { "web", NULL };
	s.hosts = web;
	assert_int_equal(plan_of(rules, &s, 0), 0x1a);
	/* A socket whose side is not known yet could be either. */
	s = tcp_client();
	s.side = 0;
	s.side_known = 0;
	assert_int_equal(plan_of(rules, &s, 0), 0x1d);
	s = tcp_client();
	s.exe = "curl";
	assert_int_equal(plan_of(rules, &s, 0), 0x29);
	/* A rule that is not for this program (sf_active_build's exe=) never
	 * enters, whatever else holds. */
	struct made m;
	s = tcp_client();
	make_in(&m, rules, &s, 0);
	m.for_exe[0] = 0;
	m.for_exe[4] = 0;
	make_plan(&m, NULL);
	assert_int_equal(entered(&m), 0x08);
	made_free(&m);
	(void)state;
}

/* Some actions fit only streams or only datagrams; proto= is a fixed
 * condition like the others. */
static void stream_or_datagram(void **state)
{
	const char *rules = "send => reset\n"
			    "send => drop\n"
			    "send => error EPIPE\n"
			    "send proto=udp => error EPIPE\n"
			    "send proto=tcp => error EPIPE\n"
			    "recv => eof\n";
	struct sf_subject s = tcp_client();
	assert_int_equal(plan_of(rules, &s, 0), 0x35);
	s.proto = SF_PROTO_UDP;
	assert_int_equal(plan_of(rules, &s, 1), 0x0e);
	(void)state;
}

static struct sf_plan_entry *entry_of(const struct made *m, uint32_t rule)
{
	for (uint32_t i = 0; m->plan && i < m->plan->n; i++)
		if (m->plan->e[i].rule == rule)
			return &m->plan->e[i];
	fail_msg("rule %u is not in the plan", rule);
	return NULL;
}

/* What the plan settles for each entry from its conditions, and the draw
 * key of a p= rule on this connection. */
static void entries_settle_conditions(void **state)
{
	const char *rules = "send when=1000000 => error EPIPE\n"
			    "recv idle>1h => error EPIPE\n"
			    "write p=0.25 => error EPIPE\n"
			    "read per=process when=5 => error EPIPE\n"
			    "writev sent>1TiB => error EPIPE\n"
			    "readv proto=tcp peer=10.0.0.9 => error EPIPE\n";
	struct sf_subject s = tcp_client();
	s.peer.family = SF_ADDR_ANY;
	struct made m;
	make_in(&m, rules, &s, 0);
	make_plan(&m, NULL);
	const uint8_t quick = SF_PE_STATICS_OK | SF_PE_GATED | SF_PE_QUICK;
	assert_int_equal(entry_of(&m, 0)->flags, quick);
	assert_int_equal(entry_of(&m, 1)->flags, quick | SF_PE_DYNAMIC | SF_PE_CLOCK | SF_PE_EVERY);
	assert_int_equal(entry_of(&m, 2)->flags, quick | SF_PE_DRAWS | SF_PE_EVERY);
	assert_int_equal(entry_of(&m, 2)->draw_key, sf_draw_key(42, 7, m.p.rs.rules[2].name_hash, 99, 3, SF_DRAW_P));
	assert_int_equal(entry_of(&m, 3)->flags, SF_PE_STATICS_OK);
	assert_int_equal(entry_of(&m, 4)->flags, quick | SF_PE_DYNAMIC | SF_PE_EVERY);
	/* Its peer not known yet: the call checks it. */
	assert_int_equal(entry_of(&m, 5)->flags, SF_PE_GATED | SF_PE_EVERY);
	for (uint32_t i = 0; i < m.plan->n; i++) {
		assert_int_equal(m.plan->e[i].ops, m.p.rs.rules[m.plan->e[i].rule].ops);
		assert_int_equal(m.plan->e[i].calls, 0);
	}
	/* when=: the lane counts up to the millionth call alone; without
	 * it, every call is one when= may make due. */
	assert_int_equal(entry_of(&m, 0)->next, 1000000);
	assert_int_equal(entry_of(&m, 1)->next, 1);
	assert_int_equal(m.plan->gen, 5);
	assert_int_equal(sf_plan_draw_proc(m.plan), 7);
	assert_int_equal(m.plan->draw_ord, 3);
	assert_int_equal(m.plan->draw_id, sf_plan_draws_for(7, 3));
	assert_int_not_equal(m.plan->draw_id, sf_plan_draws_for(7, 4));
	assert_int_not_equal(m.plan->draw_id, sf_plan_draws_for(8, 3));
	assert_null(sf_plan_dg(m.plan));
	/* idle= makes the record note when data moves. */
	assert_int_equal(m.out.idle, 1);
	made_free(&m);
	make_in(&m, "send sent>1TiB => error EPIPE\n", &s, 0);
	make_plan(&m, NULL);
	assert_int_equal(m.out.idle, 0);
	made_free(&m);
	(void)state;
}

/* The ops a call must bring to the library, and those the quick lane
 * decides: an op named by one rule the gate settles, with its entry in
 * the plan's slot for it. */
static void record_ops_and_quick_lane(void **state)
{
	const sf_opmask lifecycle = SF_OPS_ALL & ~SF_OPS_IO;
	struct sf_subject s = tcp_client();
	struct made m;
	make_in(&m,
		"send when=1000000 => error EPIPE\n"
		"write when=9 => error EPIPE\n"
		"write when=10 => error EPIPE\n"
		"recv per=process when=5 => error EPIPE\n",
		&s, 0);
	make_plan(&m, NULL);
	sf_opmask named = SF_OPBIT(SF_OP_send) | SF_OPBIT(SF_OP_write) | SF_OPBIT(SF_OP_recv);
	assert_int_equal(m.out.ops, lifecycle | named);
	assert_true(m.out.quick & SF_OPBIT(SF_OP_send));
	assert_false(m.out.quick & SF_OPBIT(SF_OP_write));
	assert_false(m.out.quick & SF_OPBIT(SF_OP_recv));
	/* An op no rule names is the quick lane's. */
	assert_true(m.out.quick & SF_OPBIT(SF_OP_read));
	assert_int_equal(m.out.dest_only, 0);
	for (int op = 0; op < SF_OP__COUNT; op++) {
		if (!sf_quick_slot[op])
			continue;
		uint8_t want = op == SF_OP_send ? 0 : 0xff;
		assert_int_equal(m.plan->quick[sf_quick_slot[op] - 1], want);
	}
	made_free(&m);
	/* A rule that can end the connection needs every data call; one that
	 * reads the byte counts, the calls that move bytes. */
	make_in(&m, "send => reset\n", &s, 0);
	make_plan(&m, NULL);
	assert_int_equal(m.out.ops, lifecycle | SF_OPS_IO);
	made_free(&m);
	make_in(&m, "connect sent>10 => error ECONNREFUSED\n", &s, 0);
	make_plan(&m, NULL);
	assert_int_equal(m.out.ops & SF_OPS_IO, sf_conds_track(m.p.rs.rules[0].has));
	assert_true(m.out.ops & SF_OPBIT(SF_OP_send));
	made_free(&m);
	/* Tracing, a dead connection: no quick lane, every op. */
	make_in(&m, "send when=1000000 => error EPIPE\n", &s, 0);
	m.in.all_slow = 1;
	make_plan(&m, NULL);
	assert_int_equal(m.out.ops, SF_OPS_ALL);
	assert_int_equal(m.out.quick, 0);
	assert_int_equal(m.plan->quick[sf_quick_slot[SF_OP_send] - 1], 0xff);
	made_free(&m);
	/* A relayed connection: every op, the quick lane as before. */
	make_in(&m, "send when=1000000 => error EPIPE\n", &s, 0);
	m.in.relayed = 1;
	make_plan(&m, NULL);
	assert_int_equal(m.out.ops, SF_OPS_ALL);
	assert_true(m.out.quick & SF_OPBIT(SF_OP_send));
	made_free(&m);
	/* No rules at all. */
	make_in(&m, "send exe=curl => error EPIPE\n", &s, 0);
	make_plan(&m, NULL);
	assert_null(m.plan);
	assert_int_equal(m.out.ops, lifecycle);
	assert_int_equal(m.out.quick, SF_OPS_ALL);
	made_free(&m);
	(void)state;
}

/* A datagram socket: rules about the peer are decided per destination,
 * the others are listed as fixed, and the ops only the former name are
 * the destination cache's. */
static void datagram_destinations(void **state)
{
	struct sf_subject s = tcp_client();
	s.proto = SF_PROTO_UDP;
	s.peer.family = SF_ADDR_ANY;
	struct made m;
	make_in(&m,
		"sendto peer=10.0.0.1:53 => drop\n"
		"send => drop\n"
		"sendto host=db => drop\n"
		"recvfrom => drop\n"
		"sendmsg peer=10.0.0.1:53 => drop\n"
		"sendmsg => drop\n",
		&s, 1);
	make_plan(&m, NULL);
	assert_int_equal(m.n, 6);
	assert_non_null(sf_plan_dg(m.plan));
	assert_ptr_equal(sf_plan_dg(m.plan), &m.plan->e[6]);
	assert_true(entry_of(&m, 0)->flags & SF_PE_PER_DEST);
	assert_false(entry_of(&m, 1)->flags & SF_PE_PER_DEST);
	assert_true(entry_of(&m, 2)->flags & SF_PE_PER_DEST);
	assert_int_equal(sf_plan_dg(m.plan)->nfixed, 3);
	assert_int_equal(sf_plan_dg(m.plan)->fixed[0], 1);
	assert_int_equal(sf_plan_dg(m.plan)->fixed[1], 3);
	assert_int_equal(sf_plan_dg(m.plan)->fixed[2], 5);
	assert_int_equal(sf_plan_dg(m.plan)->dest_valid, 0);
	/* sendto: two rules, both per destination; sendmsg: one of each, and
	 * every sendmsg has a rule to check. */
	assert_int_equal(m.out.dest_only, SF_OPBIT(SF_OP_sendto));
	made_free(&m);
	(void)state;
}

/* A connected datagram socket (UDP, 10.0.0.2:5555 -> 10.0.0.1:80): a
 * sendto or sendmsg with a destination of its own sends there, and the
 * rules about peers read that destination. A rule for another peer enters
 * the plan for the ops that can name one, and only those (away); the calls
 * without one keep the connected peer, whose rules are set aside as ever. */
static void connected_datagram_destinations(void **state)
{
	struct sf_subject s = tcp_client();
	s.proto = SF_PROTO_UDP;
	struct made m;
	make_in(&m,
		"sendto peer=10.0.0.9:53 => drop\n"
		"tx peer=10.0.0.9 => drop\n"
		"send peer=10.0.0.9 => drop\n"
		"sendto host=web => drop\n"
		"sendto peer=10.0.0.1:80 => drop\n"
		"sendto peer=10.0.0.9 local=10.0.0.3 => drop\n"
		"recvfrom peer=10.0.0.9 => drop\n",
		&s, 1);
	make_plan(&m, NULL);
	assert_int_equal(entered(&m), 0x1b);
	assert_int_equal(entry_of(&m, 0)->away, 1);
	assert_int_equal(entry_of(&m, 0)->ops, SF_OPBIT(SF_OP_sendto));
	assert_int_equal(entry_of(&m, 1)->away, 1);
	assert_int_equal(entry_of(&m, 1)->ops,
			 SF_OPBIT(SF_OP_sendto) | SF_OPBIT(SF_OP_sendmsg) | SF_OPBIT(SF_OP_sendmmsg));
	assert_int_equal(entry_of(&m, 3)->away, 1);
	assert_int_equal(entry_of(&m, 4)->away, 0);
	for (uint32_t i = 0; i < m.n; i++)
		assert_true(m.plan->e[i].flags & SF_PE_PER_DEST);
	/* send, write and the receiving calls still go straight to libc. */
	assert_false(m.out.ops & SF_OPBIT(SF_OP_send));
	assert_false(m.out.ops & SF_OPBIT(SF_OP_write));
	assert_false(m.out.ops & SF_OPBIT(SF_OP_recvfrom));
	assert_int_equal(m.out.dest_only, SF_OPBIT(SF_OP_sendto) | SF_OPBIT(SF_OP_sendmsg) | SF_OPBIT(SF_OP_sendmmsg));
	/* Without an address of its own, a sendmsg meets only the away
	 * rules: it goes to libc; a sendto meets the connected peer's. */
	assert_true(sf_plan_dg(m.plan)->peer_pass & SF_OPBIT(SF_OP_sendmsg));
	assert_false(sf_plan_dg(m.plan)->peer_pass & SF_OPBIT(SF_OP_sendto));
	made_free(&m);
	/* Unconnected, every rule about peers could hold: none is away. */
	s.peer.family = SF_ADDR_ANY;
	make_in(&m, "sendto peer=10.0.0.9:53 => drop\nsend peer=10.0.0.9 => drop\n", &s, 1);
	make_plan(&m, NULL);
	assert_int_equal(entered(&m), 0x3);
	assert_int_equal(entry_of(&m, 0)->away, 0);
	assert_int_equal(entry_of(&m, 1)->ops, SF_OPBIT(SF_OP_send));
	made_free(&m);
	/* A stream's peer is its connection's, whatever the call names. */
	s = tcp_client();
	assert_int_equal(plan_of("sendto peer=10.0.0.9:53 => drop\n", &s, 0), 0);
	(void)state;
}

/* Planned again for the same rules (a connect fixed the peer), a rule
 * keeps its counts, its firings and whether it is stuck. */
static void counters_carry_over(void **state)
{
	const char *rules = "send when=3 => error EPIPE\n"
			    "send peer=10.0.0.9 => error EPIPE\n"
			    "recv => error EPIPE sticky\n";
	struct sf_subject s = tcp_client();
	s.peer.family = SF_ADDR_ANY;
	struct made before;
	make_in(&before, rules, &s, 0);
	make_plan(&before, NULL);
	assert_int_equal(before.n, 3);
	entry_of(&before, 0)->calls = 2;
	entry_of(&before, 0)->fired = 1;
	entry_of(&before, 2)->calls = 7;
	/* A mark of the lane's is the old plan's own; only stuck carries. */
	entry_of(&before, 2)->mark = SF_MARK_STUCK | SF_ARM_UNTIL;
	struct sf_subject now = tcp_client();
	struct made after;
	make_in(&after, rules, &now, 0);
	make_plan(&after, before.plan);
	assert_int_equal(after.n, 2);
	assert_int_equal(entry_of(&after, 0)->calls, 2);
	assert_int_equal(entry_of(&after, 0)->fired, 1);
	assert_false(sf_entry_stuck(entry_of(&after, 0)));
	/* Two calls counted: the third is when='s. */
	assert_int_equal(entry_of(&after, 0)->next, 3);
	assert_int_equal(entry_of(&after, 2)->calls, 7);
	assert_int_equal(entry_of(&after, 2)->mark, SF_MARK_STUCK);
	made_free(&after);
	/* For other rules (no carry): from zero. */
	make_in(&after, rules, &now, 0);
	make_plan(&after, NULL);
	assert_int_equal(entry_of(&after, 0)->calls, 0);
	assert_false(sf_entry_stuck(entry_of(&after, 2)));
	made_free(&after);
	made_free(&before);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peer_and_local_choose_rules),
		cmocka_unit_test(host_side_and_exe_choose_rules),
		cmocka_unit_test(stream_or_datagram),
		cmocka_unit_test(entries_settle_conditions),
		cmocka_unit_test(record_ops_and_quick_lane),
		cmocka_unit_test(datagram_destinations),
		cmocka_unit_test(connected_datagram_destinations),
		cmocka_unit_test(counters_carry_over),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
