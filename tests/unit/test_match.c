/* Rules against calls: which conditions hold for a socket and a call. */
#include "helpers.h"

#include <string.h>

#include "match.h"
#include "units.h"

/* A connected TCP client socket to 10.0.0.1:80, sending, everything known. */
static struct sf_subject subject(void)
{
	struct sf_subject s;
	memset(&s, 0, sizeof s);
	s.op = SF_OP_send;
	s.proto = SF_PROTO_TCP;
	s.side = SF_SIDE_CLIENT;
	s.side_known = 1;
	s.state = SF_STATE_CONNECTED;
	s.peer = ip4("10.0.0.1", 80);
	s.local = ip4("10.0.0.2", 5555);
	s.num_known = (1u << SF_NUM__COUNT) - 1;
	s.exe = "app";
	return s;
}

/* Checks all three entry points agree for a fully known subject. */
static int holds(const struct sf_rule *r, const struct sf_subject *s)
{
	int m = sf_rule_matches(r, s);
	assert_int_equal(m, sf_rule_dynamics_hold(r, s) && sf_rule_statics_hold(r, s, 0));
	return m;
}

static void operations(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx => reset");
	struct sf_subject s = subject();
	static const enum sf_op tx[] = { SF_OP_send,	 SF_OP_sendto, SF_OP_sendmsg,
					 SF_OP_sendmmsg, SF_OP_write,  SF_OP_writev };
	for (int op = 0; op < SF_OP__COUNT; op++) {
		int want = 0;
		for (size_t i = 0; i < sizeof tx / sizeof tx[0]; i++)
			want |= (int)tx[i] == op;
		s.op = (enum sf_op)op;
		assert_int_equal(holds(r, &s), want);
		/* The statics do not look at the operation. */
		assert_true(sf_rule_statics_hold(r, &s, 0));
	}
	parsed_free(&p);
}

static void protocol(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx proto=tcp,unix => reset");
	struct sf_subject s = subject();
	assert_true(holds(r, &s));
	s.proto = SF_PROTO_UNIX;
	assert_true(holds(r, &s));
	s.proto = SF_PROTO_UDP;
	assert_false(holds(r, &s));
	assert_false(sf_rule_statics_hold(r, &s, 1));
	/* Unknown: only "could it ever apply" says yes. */
	s.proto = 0;
	assert_false(holds(r, &s));
	assert_true(sf_rule_statics_hold(r, &s, 1));
	parsed_free(&p);

	/* A rule without proto= holds for an unknown kind too. */
	r = parse_one(&p, "tx => reset");
	assert_true(holds(r, &s));
	parsed_free(&p);
}

static void side(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx side=client => reset");
	struct sf_subject s = subject();
	assert_true(holds(r, &s));
	s.side = SF_SIDE_SERVER;
	assert_false(holds(r, &s));
	assert_false(sf_rule_statics_hold(r, &s, 1));
	/* Not yet connected nor accepted: could still become a client. */
	s.side = 0;
	s.side_known = 0;
	assert_false(holds(r, &s));
	assert_true(sf_rule_statics_hold(r, &s, 1));
	/* Known to be neither (a listening socket): never. */
	s.side_known = 1;
	assert_false(sf_rule_statics_hold(r, &s, 1));
	parsed_free(&p);

	/* Both sides: any connection, but not a socket that is neither. */
	r = parse_one(&p, "tx side=client,server => reset");
	s = subject();
	assert_true(holds(r, &s));
	s.side = SF_SIDE_SERVER;
	assert_true(holds(r, &s));
	s.side = 0;
	assert_false(holds(r, &s));
	parsed_free(&p);
}

static void socket_state(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx state=connected,shutdown => error EPIPE");
	struct sf_subject s = subject();
	assert_true(holds(r, &s));
	s.state = SF_STATE_SHUTDOWN;
	assert_true(holds(r, &s));
	s.state = SF_STATE_CONNECTING;
	assert_false(holds(r, &s));
	assert_false(sf_rule_dynamics_hold(r, &s));
	s.state = SF_STATE_UNCONNECTED;
	assert_false(holds(r, &s));
	parsed_free(&p);
}

