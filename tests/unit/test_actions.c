/* actions.def: every action's properties as sockfault-rules(5) gives them,
 * and the parser's hints naming exactly the table's actions. */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>

#define OP(name) SF_OPBIT(SF_OP_##name)

/* sockfault-rules(5), ACTIONS, written out again by hand: the table must
 * say the same. */
static const struct {
	const char *name;
	enum sf_action_arg arg;
	int shapes;
	int stream, dgram; /* can happen on a stream socket, on a datagram socket */
	sf_opmask ops;
	int err; /* -1: the rule's errno */
	int kills, kills_sticky;
	enum sf_dead dead;
	int dead_err;	   /* -1: the rule's errno */
	const char *usage; /* a good rule's action, as printed */
} spec[] = {
	{ "error", SF_ARG_ERRNO, 0, 1, 1, SF_OPS_ALL, -1, 0, 1, SF_DEAD_ERROR, -1, "error EIO" },
	{ "reset", SF_ARG_NONE, 0, 1, 0, SF_OPS_IO, ECONNRESET, 1, 1, SF_DEAD_RESET, ECONNRESET, "reset" },
	{ "eof", SF_ARG_NONE, 0, 1, 0, SF_OPS_RX, 0, 1, 1, SF_DEAD_EOF, 0, "eof" },
	{ "hangup", SF_ARG_NONE, 0, 1, 0, SF_OPS_IO, 0, 1, 1, SF_DEAD_HANGUP, EPIPE, "hangup" },
	{ "blackhole", SF_ARG_NONE, 0, 1, 1, SF_OPS_IO | OP(connect), 0, 1, 1, SF_DEAD_BLACKHOLE, 0, "blackhole" },
	{ "timeout", SF_ARG_DURATION, 0, 1, 0, SF_OPS_IO | OP(connect), ETIMEDOUT, 1, 1, SF_DEAD_TIMEOUT, ETIMEDOUT,
	  "timeout 5s" },
	{ "delay", SF_ARG_DELAY, 1, 1, 1, SF_OPS_ALL, 0, 0, 0, SF_DEAD_NONE, 0, "delay 200ms~50ms" },
	{ "short", SF_ARG_SIZE, 0, 1, 0, SF_OPS_IO, 0, 0, 0, SF_DEAD_NONE, 0, "short 3" },
	{ "drop", SF_ARG_NONE, 0, 0, 1, SF_OPS_IO, 0, 0, 0, SF_DEAD_NONE, 0, "drop" },
	{ "corrupt", SF_ARG_BITS, 1, 1, 1, SF_OPS_IO, 0, 0, 0, SF_DEAD_NONE, 0, "corrupt 2" },
	{ "throttle", SF_ARG_RATE, 1, 1, 1, SF_OPS_IO, 0, 0, 0, SF_DEAD_NONE, 0, "throttle 64KiB/s" },
	{ "lossy", SF_ARG_CHANCE, 1, 1, 1, SF_OPS_IO, 0, 0, 0, SF_DEAD_NONE, 0, "lossy 0.1" },
};

#define NSPEC (sizeof spec / sizeof spec[0])

static void every_row(void **state)
{
	assert_int_equal(NSPEC, SF_ACT__COUNT);
	assert_null(sf_action_names[SF_ACT__COUNT]);
	for (int i = 0; i < SF_ACT__COUNT; i++) {
		enum sf_action a = (enum sf_action)i;
		print_message("# %s\n", spec[i].name);
		assert_string_equal(sf_action_names[a], spec[i].name);
		assert_int_equal(sf_action_arg(a), spec[i].arg);
		assert_int_equal(sf_action_shapes(a), spec[i].shapes);
		assert_int_equal(sf_action_fits(a, 1), spec[i].stream);
		assert_int_equal(sf_action_fits(a, 0), spec[i].dgram);
		assert_int_equal(sf_action_ops(a), spec[i].ops);
		assert_int_equal(sf_action_errno(a, 77), spec[i].err < 0 ? 77 : spec[i].err);
		assert_int_equal(sf_action_kills(a, 0), spec[i].kills);
		assert_int_equal(sf_action_kills(a, 1), spec[i].kills_sticky);
		assert_int_equal(sf_action_dead(a), spec[i].dead);
		assert_int_equal(sf_action_dead_errno(a, 77), spec[i].dead_err < 0 ? 77 : spec[i].dead_err);
		/* Only what ends a connection leaves a dead state. */
		assert_int_equal(sf_action_dead(a) != SF_DEAD_NONE, spec[i].kills_sticky);
	}
}

/* Each action parses with its argument and prints back the same, on the
 * operations of its scope; one without an argument refuses one. */
static void every_row_parses(void **state)
{
	for (size_t i = 0; i < NSPEC; i++) {
		char text[96], canon[128], msg[160];
		snprintf(text, sizeof text, "a: rx => %s", spec[i].usage);
		snprintf(canon, sizeof canon, "a: rx => %s", spec[i].usage);
		assert_canon(text, canon);
		if (spec[i].arg == SF_ARG_NONE) {
			snprintf(text, sizeof text, "rx => %s 5", spec[i].name);
			snprintf(msg, sizeof msg, "t.rules:1:%zu: %s takes no argument, found '5'",
				 strlen(spec[i].name) + 8, spec[i].name);
			assert_refused(text, msg);
		}
	}
}

