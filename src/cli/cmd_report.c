/* sockfault report LOG.jsonl: what fired, per rule, per peer and connection,
 * and over time; --svg or --html write a timeline a person can open. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonl.h"

struct fault {
	int64_t t_us;
	int rule; /* index into rules[] */
	char peer[96];
	int64_t conn, pid;
	char proc[72]; /* "proc ID", the process's place in the run's tree */
	char op[16];
	char errno_name[24];
};

struct rule_sum {
	char name[96];
	char action[64];
	int64_t line; /* the rule's line in its file: the order rules are listed in */
	long fired;
	long matched; /* from stats events, -1 if none */
	int64_t first_us, last_us;
};

struct report {
	struct fault *f;
	size_t nf, capf;
	struct rule_sum *r;
	int nr, capr;
	int *slot;    /* rule index + 1 by hash of the name; 0: empty */
	size_t nslot; /* a power of two, at least twice nr */
	long processes, bad_lines;
	int has_t;
	int64_t t0, t1;
	char seeds[256];
};

static void str_of(const struct sf_json_field *f, char *out, size_t cap)
{
	if (f && f->is_string)
		sf_json_unescape(f->val, f->vlen, out, cap);
	else if (f)
		snprintf(out, cap, "%.*s", (int)f->vlen, f->val);
	else
		snprintf(out, cap, "-");
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static void slot_put(int *slot, size_t nslot, const char *name, int value)
{
	size_t k = (size_t)name_hash(name) & (nslot - 1);
	while (slot[k])
		k = (k + 1) & (nslot - 1);
	slot[k] = value;
}

/* The rule named `name`, added if new: a hash look-up, so that a log with
 * as many rule names as faults still reads in linear time. */
static int rule_index(struct report *R, const char *name, const char *action)
{
	if (R->nslot) {
		for (size_t k = (size_t)name_hash(name) & (R->nslot - 1); R->slot[k]; k = (k + 1) & (R->nslot - 1))
			if (strcmp(R->r[R->slot[k] - 1].name, name) == 0)
				return R->slot[k] - 1;
	}
	if ((size_t)(R->nr + 1) * 2 > R->nslot) {
		size_t nslot = R->nslot ? R->nslot * 2 : 64;
		int *slot = calloc(nslot, sizeof *slot);
		if (!slot)
			exit(SF_EXIT_USAGE);
		for (int i = 0; i < R->nr; i++)
			slot_put(slot, nslot, R->r[i].name, i + 1);
		free(R->slot);
		R->slot = slot;
		R->nslot = nslot;
	}
	if (R->nr == R->capr) {
		R->capr = R->capr ? R->capr * 2 : 16;
		R->r = realloc(R->r, (size_t)R->capr * sizeof *R->r);
		if (!R->r)
			exit(SF_EXIT_USAGE);
	}
	struct rule_sum *r = &R->r[R->nr];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->action, sizeof r->action, "%s", action);
	r->matched = -1;
	r->line = INT64_MAX;
	r->first_us = INT64_MAX;
	r->last_us = INT64_MIN;
	slot_put(R->slot, R->nslot, r->name, R->nr + 1);
	return R->nr++;
}