static void numbers(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx sent>10 => reset");
	struct sf_subject s = subject();
	s.num[SF_NUM_SENT] = 10;
	assert_false(holds(r, &s));
	s.num[SF_NUM_SENT] = 11;
	assert_true(holds(r, &s));
	s.num[SF_NUM_SENT] = UINT64_MAX;
	assert_true(holds(r, &s));
	/* Not known (no connection yet): the condition does not hold. */
	s.num_known &= ~(1u << SF_NUM_SENT);
	assert_false(holds(r, &s));
	/* The other numbers do not matter. */
	s.num_known = 1u << SF_NUM_SENT;
	s.num[SF_NUM_RECEIVED] = 999;
	assert_true(holds(r, &s));
	parsed_free(&p);

	r = parse_one(&p, "tx age>=5s age<10s => reset");
	s = subject();
	const uint64_t sec = SF_NS_PER_S;
	s.num[SF_NUM_AGE] = 5 * sec - 1;
	assert_false(holds(r, &s));
	s.num[SF_NUM_AGE] = 5 * sec;
	assert_true(holds(r, &s));
	s.num[SF_NUM_AGE] = 10 * sec - 1;
	assert_true(holds(r, &s));
	s.num[SF_NUM_AGE] = 10 * sec;
	assert_false(holds(r, &s));
	parsed_free(&p);

	/* Several numbers: all must hold. */
	r = parse_one(&p, "rx received>=64KiB idle>2m uptime<1h => reset");
	s = subject();
	s.num[SF_NUM_RECEIVED] = 65536;
	s.num[SF_NUM_IDLE] = 120 * sec + 1;
	s.num[SF_NUM_UPTIME] = 3600 * sec - 1;
	s.op = SF_OP_recv;
	assert_true(holds(r, &s));
	s.num[SF_NUM_IDLE] = 120 * sec;
	assert_false(holds(r, &s));
	s.num[SF_NUM_IDLE] = 120 * sec + 1;
	s.num[SF_NUM_UPTIME] = 3600 * sec;
	assert_false(holds(r, &s));
	s.num[SF_NUM_UPTIME] = 0;
	s.num[SF_NUM_RECEIVED] = 65535;
	assert_false(holds(r, &s));
	parsed_free(&p);

	/* >=0 holds once the number is known: age>=0s is "has been connected". */
	r = parse_one(&p, "tx age>=0s => reset");
	s = subject();
	assert_true(holds(r, &s));
	s.num_known &= ~(1u << SF_NUM_AGE);
	assert_false(holds(r, &s));
	parsed_free(&p);

	/* "=" is one exact value. */
	r = parse_one(&p, "tx sent=0 => reset");
	s = subject();
	assert_true(holds(r, &s));
	s.num[SF_NUM_SENT] = 1;
	assert_false(holds(r, &s));
	parsed_free(&p);
}

static void peer_and_local(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx peer=10.0.0.0/8:80,[::1] local=*:5555 => reset");
	struct sf_subject s = subject();
	assert_true(holds(r, &s));
	s.peer.port = 81;
	assert_false(holds(r, &s));
	s.peer = ip4("11.0.0.1", 80);
	assert_false(holds(r, &s));
	/* The second address of the list. */
	s.peer.family = SF_ADDR_IP6;
	memset(s.peer.ip, 0, sizeof s.peer.ip);
	s.peer.ip[15] = 1;
	assert_true(holds(r, &s));
	/* local= is checked on its own. */
	s.local.port = 5556;
	assert_false(holds(r, &s));
	s.local.port = 5555;
	/* Unknown peer (before connect): could still match, does not match now. */
	s.peer.family = SF_ADDR_ANY;
	assert_false(holds(r, &s));
	assert_true(sf_rule_statics_hold(r, &s, 1));
	/* Unknown local address: the same. */
	s = subject();
	s.local.family = SF_ADDR_ANY;
	assert_false(holds(r, &s));
	assert_true(sf_rule_statics_hold(r, &s, 1));
	/* A known address that does not match is never "unknown". */
	s = subject();
	s.peer = ip4("192.168.0.1", 80);
	assert_false(sf_rule_statics_hold(r, &s, 1));
	/* The dynamics do not look at addresses. */
	assert_true(sf_rule_dynamics_hold(r, &s));
	parsed_free(&p);

	/* A unix peer. */
	r = parse_one(&p, "tx peer=unix:/run/*.sock => reset");
	s = subject();
	s.proto = SF_PROTO_UNIX;
	s.peer.family = SF_ADDR_UNIX;
	s.peer.path = "/run/db.sock";
	s.peer.path_len = strlen(s.peer.path);
	assert_true(holds(r, &s));
	s.peer.path = "/tmp/db.sock";
	assert_false(holds(r, &s));
	parsed_free(&p);
}

