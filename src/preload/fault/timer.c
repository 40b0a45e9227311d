#include "timer.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "alloc.h"
#include "clock.h"
#include "fdtab.h"
#include "heap.h"
#include "thread.h"

/* A deadline: one per socket and kind at most (the record's rare block
 * points to it), moved when the socket's deadline of that kind is set
 * again, taken out when the socket closes. */
struct sf_timer_entry {
	struct sf_heap_node node; /* its key: the deadline */
	struct sf_sock *s;
	int fd;
	uint16_t token;
	uint8_t kind; /* SF_TIMER_* */
	/* A time trigger only the calls' marks need (sf_timer_schedule_trigger):
	 * a forked child drops it rather than start a thread for it. */
	uint8_t optional;
};
_Static_assert(SF_TIMER_KINDS ==
		       sizeof((struct sf_sock_rare *)0)->timer_entry / sizeof((struct sf_sock_rare *)0)->timer_entry[0],
	       "a pending deadline of each kind in the rare block");

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
/* By deadline: a program with thousands of connections under a bound on
 * idle keeps one each (deadline.c), set again as data moves. */
static struct sf_heap pending;
int sf_timer_running; /* the thread exists in this process (written under the lock) */
/* The record the timeout thread is acting on now. Not a flag in the record:
 * a child forked at that moment has no such thread, and forgets it here. */
static struct sf_sock *expiring;
/* What a deadline does (sf_timer_init), by kind; and what a time trigger
 * that could not act (its socket being closed) does instead. */
static void (*on[SF_TIMER_KINDS])(int fd, struct sf_sock *s);
static void (*on_lost)(struct sf_sock *s);

void sf_timer_init(void (*expired)(int fd, struct sf_sock *s), void (*triggered)(int fd, struct sf_sock *s),
		   void (*keepalive)(int fd, struct sf_sock *s), void (*trigger_lost)(struct sf_sock *s))
{
	on[SF_TIMER_TIMEOUT] = expired;
	on[SF_TIMER_TRIGGER] = triggered;
	on[SF_TIMER_KEEPALIVE] = keepalive;
	on_lost = trigger_lost;
}

/* The record's token for a deadline of this kind. */
static uint16_t *token_of(struct sf_sock_rare *r, int kind)
{
	return kind == SF_TIMER_TRIGGER	    ? &r->trigger_token
	       : kind == SF_TIMER_KEEPALIVE ? &r->ka_token
					    : &r->timer_token;
}

/* The deadline acts on a descriptor of the socket. The program may be
 * closing that descriptor right now, and its number be reused at once: a
 * handshake with the close path (sf_timer_closing) makes sure the abort
 * reaches this socket or nothing. */
static void expire(int fd, struct sf_sock *s, int kind)
{
	__atomic_store_n(&expiring, s, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&s->closing, __ATOMIC_SEQ_CST)) {
		if (fd < 0 || sf_fd_get(fd) != (uintptr_t)s) {
			/* That descriptor was closed; a dup of it may remain. */
			fd = -1;
			unsigned high = SF_LOAD(&sf_fd_high);
			for (unsigned i = 0; i < high && fd < 0; i++)
				if (sf_fd_get((int)i) == (uintptr_t)s)
					fd = (int)i;
		}
		if (fd >= 0)
			on[kind](fd, s);
	} else if (kind == SF_TIMER_TRIGGER) {
		/* A dup of the descriptor being closed may live on, with what
		 * this deadline kept. */
		on_lost(s);
	}
	__atomic_store_n(&expiring, NULL, __ATOMIC_RELEASE);
}

void sf_timer_closing(struct sf_sock *s, int begin)
{
	if (!begin) {
		__atomic_store_n(&s->closing, 0, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&s->closing, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&expiring, __ATOMIC_SEQ_CST) == s)
		sched_yield();
}

static void *timer_main(void *arg)
{
	(void)arg;
	/* Never inside a wrapper's logic: any libc call this thread makes on
	 * a socket goes straight through. */
	sf_self.depth = 1;
	pthread_mutex_lock(&lock);
	for (;;) {
		uint64_t now = sf_now();
		struct sf_heap_node *first = sf_heap_min(&pending);
		if (first && first->key <= now) {
			struct sf_timer_entry *e = (struct sf_timer_entry *)first;
			sf_heap_remove(&pending, first);
			/* A token was set before the entry was made: the
			 * record has its rare block. */
			struct sf_sock_rare *r = sf_sock_rare_if(e->s);
			r->timer_entry[e->kind] = NULL;
			pthread_mutex_unlock(&lock);
			if (SF_LOAD(token_of(r, e->kind)) == e->token)
				expire(e->fd, e->s, e->kind);
			sf_sock_unref(e->s);
			sf_free(e, sizeof *e);
			pthread_mutex_lock(&lock);
			continue;
		}
		if (!first) {
			pthread_cond_wait(&wake, &lock);
		} else {
			struct timespec ts = { (time_t)(first->key / 1000000000ull),
					       (long)(first->key % 1000000000ull) };
			pthread_cond_timedwait(&wake, &lock, &ts);
		}
	}
	return NULL;
}

static void start_thread(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake, &ca);
	pthread_condattr_destroy(&ca);
	SF_STORE(&sf_timer_running, sf_thread_start(timer_main, 64 * 1024));
}

/* The socket's deadline of this kind is now `deadline` (under the lock):
 * its entry moved, or a new one. 0 with no memory. */
