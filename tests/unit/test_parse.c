/* The parser on good input: every construct of sockfault-rules(5), the fields of
 * struct sf_rule it fills in, and the canonical text sf_rule_format prints. */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "ops.h"
#include "units.h"

#define ALL_NUM_UNSET(r) num_unset((r), __FILE__, __LINE__)

/* A numeric condition nobody wrote is the whole range. */
static void num_unset(const struct sf_rule *r, const char *file, int line)
{
	for (int k = 0; k < SF_NUM__COUNT; k++) {
		_assert_int_equal(r->num[k].lo, 0, file, line);
		_assert_int_equal(r->num[k].hi, UINT64_MAX, file, line);
		_assert_true(!(r->has & SF_HAS_NUM(k)), "no numeric key", file, line);
	}
}

static void defaults_of_a_bare_rule(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect => error ECONNREFUSED");
	assert_string_equal(r->name, "line-1");
	assert_int_equal(r->line, 1);
	assert_int_equal(r->index, 0);
	assert_int_equal(r->ops, SF_OPBIT(SF_OP_connect));
	assert_int_equal(r->has, 0);
	assert_int_equal(r->protos, SF_PROTO_ALL);
	assert_int_equal(r->sides, SF_SIDE_ALL);
	assert_int_equal(r->states, SF_STATE_ALL);
	assert_int_equal(r->per, SF_PER_CONN);
	assert_int_equal(r->npeers, 0);
	assert_int_equal(r->nlocals, 0);
	assert_int_equal(r->nhosts, 0);
	assert_null(r->exe);
	assert_int_equal(r->when.first, 1);
	assert_int_equal(r->when.last, UINT64_MAX);
	assert_int_equal(r->when.step, 1);
	assert_int_equal(r->p_scaled, SF_P_ONE);
	assert_null(r->p_text);
	assert_int_equal(r->limit, 0);
	ALL_NUM_UNSET(r);
	assert_int_equal(r->action, SF_ACT_ERROR);
	assert_int_equal(r->err, ECONNREFUSED);
	assert_int_equal(r->sticky, 0);
	assert_int_equal(r->now, 0);
	assert_int_equal(r->quiet, 0);
	assert_string_equal(rule_text(r), "line-1: connect => error ECONNREFUSED");
	parsed_free(&p);
}

static void rule_names(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "idle-kill: tx => reset");
	assert_string_equal(r->name, "idle-kill");
	assert_string_equal(rule_text(r), "idle-kill: tx => reset");
	parsed_free(&p);

	/* Every character a name may hold, and no blank before the operations. */
	r = parse_one(&p, "A.b_C-9:connect => error EIO");
	assert_string_equal(r->name, "A.b_C-9");
	assert_int_equal(r->ops, SF_OPBIT(SF_OP_connect));
	parsed_free(&p);

	/* Unnamed rules are named after their physical line. */
	parse_str(&p, "\n# a comment\n\nconnect => error EIO\nx: tx => reset\nrx => eof\n");
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 3);
	assert_string_equal(p.rs.rules[0].name, "line-4");
	assert_int_equal(p.rs.rules[0].line, 4);
	assert_string_equal(p.rs.rules[1].name, "x");
	assert_int_equal(p.rs.rules[1].line, 5);
	assert_string_equal(p.rs.rules[2].name, "line-6");
	assert_int_equal(p.rs.rules[2].index, 2);
	parsed_free(&p);
}

/* The name's hash picks the p= draws: FNV-1a, the same on every machine. */
static void name_hash_is_fnv1a(void **state)
{
	struct parsed p;
	parse_str(&p, "a: connect => error EIO\nconnect => error EIO\n");
	assert_int_equal(p.rs.n, 2);
	assert_int_equal(p.rs.rules[0].name_hash, 0xaf63dc4c8601ec8cull);
	assert_int_equal(p.rs.rules[1].name_hash, 0xab65e9c5ec199d84ull);
	parsed_free(&p);
}

static void inline_rules_split_at_semicolons(void **state)
{
	struct parsed p;
	const char *text = "connect => error ECONNREFUSED; tx => reset;rx => eof\nsend => drop";
	parse_mem(&p, text, strlen(text), 1);
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 4);
	assert_string_equal(rule_text(&p.rs.rules[0]), "text-1: connect => error ECONNREFUSED");
	assert_string_equal(rule_text(&p.rs.rules[1]), "text-2: tx => reset");
	assert_string_equal(rule_text(&p.rs.rules[2]), "text-3: rx => eof");
	assert_string_equal(rule_text(&p.rs.rules[3]), "text-4: send => drop");
	assert_int_equal(p.rs.rules[2].line, 1);
	assert_int_equal(p.rs.rules[3].line, 2);
	parsed_free(&p);

	/* A refused rule still takes its number; empty pieces take none. */
	text = ";; bogus => reset ; ; tx => reset";
	parse_mem(&p, text, strlen(text), 1);
	assert_int_equal(p.errors, 1);
	assert_int_equal(p.rs.n, 1);
	assert_string_equal(p.rs.rules[0].name, "text-2");
	assert_string_equal(p.diags.v[0].text, "t.rules:1:4: unknown operation 'bogus' "
					       "(operations are the socket calls by name, or tx, rx, io, *)");
	parsed_free(&p);

	/* In a file a semicolon is no separator. */
	assert_refused("connect => error ECONNREFUSED; tx => reset",
		       "t.rules:1:18: unknown errno 'ECONNREFUSED;' (did you mean 'ECONNREFUSED'?)");
}

