/* The rules parser under libFuzzer: any bytes in, and the parser must neither
 * crash nor leak (ASan, UBSan), keep its own promises, and print rules that
 * read back as themselves.
 *
 * For every input, in file mode and in inline mode (semicolons):
 *   - sf_parse returns the number of messages it added, each "FILE:LINE:COL: ...";
 *   - the rules kept have distinct names and index = position;
 *   - round trip: every rule's canonical text (sf_rule_format, what
 *     `sockfault check` prints) parses again, alone, in the same mode, into
 *     exactly one rule with no message, and that rule prints the same text.
 * A broken promise prints the input and what went wrong, then abort()s, which
 * libFuzzer reports as a crash and saves as crash-*.
 *
 * Built two ways (tests/fuzz/Makefile.inc):
 *   fuzz_rules   clang -fsanitize=fuzzer,address,undefined: libFuzzer's main
 *                (scripts/fuzz, the fuzz stage of scripts/test);
 *   fuzz_replay  -DSF_FUZZ_REPLAY, any compiler: a main of our own that runs
 *                the same checks over the files and directories it is given
 *                (make check replays the corpus and tests/fuzz/regress/). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "format.h"
#include "parse.h"
#include "rules.h"

#define FUZZ_FILE "fuzz.rules"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *cur_data;
static size_t cur_size;

/* The input, printable, for the report of a broken promise. */
static void show_input(void)
{
	fprintf(stderr, "fuzz_rules: input (%zu bytes): \"", cur_size);
	for (size_t i = 0; i < cur_size; i++) {
		uint8_t c = cur_data[i];
		if (c == '\\' || c == '"')
			fprintf(stderr, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", stderr);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputs("\"\n", stderr);
}

static void broken(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void broken(const char *fmt, ...)
{
	va_list ap;
	show_input();
	fputs("fuzz_rules: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The canonical text of a rule, in a buffer the caller frees. */
static char *format_rule(const struct sf_rule *r)
{
	char small[256];
	size_t n = sf_rule_format(small, sizeof small, r);
	char *buf = malloc(n + 1);
	if (!buf)
		abort();
	size_t again = sf_rule_format(buf, n + 1, r);
	if (again != n || strlen(buf) != n)
		broken("sf_rule_format: returns %zu, writes %zu bytes: '%s'", n, strlen(buf), buf);
	if (n < sizeof small && strcmp(small, buf) != 0)
		broken("sf_rule_format: two calls print '%s' and '%s'", small, buf);
	if (memchr(buf, '\n', n))
		broken("canonical text on more than one line: '%s'", buf);
	/* The action alone, as the log prints it: only that it is consistent. */
	char act[128];
	size_t an = sf_action_format(act, sizeof act, r);
	if (an < sizeof act && strlen(act) != an)
		broken("sf_action_format: wrong length for '%s'", act);
	return buf;
}

static void check_diags(const struct sf_diags *d, unsigned errors)
{
	if (d->n != errors)
		broken("sf_parse returned %u problems but added %u messages", errors, d->n);
	for (unsigned i = 0; i < d->n; i++) {
		const char *t = d->v[i].text;
		unsigned line, col;
		int end = 0;
		if (!t || sscanf(t, FUZZ_FILE ":%u:%u: %n", &line, &col, &end) != 2 || end == 0 ||
		    line != d->v[i].line || col != d->v[i].col || line == 0 || col == 0 || t[end] == '\0')
			broken("a message not of the form FILE:LINE:COL: text: '%s'", t ? t : "(null)");
	}
}

static void parse_text(const char *text, size_t len, int semicolons, struct sf_ruleset *rs, struct sf_diags *d,
		       unsigned *errors)
{
	struct sf_parse_opts o = { FUZZ_FILE, semicolons, semicolons ? "text" : "line" };
	memset(rs, 0, sizeof *rs);
	memset(d, 0, sizeof *d);
	*errors = sf_parse(text, len, &o, rs, d);
	check_diags(d, *errors);
}

/* The canonical text `canon` of a rule reads back as that one rule. */
static void round_trip(const char *canon, int semicolons)
{
	struct sf_ruleset rs;
	struct sf_diags d;
	unsigned errors;
	parse_text(canon, strlen(canon), semicolons, &rs, &d, &errors);
	if (errors != 0 || rs.n != 1)
		broken("the canonical text '%s' does not parse back: %s", canon,
		       d.n ? d.v[0].text : "no rule, no message");
	char *again = format_rule(&rs.rules[0]);
	if (strcmp(again, canon) != 0)
		broken("the canonical text '%s' parses back as '%s'", canon, again);
	free(again);
	sf_ruleset_free(&rs);
	sf_diags_free(&d);
}

static void one_mode(const char *text, size_t len, int semicolons)
{
	struct sf_ruleset rs;
	struct sf_diags d;
	unsigned errors;
	parse_text(text, len, semicolons, &rs, &d, &errors);
	for (unsigned i = 0; i < rs.n; i++) {
		const struct sf_rule *r = &rs.rules[i];
		if (r->index != i || !r->name || r->action >= SF_ACT__COUNT)
			broken("rule %u ('%s'): bad index, name or action", i, r->name ? r->name : "(null)");
		for (unsigned j = 0; j < i; j++)
			if (strcmp(rs.rules[j].name, r->name) == 0)
				broken("two rules named '%s'", r->name);
		char *canon = format_rule(r);
		round_trip(canon, semicolons);
		free(canon);
	}
	sf_ruleset_free(&rs);
	sf_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so that ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	cur_data = data;
	cur_size = size;
	one_mode(text, size, 0);
	one_mode(text, size, 1);
	free(text);
	return 0;
}

#ifdef SF_FUZZ_REPLAY
/* Replay mode, a TAP test of make check:
 *
 *   fuzz_replay [PATH...]
 *
 * Every PATH (a directory: every file in it, in name order, dot files and
 * README aside) goes through the same checks. Without arguments: the seed
 * corpus (tests/fuzz/corpus), rules/ and the regression inputs
 * (tests/fuzz/regress) of the source tree $SF_SRCDIR. One TAP line per
 * directory of seeds, one per regression input; each runs in a child process,
 * so that one that crashes is a "not ok" and the others still run. A
 * regression input whose name starts with "open-" is a bug not fixed yet:
 * its line carries "# TODO" (XFAIL); once it passes (XPASS, which fails the
 * suite), drop the prefix. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurp.h"

struct paths {
	char **v;
	size_t n, cap;
};

static void add_path(struct paths *p, const char *dir, const char *name)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->v = realloc(p->v, p->cap * sizeof *p->v);
		if (!p->v)
			abort();
	}
	size_t len = strlen(dir) + strlen(name) + 2;
	char *s = malloc(len);
	if (!s)
		abort();
	snprintf(s, len, "%s%s%s", dir, *dir && *name ? "/" : "", name);
	p->v[p->n++] = s;
}

static void free_paths(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof *p);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int wanted(const struct dirent *e)
{
	return e->d_name[0] != '.' && strcmp(e->d_name, "README") != 0;
}

/* The files of `path`: itself, or what the directory holds. */
static int list_files(const char *path, struct paths *out)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		add_path(out, path, "");
		return 0;
	}
	struct dirent **list;
	int n = scandir(path, &list, wanted, by_name);
	if (n < 0)
		return -1;
	for (int k = 0; k < n; k++) {
		add_path(out, path, list[k]->d_name);
		free(list[k]);
	}
	free(list);
	return 0;
}

static int replay_file(const char *path)
{
	size_t len;
	uint8_t *buf = slurp(path, &len);
	if (!buf) {
		fprintf(stderr, "fuzz_replay: %s: cannot read: %s\n", path, strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

/* Replay the files in a child; 0 when all of them passed. */
static int replay_group(const struct paths *files)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int bad = 0;
		for (size_t i = 0; i < files->n; i++)
			bad |= replay_file(files->v[i]) != 0;
		_exit(bad ? 1 : 0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		fprintf(stderr, "fuzz_replay: killed by signal %d\n", WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct paths args = { 0 };
	const char *src = getenv("SF_SRCDIR");
	/* Each argument, and whether its files are regression inputs (one test each). */
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			add_path(&args, argv[i], "");
	} else if (src && *src) {
		add_path(&args, src, "tests/fuzz/corpus");
		add_path(&args, src, "rules");
		add_path(&args, src, "tests/fuzz/regress");
	} else {
		fputs("usage: fuzz_replay FILE|DIR... (or run through make check)\n", stderr);
		return 2;
	}

	/* The plan: one test per argument, but one per file under a regress directory. */
	struct paths *groups = calloc(args.n, sizeof *groups);
	int *is_regress = calloc(args.n, sizeof *is_regress);
	if (!groups || !is_regress)
		abort();
	size_t tests = 0;
	for (size_t i = 0; i < args.n; i++) {
		const char *a = args.v[i];
		size_t alen = strlen(a);
		is_regress[i] = alen >= 7 && strcmp(a + alen - 7, "regress") == 0;
		if (list_files(a, &groups[i]) != 0) {
			fprintf(stderr, "fuzz_replay: %s: %s\n", a, strerror(errno));
			is_regress[i] = 0; /* one test, which fails */
			tests++;
			continue;
		}
		tests += is_regress[i] ? groups[i].n : 1;
	}
	printf("1..%zu\n", tests);
	size_t t = 0;
	int failed = 0;
	for (size_t i = 0; i < args.n; i++) {
		if (!is_regress[i] || groups[i].n == 0) {
			int ok = groups[i].n > 0 && replay_group(&groups[i]) == 0;
			if (is_regress[i] && groups[i].n == 0)
				continue;
			const char *shown = args.v[i];
			if (argc == 1 && strncmp(shown, src, strlen(src)) == 0 && shown[strlen(src)] == '/')
				shown += strlen(src) + 1;
			printf("%sok %zu - %s (%zu input%s)\n", ok ? "" : "not ", ++t, shown, groups[i].n,
			       groups[i].n == 1 ? "" : "s");
			failed |= !ok;
			continue;
		}
		for (size_t k = 0; k < groups[i].n; k++) {
			struct paths one = { &groups[i].v[k], 1, 1 };
			const char *base = strrchr(groups[i].v[k], '/');
			base = base ? base + 1 : groups[i].v[k];
			int open = strncmp(base, "open-", 5) == 0;
			int ok = replay_group(&one) == 0;
			printf("%sok %zu - regress/%s%s\n", ok ? "" : "not ", ++t, base,
			       open ? " # TODO an open bug (see the file's name); drop open- once it passes" : "");
			failed |= !ok && !open;
		}
	}
	for (size_t i = 0; i < args.n; i++)
		free_paths(&groups[i]);
	free(groups);
	free(is_regress);
	free_paths(&args);
	return failed;
}
#endif