static int place(struct sf_sock_rare *r, int fd, struct sf_sock *s, uint16_t token, uint64_t deadline, int kind,
		 int optional)
{
	/* A newer deadline of this kind was set meanwhile (its token bumped
	 * after ours, outside this lock): it is placed, or on its way, and
	 * must not be put back to ours. */
	if (SF_LOAD(token_of(r, kind)) != token)
		return 1;
	struct sf_timer_entry *e = r->timer_entry[kind];
	if (!e) {
		if (!(e = sf_alloc(sizeof *e)))
			return 0;
		e->node.key = deadline;
		if (!sf_heap_push(&pending, &e->node)) {
			sf_free(e, sizeof *e);
			return 0;
		}
		/* The entry holds the record: it cannot be freed, and reused
		 * by the next socket with this number, before the deadline. */
		sf_sock_ref(s);
		e->s = s;
		e->kind = (uint8_t)kind;
		r->timer_entry[kind] = e;
	} else {
		/* The one it had is no more the socket's (its token is
		 * older): the entry takes the new one's place. */
		sf_heap_rekey(&pending, &e->node, deadline);
	}
	e->fd = fd;
	e->token = token;
	e->optional = (uint8_t)optional;
	return 1;
}

static int schedule(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline, int kind, int optional)
{
	/* The caller set the token in the rare block. */
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	if (!r)
		return 0;
	pthread_mutex_lock(&lock);
	if (!sf_timer_running)
		start_thread();
	int running = sf_timer_running, placed = 0;
	/* With no thread (it could not start: a limit on processes), an
	 * optional deadline would never come: its caller must know. */
	if (running || !optional) {
		const struct sf_heap_node *first = sf_heap_min(&pending);
		uint64_t waits_for = first ? first->key : UINT64_MAX;
		placed = place(r, fd, s, token, deadline, kind, optional);
		/* The thread sleeps until the first deadline: woken only when
		 * one comes sooner (each wake-up costs a context switch, and a
		 * program may set thousands a second). */
		if ((first = sf_heap_min(&pending)) != NULL && first->key < waits_for)
			pthread_cond_signal(&wake);
	}
	pthread_mutex_unlock(&lock);
	return running && placed;
}

void sf_timer_schedule(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline)
{
	schedule(fd, s, token, deadline, SF_TIMER_TIMEOUT, 0);
}

int sf_timer_schedule_trigger(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline, int optional)
{
	return schedule(fd, s, token, deadline, SF_TIMER_TRIGGER, optional);
}

void sf_timer_schedule_keepalive(int fd, struct sf_sock *s, uint16_t token, uint64_t deadline)
{
	schedule(fd, s, token, deadline, SF_TIMER_KEEPALIVE, 0);
}

void sf_timer_forget_closed(struct sf_sock *s)
{
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	struct sf_timer_entry *gone[SF_TIMER_KINDS];
	int n = 0;
	if (!r)
		return;
	pthread_mutex_lock(&lock);
	for (int kind = 0; kind < SF_TIMER_KINDS; kind++) {
		struct sf_timer_entry *e = r->timer_entry[kind];
		if (e && kind != SF_TIMER_TIMEOUT) {
			sf_heap_remove(&pending, &e->node);
			r->timer_entry[kind] = NULL;
			gone[n++] = e;
		}
	}
	pthread_mutex_unlock(&lock);
	/* Released outside the lock: the last reference frees the record. */
	while (n > 0) {
		struct sf_timer_entry *e = gone[--n];
		sf_sock_unref(e->s);
		sf_free(e, sizeof *e);
	}
}

int sf_timer_held_elsewhere(const struct sf_sock *s, uint32_t own)
{
	const struct sf_sock_rare *r = sf_sock_rare_if(s);
	uint32_t held = own;
	/* Under the lock: the entries counted are those that hold one (an
	 * entry the thread is acting on holds one too, uncounted: "yes"). */
	pthread_mutex_lock(&lock);
	for (int kind = 0; r && kind < SF_TIMER_KINDS; kind++)
		held += r->timer_entry[kind] != NULL;
	int more = __atomic_load_n(&s->refs, __ATOMIC_ACQUIRE) > held;
	pthread_mutex_unlock(&lock);
	return more;
}

void sf_timer_lock(void)
{
	pthread_mutex_lock(&lock);
}

void sf_timer_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

static int kept_in_child(struct sf_heap_node *x, void *arg)
{
	(void)arg;
	struct sf_timer_entry *e = (struct sf_timer_entry *)x;
	if (!e->optional)
		return 1;
	sf_sock_rare_if(e->s)->timer_entry[e->kind] = NULL;
	sf_sock_unref(e->s);
	sf_free(e, sizeof *e);
	return 0;
}

void sf_timer_child_reset(void)
{
	/* The thread did not survive fork, but the deadlines did, and the
	 * child has the same sockets: give the child a thread of its own when
	 * it has deadlines to keep, so its timeouts expire like the parent's. */
	pthread_mutex_init(&lock, NULL);
	/* The parent's thread may have been expiring a deadline at the fork:
	 * the child's close must not wait for a thread it does not have. */
	expiring = NULL;
	/* No thread for what only spared the parent's calls the clock (the
	 * child's marks are cleared: deadline.h sf_deadline_child_reset). */
	sf_heap_filter(&pending, kept_in_child, NULL);
	if (sf_timer_running && pending.n) {
		sf_timer_running = 0;
		pthread_mutex_lock(&lock);
		start_thread();
		pthread_mutex_unlock(&lock);
	} else {
		sf_timer_running = 0;
	}
}
