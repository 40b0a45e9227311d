/* sockfault ctl PID|--all COMMAND: read and change the faults of running
 * processes through their control channels (sockfault(1), PROTOCOL). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctlclient.h"

static void usage(FILE *to)
{
	fputs("usage: sockfault ctl [--json] PID|--all COMMAND [ARG...]\n"
	      "Talk to running processes with a control channel (SOCKFAULT_CONTROL=1).\n"
	      "commands:\n"
	      "  rules                        the rules in force, canonical, with counters\n"
	      "  load FILE...                 replace the rules (all or nothing)\n"
	      "  load -e RULE...              the same, rules given inline\n"
	      "  enable NAME, disable NAME    switch one rule on or off\n"
	      "  conns                        the live connections as the library sees them\n"
	      "  fire ACTION [ARG] fd=N|peer=ADDR\n"
	      "                               reset, hangup, blackhole, timeout D or eof, now\n"
	      "  stats                        counters per rule and in all\n"
	      "  watch                        events as JSON lines, until interrupted\n"
	      "  --json   print the channel's answer lines as they come\n"
	      "Exit status: 0 done, 1 a process or connection not reachable, 2 usage error\n"
	      "or a request refused (bad rules: nothing changed).\n",
	      to);
}

static int read_file(const char *path, char **out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f)
		return 0;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	int err = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!buf || err) {
		free(buf);
		return 0;
	}
	buf[n] = 0;
	*out = buf;
	return 1;
}

/* The request lines of one command, ready to send to every process. */
struct plan {
	char **req;
	size_t n;
	const char *cmd;
};

static int add_req(struct plan *p, struct sf_ctl_req_buf *b)
{
	sf_ctl_req_raw(b, "}");
	char **v = realloc(p->req, (p->n + 1) * sizeof *v);
	if (!v || !b->p) {
		free(b->p);
		return 0;
	}
	p->req = v;
	p->req[p->n++] = b->p;
	return 1;
}

static int simple(struct plan *p, const char *cmd, const char *key, const char *val)
{
	struct sf_ctl_req_buf b = { 0 };
	sf_ctl_req_raw(&b, "{");
	sf_ctl_req_str(&b, "cmd", cmd, strlen(cmd));
	if (key)
		sf_ctl_req_str(&b, key, val, strlen(val));
	return add_req(p, &b);
}

static int plan_load(struct plan *p, int argc, char **argv)
{
	if (argc < 1 || (strcmp(argv[0], "-e") == 0 && argc < 2)) {
		sf_cli_error("ctl load: which rules? (load FILE... or load -e RULE...)");
		return 0;
	}
	if (strcmp(argv[0], "-e") == 0) {
		size_t len = 1;
		for (int i = 1; i < argc; i++)
			len += strlen(argv[i]) + 1;
		char *text = calloc(1, len);
		for (int i = 1; text && i < argc; i++) {
			strcat(text, argv[i]);
			strcat(text, "\n");
		}
		struct sf_ctl_req_buf b = { 0 };
		sf_ctl_req_raw(&b, "{\"cmd\":\"load\"");
		sf_ctl_req_str(&b, "file", "-e", 2);
		if (text)
			sf_ctl_req_str(&b, "text", text, strlen(text));
		free(text);
		return add_req(p, &b);
	}
	for (int i = 0; i < argc; i++) {
		char *text;
		if (!read_file(argv[i], &text)) {
			sf_cli_error("%s: cannot read the rules file: %s", argv[i], strerror(errno));
			return 0;
		}
		struct sf_ctl_req_buf b = { 0 };
		sf_ctl_req_raw(&b, "{\"cmd\":\"load\"");
		sf_ctl_req_str(&b, "file", argv[i], strlen(argv[i]));
		sf_ctl_req_str(&b, "text", text, strlen(text));
		if (i + 1 < argc)
			sf_ctl_req_raw(&b, ",\"more\":true");
		free(text);
		if (!add_req(p, &b))
			return 0;
	}
	return 1;
}

