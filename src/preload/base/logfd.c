/* The log's descriptor. Every descriptor number belongs to the program: it
 * may close ours where the library cannot see it (a raw close or
 * close_range, a daemon's close-everything loop, fclose) and get the
 * number back for a file of its own, or start with stderr closed so that
 * its first file is number 2. So before each line the descriptor is checked
 * to be still the file the library opened (device and inode) or, for
 * stderr, the stderr the program started with; otherwise the line goes to a
 * freshly opened log file, or nowhere. A line that cannot be written at
 * once is dropped rather than waited for (sockfault(1), LOG), and a write
 * never leaves a signal behind (SIGPIPE, SIGXFSZ). */
#include "logfd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"
#include "real.h"
#include "units.h"

/* After a failed open (EMFILE, ENXIO from a FIFO nobody reads, a full
 * disk), lines are dropped until the next try, at most one a second. */
#define RETRY_NS SF_NS_PER_S

enum dest { DEST_STDERR, DEST_OFF, DEST_FILE };

struct ident {
	uint64_t dev, ino;
};

static int dest = DEST_STDERR;
static char *path; /* DEST_FILE: absolute, so that a chdir does not move the log */

/* The stderr the program started with: 0 not looked at yet, 1 open
 * (err_id), -1 closed. */
static int err_state;
static struct ident err_id;

/* The log file's descriptor (-1: none) and the file it was opened on.
 * Changed only under the lock, and only by the process that owns this
 * memory (a vfork child shares it but not the descriptors). */
static int file_fd = -1;
static struct ident file_id;
static uint64_t next_open_ns;
static int lock_tid;

static int owner(void)
{
	return sf_proc_owns_state();
}

/* Held for a check and a write that never wait, with every signal blocked,
 * so a thread never finds it held by itself. A holder that is not a thread
 * of this process (the process forked while another thread wrote) will
 * never let go: the lock is taken from it. */
