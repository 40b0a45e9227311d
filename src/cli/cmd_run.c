/* sockfault run: check the rules, then exec CMD with the library preloaded.
 * exec, not fork: CMD's exit status and signals are the run's own. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "elfkind.h"
#include "envval.h"
#include "libpath.h"
#include "rulefile.h"
#include "suggest.h"
#include "supervise.h"
#include "winerun.h"

static void usage(FILE *to)
{
	fputs("usage: sockfault run [-r FILE]... [-e RULE]... [--seed N] [--log DEST] [--json]\n"
	      "                     [--trace] [--stats] [--reload] [--control] [--replay LOG]\n"
	      "                     [--seccomp] -- CMD [ARG...]\n"
	      "Run CMD with the fault injector preloaded.\n"
	      "  -r, --rules FILE   a rules file (several may be given)\n"
	      "  -e, --rule RULE    a rule on the command line (several may be given)\n"
	      "  --seed N           seed for p=, jitter and corrupt (decimal or 0x hex)\n"
	      "  --log DEST         stderr (default), off, or a file to append to\n"
	      "  --json             log JSON lines instead of text\n"
	      "  --trace            log every socket call, not only faults\n"
	      "  --stats            at exit, one line per rule: calls matched, faults fired\n"
	      "  --reload           re-read the rules files when they change\n"
	      "  --control          open a control channel (sockfault ps, sockfault ctl)\n"
	      "  --replay LOG       inject exactly the faults recorded in a JSON log\n"
	      "  --seccomp          supervise CMD's socket system calls through seccomp (the\n"
	      "                     default for static and Go programs, which LD_PRELOAD\n"
	      "                     cannot reach)\n"
	      "The rules are checked before CMD starts (exit 2 if any is bad). CMD's exit\n"
	      "status is the run's. SOCKFAULT_* variables not set by an option pass through.\n",
	      to);
}

static const char *const long_options[] = {
	"--rules",  "--rule",	 "--seed",   "--log",	  "--json", "--trace", "--stats",
	"--reload", "--control", "--replay", "--seccomp", "--help", NULL,
};

/* The program that would run: CMD itself if it has a slash, else the first
 * match in PATH, as execvp finds it. */