static void exe(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect exe=curl* => error ECONNREFUSED");
	struct sf_subject s = subject();
	s.op = SF_OP_connect;
	s.exe = "curl";
	assert_true(holds(r, &s));
	s.exe = "curl-7.8";
	assert_true(holds(r, &s));
	s.exe = "wget";
	assert_false(holds(r, &s));
	assert_false(sf_rule_statics_hold(r, &s, 1));
	/* No program name known: a rule that names one does not hold. */
	s.exe = NULL;
	assert_false(holds(r, &s));
	assert_false(sf_rule_statics_hold(r, &s, 1));
	/* The second name (wineserver's: the Windows program it serves). */
	s.exe = "wineserver64";
	s.exe_also = "curl.exe";
	assert_true(holds(r, &s));
	s.exe_also = "wget.exe";
	assert_false(holds(r, &s));
	parsed_free(&p);
}

static void hosts(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect host=*.example.com,db => error ECONNREFUSED");
	struct sf_subject s = subject();
	s.op = SF_OP_connect;
	const char *const mine[] = { "other", "db", NULL };
	const char *const sub[] = { "api.example.com", NULL };
	const char *const bare[] = { "example.com", "dbx", NULL };
	const char *const none[] = { NULL };
	s.hosts = mine;
	assert_true(holds(r, &s));
	s.hosts = sub;
	assert_true(holds(r, &s));
	s.hosts = bare;
	assert_false(holds(r, &s));
	s.hosts = none;
	assert_false(holds(r, &s));
	/* No name resolved to this peer. */
	s.hosts = NULL;
	assert_false(holds(r, &s));
	assert_false(sf_rule_statics_hold(r, &s, 1));
	/* No peer yet: could still be one of these hosts. */
	s.peer.family = SF_ADDR_ANY;
	assert_true(sf_rule_statics_hold(r, &s, 1));
	assert_false(sf_rule_statics_hold(r, &s, 0));
	parsed_free(&p);
}

/* A rule with no conditions holds for any call of its operations, known or not. */
static void no_conditions(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "* => error EIO");
	struct sf_subject s;
	memset(&s, 0, sizeof s);
	s.peer.family = SF_ADDR_ANY;
	s.local.family = SF_ADDR_ANY;
	for (int op = 0; op < SF_OP__COUNT; op++) {
		s.op = (enum sf_op)op;
		for (int st = 0; st < SF_STATE__COUNT; st++) {
			s.state = (uint8_t)st;
			assert_true(sf_rule_matches(r, &s));
		}
	}
	parsed_free(&p);
}

/* Rules in order: the first one that holds, as the engine tries them. */
static void first_matching_rule(void **state)
{
	struct parsed p;
	parse_str(&p, "a: connect peer=10.0.0.1:6379 => error ECONNREFUSED\n"
		      "b: tx peer=*:5432 => delay 200ms\n"
		      "c: tx proto=tcp => reset\n");
	assert_int_equal(p.rs.n, 3);
	struct sf_subject s = subject();
	s.peer.port = 5432;
	const char *first = NULL;
	for (unsigned i = 0; i < p.rs.n && !first; i++)
		if (sf_rule_matches(&p.rs.rules[i], &s))
			first = p.rs.rules[i].name;
	assert_string_equal(first, "b");
	s.op = SF_OP_connect;
	s.peer.port = 6379;
	first = NULL;
	for (unsigned i = 0; i < p.rs.n && !first; i++)
		if (sf_rule_matches(&p.rs.rules[i], &s))
			first = p.rs.rules[i].name;
	assert_string_equal(first, "a");
	parsed_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(operations),	 cmocka_unit_test(protocol),
		cmocka_unit_test(side),		 cmocka_unit_test(socket_state),
		cmocka_unit_test(numbers),	 cmocka_unit_test(peer_and_local),
		cmocka_unit_test(exe),		 cmocka_unit_test(hosts),
		cmocka_unit_test(no_conditions), cmocka_unit_test(first_matching_rule),
	};
	return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