static void every_operation_by_name(void **state)
{
	for (int i = 0; i < SF_OP__COUNT; i++) {
		char text[64], canon[80];
		snprintf(text, sizeof text, "%s => error EIO", sf_op_names[i]);
		snprintf(canon, sizeof canon, "line-1: %s => error EIO", sf_op_names[i]);
		assert_canon(text, canon);
		struct parsed p;
		const struct sf_rule *r = parse_one(&p, text);
		assert_int_equal(r->ops, SF_OPBIT(i));
		parsed_free(&p);
	}
}

/* The groups are exactly the calls sockfault-rules(5) lists. */
static void operation_groups(void **state)
{
	const sf_opmask tx = SF_OPBIT(SF_OP_send) | SF_OPBIT(SF_OP_sendto) | SF_OPBIT(SF_OP_sendmsg) |
			     SF_OPBIT(SF_OP_sendmmsg) | SF_OPBIT(SF_OP_write) | SF_OPBIT(SF_OP_writev);
	const sf_opmask rx = SF_OPBIT(SF_OP_recv) | SF_OPBIT(SF_OP_recvfrom) | SF_OPBIT(SF_OP_recvmsg) |
			     SF_OPBIT(SF_OP_recvmmsg) | SF_OPBIT(SF_OP_read) | SF_OPBIT(SF_OP_readv);
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx => error EIO");
	assert_int_equal(r->ops, tx);
	assert_string_equal(rule_text(r), "line-1: tx => error EIO");
	parsed_free(&p);
	r = parse_one(&p, "rx => error EIO");
	assert_int_equal(r->ops, rx);
	assert_string_equal(rule_text(r), "line-1: rx => error EIO");
	parsed_free(&p);
	r = parse_one(&p, "io => error EIO");
	assert_int_equal(r->ops, tx | rx);
	assert_string_equal(rule_text(r), "line-1: io => error EIO");
	parsed_free(&p);
	r = parse_one(&p, "* => error EIO");
	assert_int_equal(r->ops, SF_OPS_ALL);
	assert_int_equal(__builtin_popcount(r->ops), SF_OP__COUNT);
	assert_string_equal(rule_text(r), "line-1: * => error EIO");
	parsed_free(&p);
}

static void operation_lists(void **state)
{
	assert_canon("recv,send => error EIO", "line-1: send,recv => error EIO");
	assert_canon("send,send => error EIO", "line-1: send => error EIO");
	assert_canon("tx,rx => error EIO", "line-1: io => error EIO");
	assert_canon("connect,tx => error EIO", "line-1: tx,connect => error EIO");
	assert_canon("send,sendto,sendmsg,sendmmsg,write,writev => error EIO", "line-1: tx => error EIO");
	assert_canon("read,readv,recv,recvfrom,recvmsg,recvmmsg,connect => error EIO",
		     "line-1: rx,connect => error EIO");
	assert_canon("tx,recv => error EIO", "line-1: tx,recv => error EIO");
	assert_canon("io,* => error EIO", "line-1: * => error EIO");
}

/* A group narrows quietly to the calls its action applies to. */
static void groups_narrow_to_the_action(void **state)
{
	assert_canon("* => reset", "line-1: io => reset");
	assert_canon("* => eof", "line-1: rx => eof");
	assert_canon("io => eof", "line-1: rx => eof");
	assert_canon("* => blackhole", "line-1: io,connect => blackhole");
	assert_canon("* => timeout", "line-1: io,connect => timeout 30s");
	assert_canon("* => drop", "line-1: io => drop");
}

static void condition_peer_and_local(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx peer=10.1.2.3:21 local=*:8080 => reset");
	assert_int_equal(r->has, SF_HAS_PEER | SF_HAS_LOCAL);
	assert_int_equal(r->npeers, 1);
	assert_int_equal(r->peers[0].kind, SF_ADDR_IP4);
	assert_int_equal(r->peers[0].prefix, 32);
	assert_memory_equal(r->peers[0].ip, "\x0a\x01\x02\x03", 4);
	assert_int_equal(r->peers[0].has_port, 1);
	assert_int_equal(r->peers[0].port_lo, 21);
	assert_int_equal(r->peers[0].port_hi, 21);
	assert_int_equal(r->nlocals, 1);
	assert_int_equal(r->locals[0].kind, SF_ADDR_ANY);
	assert_int_equal(r->locals[0].port_lo, 8080);
	assert_string_equal(rule_text(r), "line-1: tx peer=10.1.2.3:21 local=*:8080 => reset");
	parsed_free(&p);

	r = parse_one(&p, "tx peer=localhost => reset");
	assert_int_equal(r->npeers, 2);
	assert_int_equal(r->peers[0].kind, SF_ADDR_IP4);
	assert_int_equal(r->peers[0].prefix, 8);
	assert_int_equal(r->peers[0].ip[0], 127);
	assert_int_equal(r->peers[1].kind, SF_ADDR_IP6);
	assert_int_equal(r->peers[1].prefix, 128);
	assert_int_equal(r->peers[1].ip[15], 1);
	parsed_free(&p);
}

