/* sockfault ps: this user's processes with a control channel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctlclient.h"

static void usage(FILE *to)
{
	fputs("usage: sockfault ps [--json]\n"
	      "The processes of this user running with a control channel (SOCKFAULT_CONTROL=1,\n"
	      "sockfault run --control): pid, program, rules source, seed, uptime, faults fired.\n"
	      "Sockets left behind by processes that are gone are removed on the way.\n"
	      "  --json   one JSON object a line, as the channel answers\n",
	      to);
}

static void ignore(void *ctx, struct sf_ctl_line *l)
{
	(void)ctx;
	(void)l;
}

int sf_cmd_ps(int argc, char **argv)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return SF_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
			continue;
		}
		sf_cli_error("ps: unknown argument '%s'", argv[i]);
		usage(stderr);
		return SF_EXIT_USAGE;
	}
	size_t n;
	int *pids = sf_ctl_pids(&n);
	if (!json)
		printf("%7s  %-16s %10s %8s  %-20s  %s\n", "PID", "PROGRAM", "UPTIME", "FIRED", "SEED", "RULES");
	for (size_t i = 0; pids && i < n; i++) {
		char why[600];
		int stale;
		int fd = sf_ctl_connect(pids[i], why, sizeof why, &stale);
		if (fd < 0)
			continue; /* gone (its socket removed), or not reachable now */
		struct sf_ctl_line last;
		if (sf_ctl_request(fd, "{\"cmd\":\"hello\"}", ignore, NULL, &last, why, sizeof why) &&
		    sf_ctl_field_true(&last, "ok")) {
			char exe[256], src[600], seed[32], up[32], fired[32];
			if (json) {
				printf("%s\n", last.line);
			} else {
				long long ms = atoll(sf_ctl_field(&last, "uptime_ms", up, sizeof up));
				char upt[32];
				snprintf(upt, sizeof upt, "%lld.%llds", ms / 1000, ms % 1000 / 100);
				printf("%7d  %-16s %10s %8s  %-20s  %s\n", pids[i],
				       sf_ctl_field(&last, "exe", exe, sizeof exe), upt,
				       sf_ctl_field(&last, "fired", fired, sizeof fired),
				       sf_ctl_field(&last, "seed", seed, sizeof seed),
				       sf_ctl_field(&last, "source", src, sizeof src));
			}
		}
		sf_ctl_line_free(&last);
		close(fd);
	}
	free(pids);
	return SF_EXIT_OK;
}
