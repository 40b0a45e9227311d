#include "deadline.h"

#include <errno.h>
#include <pthread.h>

#include "active.h"
#include "clock.h"
#include "dead.h"
#include "engine.h"
#include "reclaim.h"
#include "timer.h"

#ifdef HAVE_SYS_SINGLE_THREADED_H
#include <sys/single_threaded.h>
#endif

/* The quick lane's marks (sf_deadline_arm) need the timer's thread. Where
 * it does not run yet, only a program with threads of its own gets it for
 * them: another thread would make each system call of a single-threaded
 * program dearer (glibc's cancellation points then take their atomic
 * path), and sockfault(1) lets a program without timeouts or time
 * triggers stay single-threaded. glibc says whether the program ever ran
 * another thread, and a forked child's flag is its parent's: a child
 * (one thread, whatever its parent ran) is taken for single-threaded. */
static int forked;
static int may_mark(void)
{
	if (SF_LOAD(&sf_timer_running))
		return 1;
#ifdef HAVE_SYS_SINGLE_THREADED_H
	return !forked && !__atomic_load_n(&__libc_single_threaded, __ATOMIC_RELAXED);
#else
	return 0;
#endif
}

/* Where idle counts from: the later of the last data moved and the
 * connection (sockfault-rules(5), idle). */
static uint64_t idle_since(const struct sf_sock *s)
{
	uint64_t last = SF_LOAD(&s->t_last_io);
	return last > s->t_connected ? last : s->t_connected;
}

/* When the timed rule r could first hold: both its bounds (age from the
 * connection, idle from the last data moved), the later of the two. */
static uint64_t rule_deadline(const struct sf_rule *r, const struct sf_sock *s)
{
	uint64_t connected = s->t_connected, last = idle_since(s), at = 0;
	if (r->num[SF_NUM_AGE].lo)
		at = connected + r->num[SF_NUM_AGE].lo;
	if (r->num[SF_NUM_IDLE].lo && last + r->num[SF_NUM_IDLE].lo > at)
		at = last + r->num[SF_NUM_IDLE].lo;
	return at;
}

/* Entry e is one the quick lane decides whose one number is idle or age
 * with a lower bound (decide/quick.h sf_lane_holds): when it can first
 * hold, in *at (UINT64_MAX: never, the bound is past any clock, or the
 * range is empty). */
static int lane_bound(const struct sf_plan_entry *e, const struct sf_sock *s, uint64_t *at)
{
	if (!(e->flags & SF_PE_QUICK) || (e->num != 1 + SF_NUM_IDLE && e->num != 1 + SF_NUM_AGE) || !e->lo)
		return 0;
	uint64_t t = e->num == 1 + SF_NUM_IDLE ? idle_since(s) : s->t_connected;
	*at = t + e->lo < t ? UINT64_MAX : t + e->lo;
	return 1;
}

/* One arming at a time: the entries' marks and the deadline set with them
 * must be of one look, or a mark could outlive the deadline that keeps it. */
static pthread_mutex_t arm_lock = PTHREAD_MUTEX_INITIALIZER;
/* A mark was ever set in this process (a forked child clears them). */
static int marked_ever;

static void disarm_plan(struct sf_plan *plan)
{
	for (uint32_t i = 0; plan && i < plan->n; i++)
		sf_entry_arm(&plan->e[i], SF_ARM_TRY);
}

/* Clear the lane's marks on s: its calls read the clock again. */
static void disarm(struct sf_sock *s)
{
	pthread_mutex_lock(&arm_lock);
	sf_read_begin();
	disarm_plan(SF_ACQUIRE(&s->plan));
	sf_read_end();
	pthread_mutex_unlock(&arm_lock);
}

/* s's plan has a timed rule or a bound of the lane: a look with no lock,
 * so that the connections of other rules pay none. */
static int has_times(struct sf_sock *s)
{
	int any = 0;
	uint64_t at;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n && !any; i++)
		any = sf_rule_timed(&a->rs.rules[plan->e[i].rule]) || lane_bound(&plan->e[i], s, &at);
	sf_read_end();
	return any;
}

