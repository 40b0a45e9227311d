/* sockfault errno [NAME|NUMBER]: the errno table with its Winsock aliases. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "errnos.h"
#include "suggest.h"

static void print_entry(int value)
{
	const char *name = sf_errno_name(value);
	printf("%-16s %4d", name, value);
	const char *sep = "  ";
	for (const struct sf_wsa_entry *w = NULL; (w = sf_wsa_next_for(value, w));) {
		if (w->code)
			printf("%s%s %d", sep, w->name, w->code);
		else
			printf("%s%s", sep, w->name);
		sep = ", ";
	}
	printf("  (%s)\n", strerror(value));
}

static void print_all(void)
{
	printf("%-16s %4s  %s\n", "NAME", "NUM", "WINSOCK ALIASES  (MESSAGE)");
	for (size_t i = 0; i < sf_errno_count; i++) {
		/* Aliases (EWOULDBLOCK) print under their first name. */
		if (strcmp(sf_errno_name(sf_errno_table[i].value), sf_errno_table[i].name) != 0)
			continue;
		print_entry(sf_errno_table[i].value);
	}
	printf("\nWinsock codes with no POSIX counterpart (refused in rules):\n");
	for (size_t i = 0; i < sf_wsa_count; i++)
		if (!sf_wsa_table[i].posix) {
			if (sf_wsa_table[i].code)
				printf("  %s %d\n", sf_wsa_table[i].name, sf_wsa_table[i].code);
			else
				printf("  %s\n", sf_wsa_table[i].name);
		}
}

int sf_cmd_errno(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("usage: sockfault errno [NAME|NUMBER]\n"
		     "Without an argument, print the whole errno table with the Winsock codes that map\n"
		     "to each errno. With one, print that entry: ECONNRESET, 104, WSAECONNRESET or 10054.");
		return SF_EXIT_OK;
	}
	if (argc > 2) {
		sf_cli_error("errno: one NAME or NUMBER at most");
		return SF_EXIT_USAGE;
	}
	if (argc == 1) {
		print_all();
		return SF_EXIT_OK;
	}
	int value;
	const struct sf_wsa_entry *wsa;
	switch (sf_errno_parse(argv[1], strlen(argv[1]), &value, &wsa)) {
	case SF_ERRNO_OK:
		if (wsa)
			printf("%s -> ", wsa->name);
		print_entry(value);
		return SF_EXIT_OK;
	case SF_ERRNO_NO_COUNTERPART:
		printf("%s", wsa->name);
		if (wsa->code)
			printf(" %d", wsa->code);
		printf(": no POSIX counterpart\n");
		return SF_EXIT_BAD;
	default: {
		struct sf_suggest sg;
		sf_suggest_init(&sg, argv[1], strlen(argv[1]));
		sf_errno_suggest(&sg);
		const char *best = sf_suggest_result(&sg);
		if (best)
			sf_cli_error("errno: unknown errno '%s' (did you mean '%s'?)", argv[1], best);
		else
			sf_cli_error("errno: unknown errno '%s'", argv[1]);
		return SF_EXIT_BAD;
	}
	}
}