static int plan_fire(struct plan *p, int argc, char **argv)
{
	static const char *const actions[] = { "reset", "hangup", "blackhole", "timeout", "eof", NULL };
	if (argc < 2) {
		sf_cli_error("ctl fire: usage: fire ACTION [ARG] fd=N|peer=ADDR");
		return 0;
	}
	int k = 0;
	while (actions[k] && strcmp(actions[k], argv[0]) != 0)
		k++;
	if (!actions[k]) {
		sf_cli_error("ctl fire: unknown action '%s' (reset, hangup, blackhole, timeout D, eof)", argv[0]);
		return 0;
	}
	struct sf_ctl_req_buf b = { 0 };
	sf_ctl_req_raw(&b, "{\"cmd\":\"fire\"");
	sf_ctl_req_str(&b, "action", argv[0], strlen(argv[0]));
	int i = 1;
	if (strcmp(argv[0], "timeout") == 0) {
		if (argc < 3) {
			sf_cli_error("ctl fire timeout: how long? (fire timeout 2s fd=N)");
			free(b.p);
			return 0;
		}
		sf_ctl_req_str(&b, "duration", argv[1], strlen(argv[1]));
		i = 2;
	}
	if (i + 1 != argc) {
		sf_cli_error("ctl fire: one target after the action: fd=N or peer=ADDR");
		free(b.p);
		return 0;
	}
	const char *t = argv[i];
	if (strncmp(t, "fd=", 3) == 0 && t[3]) {
		char *end;
		long fd = strtol(t + 3, &end, 10);
		if (*end || fd < 0) {
			sf_cli_error("ctl fire: '%s' is not a descriptor number", t);
			free(b.p);
			return 0;
		}
		char num[32];
		snprintf(num, sizeof num, ",\"fd\":%ld", fd);
		sf_ctl_req_raw(&b, num);
	} else if (strncmp(t, "peer=", 5) == 0 && t[5]) {
		sf_ctl_req_str(&b, "peer", t + 5, strlen(t + 5));
	} else {
		sf_cli_error("ctl fire: '%s': the target is fd=N or peer=ADDR", t);
		free(b.p);
		return 0;
	}
	return add_req(p, &b);
}

static int make_plan(struct plan *p, int argc, char **argv)
{
	const char *cmd = argv[0];
	p->cmd = cmd;
	if (strcmp(cmd, "rules") == 0 || strcmp(cmd, "conns") == 0 || strcmp(cmd, "stats") == 0) {
		if (argc != 1) {
			sf_cli_error("ctl %s: takes no argument", cmd);
			return 0;
		}
		return simple(p, cmd, NULL, NULL);
	}
	if (strcmp(cmd, "enable") == 0 || strcmp(cmd, "disable") == 0) {
		if (argc != 2) {
			sf_cli_error("ctl %s: which rule? (%s NAME)", cmd, cmd);
			return 0;
		}
		return simple(p, cmd, "name", argv[1]);
	}
	if (strcmp(cmd, "load") == 0)
		return plan_load(p, argc - 1, argv + 1);
	if (strcmp(cmd, "watch") == 0) {
		if (argc != 1) {
			sf_cli_error("ctl watch: takes no argument");
			return 0;
		}
		return simple(p, cmd, NULL, NULL);
	}
	if (strcmp(cmd, "fire") == 0)
		return plan_fire(p, argc - 1, argv + 1);
	sf_cli_error("ctl: unknown command '%s' (rules, load, enable, disable, conns, fire, stats, watch)", cmd);
	return 0;
}

struct show {
	int pid;
	int json, all;
	const char *cmd;
	int header_done;
};

#define F(l, k) sf_ctl_field((l), #k, buf_##k, sizeof buf_##k)

static void show_line(void *ctx, struct sf_ctl_line *l)
{
	struct show *s = ctx;
	if (s->json) {
		if (s->all)
			printf("{\"pid\":%d,%s\n", s->pid, l->line + 1 + strspn(l->line + 1, " "));
		else
			printf("%s\n", l->line);
		fflush(stdout); /* watch: each event as it comes */
		return;
	}
	char buf_rule[256], buf_text[4096], buf_matched[32], buf_fired[32], buf_diag[4096], buf_peer[300];
	if (strcmp(s->cmd, "load") == 0) {
		fprintf(stderr, "%s\n", F(l, diag));
	} else if (strcmp(s->cmd, "rules") == 0) {
		printf("%s    (%smatched %s, fired %s)\n", F(l, text),
		       sf_ctl_field_true(l, "enabled") ? "" : "disabled; ", F(l, matched), F(l, fired));
	} else if (strcmp(s->cmd, "stats") == 0) {
		printf("%s: %smatched %s, fired %s\n", F(l, rule), sf_ctl_field_true(l, "enabled") ? "" : "(disabled) ",
		       F(l, matched), F(l, fired));
	} else if (strcmp(s->cmd, "fire") == 0) {
		printf("fired on fd=%s peer=%s\n", F(l, fired), F(l, peer));
	} else if (strcmp(s->cmd, "conns") == 0) {
		char buf_fd[16], buf_proto[16], buf_side[16], buf_state[32], buf_tcp_state[32], buf_local[300],
			buf_age_ms[32], buf_idle_ms[32], buf_sent[32], buf_received[32], buf_dead[32], buf_rules[600];
		if (!s->header_done) {
			printf("%4s %-5s %-6s %-11s %-10s %-28s %-28s %8s %8s %10s %10s %-9s %s\n", "FD", "PROTO",
			       "SIDE", "STATE", "TCP", "LOCAL", "PEER", "AGE_MS", "IDLE_MS", "SENT", "RECEIVED", "DEAD",
			       "RULES");
			s->header_done = 1;
		}
		const char *tcp = F(l, tcp_state);
		printf("%4s %-5s %-6s %-11s %-10s %-28s %-28s %8s %8s %10s %10s %-9s %s\n", F(l, fd), F(l, proto),
		       F(l, side), F(l, state), *tcp ? tcp : "-", F(l, local), F(l, peer), F(l, age_ms), F(l, idle_ms),
		       F(l, sent), F(l, received), F(l, dead), F(l, rules));
	} else {
		printf("%s\n", l->line);
	}
}

