/* The rules files are looked at every 250 ms at most, from the program's
 * own calls (reload.h): a call finds on a coarse clock that a look is due,
 * and one of the calls that find it pays for a stat of each file. A changed
 * file is parsed in full; good rules replace the old ones in one atomic
 * store, bad ones are reported and the old rules stay. The old set is freed
 * once no thread can still be reading it (reclaim.h). */
#include "reload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "active.h"
#include "clock.h"
#include "log.h"
#include "reclaim.h"
#include "settings.h"
#include "proc.h"
#include "enter.h"
#include "units.h"

#define CHECK_EVERY_NS (250 * SF_NS_PER_MS)

struct seen {
	long long mtime_ns;
	long long size;
	unsigned long long ino;
	int exists;
};

static uint64_t fingerprint(void)
{
	/* One number for the state of every file: any change to any of them
	 * (rewritten, replaced by rename, removed) changes it. */
	uint64_t h = 1469598103934665603ull;
	const char *paths = sf_config.rules_path;
	for (const char *p = paths; p && *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char path[4096];
		snprintf(path, sizeof path, "%.*s", (int)len, p);
		p = end ? end + 1 : NULL;
		struct stat st;
		struct seen s = { 0 };
		if (len && stat(path, &st) == 0) {
			s.exists = 1;
			s.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
			s.size = (long long)st.st_size;
			s.ino = (unsigned long long)st.st_ino;
		}
		const unsigned char *b = (const unsigned char *)&s;
		for (size_t i = 0; i < sizeof s; i++)
			h = (h ^ b[i]) * 1099511628211ull;
	}
	return h;
}

static void report_reload_problem(void *ctx, const char *msg)
{
	(void)ctx;
	sf_log_problem(msg);
}

static void free_active(void *p, size_t size)
{
	(void)size;
	sf_active_free(p);
}

static void reload_now(void)
{
	struct sf_ruleset rs = { 0 };
	unsigned errors = sf_rules_load(&rs, report_reload_problem, NULL);
	if (errors) {
		sf_log_problem("reload: the new rules have problems (above); the previous rules stay in force");
		sf_ruleset_free(&rs);
		return;
	}
	struct sf_active *a = sf_active_build(&rs, sf_config.exe);
	if (!a) {
		sf_ruleset_free(&rs);
		return;
	}
	struct sf_active *old = sf_active_get();
	sf_active_install(a);
	sf_log_reload(a->rs.n);
	if (old)
		sf_retire(old, 0, free_active);
	/* Nothing may be reading now: free what can be freed. */
	sf_read_begin();
	sf_read_end();
}

int sf_reload_on;
uint64_t sf_reload_next;
/* The files' fingerprint when last looked at; written by the one call that
 * won the look. */
static uint64_t last_seen;

void sf_reload_start(void)
{
	SF_STORE(&last_seen, fingerprint());
	SF_STORE(&sf_reload_next, sf_coarse_now() + CHECK_EVERY_NS);
	sf_active_reloading();
	SF_RELEASE(&sf_reload_on, 1);
}

/* Look at the files, reload if they changed. */
static __attribute__((noinline)) void look(void)
{
	uint64_t fp = fingerprint();
	if (fp != SF_LOAD(&last_seen)) {
		SF_STORE(&last_seen, fp);
		reload_now();
	}
}

void sf_reload_check(void)
{
	uint64_t due = SF_LOAD(&sf_reload_next);
	uint64_t now = sf_coarse_now();
	if (now < due)
		return;
	int e = errno;
	/* Not from a signal handler inside the library, and not from a vfork
	 * child, whose reload would be the parent's. */
	if (!sf_enter()) {
		errno = e;
		return;
	}
	if (sf_proc_owns_state() && __atomic_compare_exchange_n(&sf_reload_next, &due, now + CHECK_EVERY_NS, 0,
								__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		/* The reload runs foreign code (malloc, which a program may
		 * replace with one that makes calls of its own): it runs well
		 * below this frame, so that such a call is seen nested. */
		volatile char *room = __builtin_alloca(SF_NEST_GAP);
		room[0] = 0;
		look();
	}
	sf_leave();
	errno = e;
}
