#include "thread.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include "alloc.h"
#include "clock.h"

/* How long a start waits for the new thread to run the library's code:
 * far longer than a start-up takes, short enough that a thread that can
 * never get there (its start-up blocked on a lock that a fork left held)
 * stalls the caller once, not for good. */
#define SF_THREAD_WAIT_NS 100000000ull

/* Shared by the starter and the new thread, which may outlive the
 * starter's wait: freed by whichever lets go of it last. */
struct start {
	void *(*fn)(void *);
	int up;
	int refs;
};

static void let_go(struct start *st)
{
	if (__atomic_sub_fetch(&st->refs, 1, __ATOMIC_ACQ_REL) == 0)
		sf_free(st, sizeof *st);
}

static void *begin(void *arg)
{
	struct start *st = arg;
	void *(*fn)(void *) = st->fn;
	__atomic_store_n(&st->up, 1, __ATOMIC_RELEASE);
	let_go(st);
	return fn(NULL);
}

int sf_thread_start(void *(*fn)(void *), size_t stack)
{
	struct start *st = sf_alloc(sizeof *st);
	if (!st)
		return 0;
	st->fn = fn;
	st->up = 0;
	st->refs = 2;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack);
	pthread_t t;
	int ok = pthread_create(&t, &attr, begin, st) == 0;
	pthread_attr_destroy(&attr);
	if (!ok)
		st->refs = 1;
	/* Return only once the thread runs our code. Until then its start-up
	 * may hold the allocator's locks (a sanitizer runtime's have no fork
	 * handler), and a program that forks the moment our call returns
	 * would give its child a lock nobody will release. */
	uint64_t until = ok ? sf_now() + SF_THREAD_WAIT_NS : 0;
	for (unsigned i = 1; ok && !__atomic_load_n(&st->up, __ATOMIC_ACQUIRE); i++) {
		sched_yield();
		if (!(i % 64) && sf_now() > until)
			break;
	}
	let_go(st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}
