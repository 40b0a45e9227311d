/* Reading SOCKFAULT_* and the rules at start. Everything here runs once, in
 * the constructor (or the first wrapper call, if that comes first), with
 * raw system calls for its files, so it never goes through the wrappers. */
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_GETAUXVAL
#include <sys/auxv.h>
#endif

#include "clock.h"
#include "envval.h"
#include "log.h"
#include "parse.h"
#include "readfile.h"
#include "wine.h"

struct sf_settings sf_config;

/* Secure execution (setuid, file capabilities): read nothing at all. */
static int secure_mode(void)
{
#ifdef HAVE_GETAUXVAL
	if (getauxval(AT_SECURE))
		return 1;
#endif
	return 0;
}

static const char *env(const char *name)
{
#ifdef HAVE_SECURE_GETENV
	const char *v = secure_getenv(name);
#else
	const char *v = getenv(name);
#endif
	return v && *v ? v : NULL;
}

struct problems {
	unsigned n;
};

static void problem(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct problems *p, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sf_log_message(msg);
	p->n++;
}

/* One of a few words; a bad value is reported with the closest word. */
static int choice(struct problems *p, const char *var, const char *const *words, int dflt)
{
	const char *v = env(var);
	if (!v)
		return dflt;
	char msg[300];
	int i = sf_env_choice(v, words, msg, sizeof msg);
	if (i >= 0)
		return i;
	problem(p, "%s: %s", var, msg);
	return dflt;
}

static uint64_t random_seed(void)
{
	uint64_t s = 0;
#ifdef SYS_getrandom
	if (syscall(SYS_getrandom, &s, sizeof s, 0) == (long)sizeof s)
		return s;
#endif
	return sf_now() ^ ((uint64_t)getpid() << 32);
}

static void short_name(char *out, size_t cap)
{
#if HAVE_DECL_PROGRAM_INVOCATION_SHORT_NAME
	if (program_invocation_short_name && *program_invocation_short_name) {
		snprintf(out, cap, "%s", program_invocation_short_name);
		return;
	}
#endif
	struct sf_read r;
	if (sf_read_path("/proc/self/comm", 4096, &r) == SF_READ_OK) {
		size_t n = r.len;
		while (n && (r.text[n - 1] == '\n'))
			n--;
		snprintf(out, cap, "%.*s", (int)n, r.text);
		free(r.text);
	}
}

/* The name exe= matches: the short name, or for a process of Wine's loader
 * the Windows program it runs. */
static void program_name(char *out, size_t cap)
{
	short_name(out, cap);
	sf_wine_identify(out, cap);
}

static void open_log(struct problems *p, const char *dest)
{
	char why[4200];
	if (sf_logfd_setup(dest, why, sizeof why) != 0)
		problem(p, "SOCKFAULT_LOG: %s", why);
}

/* The basename of a path, for naming the unnamed rules of several files. */
static void base_of(const char *path, size_t len, char *out, size_t cap)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			start = i + 1;
	size_t n = len - start;
	if (n > 5 && memcmp(path + len - 6, ".rules", 6) == 0)
		n -= 6;
	snprintf(out, cap, "%.*s:line", (int)n, path + start);
}

