/* Signals to the program during a call the supervisor makes on its behalf
 * (sockfault(1), THE SUPERVISOR). The program's thread waits in the kernel
 * for the answer, killable only: a signal stays pending and its handler
 * cannot run. Without the supervisor, a blocking receive, accept or connect
 * would end at once: with EINTR, or made again under SA_RESTART. So a
 * watcher looks at the pending signals of the threads whose calls workers
 * are making; when one has a signal it does not block, the worker is
 * interrupted (a signal of the supervisor's own, whose handler does
 * nothing: its blocking call fails with EINTR, as the program's would), and
 * that EINTR is answered as ERESTARTSYS, which the kernel, delivering the
 * program's signal on the way out, turns into EINTR or a restart of the
 * call by the handler's SA_RESTART, exactly as for its own calls. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sv.h"

/* The kernel's "restart me" answer (include/linux/errno.h, not exported):
 * the signal code turns it into EINTR or a restart. */
#define SV_ERESTARTSYS 512

/* How often the waiting threads are looked at: a signal's handler runs at
 * most this late. */
#define TICK_NS 5000000L

#define SLOTS 256

static struct slot {
	int busy;
	int hit; /* the program's thread has a signal */
	pid_t pid, tid;
	int fd, timeo; /* the socket, and its timeout option that
	                         * the call waits under (or -1) */
	pthread_t worker;
} slots[SLOTS];
static unsigned busy;
static int started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static __thread int mine = -1;

static int wake_signal(void)
{
	return SIGRTMIN + 3;
}

static void on_wake(int sig)
{
	(void)sig;
}

/* Has the thread a signal pending that it does not block, and that the
 * kernel has marked it for (so that on its way out of the call the signal
 * code runs and turns ERESTARTSYS into EINTR or a restart)? Its own (SigPnd),
 * or one sent to the whole process when it is the main thread, which the
 * kernel marks first (another thread takes such a signal when the main
 * thread blocks it; its call then ends when the supervisor's does). */
static int signalled(pid_t pid, pid_t tid)
{
	char path[64], text[2048];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	unsigned long long v[3] = { 0, 0, 0 };
	static const char *const field[3] = { "\nSigPnd:", "\nShdPnd:", "\nSigBlk:" };
	for (int i = 0; i < 3; i++) {
		const char *p = strstr(text, field[i]);
		if (!p)
			return 0;
		v[i] = strtoull(p + strlen(field[i]), NULL, 16);
	}
	unsigned long long pending = v[0] | (tid == pid ? v[1] : 0);
	return (pending & ~v[2]) != 0;
}

static void *watch(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!busy)
			pthread_cond_wait(&work, &mu);
		pthread_mutex_unlock(&mu);
		struct timespec tick = { 0, TICK_NS };
		nanosleep(&tick, NULL);
		for (int i = 0; i < SLOTS; i++) {
			pthread_mutex_lock(&mu);
			struct slot s = slots[i];
			pthread_mutex_unlock(&mu);
			if (!s.busy || (!s.hit && !signalled(s.pid, s.tid)))
				continue;
			/* Again at every tick until the call ends: the worker may
			 * not have been in its wait yet. */
			pthread_mutex_lock(&mu);
			if (slots[i].busy && slots[i].tid == s.tid) {
				slots[i].hit = 1;
				pthread_kill(slots[i].worker, wake_signal());
			}
			pthread_mutex_unlock(&mu);
		}
	}
	return NULL;
}

void sf_sv_intr_begin(pid_t pid, pid_t tid, int fd, int timeo)
{
	pthread_mutex_lock(&mu);
	if (!started) {
		struct sigaction sa = { .sa_handler = on_wake, .sa_flags = 0 };
		sigemptyset(&sa.sa_mask);
		sigaction(wake_signal(), &sa, NULL);
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 64 * 1024);
		started = pthread_create(&t, &at, watch, NULL) == 0;
		pthread_attr_destroy(&at);
	}
	for (int i = 0; started && i < SLOTS; i++)
		if (!slots[i].busy) {
			slots[i] = (struct slot){
				.busy = 1, .pid = pid, .tid = tid, .fd = fd, .timeo = timeo, .worker = pthread_self()
			};
			mine = i;
			if (busy++ == 0)
				pthread_cond_signal(&work);
			break;
		}
	pthread_mutex_unlock(&mu);
}

void sf_sv_intr_hold(int on)
{
	if (mine < 0)
		return;
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, wake_signal());
	pthread_sigmask(on ? SIG_BLOCK : SIG_UNBLOCK, &one, NULL);
}

void sf_sv_intr_end(void)
{
	if (mine < 0)
		return;
	pthread_mutex_lock(&mu);
	slots[mine].busy = 0;
	slots[mine].hit = 0;
	busy--;
	mine = -1;
	pthread_mutex_unlock(&mu);
}

int sf_sv_intr_errno(int err)
{
	if (err != EINTR || mine < 0)
		return err;
	pthread_mutex_lock(&mu);
	struct slot s = slots[mine];
	pthread_mutex_unlock(&mu);
	/* Still pending (only the thread itself can take it): the kernel's
	 * signal code will see the answer. */
	if (!s.hit || !signalled(s.pid, s.tid))
		return err;
	/* A socket call waiting under a timeout (SO_RCVTIMEO, SO_SNDTIMEO)
	 * is never restarted (signal(7)): EINTR as it is. The supervisor's
	 * copy shares the program's socket, options and all. */
	struct timeval tv = { 0, 0 };
	socklen_t len = sizeof tv;
	if (s.timeo >= 0 && getsockopt(s.fd, SOL_SOCKET, s.timeo, &tv, &len) == 0 && (tv.tv_sec || tv.tv_usec))
		return err;
	return SV_ERESTARTSYS;
}

void sf_sv_intr_reset(void)
{
	/* In a context just forked: the watcher stayed behind. */
	pthread_mutex_init(&mu, NULL);
	pthread_cond_init(&work, NULL);
	memset(slots, 0, sizeof slots);
	busy = 0;
	started = 0;
	mine = -1;
}