static void address_forms(void **state)
{
	static const char *const same[] = {
		"10.1.2.3",
		"10.0.0.0/8",
		"10.0.0.1:21",
		"10.0.0.0/8:21",
		"10.0.0.1:8000-8080",
		"0.0.0.0/0",
		"255.255.255.255:65535",
		"[::1]",
		"[::1]:8080",
		"[2001:db8::]/32",
		"[2001:db8::]/32:443",
		"[::]/0",
		"[::ffff:10.0.0.1]",
		"*",
		"*:5432",
		"*:0",
		"*:1-1024",
		"localhost",
		"localhost:6379",
		"localhost:1000-2000",
		"unix:/run/*.sock",
		"unix:@abstract*",
		"unix:",
		"10.0.0.1,[::1]:80,localhost,*:53,unix:/tmp/x",
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		char text[160], canon[200];
		snprintf(text, sizeof text, "tx peer=%s => error EPIPE", same[i]);
		snprintf(canon, sizeof canon, "line-1: %s", text);
		assert_canon(text, canon);
	}
	/* Forms with a different canonical text. */
	assert_canon("tx peer=10.1.2.3/8 => reset", "line-1: tx peer=10.0.0.0/8 => reset");
	assert_canon("tx peer=10.0.0.1:* => reset", "line-1: tx peer=10.0.0.1 => reset");
	assert_canon("tx peer=*:* => reset", "line-1: tx peer=* => reset");
	assert_canon("tx peer=10.0.0.1:80-80 => reset", "line-1: tx peer=10.0.0.1:80 => reset");
	assert_canon("tx peer=[2001:DB8::1] => reset", "line-1: tx peer=[2001:db8::1] => reset");
	assert_canon("tx peer=[2001:db8::1]/32 => reset", "line-1: tx peer=[2001:db8::]/32 => reset");
	assert_canon("tx peer=[2001:db8::1/32]:443 => reset", "line-1: tx peer=[2001:db8::]/32:443 => reset");
	assert_canon("tx peer=127.0.0.0/8,[::1] => reset", "line-1: tx peer=localhost => reset");
	assert_canon("tx peer=[0:0:0:0:0:0:0:1] => reset", "line-1: tx peer=[::1] => reset");
}

/* localhost is printed back only for exactly 127.0.0.0/8 and ::1 with the same ports. */
static void localhost_is_printed_only_for_itself(void **state)
{
	assert_canon("tx peer=127.0.0.0/8,[2001:db8::1] => reset",
		     "line-1: tx peer=127.0.0.0/8,[2001:db8::1] => reset");
	assert_canon("tx peer=127.0.0.0/8:80,[::1] => reset", "line-1: tx peer=127.0.0.0/8:80,[::1] => reset");
	assert_canon("tx peer=127.0.0.1,[::1] => reset", "line-1: tx peer=127.0.0.1,[::1] => reset");
	assert_canon("tx peer=[::1],127.0.0.0/8 => reset", "line-1: tx peer=[::1],127.0.0.0/8 => reset");
	assert_canon("tx peer=localhost:80,localhost:81 => reset",
		     "line-1: tx peer=localhost:80,localhost:81 => reset");
}

static void condition_proto_side_state(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx proto=tcp side=client state=connected => reset");
	assert_int_equal(r->has, SF_HAS_PROTO | SF_HAS_SIDE | SF_HAS_STATE);
	assert_int_equal(r->protos, SF_PROTO_TCP);
	assert_int_equal(r->sides, SF_SIDE_CLIENT);
	assert_int_equal(r->states, 1u << SF_STATE_CONNECTED);
	assert_string_equal(rule_text(r), "line-1: tx proto=tcp side=client state=connected => reset");
	parsed_free(&p);

	r = parse_one(&p, "connect proto=udp,unix state=unconnected,connecting => error EALREADY");
	assert_int_equal(r->protos, SF_PROTO_UDP | SF_PROTO_UNIX);
	assert_int_equal(r->states, (1u << SF_STATE_UNCONNECTED) | (1u << SF_STATE_CONNECTING));
	parsed_free(&p);

	assert_canon("tx side=server => reset", "line-1: tx side=server => reset");
	assert_canon("tx state=shutdown => error EPIPE", "line-1: tx state=shutdown => error EPIPE");
	assert_canon("accept state=listening => error EMFILE", "line-1: accept state=listening => error EMFILE");
	assert_canon("tx proto=unix => reset", "line-1: tx proto=unix => reset");
	/* Printed in table order whatever the order written. */
	assert_canon("tx proto=udp,tcp => error EPIPE", "line-1: tx proto=tcp,udp => error EPIPE");
	assert_canon("tx state=shutdown,connected => error EPIPE",
		     "line-1: tx state=connected,shutdown => error EPIPE");
	/* Every value is still a condition: side=client,server means "on a connection". */
	assert_canon("tx side=server,client => reset", "line-1: tx side=client,server => reset");
	assert_canon("tx proto=unix,udp,tcp => error EPIPE", "line-1: tx proto=tcp,udp,unix => error EPIPE");
	assert_canon("tx state=unconnected,connecting,connected,listening,shutdown => error EPIPE",
		     "line-1: tx state=unconnected,connecting,connected,listening,shutdown => error EPIPE");
}

