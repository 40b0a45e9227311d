/* sockfault: check rules, look up errnos, run programs under the fault injector. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"

void sf_cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("sockfault: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", sf_cmd_run, "run [OPTION]... -- CMD     run CMD with faults injected (run --help)" },
	{ "check", sf_cmd_check, "check FILE...            parse rules files, print them normalised" },
	{ "report", sf_cmd_report, "report LOG.jsonl         what fired: per rule, per peer, over time" },
	{ "errno", sf_cmd_errno, "errno [NAME|NUMBER]      the errno table with its Winsock aliases" },
	{ "ps", sf_cmd_ps, "ps                       processes running with a control channel" },
	{ "ctl", sf_cmd_ctl, "ctl PID|--all COMMAND    read and change a running process's faults" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *to)
{
	fputs("usage: sockfault COMMAND [ARG...]\n\ncommands:\n", to);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(to, "  %s\n", commands[i].summary);
	fputs("\n  --help       this text; COMMAND --help for one command\n"
	      "  --version    the version\n\n"
	      "The rules language: man 5 sockfault-rules.\n",
	      to);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SF_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SF_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("sockfault %s\n", PACKAGE_VERSION);
		return SF_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	const char *names[NCOMMANDS + 1];
	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = NULL;
	struct sf_suggest sg;
	sf_suggest_init(&sg, argv[1], strlen(argv[1]));
	sf_suggest_list(&sg, names);
	const char *best = sf_suggest_result(&sg);
	if (best)
		sf_cli_error("unknown command '%s' (did you mean '%s'?)", argv[1], best);
	else
		sf_cli_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return SF_EXIT_USAGE;
}
