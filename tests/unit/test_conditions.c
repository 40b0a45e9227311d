/* conditions.def: every condition key's properties as sockfault-rules(5)
 * gives them, and the parser's hints naming exactly the table's keys. */
#include "helpers.h"

#include <stdio.h>

#define OP(name) SF_OPBIT(SF_OP_##name)
#define CREATE (OP(socket) | OP(socketpair))
#define NO_PEER (CREATE | OP(bind) | OP(listen))
#define ACCEPT (OP(accept) | OP(accept4))

/* sockfault-rules(5), CONDITIONS, written out again by hand. */
static const struct {
	const char *name;
	enum sf_cond_value value;
	int compares, list;
	sf_opmask ops; /* where it can be known */
	enum sf_cond_plan plan;
	sf_opmask tracks;
	const char *value_text; /* a good value */
} spec[] = {
	{ "peer", SF_VAL_ADDRS, 0, 1, SF_OPS_ALL & ~NO_PEER, SF_PLAN_PER_DEST, 0, "10.0.0.1" },
	{ "local", SF_VAL_ADDRS, 0, 1, SF_OPS_ALL & ~CREATE, SF_PLAN_SOCKET, 0, "10.0.0.1" },
	{ "proto", SF_VAL_WORDS, 0, 1, SF_OPS_ALL, SF_PLAN_SOCKET, 0, "tcp" },
	{ "side", SF_VAL_WORDS, 0, 1, SF_OPS_ALL & ~(NO_PEER | ACCEPT), SF_PLAN_SOCKET, 0, "client" },
	{ "state", SF_VAL_WORDS, 0, 1, SF_OPS_ALL & ~CREATE, SF_PLAN_STATE, 0, "connected" },
	{ "when", SF_VAL_WHEN, 0, 0, SF_OPS_ALL, SF_PLAN_COUNT, 0, "3" },
	{ "per", SF_VAL_WORD, 0, 0, SF_OPS_ALL, SF_PLAN_COUNT, 0, "process" },
	{ "p", SF_VAL_CHANCE, 0, 0, SF_OPS_ALL, SF_PLAN_DRAW, 0, "0.5" },
	{ "sent", SF_VAL_BYTES, 1, 0, SF_OPS_ALL & ~(NO_PEER | ACCEPT), SF_PLAN_MEASURE, SF_OPS_TX, "1KiB" },
	{ "received", SF_VAL_BYTES, 1, 0, SF_OPS_ALL & ~(NO_PEER | ACCEPT), SF_PLAN_MEASURE, SF_OPS_RX, "1KiB" },
	{ "idle", SF_VAL_DURATION, 1, 0, SF_OPS_ALL & ~(NO_PEER | ACCEPT), SF_PLAN_MEASURE, SF_OPS_IO, "2s" },
	{ "age", SF_VAL_DURATION, 1, 0, SF_OPS_ALL & ~(NO_PEER | ACCEPT), SF_PLAN_MEASURE, 0, "2s" },
	{ "uptime", SF_VAL_DURATION, 1, 0, SF_OPS_ALL, SF_PLAN_MEASURE, 0, "2s" },
	{ "host", SF_VAL_NAMES, 0, 1, SF_OPS_ALL & ~NO_PEER, SF_PLAN_PER_DEST, 0, "db.example" },
	{ "exe", SF_VAL_NAME, 0, 0, SF_OPS_ALL, SF_PLAN_PROGRAM, 0, "curl" },
	{ "limit", SF_VAL_COUNT, 0, 0, SF_OPS_ALL, SF_PLAN_COUNT, 0, "2" },
};

#define NSPEC (sizeof spec / sizeof spec[0])