void sf_deadline_arm(int fd, struct sf_sock *s)
{
	if (SF_LOAD(&s->dead) || !s->t_connected || !has_times(s))
		return;
	int saved = errno;
	pthread_mutex_lock(&arm_lock);
	uint64_t now = sf_now(), next = UINT64_MAX, next_mark = UINT64_MAX, at;
	/* Time triggers keep to connections (sockfault-rules(5), idle). */
	int connected = SF_LOAD(&s->state) == SF_STATE_CONNECTED;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	if (!a || !plan || plan->gen != a->gen)
		plan = NULL;
	for (uint32_t i = 0; plan && i < plan->n; i++) {
		const struct sf_rule *r = &a->rs.rules[plan->e[i].rule];
		/* A time already past was asked about (or is a receive's to
		 * decide): only what is still to come is kept. */
		if (connected && sf_rule_timed(r) && (at = rule_deadline(r, s)) > now && at < next)
			next = at;
		if (lane_bound(&plan->e[i], s, &at) && at > now && at < next_mark)
			next_mark = at;
	}
	/* A deadline of a timed rule starts the thread all the same; without
	 * one, the deadline is only the marks' (optional to the timer). */
	int marks = next_mark != UINT64_MAX && (next != UINT64_MAX || may_mark());
	int optional = next == UINT64_MAX;
	if (marks && next_mark < next)
		next = next_mark;
	/* The token lives in the record's rare block, made only now: most
	 * connections have neither kind of time. */
	struct sf_sock_rare *rare = next != UINT64_MAX ? sf_sock_rare(s) : NULL;
	if (rare) {
		uint16_t token = (uint16_t)(SF_LOAD(&rare->trigger_token) + 1);
		SF_STORE(&rare->trigger_token, token);
		marks &= sf_timer_schedule_trigger(fd, s, token, next, optional);
	} else {
		marks = 0;
	}
	/* A bound not reached yet is marked: no clock until the deadline,
	 * which is never later than the bound; without a deadline, the lane
	 * is told not to try again (until the next disarm, or a new plan). */
	for (uint32_t i = 0; plan && i < plan->n; i++)
		if (lane_bound(&plan->e[i], s, &at))
			sf_entry_arm(&plan->e[i], at <= now ? SF_ARM_TRY : marks ? SF_ARM_ON : SF_ARM_NEVER);
	if (marks)
		SF_STORE(&marked_ever, 1);
	sf_read_end();
	pthread_mutex_unlock(&arm_lock);
	errno = saved;
}

void sf_deadline_expired(int fd, struct sf_sock *s)
{
	/* The deadline that kept the lane's marks has come: they are made
	 * again from what the connection did meanwhile (data put idle off). */
	disarm(s);
	if (!SF_LOAD(&s->dead) && SF_LOAD(&s->state) == SF_STATE_CONNECTED) {
		/* No call of the program's: the rules see a receive (the
		 * operation a timed rule names), logged as such. */
		struct sf_call c = { .op = SF_OP_recv, .fd = fd, .s = s, .timed = 1 };
		sf_decide(&c);
		if (c.v.decided) {
			sf_dead_at_time(fd, s, &c.v);
			return;
		}
	}
	sf_deadline_arm(fd, s);
}

void sf_deadline_lock(void)
{
	pthread_mutex_lock(&arm_lock);
}

void sf_deadline_unlock(void)
{
	pthread_mutex_unlock(&arm_lock);
}

void sf_deadline_lost(struct sf_sock *s)
{
	disarm(s);
}

void sf_deadline_child_reset(void)
{
	pthread_mutex_init(&arm_lock, NULL);
	forked = 1;
	if (!marked_ever)
		return;
	/* The timer drops the deadlines only the marks needed (timer.h): no
	 * mark may outlive them. The child runs one thread now. */
	unsigned high = SF_LOAD(&sf_fd_high);
	for (unsigned i = 0; i < high; i++) {
		uintptr_t v = sf_fd_get((int)i);
		if (sf_fd_is_sock(v))
			disarm_plan(((struct sf_sock *)v)->plan);
	}
	marked_ever = 0;
}

void sf_deadline_closed(struct sf_sock *s)
{
	/* Never armed: nothing to look for (the common case: no rare block). */
	const struct sf_sock_rare *rare = sf_sock_rare_if(s);
	if (!rare || (!SF_LOAD(&rare->trigger_token) && !SF_LOAD(&rare->ka_token)))
		return;
	/* A dup may still hold the record. Each descriptor holds a reference,
	 * as do the timer's entries and the calls using it (this close's
	 * among them): with none besides, there is no dup to look for, and no
	 * walk of the whole table at every close of a program with thousands
	 * of connections. */
	if (sf_timer_held_elsewhere(s, 1)) {
		unsigned high = SF_LOAD(&sf_fd_high);
		for (unsigned i = 0; i < high; i++)
			if (sf_fd_get((int)i) == (uintptr_t)s)
				return;
	}
	sf_timer_forget_closed(s);
}
