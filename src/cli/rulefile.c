#include "rulefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap) {
			if (ferror(f)) {
				free(buf);
				return NULL;
			}
			break;
		}
		char *nb = realloc(buf, cap * 2);
		if (!nb)
			free(buf);
		buf = nb;
		cap *= 2;
	}
	*len = n;
	return buf;
}

int sf_rulefile_load(const char *path, struct sf_ruleset *rs, struct sf_diags *diags)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	if (!f) {
		sf_diag_add(diags, path, 0, 0, "cannot read the rules file: %s", strerror(errno));
		return -1;
	}
	size_t len;
	char *text = slurp(f, &len);
	int saved = errno;
	if (!is_stdin)
		fclose(f);
	if (!text) {
		sf_diag_add(diags, path, 0, 0, "cannot read the rules file: %s", strerror(saved));
		return -1;
	}
	struct sf_parse_opts o = { is_stdin ? "<stdin>" : path, 0, "line" };
	int errors = (int)sf_parse(text, len, &o, rs, diags);
	free(text);
	return errors;
}

int sf_ruletext_load(const char *text, struct sf_ruleset *rs, struct sf_diags *diags)
{
	/* Messages name the rules the way the user gave them: "-e RULE". */
	struct sf_parse_opts o = { "-e", 1, "text" };
	return (int)sf_parse(text, strlen(text), &o, rs, diags);
}