static void condition_when_per_p_limit(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect when=2+ per=process p=0.1 limit=3 => error EISCONN");
	assert_int_equal(r->has, SF_HAS_WHEN | SF_HAS_PER | SF_HAS_P | SF_HAS_LIMIT);
	assert_int_equal(r->when.first, 2);
	assert_int_equal(r->when.last, UINT64_MAX);
	assert_int_equal(r->when.step, 1);
	assert_int_equal(r->per, SF_PER_PROCESS);
	/* 0.1 of 2^53, rounded to nearest. */
	assert_int_equal(r->p_scaled, 900719925474099ull);
	assert_string_equal(r->p_text, "0.1");
	assert_int_equal(r->limit, 3);
	assert_string_equal(rule_text(r), "line-1: connect when=2+ per=process p=0.1 limit=3 => error EISCONN");
	parsed_free(&p);

	r = parse_one(&p, "connect per=conn p=1 once => error EIO");
	assert_int_equal(r->per, SF_PER_CONN);
	assert_int_equal(r->p_scaled, SF_P_ONE);
	assert_int_equal(r->limit, 1);
	assert_string_equal(rule_text(r), "line-1: connect per=conn p=1 limit=1 => error EIO");
	parsed_free(&p);

	r = parse_one(&p, "connect p=.5 => error EIO");
	assert_int_equal(r->p_scaled, SF_P_ONE / 2);
	parsed_free(&p);
	r = parse_one(&p, "connect p=1.000 => error EIO");
	assert_int_equal(r->p_scaled, SF_P_ONE);
	parsed_free(&p);
	r = parse_one(&p, "connect p=0.02 => error EIO");
	assert_int_equal(r->p_scaled, 180143985094820ull);
	parsed_free(&p);
	/* The smallest fraction that still rounds to one draw in 2^53. */
	r = parse_one(&p, "connect p=0.0000000000000001 => error EIO");
	assert_int_equal(r->p_scaled, 1);
	parsed_free(&p);

	assert_canon("connect when=3 => error EIO", "line-1: connect when=3 => error EIO");
	assert_canon("connect when=3..5 => error EIO", "line-1: connect when=3..5 => error EIO");
	assert_canon("connect when=3+2 => error EIO", "line-1: connect when=3+2 => error EIO");
	assert_canon("connect when=3..9+2 => error EIO", "line-1: connect when=3..9+2 => error EIO");
	assert_canon("connect when=3..9+ => error EIO", "line-1: connect when=3..9 => error EIO");
}

/* sent and received are bytes, the others nanoseconds; each comparison is a closed interval. */
static void numeric_comparisons(void **state)
{
	static const struct {
		const char *cond;
		int key;
		uint64_t lo, hi;
		const char *canon;
	} cases[] = {
		{ "sent>10", SF_NUM_SENT, 11, UINT64_MAX, "sent>10B" },
		{ "sent>=10", SF_NUM_SENT, 10, UINT64_MAX, "sent>=10B" },
		{ "sent<10", SF_NUM_SENT, 0, 9, "sent<10B" },
		{ "sent<=10", SF_NUM_SENT, 0, 10, "sent<=10B" },
		{ "sent=10", SF_NUM_SENT, 10, 10, "sent=10B" },
		{ "sent=0", SF_NUM_SENT, 0, 0, "sent=0B" },
		{ "sent>0", SF_NUM_SENT, 1, UINT64_MAX, "sent>0B" },
		{ "received>=64KiB", SF_NUM_RECEIVED, 65536, UINT64_MAX, "received>=64KiB" },
		{ "received<1MiB", SF_NUM_RECEIVED, 0, 1048575, "received<1MiB" },
		{ "received=1.5KiB", SF_NUM_RECEIVED, 1536, 1536, "received=1536B" },
		{ "received>1GiB", SF_NUM_RECEIVED, 1073741825, UINT64_MAX, "received>1GiB" },
		{ "idle>120s", SF_NUM_IDLE, 120 * SF_NS_PER_S + 1, UINT64_MAX, "idle>2m" },
		{ "idle>=1.5s", SF_NUM_IDLE, 1500 * SF_NS_PER_MS, UINT64_MAX, "idle>=1500ms" },
		{ "idle>0s", SF_NUM_IDLE, 1, UINT64_MAX, "idle>0s" },
		{ "age<10m", SF_NUM_AGE, 0, 600 * SF_NS_PER_S - 1, "age<10m" },
		{ "age<=1h", SF_NUM_AGE, 0, 3600 * SF_NS_PER_S, "age<=1h" },
		{ "age=250us", SF_NUM_AGE, 250 * SF_NS_PER_US, 250 * SF_NS_PER_US, "age=250us" },
		{ "uptime=30s", SF_NUM_UPTIME, 30 * SF_NS_PER_S, 30 * SF_NS_PER_S, "uptime=30s" },
		{ "uptime>1m30s", SF_NUM_UPTIME, 90 * SF_NS_PER_S + 1, UINT64_MAX, "uptime>90s" },
		{ "uptime<2h", SF_NUM_UPTIME, 0, 7200 * SF_NS_PER_S - 1, "uptime<2h" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[96], canon[120];
		struct parsed p;
		snprintf(text, sizeof text, "tx %s => reset", cases[i].cond);
		snprintf(canon, sizeof canon, "line-1: tx %s => reset", cases[i].canon);
		const struct sf_rule *r = parse_one(&p, text);
		int k = cases[i].key;
		assert_int_equal(r->has, SF_HAS_NUM(k));
		assert_int_equal(r->num[k].lo, cases[i].lo);
		assert_int_equal(r->num[k].hi, cases[i].hi);
		for (int o = 0; o < SF_NUM__COUNT; o++)
			if (o != k) {
				assert_int_equal(r->num[o].lo, 0);
				assert_int_equal(r->num[o].hi, UINT64_MAX);
			}
		assert_string_equal(rule_text(r), canon);
		parsed_free(&p);
	}
}

/* Every numeric key takes every comparison. */
static void numeric_keys_times_comparisons(void **state)
{
	static const char *const keys[SF_NUM__COUNT] = { "sent", "received", "idle", "age", "uptime" };
	static const char *const ops[] = { ">", ">=", "<", "<=", "=" };
	for (int k = 0; k < SF_NUM__COUNT; k++) {
		int bytes = k == SF_NUM_SENT || k == SF_NUM_RECEIVED;
		/* 5KiB or 5s, in the unit of the key. */
		uint64_t v = bytes ? 5 * 1024 : 5 * SF_NS_PER_S;
		const char *text_v = bytes ? "5KiB" : "5s";
		for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
			char text[80], canon[96];
			struct parsed p;
			snprintf(text, sizeof text, "rx %s%s%s => eof", keys[k], ops[o], text_v);
			snprintf(canon, sizeof canon, "line-1: %s", text);
			const struct sf_rule *r = parse_one(&p, text);
			const struct sf_range *g = &r->num[k];
			uint64_t lo[] = { v + 1, v, 0, 0, v };
			uint64_t hi[] = { UINT64_MAX, UINT64_MAX, v - 1, v, v };
			assert_int_equal(g->lo, lo[o]);
			assert_int_equal(g->hi, hi[o]);
			assert_int_equal(r->has, SF_HAS_NUM(k));
			assert_string_equal(rule_text(r), canon);
			parsed_free(&p);
		}
	}
}

