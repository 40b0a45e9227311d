#include "helpers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

void parse_mem(struct parsed *p, const char *text, size_t len, int semicolons)
{
	struct sf_parse_opts o = { TEST_FILE, semicolons, semicolons ? "text" : "line" };
	memset(p, 0, sizeof *p);
	p->errors = sf_parse(text, len, &o, &p->rs, &p->diags);
}

void parse_str(struct parsed *p, const char *text)
{
	parse_mem(p, text, strlen(text), 0);
}

void parsed_free(struct parsed *p)
{
	sf_ruleset_free(&p->rs);
	sf_diags_free(&p->diags);
}

const char *rule_text(const struct sf_rule *r)
{
	static char buf[1024];
	size_t n = sf_rule_format(buf, sizeof buf, r);
	/* The length returned is the length written when it fits. */
	assert_int_equal(n, strlen(buf));
	return buf;
}

/* On a mismatch, say which input it was: the assertion alone shows only
 * the two outputs. */
static void show_input(const struct parsed *p, const char *text)
{
	print_message("# input: %s\n", text);
	for (unsigned i = 0; i < p->diags.n; i++)
		print_message("# diag: %s\n", p->diags.v[i].text);
}

void check_canon(const char *text, const char *canon, const char *file, int line)
{
	struct parsed p;
	parse_str(&p, text);
	if (p.errors != 0 || p.rs.n != 1 || strcmp(rule_text(&p.rs.rules[0]), canon) != 0)
		show_input(&p, text);
	_assert_int_equal(p.errors, 0, file, line);
	_assert_int_equal(p.diags.n, 0, file, line);
	_assert_int_equal(p.rs.n, 1, file, line);
	_assert_string_equal(rule_text(&p.rs.rules[0]), canon, file, line);
	parsed_free(&p);
}

void check_refused(const char *text, size_t len, const char *msg, const char *file, int line)
{
	struct parsed p;
	parse_mem(&p, text, len, 0);
	if (p.errors != 1 || p.diags.n != 1 || strcmp(p.diags.v[0].text, msg) != 0)
		show_input(&p, text);
	_assert_int_equal(p.errors, 1, file, line);
	_assert_int_equal(p.diags.n, 1, file, line);
	_assert_int_equal(p.rs.n, 0, file, line);
	_assert_string_equal(p.diags.v[0].text, msg, file, line);
	parsed_free(&p);
}

const struct sf_rule *check_one(struct parsed *p, const char *text, const char *file, int line)
{
	parse_str(p, text);
	if (p->errors != 0 || p->rs.n != 1)
		show_input(p, text);
	_assert_int_equal(p->errors, 0, file, line);
	_assert_int_equal(p->rs.n, 1, file, line);
	return &p->rs.rules[0];
}

struct sf_sockaddr ip4(const char *s, uint16_t port)
{
	struct sf_sockaddr a = { 0 };
	a.family = SF_ADDR_IP4;
	a.port = port;
	assert_int_equal(inet_pton(AF_INET, s, a.ip), 1);
	return a;
}
