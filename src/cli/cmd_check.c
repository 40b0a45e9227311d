/* sockfault check FILE...: parse, print each rule normalised, exit 1 on any error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "rulefile.h"

static void usage(FILE *to)
{
	fputs("usage: sockfault check [-q] FILE...\n"
	      "Parse each rules file and print its rules in canonical form.\n"
	      "  -q, --quiet  print only the problems\n"
	      "Exit status: 0 all good, 1 a file has problems, 2 usage error.\n",
	      to);
}

int sf_cmd_check(int argc, char **argv)
{
	int quiet = 0, files = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return SF_EXIT_OK;
		}
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
			quiet = 1;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			sf_cli_error("check: unknown option '%s'", argv[i]);
			usage(stderr);
			return SF_EXIT_USAGE;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			continue;
		struct sf_ruleset rs = { 0 };
		struct sf_diags d = { 0 };
		int errors = sf_rulefile_load(argv[i], &rs, &d);
		files++;
		for (unsigned k = 0; k < d.n; k++)
			fprintf(stderr, "sockfault: %s\n", d.v[k].text);
		if (errors)
			bad = 1;
		if (!quiet && errors >= 0) {
			printf("# %s: %u rule%s%s\n", argv[i], rs.n, rs.n == 1 ? "" : "s",
			       errors ? " (and the problems above)" : "");
			/* Whole, however long the rule (a list of hosts or
			 * peers): a cut rule would read as another one. */
			for (unsigned k = 0; k < rs.n; k++) {
				size_t need = sf_rule_format(NULL, 0, &rs.rules[k]) + 1;
				char *buf = malloc(need);
				if (!buf) {
					sf_cli_error("check: out of memory");
					return SF_EXIT_BAD;
				}
				sf_rule_format(buf, need, &rs.rules[k]);
				printf("%s\n", buf);
				free(buf);
			}
		}
		sf_ruleset_free(&rs);
		sf_diags_free(&d);
	}
	if (!files) {
		sf_cli_error("check: no rules file given");
		usage(stderr);
		return SF_EXIT_USAGE;
	}
	return bad ? SF_EXIT_BAD : SF_EXIT_OK;
}
