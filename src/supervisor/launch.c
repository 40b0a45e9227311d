/* The processes of a supervised run:
 *
 *   sockfault run  --exec-->  the program (the same process)
 *        \
 *         supervisor (detached)  ->  its watchdog
 *
 * As without the supervisor, sockfault run becomes the program: its pid,
 * exit status and signals are the run's. Before the exec it starts the
 * supervisor (detached: nobody's child to reap), which loads the library
 * and says which calls its rules need to see; the future program installs
 * the filter and hands the listener over, then execs. If the supervisor
 * dies, its watchdog kills the program, which would otherwise run on with
 * its trapped calls failing with ENOSYS (the contexts of the processes it
 * started kill theirs). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "filter.h"
#include "supervise.h"
#include "sv.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* The threshold: below the program's descriptor limit (the kernel refuses a
 * number above it), and below FD_SETSIZE, so that a program using select()
 * can still watch its sockets. */
static unsigned threshold(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= 1024)
		return 512;
	return (unsigned)(rl.rlim_cur / 2);
}

/* The sockets the program inherits below the threshold (open and not
 * close-on-exec, as the exec will leave them): the filter names their
 * numbers, and the supervisor, forked from this process and so holding them
 * at the same numbers, makes their calls like those of the others. At most
 * SF_SV_MAX_INHERITED, the lowest. */
static unsigned inherited(unsigned t, int *low)
{
	unsigned n = 0;
	for (int fd = 0; (unsigned)fd < t && n < SF_SV_MAX_INHERITED; fd++) {
		int fl = fcntl(fd, F_GETFD);
		struct stat st;
		if (fl >= 0 && !(fl & FD_CLOEXEC) && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			low[n++] = fd;
	}
	return n;
}

/* Where the quiet numbers start (sv.h): half way between the threshold and
 * the hard descriptor limit (the most a program may raise its own to), at
 * most SF_SV_QUIET_MAX above the threshold; none when that leaves fewer
 * than 4096 numbers to each kind. */
static unsigned quiet_from(unsigned t)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < t + 2 * 4096)
		return t + SF_SV_MAX_FDS;
	rlim_t half = (rl.rlim_max - t) / 2;
	return t + (unsigned)(half < SF_SV_QUIET_MAX ? half : SF_SV_QUIET_MAX);
}

/* The supervisor keeps none of the program's descriptors but its stderr
 * (the log), the sockets it supervises and its channel: a reader of the
 * program's output sees it end when the program's processes end it (a
 * daemon closing its stdout), not when the supervisor does. */
static void drop_inherited(int chan, const int *low, unsigned nlow)
{
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		if (null != 0)
			dup2(null, 0);
		if (null != 1)
			dup2(null, 1);
	}
	unsigned from = 3;
	for (unsigned k = from; k < SF_SV_MAX_THRESHOLD + 1; k++) {
		int keep = (int)k == chan;
		for (unsigned i = 0; i < nlow; i++)
			keep |= low[i] == (int)k;
		if (!keep)
			continue;
		if (from < k)
			syscall(SYS_close_range, from, k - 1, 0);
		from = k + 1;
	}
	if ((unsigned)chan >= SF_SV_MAX_THRESHOLD + 1 && from < (unsigned)chan) {
		syscall(SYS_close_range, from, (unsigned)chan - 1, 0);
		from = (unsigned)chan + 1;
	}
	syscall(SYS_close_range, from, ~0u, 0);
}

static void write_int(int fd, int v)
{
	while (write(fd, &v, sizeof v) < 0 && errno == EINTR)
		;
}

static int read_int(int fd, int *v)
{
	ssize_t r;
	while ((r = read(fd, v, sizeof *v)) < 0 && errno == EINTR)
		;
	return r == (ssize_t)sizeof *v;
}

