/* The rules files are looked at every 250 ms by a thread of their own, so an
 * intercepted call never pays a system call for it. A changed file is parsed
 * in full; good rules replace the old ones in one atomic store, bad ones are
 * reported and the old rules stay. The old set is freed once no thread can
 * still be reading it (reclaim.h). */
#include "reload.h"

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
#include "thread.h"
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

/* The files as they were when the rules in force were read: taken before
 * the thread starts, so that a change made while it is being scheduled is
 * not taken for the starting point. */
static uint64_t loaded;

static void *watch(void *arg)
{
	(void)arg;
	sf_self.depth = 1;
	uint64_t last = loaded;
	for (;;) {
		sf_sleep_ns(CHECK_EVERY_NS);
		uint64_t now = fingerprint();
		if (now != last) {
			last = now;
			reload_now();
		}
	}
	return NULL;
}

static void start(void)
{
	loaded = fingerprint();
	sf_thread_start(watch, 256 * 1024);
}

void sf_reload_start(void)
{
	start();
}

void sf_reload_child_restart(void)
{
	/* A forked server's workers keep following the file. */
	if (sf_config.reload && sf_config.rules_path && !sf_config.inert)
		start();
}