unsigned sf_rules_load(struct sf_ruleset *rs, void (*report)(void *ctx, const char *msg), void *ctx)
{
	struct sf_diags d = { 0 };
	unsigned errors = 0;
	const char *paths = sf_config.rules_path;
	int several = paths && strchr(paths, ':') != NULL;
	/* One bound for all the files: several FIFOs cannot add up. */
	long long deadline = sf_read_deadline();
	for (const char *p = paths; p && *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char path[4096], name[300];
		snprintf(path, sizeof path, "%.*s", (int)len, p);
		base_of(p, len, name, sizeof name);
		p = end ? end + 1 : NULL;
		if (!len)
			continue;
		/* Bounded in size and time (sockfault-rules(5)): this runs before
		 * the program's main, which a FIFO or /dev/zero must not hold. */
		struct sf_read r;
		if (sf_read_path_by(path, SF_RULES_MAX_BYTES, deadline, &r) != SF_READ_OK) {
			char msg[4400], why[300];
			snprintf(msg, sizeof msg, "%s: %s (SOCKFAULT_RULES)", path,
				 sf_read_problem(&r, "the rules file", why, sizeof why));
			report(ctx, msg);
			errors++;
			continue;
		}
		struct sf_parse_opts o = { path, 0, several ? name : "line" };
		errors += sf_parse(r.text, r.len, &o, rs, &d);
		free(r.text);
	}
	if (sf_config.rules_text) {
		struct sf_parse_opts o = { "SOCKFAULT_RULES_TEXT", 1, "text" };
		errors += sf_parse(sf_config.rules_text, strlen(sf_config.rules_text), &o, rs, &d);
	}
	for (unsigned i = 0; i < d.n; i++)
		report(ctx, d.v[i].text);
	sf_diags_free(&d);
	return errors;
}

static void report_problem(void *ctx, const char *msg)
{
	problem(ctx, "%s", msg);
}

unsigned sf_settings_init(struct sf_ruleset *rs)
{
	static const char *const onoff[] = { "0", "1", NULL };
	static const char *const on_error[] = { "exit", "warn", NULL };
	static const char *const formats[] = { "text", "json", NULL };
	static const char *const delay_modes[] = { "data", "call", NULL };
	struct problems p = { 0 };

	sf_config.t_start = sf_now();
	program_name(sf_config.exe, sizeof sf_config.exe);
	if (secure_mode()) {
		sf_config.inert = 1;
		return 0;
	}
	sf_config.warn_on_error = choice(&p, "SOCKFAULT_ON_ERROR", on_error, 0);
	sf_config.log_format = (enum sf_log_format)choice(&p, "SOCKFAULT_LOG_FORMAT", formats, SF_LOG_TEXT);
	sf_log_setup(sf_config.log_format);
	sf_config.trace = choice(&p, "SOCKFAULT_TRACE", onoff, 0);
	sf_config.stats = choice(&p, "SOCKFAULT_STATS", onoff, 0);
	sf_config.delay_in_call = choice(&p, "SOCKFAULT_DELAY", delay_modes, 0);
	open_log(&p, env("SOCKFAULT_LOG"));
	/* Tracing into a log that is off would cost every call for nothing. */
	if (sf_logfd_off())
		sf_config.trace = 0;
	const char *seed = env("SOCKFAULT_SEED");
	if (seed && !sf_env_seed(seed, &sf_config.seed))
		problem(&p, "SOCKFAULT_SEED: '%s' is not a number (a 64-bit seed, decimal or 0x hex)", seed);
	else if (!seed)
		sf_config.seed = random_seed();
	const char *path = env("SOCKFAULT_RULES");
	const char *text = env("SOCKFAULT_RULES_TEXT");
	sf_config.rules_path = path ? strdup(path) : NULL;
	sf_config.rules_text = text ? strdup(text) : NULL;
	sf_log_describe(sf_config.seed, sf_config.exe, sf_config.rules_path);

	sf_config.reload = choice(&p, "SOCKFAULT_RELOAD", onoff, 0);
	sf_config.control = choice(&p, "SOCKFAULT_CONTROL", onoff, 0);
	sf_rules_load(rs, report_problem, &p);
	const char *replay = env("SOCKFAULT_REPLAY");
	if (replay) {
		if (!path && !text)
			problem(&p,
				"SOCKFAULT_REPLAY: replaying %s needs the rules of the recorded run "
				"(SOCKFAULT_RULES or SOCKFAULT_RULES_TEXT)",
				replay);
		sf_config.replay_path = strdup(replay);
	}
	return p.n;
}