static void add_line(struct report *R, const char *line, size_t len, long lineno, const char *path)
{
	struct sf_json_field f[32];
	int n;
	if (len == 0)
		return;
	long bad = sf_json_object(line, len, f, 32, &n);
	if (bad >= 0) {
		if (R->bad_lines++ < 5)
			sf_cli_error("report: %s:%ld:%ld: not a JSON line of a sockfault log (skipped)", path, lineno,
				     bad + 1);
		return;
	}
	char ev[16], ts[40];
	str_of(sf_json_get(f, n, "event"), ev, sizeof ev);
	str_of(sf_json_get(f, n, "ts"), ts, sizeof ts);
	int64_t t = 0;
	int has_t = sf_json_time(ts, strlen(ts), &t);
	if (has_t) {
		if (!R->has_t || t < R->t0)
			R->t0 = t;
		if (!R->has_t || t > R->t1)
			R->t1 = t;
		R->has_t = 1;
	}
	if (strcmp(ev, "start") == 0) {
		char seed[32];
		str_of(sf_json_get(f, n, "seed"), seed, sizeof seed);
		R->processes++;
		if (strlen(R->seeds) + strlen(seed) + 3 < sizeof R->seeds && !strstr(R->seeds, seed))
			snprintf(R->seeds + strlen(R->seeds), sizeof R->seeds - strlen(R->seeds), "%s%s",
				 *R->seeds ? ", " : "", seed);
	} else if (strcmp(ev, "stats") == 0) {
		char name[96];
		int64_t m = 0;
		str_of(sf_json_get(f, n, "rule"), name, sizeof name);
		int i = rule_index(R, name, "");
		if (sf_json_int(sf_json_get(f, n, "matched"), &m) && m >= 0 && m <= INT32_MAX &&
		    R->r[i].matched < LONG_MAX - INT32_MAX)
			R->r[i].matched = (R->r[i].matched < 0 ? 0 : R->r[i].matched) + (long)m;
	} else if (strcmp(ev, "fault") == 0 && has_t) {
		char name[96], action[64];
		str_of(sf_json_get(f, n, "rule"), name, sizeof name);
		str_of(sf_json_get(f, n, "action"), action, sizeof action);
		/* A delay's action text carries its own duration: group by verb. */
		if (strncmp(action, "delay ", 6) == 0)
			strcpy(action, "delay");
		if (R->nf == R->capf) {
			R->capf = R->capf ? R->capf * 2 : 256;
			R->f = realloc(R->f, R->capf * sizeof *R->f);
			if (!R->f)
				exit(SF_EXIT_USAGE);
		}
		struct fault *x = &R->f[R->nf++];
		memset(x, 0, sizeof *x);
		x->t_us = t;
		x->rule = rule_index(R, name, action);
		if (!R->r[x->rule].action[0])
			snprintf(R->r[x->rule].action, sizeof R->r[x->rule].action, "%s", action);
		str_of(sf_json_get(f, n, "peer"), x->peer, sizeof x->peer);
		str_of(sf_json_get(f, n, "op"), x->op, sizeof x->op);
		str_of(sf_json_get(f, n, "errno"), x->errno_name, sizeof x->errno_name);
		if (!sf_json_int(sf_json_get(f, n, "conn"), &x->conn))
			x->conn = 0;
		sf_json_int(sf_json_get(f, n, "pid"), &x->pid);
		/* A log from before process trees: the pid stands for the process. */
		char id[64];
		str_of(sf_json_get(f, n, "proc"), id, sizeof id);
		if (sf_json_get(f, n, "proc"))
			snprintf(x->proc, sizeof x->proc, "proc %s", id);
		else
			snprintf(x->proc, sizeof x->proc, "pid %lld", (long long)x->pid);
		struct rule_sum *r = &R->r[x->rule];
		int64_t rule_line;
		if (sf_json_int(sf_json_get(f, n, "line"), &rule_line) && rule_line < r->line)
			r->line = rule_line;
		r->fired++;
		if (t < r->first_us)
			r->first_us = t;
		if (t > r->last_us)
			r->last_us = t;
	}
}

/* A line of the library's log is a few hundred bytes: a longer one is not
 * one of its events, and is skipped without being held whole. */
#define MAX_LINE 65536

static int read_log(struct report *R, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!fp) {
		sf_cli_error("report: cannot read %s: %s", path, strerror(errno));
		return 0;
	}
	char *line = malloc(MAX_LINE);
	if (!line)
		exit(SF_EXIT_USAGE);
	long lineno = 0;
	while (fgets(line, MAX_LINE, fp)) {
		size_t len = strlen(line);
		lineno++;
		if (len == MAX_LINE - 1 && line[len - 1] != '\n') {
			int c;
			while ((c = getc(fp)) != EOF && c != '\n')
				;
			if (R->bad_lines++ < 5)
				sf_cli_error(
					"report: %s:%ld: longer than %d bytes: not a line of a sockfault log (skipped)",
					path, lineno, MAX_LINE - 1);
			continue;
		}
		/* fgets stops at a NUL as if the line ended there: the length is
		 * what strlen says, and the rest is not JSON anyway. */
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		add_line(R, line, len, lineno, path);
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	return 1;
}

/* The faults in an order, by index: sorting indices keeps the faults where
 * they are and lets ties fall back on the order of the log. */
static const struct fault *sort_base;

static int by_peer_conn(const struct fault *a, const struct fault *b)
{
	int c = strcmp(a->peer, b->peer);
	if (c)
		return c;
	if (a->conn != b->conn)
		return a->conn < b->conn ? -1 : 1;
	return strcmp(a->proc, b->proc);
}