static void lock(void)
{
	int me = (int)syscall(SYS_gettid);
	for (unsigned spins = 0;; spins++) {
		int holder = 0;
		if (__atomic_compare_exchange_n(&lock_tid, &holder, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (syscall(SYS_tgkill, syscall(SYS_getpid), holder, 0) != 0 && errno == ESRCH) {
			__atomic_compare_exchange_n(&lock_tid, &holder, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		} else if (spins < 64) {
			sched_yield();
		} else {
			/* A holder of lower real-time priority needs the CPU
			 * that yielding would never give it. */
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
	}
}

static void unlock(void)
{
	__atomic_store_n(&lock_tid, 0, __ATOMIC_RELEASE);
}

/* Around every write: no signal handler runs in this thread (it could log
 * and want the lock, and any signal a write raises is ours to take back),
 * no cancellation (the lock would stay held). */
struct guard {
	sigset_t mask;
	int cancel;
	int err;
};

static void guard_on(struct guard *g)
{
	sigset_t all;
	g->err = errno;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &g->mask);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &g->cancel);
}

static void guard_off(struct guard *g)
{
	pthread_setcancelstate(g->cancel, NULL);
	pthread_sigmask(SIG_SETMASK, &g->mask, NULL);
	errno = g->err;
}

static int same(int fd, const struct ident *id, struct stat *st)
{
	return fd >= 0 && fstat(fd, st) == 0 && (uint64_t)st->st_dev == SF_LOAD(&id->dev) &&
	       (uint64_t)st->st_ino == SF_LOAD(&id->ino);
}

/* Take back a signal the write raised (it is blocked, so still pending),
 * unless one of that kind was pending already: that one is the program's. */
static void take_back(int sig, const sigset_t *before)
{
	if (sigismember(before, sig))
		return;
	sigset_t one;
	struct timespec zero = { 0, 0 };
	sigemptyset(&one);
	sigaddset(&one, sig);
	while (sigtimedwait(&one, NULL, &zero) < 0 && errno == EINTR)
		;
}

/* The whole line, or nothing if that would mean waiting: anything but a
 * file is written only if it has room and a reader (a pipe with room takes
 * a line of up to PIPE_BUF bytes whole), a socket is asked not to wait and
 * not to signal (a stream socket that fills up within the line loses the
 * rest of it). O_NONBLOCK is never set: the file description may be
 * shared with the program. */
static void put(int fd, mode_t kind, const char *p, size_t n)
{
	int regular = S_ISREG(kind) || S_ISBLK(kind);
	if (!regular) {
		struct pollfd pf = { fd, POLLOUT, 0 };
		if (poll(&pf, 1, 0) != 1 || (pf.revents & (POLLERR | POLLHUP | POLLNVAL)) || !(pf.revents & POLLOUT))
			return;
	}
	if (S_ISSOCK(kind)) {
		while (n > 0) {
			long w = sf_real_sendto(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return;
			p += w;
			n -= (size_t)w;
		}
		return;
	}
	sigset_t before;
	sigemptyset(&before);
	sigpending(&before);
	long w;
	do {
		w = syscall(SYS_write, fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
	} while ((w > 0 && n > 0 && regular) || (w < 0 && errno == EINTR));
	if (w < 0 && errno == EPIPE)
		take_back(SIGPIPE, &before);
	else if (w < 0 && errno == EFBIG)
		take_back(SIGXFSZ, &before);
}

/* O_NONBLOCK on a file description of our own: a FIFO without a reader
 * fails at once (ENXIO) instead of holding the program before main. Never
 * on 0, 1 or 2: a program that closed them expects its next files there. */
static int open_file(struct stat *st)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
	if (fd >= 0 && fd < 3) {
		int high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
		int err = errno;
		syscall(SYS_close, fd);
		errno = err;
		fd = high;
	}
	if (fd >= 0 && fstat(fd, st) != 0) {
		int err = errno;
		syscall(SYS_close, fd);
		errno = err;
		fd = -1;
	}
	return fd;
}

static int note_stderr(void)
{
	int s = SF_ACQUIRE(&err_state);
	if (s)
		return s > 0;
	struct stat st;
	if (fstat(2, &st) != 0) {
		SF_RELEASE(&err_state, -1);
		return 0;
	}
	SF_STORE(&err_id.dev, (uint64_t)st.st_dev);
	SF_STORE(&err_id.ino, (uint64_t)st.st_ino);
	SF_RELEASE(&err_state, 1);
	return 1;
}

static void to_stderr(const char *line, size_t n)
{
	struct stat st;
	if (!note_stderr())
		return;
	int own = owner();
	if (own)
		lock();
	if (same(2, &err_id, &st))
		put(2, st.st_mode, line, n);
	if (own)
		unlock();
}

/* A vfork child: the log's descriptor if the child still has it, else one
 * of the child's own for this line only. The parent's state is left as it
 * is. */
static void to_file_borrowed(const char *line, size_t n)
{
	struct stat st;
	int fd = SF_LOAD(&file_fd);
	if (same(fd, &file_id, &st)) {
		put(fd, st.st_mode, line, n);
		return;
	}
	if (sf_now() < SF_LOAD(&next_open_ns))
		return;
	fd = open_file(&st);
	if (fd >= 0) {
		put(fd, st.st_mode, line, n);
		syscall(SYS_close, fd);
	}
}

static void to_file(const char *line, size_t n)
{
	struct stat st;
	if (!owner()) {
		to_file_borrowed(line, n);
		return;
	}
	lock();
	int fd = file_fd;
	if (fd >= 0 && !same(fd, &file_id, &st)) {
		/* Closed where the library could not see it: the number may
		 * be the program's own file now. Forgotten, never closed. */
		SF_STORE(&file_fd, -1);
		fd = -1;
	}
	if (fd < 0) {
		uint64_t now = sf_now();
		if (now >= next_open_ns) {
			fd = open_file(&st);
			if (fd < 0) {
				SF_STORE(&next_open_ns, now + RETRY_NS);
			} else {
				SF_STORE(&file_id.dev, (uint64_t)st.st_dev);
				SF_STORE(&file_id.ino, (uint64_t)st.st_ino);
				SF_STORE(&file_fd, fd);
			}
		}
	}
	if (fd >= 0)
		put(fd, st.st_mode, line, n);
	unlock();
}

void sf_logfd_write(const char *line, size_t n)
{
	struct guard g;
	int d = SF_LOAD(&dest);
	if (d == DEST_OFF)
		return;
	guard_on(&g);
	if (d == DEST_FILE)
		to_file(line, n);
	else
		to_stderr(line, n);
	guard_off(&g);
}

void sf_logfd_stderr(const char *line, size_t n)
{
	struct guard g;
	guard_on(&g);
	to_stderr(line, n);
	guard_off(&g);
}

int sf_logfd_off(void)
{
	return SF_LOAD(&dest) == DEST_OFF;
}

int sf_logfd_file(void)
{
	return SF_LOAD(&dest) == DEST_FILE;
}

static char *absolute(const char *p)
{
	char cwd[PATH_MAX];
	size_t n = strlen(p);
	if (p[0] == '/' || !getcwd(cwd, sizeof cwd))
		return strdup(p);
	size_t c = strlen(cwd);
	char *a = malloc(c + 1 + n + 1);
	if (a) {
		memcpy(a, cwd, c);
		a[c] = '/';
		memcpy(a + c + 1, p, n + 1);
	}
	return a;
}

int sf_logfd_setup(const char *d, char *why, size_t cap)
{
	note_stderr();
	if (!d || strcmp(d, "stderr") == 0) {
		SF_STORE(&dest, DEST_STDERR);
		return 0;
	}
	if (strcmp(d, "off") == 0) {
		SF_STORE(&dest, DEST_OFF);
		return 0;
	}
	path = absolute(d);
	if (!path) {
		snprintf(why, cap, "cannot use '%s': out of memory", d);
		return -1;
	}
	/* One try now, so that a path that cannot work is reported before
	 * the program starts; the log is opened for good by its first line.
	 * A FIFO nobody reads yet is no error: its lines are dropped until a
	 * reader comes. */
	struct stat st;
	int fd = open_file(&st);
	int err = errno;
	if (fd >= 0) {
		syscall(SYS_close, fd);
	} else if (!(err == ENXIO && stat(path, &st) == 0 && S_ISFIFO(st.st_mode))) {
		snprintf(why, cap, "cannot open '%s' for appending: %s", d, strerror(err));
		free(path);
		path = NULL;
		return -1;
	}
	SF_STORE(&dest, DEST_FILE);
	return 0;
}

void sf_log_fd_lost(int fd)
{
	struct guard g;
	int watched = fd >= 0 && (fd == SF_LOAD(&file_fd) || (fd == 2 && SF_LOAD(&dest) == DEST_STDERR));
	if (!watched || !owner())
		return;
	guard_on(&g);
	lock();
	if (file_fd == fd)
		SF_STORE(&file_fd, -1);
	unlock();
	guard_off(&g);
}

void sf_log_fd_range_lost(unsigned lo, unsigned hi)
{
	int f = SF_LOAD(&file_fd);
	if (f >= 0 && (unsigned)f >= lo && (unsigned)f <= hi)
		sf_log_fd_lost(f);
	if (lo <= 2 && hi >= 2)
		sf_log_fd_lost(2);
}