static int send_fd(int chan, int fd)
{
	char c = 0, cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { &c, 1 };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(chan, &h, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int recv_fd(int chan)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	if (recvmsg(chan, &h, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static const char *why(int err)
{
	switch (err) {
	case EINVAL:
		return "this kernel lacks seccomp user notification with "
		       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19 or later)";
	case EACCES:
	case EPERM:
		return "seccomp filters are not allowed here (no_new_privs refused, or a container's policy)";
	case ENOSYS:
		return "this kernel has no seccomp (CONFIG_SECCOMP_FILTER)";
	default:
		return strerror(err);
	}
}

/* The watchdog: the supervisor's child, holding the program by a pidfd.
 * When the supervisor ends while the program still runs, the program is
 * killed, and the user told why. */
static __attribute__((noreturn)) void watchdog(pid_t prog, const char *name, int alive)
{
	int pidfd = (int)syscall(SYS_pidfd_open, prog, 0);
	if (pidfd < 0)
		_exit(0);
	for (;;) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = alive, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno == EINTR)
			continue;
		if (p[0].revents)
			_exit(0);
		if (p[1].revents) {
			/* A supervisor that ends because no process uses the
			 * filter any more says so first: the program is
			 * exiting (the kernel drops its filter before its
			 * pidfd turns readable), not left alone. */
			char done;
			if (read(alive, &done, 1) == 1)
				_exit(0);
			struct pollfd q = { .fd = pidfd, .events = POLLIN };
			if (poll(&q, 1, 0) != 0)
				_exit(0);
			/* The processes the program started go too: one that made
			 * no socket call yet has no context to end it. Found
			 * first, then killed, children before parents, so that
			 * none is handed to another parent out of sight (their
			 * forks wait for the dead supervisor meanwhile). */
			static pid_t kin[4096];
			size_t nkin = sf_sv_descendants(prog, kin, sizeof kin / sizeof kin[0]);
			for (size_t i = nkin; i-- > 1;)
				kill(kin[i], SIGKILL);
			if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == 0) {
				/* write(2), not stdio: this process was forked bare. */
				char msg[PATH_MAX * 2 + 160];
				int n = nkin > 1 ? snprintf(msg, sizeof msg,
							    "sockfault: run: the supervisor of %s died: %s was killed, "
							    "and "
							    "with it every process it started (%zu), since their "
							    "socket calls "
							    "would fail with ENOSYS\n",
							    name, name, nkin - 1)
						 : snprintf(msg, sizeof msg,
							    "sockfault: run: the supervisor of %s died: %s was killed, "
							    "since its "
							    "socket calls would fail with ENOSYS\n",
							    name, name);
				if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
}

/* The supervisor: load the library, say which operations the filter must
 * trap, take the listener, serve. It never runs the library's destructor:
 * each process's statistics are printed at its exit_group, as the preload's
 * library prints them in the process itself. */
static __attribute__((noreturn)) void supervisor(char **argv, const char *lib, pid_t prog, unsigned t, unsigned quiet,
						 int chan, const int *low, unsigned nlow)
{
	/* A terminal's ^C, ^\ or hang-up reaches the whole process group: the
	 * program's to take, not the supervisor's. A send to a closed
	 * connection raises SIGPIPE in the program (calls.c), not here. */
	int shielded[] = { SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof shielded / sizeof shielded[0]; i++)
		signal(shielded[i], SIG_IGN);
	/* Its watchdog and contexts are reaped by the kernel. */
	signal(SIGCHLD, SIG_IGN);
	drop_inherited(chan, low, nlow);
	/* It holds each socket at the program's number, which may be as high
	 * as the program's own limit allows (Go raises its to the hard limit). */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct sf_sv *sv = calloc(1, sizeof *sv);
	if (!sv || sf_sv_lib_load(&sv->lib, lib, argv[0]) < 0) {
		write_int(chan, -1);
		_exit(0);
	}
	sv->pid = prog;
	sv->threshold = t;
	sv->quiet = quiet;
	for (unsigned i = 0; i < nlow; i++)
		sf_sv_adopt(sv, low[i]);
	unsigned ops = sv->lib.ops();
	write_int(chan, (int)ops);
	if (!ops)
		_exit(0);
	sv->listener = recv_fd(chan);
	if (sv->listener < 0)
		_exit(0);
	/* The program waits while the supervisor answers: the kernel hands the
	 * CPU over directly (Linux 6.6; without it, the same but slower). */
	ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)prog);
	sv->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)prog);
	sv->procinfo = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int alive[2];
	if (sv->procfd < 0 || sv->procinfo < 0 || pipe2(alive, O_CLOEXEC) < 0) {
		sf_cli_error("run: cannot supervise %s: %s", argv[0], strerror(errno));
		_exit(0);
	}
	/* A bare fork (the library does not count it: the run's tree is the
	 * program's), for a child that only polls and writes. */
	pid_t w = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (w == 0) {
		close(alive[1]);
		close(chan);
		watchdog(prog, argv[0], alive[0]);
	}
	close(alive[0]);
	write_int(chan, w < 0 ? -1 : 1);
	close(chan);
	int r = sf_sv_serve(sv);
	if (r < 0) {
		sf_cli_error("run: the supervisor of %s failed (%s): %s is killed", argv[0], strerror(-r), argv[0]);
		kill(prog, SIGKILL);
	}
	/* The watchdog's work is done (and said, if the program is killed). */
	while (write(alive[1], "e", 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

int sf_supervise_run(char **argv, const char *lib)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		sf_cli_error("run: cannot start the supervisor: %s", strerror(errno));
		return 126;
	}
	unsigned t = threshold(), quiet = quiet_from(t);
	int low[SF_SV_MAX_INHERITED];
	unsigned nlow = inherited(t, low);
	pid_t self = getpid();
	fflush(NULL);
	/* Twice, so that the supervisor is not the program's child: a program
	 * that waits for any child must not find it. */
	pid_t mid = fork();
	if (mid < 0) {
		sf_cli_error("run: cannot start the supervisor: %s", strerror(errno));
		return 126;
	}
	if (mid == 0) {
		close(sp[0]);
		if (fork() == 0)
			supervisor(argv, lib, self, t, quiet, sp[1], low, nlow);
		_exit(0);
	}
	close(sp[1]);
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	int ops;
	if (!read_int(sp[0], &ops) || ops < 0)
		return 126;
	if (ops) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
			sf_cli_error("run: cannot supervise %s: %s", argv[0], why(errno));
			return 126;
		}
		int listener = sf_sv_filter_install(t, quiet, (unsigned)ops, low, nlow);
		if (listener < 0) {
			sf_cli_error("run: cannot supervise %s: %s", argv[0], why(-listener));
			return 126;
		}
		int ok = 0;
		if (send_fd(sp[0], listener) < 0 || !read_int(sp[0], &ok) || ok != 1) {
			sf_cli_error("run: the supervisor of %s did not start", argv[0]);
			return 126;
		}
		close(listener);
	}
	close(sp[0]);
	execvp(argv[0], argv);
	int err = errno;
	sf_cli_error("run: cannot run %s: %s", argv[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}