static int by_rule_peer_conn(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, k = *(const size_t *)y;
	const struct fault *a = &sort_base[i], *b = &sort_base[k];
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	int c = by_peer_conn(a, b);
	return c ? c : (i > k) - (i < k);
}

static int by_peer_conn_rule(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, k = *(const size_t *)y;
	const struct fault *a = &sort_base[i], *b = &sort_base[k];
	int c = by_peer_conn(a, b);
	if (c)
		return c;
	if (a->rule != b->rule)
		return a->rule < b->rule ? -1 : 1;
	return (i > k) - (i < k);
}

static size_t *sorted_faults(const struct report *R, int (*cmp)(const void *, const void *))
{
	size_t *ix = malloc((R->nf ? R->nf : 1) * sizeof *ix);
	if (!ix)
		exit(SF_EXIT_USAGE);
	for (size_t i = 0; i < R->nf; i++)
		ix[i] = i;
	sort_base = R->f;
	qsort(ix, R->nf, sizeof *ix, cmp);
	return ix;
}

/* Per rule: distinct peers, distinct (peer, connection, process), and the
 * range of its faults in ix (sorted by rule, then peer and connection). */
struct rule_counts {
	int peers, conns;
	size_t from, to;
};

static struct rule_counts *count_per_rule(const struct report *R, const size_t *ix)
{
	struct rule_counts *c = calloc((size_t)(R->nr ? R->nr : 1), sizeof *c);
	if (!c)
		exit(SF_EXIT_USAGE);
	for (size_t k = 0; k < R->nf;) {
		int rule = R->f[ix[k]].rule;
		c[rule].from = k;
		const struct fault *prev = NULL;
		for (; k < R->nf && R->f[ix[k]].rule == rule; k++) {
			const struct fault *f = &R->f[ix[k]];
			c[rule].peers += !prev || strcmp(prev->peer, f->peer) != 0;
			c[rule].conns += !prev || by_peer_conn(prev, f) != 0;
			prev = f;
		}
		c[rule].to = k;
	}
	return c;
}

static double secs(int64_t us)
{
	return (double)us / 1e6;
}

#define COLS 60

/* Rules in the order of their files (by line), not the order they fired;
 * rules of the same line in the order they came. */
static const struct rule_sum *rule_base;

static int by_line(const void *a, const void *b)
{
	int i = *(const int *)a, k = *(const int *)b;
	const struct rule_sum *x = &rule_base[i], *y = &rule_base[k];
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (i > k) - (i < k);
}

/* Sort the rules; the faults' rule indices follow them. */
static void order_rules(struct report *R)
{
	size_t n = (size_t)(R->nr ? R->nr : 1);
	int *order = malloc(n * sizeof *order), *new_of = malloc(n * sizeof *new_of);
	struct rule_sum *sorted = malloc(n * sizeof *sorted);
	if (!order || !new_of || !sorted)
		exit(SF_EXIT_USAGE);
	for (int i = 0; i < R->nr; i++)
		order[i] = i;
	rule_base = R->r;
	qsort(order, (size_t)R->nr, sizeof *order, by_line);
	for (int i = 0; i < R->nr; i++) {
		sorted[i] = R->r[order[i]];
		new_of[order[i]] = i;
	}
	for (size_t k = 0; k < R->nf; k++)
		R->f[k].rule = new_of[R->f[k].rule];
	memcpy(R->r, sorted, (size_t)R->nr * sizeof *sorted);
	free(order);
	free(new_of);
	free(sorted);
}

/* The column of time t among cols columns over [t0, t0 + span]: computed in
 * floating point (a span of centuries in microseconds times the columns does
 * not fit 64 bits), and kept inside the row whatever the input. */
static int column(int64_t t, int64_t t0, int64_t span, int cols)
{
	double x = (double)(t - t0) / (double)span * cols;
	int c = x < 0 ? 0 : x >= cols ? cols - 1 : (int)x;
	return c;
}

struct group {
	size_t from, to; /* in ix */
	size_t first;	 /* the fault that came first */
};