/* The hints list every action, in the table's order, and nothing else. */
static void hints_name_the_table(void **state)
{
	char words[256] = "", syntax[256] = "", msg[512], got[256];
	for (int i = 0; i < SF_ACT__COUNT; i++) {
		snprintf(words + strlen(words), sizeof words - strlen(words), "%s%s", i ? " " : "", sf_action_names[i]);
		const char *ph = spec[i].arg == SF_ARG_ERRNO	? " E"
				 : spec[i].arg == SF_ARG_DELAY	? " D"
				 : spec[i].arg == SF_ARG_SIZE	? " N"
				 : spec[i].arg == SF_ARG_RATE	? " RATE"
				 : spec[i].arg == SF_ARG_CHANCE ? " P"
								: "";
		snprintf(syntax + strlen(syntax), sizeof syntax - strlen(syntax), "%s%s%s", i ? ", " : "",
			 sf_action_names[i], ph);
	}
	assert_int_equal(sf_action_word_list(got, sizeof got), strlen(words));
	assert_string_equal(got, words);
	assert_int_equal(sf_action_syntax_list(got, sizeof got), strlen(syntax));
	assert_string_equal(got, syntax);
	snprintf(msg, sizeof msg, "t.rules:1:7: unknown action 'explode' (actions are %s)", words);
	assert_refused("tx => explode", msg);
	snprintf(msg, sizeof msg, "t.rules:1:6: an action is missing after '=>' (%s)", syntax);
	assert_refused("tx =>", msg);
}

/* The scope and the socket kind, as the checker words them. */
static void scope_and_fit_messages(void **state)
{
	assert_string_equal(sf_action_scope_text(SF_ACT_EOF), "receiving calls (rx)");
	assert_string_equal(sf_action_scope_text(SF_ACT_TIMEOUT), "connect and data calls (tx, rx)");
	assert_string_equal(sf_action_scope_text(SF_ACT_SHORT), "data calls (tx, rx)");
	assert_string_equal(sf_action_scope_hint(SF_ACT_EOF, SF_OPS_TX), "; hangup also makes sends fail");
	assert_string_equal(sf_action_scope_hint(SF_ACT_EOF, SF_OPS_TX | OP(connect)),
			    "; for a connect the server refuses, use error ECONNREFUSED");
	assert_string_equal(sf_action_scope_hint(SF_ACT_DROP, OP(connect)),
			    "; for a connect that never completes, use blackhole or timeout");
	assert_string_equal(sf_action_scope_hint(SF_ACT_SHORT, OP(connect)), "");
	char buf[200];
	for (size_t i = 0; i < NSPEC; i++) {
		enum sf_action a = (enum sf_action)i;
		assert_int_equal(sf_action_misfit(buf, sizeof buf, a, SF_PROTO_UDP) != 0, !spec[i].dgram);
		assert_int_equal(sf_action_misfit(buf, sizeof buf, a, SF_PROTO_TCP) != 0, !spec[i].stream);
		assert_int_equal(sf_action_misfit(buf, sizeof buf, a, SF_PROTO_UNIX), 0);
		assert_int_equal(sf_action_misfit(buf, sizeof buf, a, SF_PROTO_ALL), 0);
	}
	sf_action_misfit(buf, sizeof buf, SF_ACT_TIMEOUT, SF_PROTO_UDP);
	assert_string_equal(buf, "timeout needs a stream socket, and proto=udp has none (silence on UDP is blackhole)");
}

/* lossy's chance: written as p= is, strictly between 0 and 1, printed as
 * written; what it can never be is said. */
static void lossy_chance(void **state)
{
	assert_canon("a: tx => lossy .25", "a: tx => lossy .25");
	assert_canon("b: rx proto=udp => lossy 0.001", "b: rx proto=udp => lossy 0.001");
	struct parsed p;
	const struct sf_rule *r = parse_one(&p, "tx => lossy 0.5");
	assert_int_equal(r->action, SF_ACT_LOSSY);
	assert_int_equal(r->loss, SF_P_ONE / 2);
	assert_int_equal(r->p_scaled, SF_P_ONE);
	parsed_free(&p);
	r = parse_one(&p, "tx p=0.5 => lossy 0.1");
	assert_int_equal(r->p_scaled, SF_P_ONE / 2);
	assert_true(r->loss > SF_P_ONE / 10 - 2 && r->loss < SF_P_ONE / 10 + 2);
	parsed_free(&p);
	const char *why = "a probability above 0 and below 1, such as 0.1 (a link that loses everything is blackhole)";
	char msg[200];
	snprintf(msg, sizeof msg, "t.rules:1:13: lossy's chance is %s", why);
	assert_refused("tx => lossy 1", msg);
	assert_refused("tx => lossy 0", msg);
	assert_refused("tx => lossy 10%", msg);
	assert_refused("tx => lossy 1.5", msg);
	assert_refused("tx => lossy", "t.rules:1:12: lossy needs the chance of losing a packet, such as lossy 0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row),
		cmocka_unit_test(every_row_parses),
		cmocka_unit_test(hints_name_the_table),
		cmocka_unit_test(scope_and_fit_messages),
		cmocka_unit_test(lossy_chance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