static void every_row(void **state)
{
	assert_int_equal(NSPEC, SF_KEY__COUNT);
	assert_string_equal(sf_key_names[SF_KEY__COUNT], "once");
	assert_null(sf_key_names[SF_KEY__COUNT + 1]);
	uint32_t per_dest = 0, measure = 0, needs_peer = 0, tracks = 0;
	for (int i = 0; i < SF_KEY__COUNT; i++) {
		enum sf_key k = (enum sf_key)i;
		print_message("# %s\n", spec[i].name);
		assert_string_equal(sf_key_names[k], spec[i].name);
		assert_int_equal(sf_cond_value(k), spec[i].value);
		assert_int_equal(sf_cond_compares(k), spec[i].compares);
		assert_int_equal(sf_cond_is_list(k), spec[i].list);
		assert_int_equal(sf_cond_ops(k), spec[i].ops);
		assert_int_equal(sf_cond_plan(k), spec[i].plan);
		assert_int_equal(sf_conds_track(1u << k), spec[i].tracks);
		if (spec[i].plan == SF_PLAN_PER_DEST)
			per_dest |= 1u << k;
		if (spec[i].plan == SF_PLAN_MEASURE)
			measure |= 1u << k;
		if (spec[i].ops == (SF_OPS_ALL & ~NO_PEER))
			needs_peer |= 1u << k;
		tracks |= spec[i].tracks;
		/* The rule's has bit is the key's, and the parser sets it. */
		struct parsed p;
		char text[80];
		snprintf(text, sizeof text, "connect,send %s=%s => error EIO", spec[i].name, spec[i].value_text);
		const struct sf_rule *r = parse_one(&p, text);
		assert_int_equal(r->has, 1u << k);
		parsed_free(&p);
	}
	assert_int_equal(SF_HAS_PER_DEST, SF_HAS_PEER | SF_HAS_HOST);
	assert_int_equal(SF_HAS_PER_DEST, per_dest);
	assert_int_equal(SF_HAS_MEASURE, measure);
	assert_int_equal(SF_HAS_NEEDS_PEER, needs_peer);
	assert_int_equal(sf_conds_track(UINT32_MAX), tracks);
	for (int k = 0; k < SF_NUM__COUNT; k++)
		assert_string_equal(sf_num_names[k], spec[SF_KEY_SENT + k].name);
}

/* A key on an operation that never has it: refused with the reason. */
static void needs_are_refusals(void **state)
{
	assert_refused("socket peer=10.0.0.1 => error EIO", "t.rules:1:8: this rule can never fire on socket: "
							    "it has no peer");
	assert_refused("socket local=10.0.0.1 => error EIO", "t.rules:1:8: this rule can never fire on socket: "
							     "a socket being created has no address");
	assert_refused("socket state=connected => error EIO", "t.rules:1:8: this rule can never fire on socket: "
							      "a socket being created has no state yet");
	assert_refused("accept side=server => error EIO",
		       "t.rules:1:8: this rule can never fire on accept: "
		       "it is not called on a connection (side= is the connection's)");
	assert_refused("listen idle>1s => error EIO", "t.rules:1:8: this rule can never fire on listen: "
						      "it is not called on a connection");
}

/* The hints list every key, in the table's order, and nothing else. */
static void hints_name_the_table(void **state)
{
	char keys[256] = "", compare[128] = "", got[256], msg[512];
	for (size_t i = 0; i < NSPEC; i++) {
		snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? " " : "", spec[i].name);
		if (spec[i].compares)
			snprintf(compare + strlen(compare), sizeof compare - strlen(compare), "%s%s",
				 compare[0] ? " " : "", spec[i].name);
	}
	strcat(keys, " once");
	assert_int_equal(sf_cond_word_list(got, sizeof got), strlen(keys));
	assert_string_equal(got, keys);
	assert_int_equal(sf_cond_compare_list(got, sizeof got), strlen(compare));
	assert_string_equal(got, compare);
	snprintf(msg, sizeof msg, "t.rules:1:4: unknown condition 'bogus' (conditions are %s)", keys);
	assert_refused("tx bogus=1 => reset", msg);
	snprintf(msg, sizeof msg, "t.rules:1:9: proto takes '=', not '>' (only %s compare)", compare);
	assert_refused("tx proto>1 => reset", msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row),
		cmocka_unit_test(needs_are_refusals),
		cmocka_unit_test(hints_name_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
