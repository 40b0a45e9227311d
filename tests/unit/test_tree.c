/* A process's place in the run's tree: its text, its environment value and
 * its key for the draws (sockfault-rules(5), "Process trees"). */
#include "helpers.h"

#include <string.h>

#include "tree.h"

static void child_appends_its_number(void **state)
{
	char out[SF_TREE_MAX];
	sf_tree_child("1", 1, out);
	assert_string_equal(out, "1.1");
	sf_tree_child("1.1", 3, out);
	assert_string_equal(out, "1.1.3");
	sf_tree_child("1", 4294967295u, out);
	assert_string_equal(out, "1.4294967295");
}

/* A deep tree stays bounded: the parent is folded into its key, and the
 * children of different deep parents stay apart. */
static void deep_identities_fold(void **state)
{
	char id[SF_TREE_MAX] = "1", out[SF_TREE_MAX];
	char seen[64][SF_TREE_MAX];
	for (int depth = 0; depth < 64; depth++) {
		sf_tree_child(id, 2, out);
		assert_true(strlen(out) <= SF_TREE_ID_MAX);
		for (int k = 0; k < depth; k++)
			assert_string_not_equal(seen[k], out);
		strcpy(seen[depth], out);
		char back[SF_TREE_MAX];
		uint32_t n;
		assert_true(sf_tree_parse(out, back, &n));
		assert_string_equal(back, out);
		strcpy(id, out);
	}
	assert_int_equal(id[0], '#');
	char a[SF_TREE_MAX], b[SF_TREE_MAX];
	sf_tree_child(id, 1, a);
	sf_tree_child(id, 2, b);
	assert_string_not_equal(a, b);
}

static void format_and_parse(void **state)
{
	char out[SF_TREE_MAX], id[SF_TREE_MAX];
	uint32_t n = 99;
	sf_tree_format("1.2", 0, out);
	assert_string_equal(out, "1.2");
	assert_true(sf_tree_parse(out, id, &n));
	assert_string_equal(id, "1.2");
	assert_int_equal(n, 0);
	sf_tree_format("1.2", 17, out);
	assert_string_equal(out, "1.2,17");
	assert_true(sf_tree_parse(out, id, &n));
	assert_string_equal(id, "1.2");
	assert_int_equal(n, 17);
	assert_true(sf_tree_parse("#0123456789abcdef.4,2", id, &n));
	assert_string_equal(id, "#0123456789abcdef.4");
	assert_int_equal(n, 2);
}

static void parse_refuses_what_is_not_one(void **state)
{
	char id[SF_TREE_MAX];
	uint32_t n;
	static const char *const bad[] = {
		"",
		"0",
		"1.",
		".1",
		"1..2",
		"1.0",
		"1.02",
		"01",
		"1,",
		"1,0",
		"1,x",
		"1.2x",
		"1 ",
		"-1",
		"1.4294967296",
		"1,4294967296",
		"#0123",
		"#0123456789abcdeg.1",
		"#0123456789abcdef",
		"1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1",
		NULL,
	};
	for (int i = 0; bad[i]; i++) {
		if (sf_tree_parse(bad[i], id, &n))
			fail_msg("'%s' was taken for an identity", bad[i]);
	}
}

static void keys_differ(void **state)
{
	assert_int_equal(sf_tree_key("1.1"), sf_tree_key("1.1"));
	assert_int_not_equal(sf_tree_key("1.1"), sf_tree_key("1.2"));
	assert_int_not_equal(sf_tree_key("1.11"), sf_tree_key("1.1.1"));
	assert_int_not_equal(sf_tree_key("1"), sf_tree_key("1.1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(child_appends_its_number),
		cmocka_unit_test(deep_identities_fold),
		cmocka_unit_test(format_and_parse),
		cmocka_unit_test(parse_refuses_what_is_not_one),
		cmocka_unit_test(keys_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
