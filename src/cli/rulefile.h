/* Reading a rules file and parsing it, as the CLI does it. */
#ifndef SF_RULEFILE_H
#define SF_RULEFILE_H

#include "diag.h"
#include "rules.h"

/* Parse `path` ("-" is stdin) into `rs`, problems into `diags`.
 * Returns -1 if the file cannot be read (the message is in diags), else the
 * number of problems. */
int sf_rulefile_load(const char *path, struct sf_ruleset *rs, struct sf_diags *diags);

/* Parse inline rules (`-e RULE`), named text-N. */
int sf_ruletext_load(const char *text, struct sf_ruleset *rs, struct sf_diags *diags);

#endif
