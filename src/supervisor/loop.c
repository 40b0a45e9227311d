/* The supervisor's loop: receive a notification, answer it, until no
 * process uses the filter any more (the listener hangs up). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sv.h"

void sf_sv_continue(const struct sf_sv *sv, uint64_t id)
{
	struct seccomp_notif_resp r = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	/* ENOENT: the thread was killed meanwhile; nothing is waiting. */
	ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

void sf_sv_answer(const struct sf_sv *sv, uint64_t id, long val, int err)
{
	/* A call a signal to the program interrupted ends as the kernel
	 * ends it (intr.c). */
	if (err)
		err = sf_sv_intr_errno(err);
	struct seccomp_notif_resp r = { .id = id, .val = err ? 0 : val, .error = err ? -err : 0 };
	ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

int sf_sv_valid(const struct sf_sv *sv, uint64_t id)
{
	return ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Is the thread `tid` one of the program's own? The notification names a
 * thread; a process the program started has its own descriptor table, which
 * the supervisor does not mirror: its calls run as they are. Go starts
 * threads, not processes, so the answers are cached (a thread id is reused
 * only after the thread is gone). */
#define TID_CACHE 256
static struct {
	pid_t tid;
	char own;
} tids[TID_CACHE];

static int own_thread(const struct sf_sv *sv, pid_t tid)
{
	if (tid == sv->pid)
		return 1;
	unsigned slot = (unsigned)tid % TID_CACHE;
	if (tids[slot].tid == tid)
		return tids[slot].own;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d", (int)sv->pid, (int)tid);
	int own = access(path, F_OK) == 0;
	tids[slot].tid = tid;
	tids[slot].own = (char)own;
	return own;
}

/* The receiving thread: blocked in SECCOMP_IOCTL_NOTIF_RECV itself, not in
 * poll first, so that a notification costs one system call fewer to take. */
static int failed[2] = { -1, -1 };

static void *receive(void *arg)
{
	struct sf_sv *sv = arg;
	for (;;) {
		struct seccomp_notif n;
		memset(&n, 0, sizeof n);
		if (ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
			/* ENOENT: the caller was killed before we got to it. */
			if (errno == EINTR || errno == ENOENT)
				continue;
			int err = errno;
			while (write(failed[1], &err, sizeof err) < 0 && errno == EINTR)
				;
			return NULL;
		}
		if (own_thread(sv, (pid_t)n.pid))
			sf_sv_handle(sv, &n);
		else if (!sf_sv_procs_route(&n))
			sf_sv_continue(sv, n.id);
	}
}

int sf_sv_serve(struct sf_sv *sv)
{
	pthread_t t;
	if (pipe2(failed, O_CLOEXEC) < 0 || pthread_create(&t, NULL, receive, sv) != 0)
		return -errno;
	/* The listener hangs up when no process uses the filter any more
	 * (events 0: only POLLHUP and POLLERR are reported). */
	for (;;) {
		struct pollfd p[2] = { { .fd = sv->listener, .events = 0 }, { .fd = failed[0], .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents & POLLIN) {
			int err = EIO;
			if (read(failed[0], &err, sizeof err) < 0)
				err = EIO;
			return -err;
		}
		if (p[0].revents & (POLLHUP | POLLERR))
			return 0;
	}
}
