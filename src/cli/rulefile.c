#include "rulefile.h"

#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "readfile.h"

int sf_rulefile_load(const char *path, struct sf_ruleset *rs, struct sf_diags *diags)
{
	int is_stdin = strcmp(path, "-") == 0;
	/* The same bounds as the library's (sockfault-rules(5)). */
	struct sf_read r;
	if ((is_stdin ? sf_read_fd(0, SF_RULES_MAX_BYTES, &r) : sf_read_path(path, SF_RULES_MAX_BYTES, &r)) !=
	    SF_READ_OK) {
		char why[300];
		sf_diag_add(diags, is_stdin ? "<stdin>" : path, 0, 0, "%s",
			    sf_read_problem(&r, "the rules file", why, sizeof why));
		return -1;
	}
	struct sf_parse_opts o = { is_stdin ? "<stdin>" : path, 0, "line" };
	int errors = (int)sf_parse(r.text, r.len, &o, rs, diags);
	free(r.text);
	return errors;
}

int sf_ruletext_load(const char *text, struct sf_ruleset *rs, struct sf_diags *diags)
{
	/* Messages name the rules the way the user gave them: "-e RULE". */
	struct sf_parse_opts o = { "-e", 1, "text" };
	return (int)sf_parse(text, strlen(text), &o, rs, diags);
}