static void numeric_ranges_narrow(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx age>=5s age<10s => reset");
	assert_int_equal(r->num[SF_NUM_AGE].lo, 5 * SF_NS_PER_S);
	assert_int_equal(r->num[SF_NUM_AGE].hi, 10 * SF_NS_PER_S - 1);
	assert_string_equal(rule_text(r), "line-1: tx age>=5s age<10s => reset");
	parsed_free(&p);

	/* The tighter bound wins, in either order. */
	assert_canon("tx sent>10 sent>5 => reset", "line-1: tx sent>10B => reset");
	assert_canon("tx sent>5 sent>10 => reset", "line-1: tx sent>10B => reset");
	assert_canon("tx sent<=100 sent<50 => reset", "line-1: tx sent<50B => reset");
	assert_canon("tx sent>=11 sent>10 => reset", "line-1: tx sent>=11B => reset");
	assert_canon("tx sent>=10 sent<=10 => reset", "line-1: tx sent=10B => reset");
	assert_canon("tx sent=10 sent>=5 => reset", "line-1: tx sent=10B => reset");
	assert_canon("tx sent>1KiB received<2KiB idle>1s => reset",
		     "line-1: tx sent>1KiB received<2KiB idle>1s => reset");
	/* >=0 is kept: it still needs the number to be known (age: once connected). */
	assert_canon("tx age>=0s => reset", "line-1: tx age>=0s => reset");
	assert_canon("tx sent>=0 => reset", "line-1: tx sent>=0B => reset");
	assert_canon("tx idle>=0.0s => reset", "line-1: tx idle>=0s => reset");
}

static void condition_host_exe(void **state)
{
	struct parsed p;
	const struct sf_rule *r =
		parse_one(&p, "connect host=db.internal,*.example.com exe=curl* => error ECONNREFUSED");
	assert_int_equal(r->has, SF_HAS_HOST | SF_HAS_EXE);
	assert_int_equal(r->nhosts, 2);
	assert_string_equal(r->hosts[0], "db.internal");
	assert_string_equal(r->hosts[1], "*.example.com");
	assert_string_equal(r->exe, "curl*");
	assert_string_equal(rule_text(r),
			    "line-1: connect host=db.internal,*.example.com exe=curl* => error ECONNREFUSED");
	parsed_free(&p);
	assert_canon("connect exe=[a-c]?\\* => error EIO", "line-1: connect exe=[a-c]?\\* => error EIO");
}

/* Every condition at once, printed in the canonical order. */
static void every_key_in_one_rule(void **state)
{
	assert_canon("all: tx limit=2 p=0.5 per=process when=2..8+2 exe=app host=h uptime<1h age>1s "
		     "idle>2s received<1MiB sent>1KiB state=connected side=client proto=tcp "
		     "local=*:80 peer=10.0.0.1 => reset sticky log=quiet",
		     "all: tx peer=10.0.0.1 local=*:80 proto=tcp side=client state=connected sent>1KiB "
		     "received<1MiB idle>2s age>1s uptime<1h host=h exe=app when=2..8+2 per=process p=0.5 "
		     "limit=2 => reset sticky log=quiet");
}

