/* Calls that may wait (connect, accept, receives, sends, and any call a
 * `delay` holds) are made by worker threads, so that one waiting thread of
 * the program never holds up the calls of the others: each program thread
 * waits only for its own call, as without the supervisor. Workers are
 * started when none is free, up to a bound; they then stay. */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "sv.h"

#define POOL_MAX_THREADS 256
#define POOL_QUEUE 1024

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct seccomp_notif queue[POOL_QUEUE];
static unsigned head, count, idle, threads;
static struct sf_sv *pool_sv;

/* The socket option whose timeout the call waits under: receives and
 * accept wait under SO_RCVTIMEO, sends and connect under SO_SNDTIMEO. */
static int timeout_option(const struct seccomp_notif *n)
{
	switch (n->data.nr) {
	case SYS_read:
	case SYS_readv:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_recvmmsg:
	case SYS_accept:
	case SYS_accept4:
		return SO_RCVTIMEO;
	case SYS_write:
	case SYS_writev:
	case SYS_sendto:
	case SYS_sendmsg:
	case SYS_sendmmsg:
	case SYS_connect:
		return SO_SNDTIMEO;
	default:
		return -1;
	}
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!count) {
			idle++;
			pthread_cond_wait(&more, &mu);
			idle--;
		}
		struct seccomp_notif n = queue[head];
		head = (head + 1) % POOL_QUEUE;
		count--;
		pthread_mutex_unlock(&mu);
		sf_sv_intr_begin(pool_sv->pid, (pid_t)n.pid, (int)n.data.args[0], timeout_option(&n));
		sf_sv_perform(pool_sv, &n);
		sf_sv_intr_end();
	}
	return NULL;
}

void sf_sv_pool_submit(struct sf_sv *sv, const struct seccomp_notif *n)
{
	pthread_mutex_lock(&mu);
	pool_sv = sv;
	if (count == POOL_QUEUE) {
		pthread_mutex_unlock(&mu);
		/* Every worker busy and the queue full: made here, in turn. */
		sf_sv_perform(sv, n);
		return;
	}
	queue[(head + count) % POOL_QUEUE] = *n;
	count++;
	int start = idle < count && threads < POOL_MAX_THREADS;
	if (start) {
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256 * 1024);
		if (pthread_create(&t, &at, worker, NULL) == 0)
			threads++;
		pthread_attr_destroy(&at);
	}
	pthread_cond_signal(&more);
	pthread_mutex_unlock(&mu);
}

void sf_sv_pool_reset(void)
{
	/* In a context just forked: the workers stayed behind, and a lock
	 * may have been held by one of them. */
	pthread_mutex_init(&mu, NULL);
	pthread_cond_init(&more, NULL);
	head = count = idle = threads = 0;
}