static int by_first(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

static void terminal(const struct report *R, const char *path)
{
	static const char *bars[] = { " ",	"\u2581", "\u2582", "\u2583", "\u2584",
				      "\u2585", "\u2586", "\u2587", "\u2588" };
	int64_t span = R->t1 > R->t0 ? R->t1 - R->t0 : 1;
	size_t *ix = sorted_faults(R, by_rule_peer_conn);
	struct rule_counts *rc = count_per_rule(R, ix);
	printf("sockfault report: %s\n", path);
	printf("  %ld process%s, seed%s %s; %zu fault%s over %.3fs\n\n", R->processes, R->processes == 1 ? "" : "es",
	       strchr(R->seeds, ',') ? "s" : "", *R->seeds ? R->seeds : "-", R->nf, R->nf == 1 ? "" : "s", secs(span));
	printf("By rule:\n  %-24s %-22s %7s %6s %6s %10s %10s\n", "RULE", "ACTION", "FIRED", "PEERS", "CONNS", "FIRST",
	       "LAST");
	for (int i = 0; i < R->nr; i++) {
		const struct rule_sum *r = &R->r[i];
		if (!r->fired) {
			printf("  %-24s %-22s %7s   never fired%s\n", r->name, r->action[0] ? r->action : "-", "0",
			       r->matched == 0 ? " (never matched: check its peer, port and proto)" : "");
			continue;
		}
		printf("  %-24s %-22s %7ld %6d %6d %9.3fs %9.3fs\n", r->name, r->action, r->fired, rc[i].peers,
		       rc[i].conns, secs(r->first_us - R->t0), secs(r->last_us - R->t0));
	}

	/* Each (peer, connection, process) once, in the order it first came,
	 * with its faults counted per rule. The process is its place in the
	 * run's tree (the same in every run); a log from before process trees
	 * names its pid. */
	printf("\nBy peer and connection:\n");
	size_t *pc = sorted_faults(R, by_peer_conn_rule);
	struct group *g = malloc((R->nf ? R->nf : 1) * sizeof *g);
	if (!g)
		exit(SF_EXIT_USAGE);
	size_t ng = 0;
	for (size_t k = 0; k < R->nf;) {
		struct group *x = &g[ng++];
		x->from = k;
		x->first = pc[k];
		for (k++; k < R->nf && by_peer_conn(&R->f[pc[k]], &R->f[pc[x->from]]) == 0; k++)
			if (pc[k] < x->first)
				x->first = pc[k];
		x->to = k;
	}
	qsort(g, ng, sizeof *g, by_first);
	for (size_t i = 0; i < ng; i++) {
		const struct fault *f = &R->f[g[i].first];
		printf("  %-28s conn %-3lld %-15s", f->peer, (long long)f->conn, f->proc);
		for (size_t k = g[i].from; k < g[i].to;) {
			int rule = R->f[pc[k]].rule;
			long n = 0;
			for (; k < g[i].to && R->f[pc[k]].rule == rule; k++)
				n++;
			printf(" %s x%ld", R->r[rule].name, n);
		}
		printf("\n");
	}
	free(g);
	free(pc);

	printf("\nOver time (%d columns of %.3fs each):\n", COLS, secs(span) / COLS);
	for (int i = 0; i < R->nr; i++) {
		long hist[COLS] = { 0 }, max = 0;
		for (size_t k = rc[i].from; k < rc[i].to; k++) {
			int col = column(R->f[ix[k]].t_us, R->t0, span + 1, COLS);
			if (++hist[col] > max)
				max = hist[col];
		}
		printf("  %-24s |", R->r[i].name);
		for (int c = 0; c < COLS; c++)
			fputs(bars[max ? (hist[c] * 8 + max - 1) / max : 0], stdout);
		printf("| %ld\n", R->r[i].fired);
	}
	free(rc);
	free(ix);
}

static void xml_text(FILE *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", o);
		else if (*s == '>')
			fputs("&gt;", o);
		else if (*s == '&')
			fputs("&amp;", o);
		else if (*s == '"')
			fputs("&quot;", o);
		else
			fputc(*s, o);
	}
}

