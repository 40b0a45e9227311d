/* Start, fork and exit. Initialisation is lazy and idempotent: the
 * constructor runs it, but so does the first wrapper call, because another
 * library's constructor may make socket calls before ours has run. */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "active.h"
#include "alloc.h"
#include "clock.h"
#include "control.h"
#include "dead.h"
#include "deadline.h"
#include "enter.h"
#include "fdtab.h"
#include "log.h"
#include "names.h"
#include "peers.h"
#include "proctree.h"
#include "proc.h"
#include "real.h"
#include "reclaim.h"
#include "relay.h"
#include "reload.h"
#include "replay.h"
#include "report.h"
#include "settings.h"
#include "sock.h"
#include "timer.h"
#include "usermem.h"

enum { INIT_NOT, INIT_RUNNING, INIT_DONE };
static int init_state = INIT_NOT;
int sf_init_done;

static void before_fork(void)
{
	/* Resolve now so that no child ever calls dlsym after fork. */
	sf_resolve_all();
	sf_proctree_before_fork();
	sf_deadline_lock();
	sf_timer_lock();
	sf_relay_lock();
	sf_names_lock();
	sf_peers_lock();
	sf_alloc_lock();
}

static void after_fork_parent(void)
{
	sf_alloc_unlock();
	sf_peers_unlock();
	sf_names_unlock();
	sf_relay_unlock();
	sf_timer_unlock();
	sf_deadline_unlock();
}

/* Also run by proc.c in a child made without fork handlers. */
static void sf_after_fork_child(void)
{
	sf_proc_forked();
	sf_alloc_child_reset();
	sf_reclaim_child_reset();
	sf_active_child_reset();
	sf_peers_child_reset();
	sf_names_child_reset();
	sf_deadline_child_reset();
	sf_timer_child_reset();
	sf_relay_child_reset();
	sf_proctree_child();
	sf_control_child_restart();
	struct sf_active *a = sf_active_get();
	if (a)
		sf_log_start(a->rs.n);
}

/* A problem with the start's input, counted and reported at once. */
static void start_problem(void *ctx, const char *msg)
{
	sf_log_message(msg);
	(*(unsigned *)ctx)++;
}

/* The environment and the rules read (settings.h): the rules put in
 * force, and what keeps them current started (SOCKFAULT_RELOAD, the
 * control channel). On bad input print the messages and exit(2), or with
 * SOCKFAULT_ON_ERROR=warn run with no faults. */
static void start_rules(void)
{
	struct sf_ruleset rs = { 0 };
	unsigned problems = sf_settings_init(&rs);
	if (sf_config.inert)
		return;
	if (sf_config.replay_path)
		sf_replay_load(sf_config.replay_path, start_problem, &problems);
	if (problems) {
		if (!sf_config.warn_on_error)
			_exit(2);
		sf_log_message("SOCKFAULT_ON_ERROR=warn: running with no faults");
		sf_ruleset_free(&rs);
		sf_config.inert = !sf_config.trace;
		return;
	}
	/* With a control channel, rules may come later: the engine stays on. */
	if (!sf_config.rules_path && !sf_config.rules_text && !sf_config.trace && !sf_config.control) {
		sf_config.inert = 1;
		return;
	}
	struct sf_active *a = sf_active_build(&rs, sf_config.exe);
	if (!a) {
		sf_log_message("out of memory while loading the rules: running with no faults");
		sf_ruleset_free(&rs);
		sf_config.inert = 1;
		return;
	}
	sf_active_install(a);
	sf_log_start(a->rs.n);
	if (sf_config.reload && sf_config.rules_path)
		sf_reload_start();
	if (sf_config.control)
		sf_control_start();
}

static void init(void)
{
	sf_resolve_all();
	sf_tsc_start();
	sf_fdtab_init();
	sf_proc_init(sf_after_fork_child);
	sf_usermem_init();
	sf_proctree_init();
	sf_log_proc_source(sf_proctree_text);
	sf_timer_init(sf_dead_timeout_expired, sf_deadline_expired, sf_dead_keepalive_expired, sf_deadline_lost);
	start_rules();
	if (sf_config.inert)
		sf_active_install(NULL);
	sf_relay_prepare();
	pthread_atfork(before_fork, after_fork_parent, sf_after_fork_child);
}

int sf_init_ready(void)
{
	int st = SF_ACQUIRE(&init_state);
	if (SF_LIKELY(st == INIT_DONE))
		return 1;
	int expected = INIT_NOT;
	if (!__atomic_compare_exchange_n(&init_state, &expected, INIT_RUNNING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		/* Another thread is initialising, or this one is (a call made
		 * from inside init): let this call through untouched. */
		return expected == INIT_DONE;
	sf_self.depth++;
	init();
	sf_depth_down();
	SF_RELEASE(&init_state, INIT_DONE);
	SF_RELEASE(&sf_init_done, 1);
	return 1;
}

__attribute__((constructor(101))) static void sf_constructor(void)
{
	sf_init_ready();
}

__attribute__((destructor)) static void sf_destructor(void)
{
	struct sf_active *a = sf_active_get();
	if (a && sf_config.stats && !sf_config.inert)
		sf_report_stats(a);
}
