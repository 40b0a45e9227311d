/* Shared helpers of the unit tests: parse a rules text and check what came out.
 * The check_* functions take the caller's file and line, so that a failure
 * points at the test case and not at this file. */
#ifndef SF_TEST_HELPERS_H
#define SF_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "diag.h"
#include "parse.h"
#include "rules.h"

/* Every message of the tests names this file. */
#define TEST_FILE "t.rules"

struct parsed {
	struct sf_ruleset rs;
	struct sf_diags diags;
	unsigned errors;
};

/* Parse `len` bytes of `text` as TEST_FILE (semicolons: inline rules, named text-N). */
void parse_mem(struct parsed *p, const char *text, size_t len, int semicolons);
void parse_str(struct parsed *p, const char *text);
void parsed_free(struct parsed *p);

/* The canonical text of a rule, in a buffer that the next call reuses. */
const char *rule_text(const struct sf_rule *r);

/* `text` is one good rule whose canonical text is `canon`. */
void check_canon(const char *text, const char *canon, const char *file, int line);
#define assert_canon(text, canon) check_canon((text), (canon), __FILE__, __LINE__)

/* `text` is refused with exactly one message, `msg` (with TEST_FILE:LINE:COL:),
 * and no rule is kept. */
void check_refused(const char *text, size_t len, const char *msg, const char *file, int line);
#define assert_refused(text, msg) check_refused((text), strlen(text), (msg), __FILE__, __LINE__)
/* The same for a string literal that holds NUL bytes. */
#define assert_refused_lit(lit, msg) check_refused((lit), sizeof(lit) - 1, (msg), __FILE__, __LINE__)

/* Parse a text that must hold exactly one good rule; the caller frees p. */
const struct sf_rule *check_one(struct parsed *p, const char *text, const char *file, int line);
#define parse_one(p, text) check_one((p), (text), __FILE__, __LINE__)

/* The socket end at IPv4 address `s` and `port`, as the rules see it. */
struct sf_sockaddr ip4(const char *s, uint16_t port);

#endif