static int find_program(const char *cmd, char *out, size_t cap)
{
	if (strchr(cmd, '/')) {
		snprintf(out, cap, "%s", cmd);
		return access(out, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		snprintf(out, cap, "%.*s%s%s", (int)len, p, len ? "/" : "", cmd);
		if (access(out, X_OK) == 0)
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

/* Static and Go programs make their own system calls: only the seccomp
 * supervisor reaches them. 0: the preload does; 1: a static program (which
 * ignores LD_PRELOAD, so that its dynamic children may still have it); 2: a
 * dynamic Go program (cgo), which must not load the library as well. */
static int needs_supervisor(const char *cmd)
{
	char path[PATH_MAX];
	if (!find_program(cmd, path, sizeof path))
		return 0;
	switch (sf_elf_kind(path)) {
	case BIN_STATIC:
		return 1;
	case BIN_GO:
		return sf_elf_dynamic(path) ? 2 : 1;
	default:
		return 0;
	}
}

/* LD_PRELOAD with the library added. A sanitizer runtime must stay first. */
static char *preload_value(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	size_t n = strlen(lib) + (old ? strlen(old) : 0) + 2;
	char *v = malloc(n);
	if (!v)
		return NULL;
	if (old && *old && (strstr(old, "libasan") || strstr(old, "libtsan") || strstr(old, "libubsan")))
		snprintf(v, n, "%s:%s", old, lib);
	else if (old && *old)
		snprintf(v, n, "%s:%s", lib, old);
	else
		snprintf(v, n, "%s", lib);
	return v;
}

static int need_arg(int i, int argc, char **argv)
{
	if (i + 1 >= argc) {
		sf_cli_error("run: %s needs a value", argv[i]);
		return 0;
	}
	return 1;
}

static int run(int argc, char **argv, const char **files, char **textp);

int sf_cmd_run(int argc, char **argv)
{
	const char *files[argc > 0 ? argc : 1];
	char *text = calloc(1, 1);
	if (!text)
		return SF_EXIT_USAGE;
	int status = run(argc, argv, files, &text);
	free(text);
	return status;
}

/* Everything run does, with the inline rules in *textp (freed by the caller
 * whichever way this returns). */
static int run(int argc, char **argv, const char **files, char **textp)
{
	size_t nfiles = 0, text_len = 1;
	char *text = *textp;
	int i = 1, seccomp = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return SF_EXIT_OK;
		} else if (strcmp(a, "-r") == 0 || strcmp(a, "--rules") == 0) {
			if (!need_arg(i, argc, argv))
				return SF_EXIT_USAGE;
			files[nfiles++] = argv[++i];
		} else if (strcmp(a, "-e") == 0 || strcmp(a, "--rule") == 0) {
			if (!need_arg(i, argc, argv))
				return SF_EXIT_USAGE;
			const char *rule = argv[++i];
			text_len += strlen(rule) + 1;
			char *t = realloc(text, text_len);
			if (!t)
				return SF_EXIT_USAGE;
			text = *textp = t;
			if (*text)
				strcat(text, "\n");
			strcat(text, rule);
		} else if (strcmp(a, "--seed") == 0) {
			if (!need_arg(i, argc, argv))
				return SF_EXIT_USAGE;
			uint64_t seed;
			/* The library's own reading of SOCKFAULT_SEED: what one accepts, so does the other. */
			if (!sf_env_seed(argv[i + 1], &seed)) {
				sf_cli_error("run: --seed '%s' is not a number (a 64-bit seed, decimal or 0x hex)",
					     argv[i + 1]);
				return SF_EXIT_USAGE;
			}
			setenv("SOCKFAULT_SEED", argv[++i], 1);
		} else if (strcmp(a, "--log") == 0) {
			if (!need_arg(i, argc, argv))
				return SF_EXIT_USAGE;
			const char *dest = argv[++i];
			/* A file is named from here: CMD may change directory. */
			char abs[PATH_MAX];
			if (strcmp(dest, "stderr") != 0 && strcmp(dest, "off") != 0 && dest[0] != '/' &&
			    getcwd(abs, sizeof abs) && strlen(abs) + strlen(dest) + 2 <= sizeof abs) {
				strcat(abs, "/");
				strcat(abs, dest);
				dest = abs;
			}
			setenv("SOCKFAULT_LOG", dest, 1);
		} else if (strcmp(a, "--json") == 0) {
			setenv("SOCKFAULT_LOG_FORMAT", "json", 1);
		} else if (strcmp(a, "--trace") == 0) {
			setenv("SOCKFAULT_TRACE", "1", 1);
		} else if (strcmp(a, "--stats") == 0) {
			setenv("SOCKFAULT_STATS", "1", 1);
		} else if (strcmp(a, "--reload") == 0) {
			setenv("SOCKFAULT_RELOAD", "1", 1);
		} else if (strcmp(a, "--seccomp") == 0) {
			seccomp = 1;
		} else if (strcmp(a, "--control") == 0) {
			setenv("SOCKFAULT_CONTROL", "1", 1);
		} else if (strcmp(a, "--replay") == 0) {
			if (!need_arg(i, argc, argv))
				return SF_EXIT_USAGE;
			if (access(argv[i + 1], R_OK) != 0) {
				sf_cli_error("run: --replay %s: %s", argv[i + 1], strerror(errno));
				return SF_EXIT_USAGE;
			}
			char abs[PATH_MAX];
			setenv("SOCKFAULT_REPLAY", realpath(argv[i + 1], abs) ? abs : argv[i + 1], 1);
			i++;
		} else {
			struct sf_suggest sg;
			sf_suggest_init(&sg, a, strlen(a));
			sf_suggest_list(&sg, long_options);
			const char *best = sf_suggest_result(&sg);
			if (best)
				sf_cli_error("run: unknown option '%s' (did you mean '%s'?)", a, best);
			else
				sf_cli_error("run: unknown option '%s'", a);
			usage(stderr);
			return SF_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		sf_cli_error("run: no command given (sockfault run -r FILE -- CMD [ARG...])");
		return SF_EXIT_USAGE;
	}

	/* The library reads the files again in CMD: a pipe (-, <(...)) would
	 * come to it empty, and CMD would run without the rules it was given. */
	for (size_t k = 0; k < nfiles; k++) {
		struct stat st;
		if (strcmp(files[k], "-") == 0 || (stat(files[k], &st) == 0 && !S_ISREG(st.st_mode))) {
			sf_cli_error("run: %s: not a regular file: the library reads the rules files again when CMD "
				     "starts, and a pipe can be read only once (write the rules to a file, or give "
				     "them with -e)",
				     files[k]);
			return SF_EXIT_USAGE;
		}
	}

	/* Every rule is checked before anything starts. */
	struct sf_ruleset rs = { 0 };
	struct sf_diags d = { 0 };
	int bad = 0;
	for (size_t k = 0; k < nfiles; k++)
		bad |= sf_rulefile_load(files[k], &rs, &d) != 0;
	if (*text)
		bad |= sf_ruletext_load(text, &rs, &d) != 0;
	for (unsigned k = 0; k < d.n; k++)
		fprintf(stderr, "sockfault: %s\n", d.v[k].text);
	sf_ruleset_free(&rs);
	sf_diags_free(&d);
	if (bad) {
		sf_cli_error("run: %s not started: the rules have problems", argv[i]);
		return SF_EXIT_USAGE;
	}

	/* Absolute paths: CMD may change directory before the library reads them. */
	if (nfiles) {
		size_t cap = nfiles * PATH_MAX, len = 0;
		char *joined = malloc(cap);
		if (!joined)
			return SF_EXIT_USAGE;
		joined[0] = '\0';
		for (size_t k = 0; k < nfiles; k++) {
			char abs[PATH_MAX];
			const char *p = realpath(files[k], abs) ? abs : files[k];
			if (strchr(p, ':')) {
				sf_cli_error("run: %s: a rules file path may not contain ':'", p);
				free(joined);
				return SF_EXIT_USAGE;
			}
			len += (size_t)snprintf(joined + len, cap - len, "%s%s", k ? ":" : "", p);
		}
		setenv("SOCKFAULT_RULES", joined, 1);
		free(joined);
	}
	if (*text)
		setenv("SOCKFAULT_RULES_TEXT", text, 1);

	char lib[PATH_MAX];
	if (!sf_find_library(lib, sizeof lib)) {
		sf_cli_error("run: cannot find libsockfault.so next to this program or in %s (set SOCKFAULT_LIBRARY "
			     "to its path)",
			     SF_LIBDIR);
		return SF_EXIT_USAGE;
	}
	/* CMD is the first process of a new tree, even when this run is
	 * itself inside another one (sockfault-rules(5), "Process trees"). */
	setenv("SOCKFAULT_TREE", "1", 1);
	int reach = seccomp ? 2 : needs_supervisor(argv[i]);
	if (reach) {
		/* A static program's dynamic children still get the library; a
		 * program that would load it itself does not (its calls would be
		 * decided twice). */
		if (reach == 1) {
			char *preload = preload_value(lib);
			if (!preload)
				return SF_EXIT_USAGE;
			setenv("LD_PRELOAD", preload, 1);
			free(preload);
		}
		return sf_supervise_run(argv + i, lib);
	}
	char *preload = preload_value(lib);
	if (!preload)
		return SF_EXIT_USAGE;
	setenv("LD_PRELOAD", preload, 1);
	free(preload);
	if (sf_wine_command(argv[i]))
		return sf_wine_run(argv + i);
	execvp(argv[i], argv + i);
	int err = errno;
	sf_cli_error("run: cannot run %s: %s", argv[i], strerror(err));
	return err == ENOENT ? 127 : 126;
}