static void action_error(void **state)
{
	static const struct {
		const char *e;
		int value;
		const char *name;
	} cases[] = {
		{ "ECONNRESET", ECONNRESET, "ECONNRESET" },
		{ "104", ECONNRESET, "ECONNRESET" },
		{ "WSAECONNRESET", ECONNRESET, "ECONNRESET" },
		{ "10054", ECONNRESET, "ECONNRESET" },
		{ "EWOULDBLOCK", EAGAIN, "EAGAIN" },
		{ "WSAEWOULDBLOCK", EAGAIN, "EAGAIN" },
		{ "WSAENOTCONN", ENOTCONN, "ENOTCONN" },
		{ "10057", ENOTCONN, "ENOTCONN" },
		{ "WSAESHUTDOWN", EPIPE, "EPIPE" },
		{ "1", EPERM, "EPERM" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[64], canon[80];
		struct parsed p;
		snprintf(text, sizeof text, "tx => error %s", cases[i].e);
		snprintf(canon, sizeof canon, "line-1: tx => error %s", cases[i].name);
		const struct sf_rule *r = parse_one(&p, text);
		assert_int_equal(r->action, SF_ACT_ERROR);
		assert_int_equal(r->err, cases[i].value);
		assert_string_equal(rule_text(r), canon);
		parsed_free(&p);
	}
}

static void actions_without_arguments(void **state)
{
	static const struct {
		const char *text;
		enum sf_action a;
		const char *canon;
	} cases[] = {
		{ "tx => reset", SF_ACT_RESET, "line-1: tx => reset" },
		{ "rx => eof", SF_ACT_EOF, "line-1: rx => eof" },
		{ "io => hangup", SF_ACT_HANGUP, "line-1: io => hangup" },
		{ "connect => blackhole", SF_ACT_BLACKHOLE, "line-1: connect => blackhole" },
		{ "sendto => drop", SF_ACT_DROP, "line-1: sendto => drop" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct parsed p;
		const struct sf_rule *r = parse_one(&p, cases[i].text);
		assert_int_equal(r->action, cases[i].a);
		assert_int_equal(r->dur_ns, 0);
		assert_int_equal(r->count, 0);
		assert_string_equal(rule_text(r), cases[i].canon);
		parsed_free(&p);
	}
}

static void action_timeout_and_delay(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect => timeout");
	assert_int_equal(r->action, SF_ACT_TIMEOUT);
	assert_int_equal(r->dur_ns, 30 * SF_NS_PER_S);
	assert_string_equal(rule_text(r), "line-1: connect => timeout 30s");
	parsed_free(&p);
	r = parse_one(&p, "connect => timeout 1.5s sticky");
	assert_int_equal(r->dur_ns, 1500 * SF_NS_PER_MS);
	assert_int_equal(r->sticky, 1);
	assert_string_equal(rule_text(r), "line-1: connect => timeout 1500ms sticky");
	parsed_free(&p);

	r = parse_one(&p, "tx => delay 200ms~50ms");
	assert_int_equal(r->action, SF_ACT_DELAY);
	assert_int_equal(r->dur_ns, 200 * SF_NS_PER_MS);
	assert_int_equal(r->jitter_ns, 50 * SF_NS_PER_MS);
	assert_string_equal(rule_text(r), "line-1: tx => delay 200ms~50ms");
	parsed_free(&p);
	r = parse_one(&p, "tx => delay 1.5s");
	assert_int_equal(r->dur_ns, 1500 * SF_NS_PER_MS);
	assert_int_equal(r->jitter_ns, 0);
	assert_string_equal(rule_text(r), "line-1: tx => delay 1500ms");
	parsed_free(&p);
	assert_canon("tx => delay 1m30s", "line-1: tx => delay 90s");
	assert_canon("tx => delay 60s", "line-1: tx => delay 1m");
	assert_canon("tx => delay 1s~1s", "line-1: tx => delay 1s~1s");
	assert_canon("tx => delay 0s", "line-1: tx => delay 0s");
	assert_canon("* => delay 250us", "line-1: * => delay 250us");
	assert_canon("tx => delay 2h", "line-1: tx => delay 2h");
}

static void action_short_corrupt_throttle(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx => short 1");
	assert_int_equal(r->action, SF_ACT_SHORT);
	assert_int_equal(r->count, 1);
	assert_string_equal(rule_text(r), "line-1: tx => short 1");
	parsed_free(&p);
	r = parse_one(&p, "rx => short 1KiB");
	assert_int_equal(r->count, 1024);
	assert_string_equal(rule_text(r), "line-1: rx => short 1024");
	parsed_free(&p);

	r = parse_one(&p, "rx => corrupt");
	assert_int_equal(r->action, SF_ACT_CORRUPT);
	assert_int_equal(r->count, 1);
	assert_string_equal(rule_text(r), "line-1: rx => corrupt 1");
	parsed_free(&p);
	r = parse_one(&p, "io => corrupt 3 log=quiet");
	assert_int_equal(r->count, 3);
	assert_int_equal(r->quiet, 1);
	assert_string_equal(rule_text(r), "line-1: io => corrupt 3 log=quiet");
	parsed_free(&p);

	r = parse_one(&p, "tx => throttle 64KiB/s");
	assert_int_equal(r->action, SF_ACT_THROTTLE);
	assert_int_equal(r->rate, 65536);
	assert_string_equal(rule_text(r), "line-1: tx => throttle 64KiB/s");
	parsed_free(&p);
	assert_canon("rx => throttle 1000/s", "line-1: rx => throttle 1000B/s");
	assert_canon("rx => throttle 1000B/s", "line-1: rx => throttle 1000B/s");
	assert_canon("rx => throttle 1.5MiB/s", "line-1: rx => throttle 1536KiB/s");
	assert_canon("rx => throttle 1GiB/s", "line-1: rx => throttle 1GiB/s");
}

static void modifiers(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "connect => error ECONNREFUSED log=quiet now sticky");
	assert_int_equal(r->sticky, 1);
	assert_int_equal(r->now, 1);
	assert_int_equal(r->quiet, 1);
	assert_string_equal(rule_text(r), "line-1: connect => error ECONNREFUSED sticky now log=quiet");
	parsed_free(&p);

	r = parse_one(&p, "connect => error WSAECONNREFUSED icmp");
	assert_int_equal(r->icmp, SF_ICMP_ROUTER);
	assert_int_equal(r->now, 0);
	assert_string_equal(rule_text(r), "line-1: connect => error ECONNREFUSED icmp");
	parsed_free(&p);

	r = parse_one(&p, "connect => error EHOSTUNREACH icmp=local");
	assert_int_equal(r->icmp, SF_ICMP_LOCAL);
	assert_string_equal(rule_text(r), "line-1: connect => error EHOSTUNREACH icmp=local");
	parsed_free(&p);

	r = parse_one(&p, "connect => error ECONNREFUSED icmp=local log=quiet");
	assert_int_equal(r->icmp, SF_ICMP_LOCAL);
	assert_int_equal(r->quiet, 1);
	assert_string_equal(rule_text(r), "line-1: connect => error ECONNREFUSED icmp=local log=quiet");
	parsed_free(&p);

	/* once and limit= also come after the action. */
	r = parse_one(&p, "connect => error ECONNREFUSED once");
	assert_int_equal(r->limit, 1);
	assert_true(r->has & SF_HAS_LIMIT);
	assert_string_equal(rule_text(r), "line-1: connect limit=1 => error ECONNREFUSED");
	parsed_free(&p);
	r = parse_one(&p, "tx => reset limit=5 sticky");
	assert_int_equal(r->limit, 5);
	assert_int_equal(r->sticky, 1);
	parsed_free(&p);
	assert_canon("tx => reset sticky", "line-1: tx => reset sticky");
}

static void comments_and_blank_lines(void **state)
{
	struct parsed p;
	const char *text = "# a comment\n\n   \n\t# indented comment\n"
			   "connect => error EIO # trailing comment\n"
			   "#tx => reset\n"
			   "  tx=>reset\n";
	parse_str(&p, text);
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 2);
	assert_string_equal(rule_text(&p.rs.rules[0]), "line-5: connect => error EIO");
	assert_string_equal(rule_text(&p.rs.rules[1]), "line-7: tx => reset");
	parsed_free(&p);

	/* Nothing at all, and only comments. */
	parse_str(&p, "");
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 0);
	parsed_free(&p);
	parse_str(&p, "# nothing\n\n#\n");
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 0);
	assert_int_equal(p.diags.n, 0);
	parsed_free(&p);
	/* No newline at the end. */
	assert_canon("tx => reset", "line-1: tx => reset");
}