/* The last line: done (0), or why not, with the exit status. */
static int show_last(struct show *s, struct sf_ctl_line *l)
{
	char buf_error[700], buf_rules[32], buf_rule[256], buf_fired[32], buf_source[600], buf_conns[32];
	if (s->json) {
		show_line(s, l);
		if (sf_ctl_field_true(l, "ok"))
			return SF_EXIT_OK;
		return sf_ctl_field_true(l, "refused") || sf_ctl_field_true(l, "none") ? SF_EXIT_BAD : SF_EXIT_USAGE;
	}
	if (!sf_ctl_field_true(l, "ok")) {
		sf_cli_error("%d: %s", s->pid, F(l, error));
		return sf_ctl_field_true(l, "refused") || sf_ctl_field_true(l, "none") ? SF_EXIT_BAD : SF_EXIT_USAGE;
	}
	if (strcmp(s->cmd, "load") == 0 && sf_json_get(l->f, l->n, "rules"))
		printf("%d: %s rules in force\n", s->pid, F(l, rules));
	else if (strcmp(s->cmd, "enable") == 0 || strcmp(s->cmd, "disable") == 0)
		printf("%d: rule %s %s\n", s->pid, F(l, rule),
		       sf_ctl_field_true(l, "enabled") ? "enabled" : "disabled");
	else if (strcmp(s->cmd, "stats") == 0)
		printf("%d: fired %s in all\n", s->pid, F(l, fired));
	else if (strcmp(s->cmd, "rules") == 0)
		printf("# %s rules from %s\n", F(l, rules), F(l, source));
	else if (strcmp(s->cmd, "conns") == 0 && !s->header_done)
		printf("%d: %s connections\n", s->pid, F(l, conns));
	return SF_EXIT_OK;
}

/* Run the plan against one process. */
static int one(int pid, const struct plan *p, int json, int all)
{
	char why[700];
	int stale;
	int fd = sf_ctl_connect(pid, why, sizeof why, &stale);
	if (fd < 0) {
		if (!(all && stale))
			sf_cli_error("%s", why);
		return all && stale ? SF_EXIT_OK : SF_EXIT_BAD;
	}
	if (all && !json)
		printf("== %d\n", pid);
	struct show s = { pid, json, all, p->cmd, 0 };
	int rc = SF_EXIT_OK;
	for (size_t i = 0; i < p->n && rc == SF_EXIT_OK; i++) {
		struct sf_ctl_line last;
		if (!sf_ctl_request(fd, p->req[i], show_line, &s, &last, why, sizeof why)) {
			sf_cli_error("%d: %s", pid, why);
			rc = SF_EXIT_BAD;
			break;
		}
		rc = show_last(&s, &last);
		sf_ctl_line_free(&last);
	}
	if (rc == SF_EXIT_OK && strcmp(p->cmd, "watch") == 0) {
		/* Events until the program ends (its channel closes) or we are stopped. */
		s.json = 1;
		sf_ctl_stream(fd, show_line, &s, why, sizeof why);
	}
	close(fd);
	fflush(stdout);
	return rc;
}

int sf_cmd_ctl(int argc, char **argv)
{
	int json = 0, all = 0, i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return SF_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--all") == 0) {
			all = 1;
		} else {
			sf_cli_error("ctl: unknown option '%s'", argv[i]);
			usage(stderr);
			return SF_EXIT_USAGE;
		}
	}
	if (argc - i < (all ? 1 : 2)) {
		usage(stderr);
		return SF_EXIT_USAGE;
	}
	long pid = 0;
	if (!all) {
		char *end;
		pid = strtol(argv[i], &end, 10);
		if (*end || pid <= 0 || pid > 0x7fffffff) {
			sf_cli_error("ctl: '%s' is not a process id (PID or --all)", argv[i]);
			return SF_EXIT_USAGE;
		}
	}
	struct plan p = { 0 };
	int rc = SF_EXIT_OK;
	if (!all)
		i++;
	if (all && strcmp(argv[i], "watch") == 0) {
		sf_cli_error("ctl watch: one process at a time (PID, not --all)");
		rc = SF_EXIT_USAGE;
	} else if (!make_plan(&p, argc - i, argv + i)) {
		rc = SF_EXIT_USAGE;
	} else if (!all) {
		rc = one((int)pid, &p, json, 0);
	} else {
		size_t n;
		int *pids = sf_ctl_pids(&n);
		for (size_t k = 0; pids && k < n; k++) {
			int r = one(pids[k], &p, json, 1);
			rc = r > rc ? r : rc;
		}
		free(pids);
	}
	for (size_t k = 0; k < p.n; k++)
		free(p.req[k]);
	free(p.req);
	return rc;
}
