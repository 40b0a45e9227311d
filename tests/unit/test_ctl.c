/* The control protocol's framing (src/preload/control/ctl.c): answer lines that the
 * JSON-lines reader reads back field for field, whatever bytes a value
 * holds; requests dispatched by "cmd"; bad requests answered with one
 * "ok":false line. The commands themselves are stand-ins here (they are
 * tested against real programs in tests/cli). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char *called;

#define STAND_IN(name)                                                 \
	void sf_ctl_##name(struct sf_ctl_req *r, struct sf_ctl_out *o) \
	{                                                              \
		(void)r;                                               \
		called = #name;                                        \
		sf_ctl_begin(o);                                       \
		sf_ctl_bool(o, "ok", 1);                               \
		sf_ctl_end(o);                                         \
	}
STAND_IN(hello)
STAND_IN(rules)
STAND_IN(load)
STAND_IN(enable)
STAND_IN(disable)
STAND_IN(stats)
STAND_IN(conns)
STAND_IN(fire)

struct sf_ctl_watch {
	int ticks;
};
static struct sf_ctl_watch a_watch;
struct sf_ctl_watch *sf_ctl_watch_new(struct sf_ctl_out *o)
{
	(void)o;
	called = "watch";
	return &a_watch;
}
struct sf_ctl_out sf_ctl_events;

/* The one line of o, read back by the protocol's reader. */
static int read_back(const struct sf_ctl_out *o, struct sf_json_field *f, int max)
{
	int n;
	assert_false(o->oom);
	assert_true(o->len > 0);
	assert_int_equal(o->p[o->len - 1], '\n');
	assert_null(memchr(o->p, '\n', o->len - 1));
	assert_int_equal(sf_json_object(o->p, o->len - 1, f, max, &n), -1);
	return n;
}

static void values_read_back_as_written(void **state)
{
	(void)state;
	const char odd[] = "quote\" backslash\\ newline\n tab\t nul-free \x01\x1f bytes \xff\xfe ok";
	struct sf_ctl_out o = { 0 };
	sf_ctl_begin(&o);
	sf_ctl_str(&o, "text", odd);
	sf_ctl_num(&o, "neg", -42);
	sf_ctl_num(&o, "big", INT64_MAX);
	sf_ctl_bool(&o, "yes", 1);
	sf_ctl_strn(&o, "empty", "", 0);
	sf_ctl_end(&o);
	struct sf_json_field f[8];
	int n = read_back(&o, f, 8);
	assert_int_equal(n, 5);
	char out[256];
	const struct sf_json_field *t = sf_json_get(f, n, "text");
	assert_non_null(t);
	sf_json_unescape(t->val, t->vlen, out, sizeof out);
	/* Bytes that are not UTF-8 come back as the code points \u00XX names. */
	assert_memory_equal(out, odd, strlen("quote\" backslash\\ newline\n tab\t nul-free \x01\x1f bytes "));
	int64_t v;
	assert_true(sf_json_int(sf_json_get(f, n, "neg"), &v));
	assert_int_equal(v, -42);
	assert_true(sf_json_int(sf_json_get(f, n, "big"), &v));
	assert_true(v == INT64_MAX);
	assert_int_equal(sf_json_get(f, n, "yes")->vlen, 4);
	assert_int_equal(sf_json_get(f, n, "empty")->vlen, 0);
	free(o.p);
}

static void a_long_value_grows_the_line(void **state)
{
	(void)state;
	size_t len = 100000;
	char *big = malloc(len + 1);
	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)(i % 3 == 0 ? '"' : 'a');
	big[len] = 0;
	struct sf_ctl_out o = { 0 };
	sf_ctl_begin(&o);
	sf_ctl_str(&o, "big", big);
	sf_ctl_end(&o);
	struct sf_json_field f[2];
	int n = read_back(&o, f, 2);
	char *back = malloc(len + 1);
	sf_json_unescape(f[0].val, f[0].vlen, back, len + 1);
	assert_int_equal(n, 1);
	assert_string_equal(back, big);
	free(back);
	free(big);
	free(o.p);
}

/* The answer to one request line; its fields in f. */
static int ask(const char *req, struct sf_json_field *f, struct sf_ctl_out *o, struct sf_ctl_watch **w)
{
	struct sf_ctl_stage st = { 0 };
	memset(o, 0, sizeof *o);
	called = NULL;
	sf_ctl_handle(req, strlen(req), &st, o, w);
	sf_ctl_stage_free(&st);
	return read_back(o, f, 8);
}

static void requests_go_to_their_command(void **state)
{
	(void)state;
	static const char *const cmds[] = { "hello", "rules", "load", "enable", "disable", "stats", "conns", "fire" };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char req[64];
		struct sf_json_field f[8];
		struct sf_ctl_out o;
		struct sf_ctl_watch *w = NULL;
		snprintf(req, sizeof req, " { \"cmd\" : \"%s\" } ", cmds[i]);
		ask(req, f, &o, &w);
		assert_string_equal(called, cmds[i]);
		assert_null(w);
		free(o.p);
	}
}

static void watch_answers_then_keeps_the_client(void **state)
{
	(void)state;
	struct sf_json_field f[8];
	struct sf_ctl_out o;
	struct sf_ctl_watch *w = NULL;
	int n = ask("{\"cmd\":\"watch\"}", f, &o, &w);
	assert_ptr_equal(w, &a_watch);
	assert_int_equal(sf_json_get(f, n, "ok")->vlen, 4);
	assert_non_null(sf_json_get(f, n, "watching"));
	free(o.p);
}

/* A bad request: one line, "ok":false, an error that says what. */
static void expect_refusal(const char *req, const char *says)
{
	struct sf_json_field f[8];
	struct sf_ctl_out o;
	struct sf_ctl_watch *w = NULL;
	int n = ask(req, f, &o, &w);
	assert_null(called);
	const struct sf_json_field *ok = sf_json_get(f, n, "ok");
	assert_non_null(ok);
	assert_int_equal(ok->vlen, 5);
	char err[600];
	const struct sf_json_field *e = sf_json_get(f, n, "error");
	assert_non_null(e);
	sf_json_unescape(e->val, e->vlen, err, sizeof err);
	if (!strstr(err, says))
		fail_msg("'%s': the error '%s' does not say '%s'", req, err, says);
	free(o.p);
}

static void bad_requests_are_refused_in_one_line(void **state)
{
	(void)state;
	expect_refusal("", "not a JSON object");
	expect_refusal("hello", "not a JSON object (byte 1)");
	expect_refusal("{\"cmd\":", "not a JSON object");
	expect_refusal("{\"name\":\"x\"}", "no \"cmd\"");
	expect_refusal("{\"cmd\":42}", "no \"cmd\"");
	expect_refusal("{\"cmd\":\"frobnicate\"}", "unknown command 'frobnicate'");
	expect_refusal("{\"cmd\":\"Hello\"}", "unknown command");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_read_back_as_written),
		cmocka_unit_test(a_long_value_grows_the_line),
		cmocka_unit_test(requests_go_to_their_command),
		cmocka_unit_test(watch_answers_then_keeps_the_client),
		cmocka_unit_test(bad_requests_are_refused_in_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
