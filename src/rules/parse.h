/* The rules parser: text in, rules and messages out. Pure: no I/O. */
#ifndef SF_PARSE_H
#define SF_PARSE_H

#include <stddef.h>

#include "diag.h"
#include "rules.h"

struct sf_parse_opts {
	const char *file;	  /* name used in messages */
	int semicolons;		  /* `;` also separates rules (inline rules) */
	const char *default_name; /* prefix of unnamed rules: "line" gives line-N */
};

/* Parse `text` and append its good rules to `rs`. Every problem becomes one
 * message in `diags`. Returns the number of problems found. */
unsigned sf_parse(const char *text, size_t len, const struct sf_parse_opts *opts, struct sf_ruleset *rs,
		  struct sf_diags *diags);

#endif