static void continuation_lines(void **state)
{
	struct parsed p;
	parse_str(&p, "tx \\\n  peer=10.0.0.1 \\  \n  => reset\nconnect => error EIO\n");
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 2);
	assert_string_equal(rule_text(&p.rs.rules[0]), "line-1: tx peer=10.0.0.1 => reset");
	assert_int_equal(p.rs.rules[0].line, 1);
	/* The next rule keeps its own physical line number. */
	assert_string_equal(rule_text(&p.rs.rules[1]), "line-4: connect => error EIO");
	parsed_free(&p);

	/* A backslash joins with a blank: the words do not glue together. */
	assert_canon("tx\\\npeer=10.0.0.1\\\n=> reset", "line-1: tx peer=10.0.0.1 => reset");
	/* A comment after the backslash does not stop it. */
	assert_canon("tx \\ # why\n => reset", "line-1: tx => reset");
	/* A backslash inside a comment continues nothing. */
	parse_str(&p, "tx => reset # \\\nrx => eof\n");
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 2);
	parsed_free(&p);

	/* A backslash at the very end of the file continues onto nothing. */
	assert_canon("tx => reset \\", "line-1: tx => reset");

	/* Errors after a continuation point into the physical line they are on. */
	assert_refused("tx \\\n  idel>3s => reset", "t.rules:2:3: unknown condition 'idel' (did you mean 'idle'?)");
	assert_refused("tx peer=1.2.3.4 \\\n \\\n\t=> rest",
		       "t.rules:3:5: unknown action 'rest' (did you mean 'reset'?)");
	assert_refused("# c\ntx \\\n  => error\n",
		       "t.rules:3:11: error needs an errno, such as error ECONNRESET or error WSAENOTCONN");
}

static void crlf_input(void **state)
{
	struct parsed p;
	parse_str(&p, "connect => error EIO\r\n\r\ntx \\\r\n peer=*:80 => reset\r\n");
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, 2);
	assert_string_equal(rule_text(&p.rs.rules[0]), "line-1: connect => error EIO");
	assert_string_equal(rule_text(&p.rs.rules[1]), "line-3: tx peer=*:80 => reset");
	parsed_free(&p);

	assert_refused("# c\r\nconect => error EIO\r\n",
		       "t.rules:2:1: unknown operation 'conect' (did you mean 'connect'?)");
	assert_refused("tx => rest\r\n", "t.rules:1:7: unknown action 'rest' (did you mean 'reset'?)");
	/* A message about the end of the line points just after its last character, CR or not. */
	assert_refused("connect => error\r\n",
		       "t.rules:1:17: error needs an errno, such as error ECONNRESET or error WSAENOTCONN");
	assert_refused("connect => error\n",
		       "t.rules:1:17: error needs an errno, such as error ECONNRESET or error WSAENOTCONN");
}