static void svg(FILE *o, const struct report *R)
{
	static const char *colours[] = { "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e",
					 "#9467bd", "#8c564b", "#e377c2", "#17becf" };
	int row = 28, left = 220, width = 900, top = 40;
	int height = top + row * (R->nr ? R->nr : 1) + 40;
	int64_t span = R->t1 > R->t0 ? R->t1 - R->t0 : 1;
	fprintf(o,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" "
		"font-size=\"12\">\n",
		left + width + 20, height);
	fprintf(o, "<text x=\"10\" y=\"20\" font-size=\"14\">sockfault: %zu faults over %.3fs</text>\n", R->nf,
		secs(span));
	for (int i = 0; i < R->nr; i++) {
		int y = top + i * row;
		fprintf(o, "<text x=\"10\" y=\"%d\">", y + row / 2 + 4);
		xml_text(o, R->r[i].name);
		fprintf(o, " (%ld)</text>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n",
			R->r[i].fired, left, y + row / 2, left + width, y + row / 2);
	}
	for (size_t k = 0; k < R->nf; k++) {
		const struct fault *f = &R->f[k];
		int x = left + column(f->t_us, R->t0, span, width + 1);
		int y = top + f->rule * row;
		fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"2\" height=\"%d\" fill=\"%s\"><title>", x, y + 4, row - 8,
			colours[f->rule % 8]);
		fprintf(o, "+%.6fs ", secs(f->t_us - R->t0));
		xml_text(o, R->r[f->rule].name);
		fputs(" on ", o);
		xml_text(o, f->op);
		fputs(" ", o);
		xml_text(o, f->peer);
		fprintf(o, " conn %lld: ", (long long)f->conn);
		xml_text(o, R->r[f->rule].action);
		fputs("</title></rect>\n", o);
	}
	int axis = top + row * (R->nr ? R->nr : 1) + 10;
	fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", left, axis, left + width, axis);
	for (int t = 0; t <= 10; t++)
		fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.2fs</text>\n", left + t * width / 10,
			axis + 16, secs(span) * t / 10);
	fputs("</svg>\n", o);
}

static void html(FILE *o, const struct report *R, const char *path)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>sockfault report</title>\n"
	      "<style>body{font-family:sans-serif}td,th{padding:2px 10px;text-align:left}</style></head><body>\n"
	      "<h1>sockfault report</h1>\n<p>",
	      o);
	xml_text(o, path);
	fprintf(o, ": %ld processes, %zu faults</p>\n<table><tr><th>rule</th><th>action</th><th>fired</th></tr>\n",
		R->processes, R->nf);
	for (int i = 0; i < R->nr; i++) {
		fputs("<tr><td>", o);
		xml_text(o, R->r[i].name);
		fputs("</td><td>", o);
		xml_text(o, R->r[i].action);
		fprintf(o, "</td><td>%ld</td></tr>\n", R->r[i].fired);
	}
	fputs("</table>\n<h2>Timeline</h2>\n", o);
	svg(o, R);
	fputs("</body></html>\n", o);
}

int sf_cmd_report(int argc, char **argv)
{
	const char *log = NULL, *svg_out = NULL, *html_out = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			puts("usage: sockfault report [--svg FILE] [--html FILE] LOG.jsonl\n"
			     "Summarise a JSON log (SOCKFAULT_LOG_FORMAT=json, or run --json): what fired per\n"
			     "rule, per peer and connection, and over time. --svg and --html write a timeline\n"
			     "to open in a browser; '-' reads the log from standard input.");
			return SF_EXIT_OK;
		} else if ((strcmp(argv[i], "--svg") == 0 || strcmp(argv[i], "--html") == 0) && i + 1 < argc) {
			*(argv[i][2] == 's' ? &svg_out : &html_out) = argv[i + 1];
			i++;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			sf_cli_error("report: unknown option '%s' (--svg FILE, --html FILE)", argv[i]);
			return SF_EXIT_USAGE;
		} else if (!log) {
			log = argv[i];
		} else {
			sf_cli_error("report: one log at a time");
			return SF_EXIT_USAGE;
		}
	}
	if (!log) {
		sf_cli_error("report: no log given (sockfault report LOG.jsonl)");
		return SF_EXIT_USAGE;
	}
	struct report R = { 0 };
	if (!read_log(&R, log))
		return SF_EXIT_BAD;
	if (!R.nf && !R.processes && R.bad_lines) {
		sf_cli_error("report: %s has no sockfault JSON events (was it written with --json?)", log);
		return SF_EXIT_BAD;
	}
	if (R.bad_lines > 5)
		sf_cli_error("report: %ld lines in all were not sockfault JSON events and were skipped", R.bad_lines);
	order_rules(&R);
	terminal(&R, log);
	const char *outs[2] = { svg_out, html_out };
	for (int k = 0; k < 2; k++) {
		if (!outs[k])
			continue;
		FILE *o = fopen(outs[k], "w");
		if (!o) {
			sf_cli_error("report: cannot write %s: %s", outs[k], strerror(errno));
			return SF_EXIT_BAD;
		}
		if (k == 0)
			svg(o, &R);
		else
			html(o, &R, log);
		fclose(o);
		printf("\nwrote %s\n", outs[k]);
	}
	free(R.f);
	free(R.r);
	free(R.slot);
	return SF_EXIT_OK;
}
