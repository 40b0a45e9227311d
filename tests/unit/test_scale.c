/* The parser's cost grows with the rules, not with their square: 100 000
 * rules, named and unnamed, in one file and across two, parse within a bound
 * that a linear parser meets twenty times over (under a second here) and a
 * quadratic one cannot (a duplicate-name check against every earlier rule
 * took 45 s). CPU time of this process, so that a loaded machine does not
 * make it flaky; the names found taken must still be the right ones. */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RULES 100000
#define BOUND_S 10.0

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RULES rules, every third one unnamed (named line-N by the parser). */
static char *many_rules(const char *prefix, size_t *len)
{
	size_t cap = (size_t)RULES * 80;
	char *t = malloc(cap);
	assert_non_null(t);
	size_t n = 0;
	for (unsigned i = 0; i < RULES; i++) {
		if (i % 3 == 2)
			n += (size_t)snprintf(t + n, cap - n, "send peer=10.%u.%u.%u:%u => error ECONNRESET\n", i >> 16,
					      (i >> 8) & 255, i & 255, 1000 + i % 50000);
		else
			n += (size_t)snprintf(t + n, cap - n, "%s%u: connect peer=*:%u when=%u => delay %ums\n", prefix,
					      i, 1 + i % 65535, 1 + i % 7, i % 1000);
		assert_true(n < cap);
	}
	*len = n;
	return t;
}

static void hundred_thousand_rules_in_one_file(void **state)
{
	(void)state;
	size_t len;
	char *text = many_rules("r", &len);
	struct parsed p;
	double t0 = cpu_seconds();
	parse_mem(&p, text, len, 0);
	double spent = cpu_seconds() - t0;
	assert_int_equal(p.errors, 0);
	assert_int_equal(p.rs.n, RULES);
	assert_string_equal(p.rs.rules[RULES - 1].name, "r99999");
	assert_string_equal(p.rs.rules[2].name, "line-3");
	print_message("# %d rules parsed in %.3f s of CPU\n", RULES, spent);
	assert_true(spent < BOUND_S);
	parsed_free(&p);
	free(text);
}

/* A second file whose names are all taken by the first: every rule is
 * refused, each naming the line of the rule that holds the name. */
static void hundred_thousand_names_taken_across_files(void **state)
{
	(void)state;
	size_t len;
	char *text = many_rules("r", &len);
	struct sf_ruleset rs = { 0 };
	struct sf_diags d = { 0 };
	struct sf_parse_opts first = { "a.rules", 0, "line" }, second = { "b.rules", 0, "line" };
	double t0 = cpu_seconds();
	assert_int_equal(sf_parse(text, len, &first, &rs, &d), 0);
	unsigned errors = sf_parse(text, len, &second, &rs, &d);
	double spent = cpu_seconds() - t0;
	assert_int_equal(errors, RULES);
	assert_int_equal(rs.n, RULES);
	assert_int_equal(d.n, RULES);
	assert_string_equal(d.v[0].text, "b.rules:1:1: the rule name 'r0' is already used by the rule on line 1");
	assert_non_null(strstr(d.v[RULES - 1].text, "b.rules:100000:1: the rule name 'r99999' is already used by "
						    "the rule on line 100000"));
	assert_non_null(strstr(d.v[2].text, "'line-3' is already used by the rule on line 3"));
	print_message("# 2 x %d rules (the second file all taken) in %.3f s of CPU\n", RULES, spent);
	assert_true(spent < 2 * BOUND_S);
	sf_ruleset_free(&rs);
	sf_diags_free(&d);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hundred_thousand_rules_in_one_file),
		cmocka_unit_test(hundred_thousand_names_taken_across_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