/* Columns count characters, not bytes. */
static void utf8_columns(void **state)
{
	assert_refused("connect exe=\xc3\xa9 bogus=1 => error EIO",
		       "t.rules:1:15: unknown condition 'bogus' (conditions are peer local proto side state "
		       "when per p sent received idle age uptime host exe limit once)");
	assert_refused("connect exe=\xe6\x97\xa5\xe6\x9c\xac bogus=1 => error EIO",
		       "t.rules:1:16: unknown condition 'bogus' (conditions are peer local proto side state "
		       "when per p sent received idle age uptime host exe limit once)");
	assert_refused("connect exe=\xf0\x9f\x98\x80 => error EIOO",
		       "t.rules:1:24: unknown errno 'EIOO' (did you mean 'EIO'?)");
	/* A message about the end of a line that ends in a wide character. */
	assert_refused("connect exe=\xc3\xa9", "t.rules:1:14: expected '=> ACTION' after the conditions");
	/* UTF-8 in a name pattern is kept as written. */
	assert_canon("connect exe=caf\xc3\xa9 => error EIO", "line-1: connect exe=caf\xc3\xa9 => error EIO");
}

/* The canonical text of every rule parses back to the same text. */
static void canonical_text_round_trips(void **state)
{
	static const char *const rules[] = {
		"idle-kill: tx peer=10.0.0.0/8:21 idle>120s => error ENOTCONN sticky",
		"connect when=2+ => error WSAEISCONN",
		"connect peer=127.0.0.1:6379 p=0.1 => error ECONNREFUSED",
		"rx peer=[::1]:8080 received>=64KiB => reset",
		"tx peer=*:5432 => delay 200ms~50ms",
		"sendto proto=udp p=0.02 => drop",
		"io peer=localhost:1-9 age<1.5s => delay 1.5s log=quiet",
		"* => error 10060 once",
		"connect,rx exe=a* host=b?,[c-d] when=3..9+3 per=process => error WSAEWOULDBLOCK now",
		"tx sent>=0.5KiB sent<1GiB uptime>1m30s => throttle 1.5KiB/s",
		"rx => corrupt 7 limit=9",
		"connect => timeout 90s",
		"tx => delay 0.25ms",
		"tx side=client,server age>=0s => reset",
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		struct parsed p;
		char first[1024];
		const struct sf_rule *r = parse_one(&p, rules[i]);
		snprintf(first, sizeof first, "%s", rule_text(r));
		parsed_free(&p);
		assert_canon(first, first);
	}
}

/* A peer= or local= pattern prints whole, however long: a unix: glob is
 * bounded only by the line, and one cut short would print another rule
 * (or none, cut after a backslash or inside a [set]). */
static void long_unix_glob_prints_whole(void **state)
{
	static const char *const tails[] = { "Z", "\\x", "[ab]" };
	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		char glob[408], text[1024], canon[1024];
		memset(glob, 'a', 400);
		snprintf(glob + 400, sizeof glob - 400, "%s", tails[i]);
		snprintf(text, sizeof text, "rx peer=unix:%s local=unix:%s => eof", glob, glob);
		snprintf(canon, sizeof canon, "line-1: rx peer=unix:%s local=unix:%s => eof", glob, glob);
		assert_canon(text, canon);
	}
}

/* sf_rule_format behaves like snprintf: the length needed, the text cut to fit. */
static void format_truncates_like_snprintf(void **state)
{
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx peer=10.0.0.1 => delay 200ms~50ms sticky");
	const char *want = "line-1: tx peer=10.0.0.1 => delay 200ms~50ms sticky";
	char buf[64];
	size_t full = sf_rule_format(buf, sizeof buf, r);
	assert_int_equal(full, strlen(want));
	assert_string_equal(buf, want);
	for (size_t cap = 1; cap < strlen(want) + 2; cap++) {
		char small[80];
		memset(small, 'X', sizeof small);
		size_t n = sf_rule_format(small, cap, r);
		assert_int_equal(n, full);
		/* Cut at cap - 1, terminated, nothing written past cap. */
		size_t kept = cap - 1 < full ? cap - 1 : full;
		assert_int_equal(strlen(small), kept);
		assert_memory_equal(small, want, kept);
		assert_int_equal(small[cap], 'X');
	}
	char act[8];
	assert_int_equal(sf_action_format(act, sizeof act, r), strlen("delay 200ms~50ms"));
	assert_string_equal(act, "delay 2");
	parsed_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_of_a_bare_rule),
		cmocka_unit_test(rule_names),
		cmocka_unit_test(name_hash_is_fnv1a),
		cmocka_unit_test(inline_rules_split_at_semicolons),
		cmocka_unit_test(every_operation_by_name),
		cmocka_unit_test(operation_groups),
		cmocka_unit_test(operation_lists),
		cmocka_unit_test(groups_narrow_to_the_action),
		cmocka_unit_test(condition_peer_and_local),
		cmocka_unit_test(address_forms),
		cmocka_unit_test(localhost_is_printed_only_for_itself),
		cmocka_unit_test(condition_proto_side_state),
		cmocka_unit_test(condition_when_per_p_limit),
		cmocka_unit_test(numeric_comparisons),
		cmocka_unit_test(numeric_keys_times_comparisons),
		cmocka_unit_test(numeric_ranges_narrow),
		cmocka_unit_test(condition_host_exe),
		cmocka_unit_test(every_key_in_one_rule),
		cmocka_unit_test(action_error),
		cmocka_unit_test(actions_without_arguments),
		cmocka_unit_test(action_timeout_and_delay),
		cmocka_unit_test(action_short_corrupt_throttle),
		cmocka_unit_test(modifiers),
		cmocka_unit_test(comments_and_blank_lines),
		cmocka_unit_test(continuation_lines),
		cmocka_unit_test(crlf_input),
		cmocka_unit_test(utf8_columns),
		cmocka_unit_test(canonical_text_round_trips),
		cmocka_unit_test(long_unix_glob_prints_whole),
		cmocka_unit_test(format_truncates_like_snprintf),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
