#include "thread.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

struct start {
	void *(*fn)(void *);
	int up;
};

static void *begin(void *arg)
{
	struct start *st = arg;
	void *(*fn)(void *) = st->fn;
	/* The last touch of the starter's frame: it may be gone right after. */
	__atomic_store_n(&st->up, 1, __ATOMIC_RELEASE);
	return fn(NULL);
}

int sf_thread_start(void *(*fn)(void *), size_t stack)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack);
	struct start st = { fn, 0 };
	pthread_t t;
	int ok = pthread_create(&t, &attr, begin, &st) == 0;
	pthread_attr_destroy(&attr);
	/* Return only once the thread runs our code. Until then its start-up
	 * may hold the allocator's locks (a sanitizer runtime's have no fork
	 * handler), and a program that forks the moment our call returns
	 * would give its child a lock nobody will release. */
	while (ok && !__atomic_load_n(&st.up, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}
