/* The processes of a supervised run:
 *
 *   sockfault run (waits)  ->  supervisor  ->  the program
 *
 * The program is the supervisor's child: it installs the filter, hands the
 * listener over and runs CMD. The supervisor loads the library and answers
 * the program's socket calls. The first process waits, passes the program's
 * exit status on as the run's, and is there to say so if the supervisor
 * dies: the program is then killed (PR_SET_PDEATHSIG), because its trapped
 * calls would fail with ENOSYS and it would run on in a world that does not
 * exist. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>
#include <sys/ioctl.h>

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

/* SIGPIPE as the program must get it (the supervisor ignores its own). */
static struct sigaction pipe_was;

/* The program's side, before exec. */
static __attribute__((noreturn)) void program(char **argv, pid_t supervisor, unsigned t, unsigned ops, int hand,
                                              int go)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigaction(SIGPIPE, &pipe_was, NULL);
	if (getppid() != supervisor)
		_exit(127);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		write_int(hand, -errno);
		_exit(127);
	}
	int listener = sf_sv_filter_install(t, ops);
	write_int(hand, listener);
	if (listener < 0)
		_exit(127);
	int ok;
	if (!read_int(go, &ok))
		_exit(127);
	close(listener);
	close(hand);
	close(go);
	execvp(argv[0], argv);
	int err = errno;
	sf_cli_error("run: cannot run %s: %s", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
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

/* The supervisor: start the program, take its listener, serve. Writes the
 * program's pid, then its wait status, to `report`. */
static __attribute__((noreturn)) void supervisor(char **argv, const char *lib, int report)
{
	struct sf_sv *sv = calloc(1, sizeof *sv);
	int hand[2], go[2];
	if (!sv || pipe2(hand, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		sf_cli_error("run: cannot start the supervisor: %s", strerror(errno));
		_exit(126);
	}
	sv->threshold = threshold();
	/* The library first: its rules say which calls the filter traps. A send
	 * to a closed connection raises SIGPIPE in the program, not here
	 * (calls.c passes it on). */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(SIGPIPE, &ign, &pipe_was);
	if (sf_sv_lib_load(&sv->lib, lib, argv[0]) < 0)
		_exit(126);
	unsigned ops = sv->lib.ops();
	pid_t self = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		sf_cli_error("run: cannot start %s: %s", argv[0], strerror(errno));
		_exit(126);
	}
	if (pid == 0) {
		close(hand[0]);
		close(go[1]);
		close(report);
		program(argv, self, sv->threshold, ops, hand[1], go[0]);
	}
	close(hand[1]);
	close(go[0]);
	sv->pid = pid;
	write_int(report, pid);
	int remote = -1, status;
	if (!read_int(hand[0], &remote) || remote < 0) {
		sf_cli_error("run: cannot supervise %s: %s", argv[0], why(remote < 0 ? -remote : EINVAL));
		waitpid(pid, &status, 0);
		_exit(126);
	}
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	sv->listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, remote, 0);
	if (sv->listener < 0) {
		sf_cli_error("run: cannot take the seccomp listener of %s: %s", argv[0], strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		_exit(126);
	}
	close(pidfd);
	/* The program waits while the supervisor answers: the kernel hands the
	 * CPU over directly (Linux 6.6; without it, the same but slower). */
	ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	sv->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d/fdinfo", (int)pid);
	sv->procinfo = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sv->procfd < 0 || sv->procinfo < 0) {
		sf_cli_error("run: cannot open %s: %s", path, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		_exit(126);
	}
	write_int(go[1], 1);
	close(go[1]);
	close(hand[0]);
	int r = sf_sv_serve(sv);
	if (r < 0) {
		sf_cli_error("run: the supervisor of %s failed (%s): %s is killed", argv[0], strerror(-r), argv[0]);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	write_int(report, status);
	/* exit, not _exit: the library's destructor prints --stats (unless the
	 * program left the library behind at an exec). */
	if (sv->retired)
		_exit(0);
	exit(0);
}

static volatile sig_atomic_t program_pid;

static void forward(int sig)
{
	if (program_pid > 0)
		kill((pid_t)program_pid, sig);
}

int sf_supervise_run(char **argv, const char *lib)
{
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0) {
		sf_cli_error("run: cannot start the supervisor: %s", strerror(errno));
		return 126;
	}
	fflush(NULL);
	pid_t sup = fork();
	if (sup < 0) {
		sf_cli_error("run: cannot start the supervisor: %s", strerror(errno));
		return 126;
	}
	if (sup == 0) {
		close(report[0]);
		supervisor(argv, lib, report[1]);
	}
	close(report[1]);
	int pid = 0, status = 0, have = 0;
	if (read_int(report[0], &pid)) {
		program_pid = pid;
		struct sigaction sa = { .sa_handler = forward };
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			sigaction(sigs[i], &sa, NULL);
		have = read_int(report[0], &status);
	}
	int sst;
	while (waitpid(sup, &sst, 0) < 0 && errno == EINTR)
		;
	if (!have) {
		if (WIFEXITED(sst) && WEXITSTATUS(sst) != 0)
			return WEXITSTATUS(sst);
		sf_cli_error("run: the supervisor of %s died (%s %d): %s was killed with it, since its socket "
		             "calls would fail with ENOSYS", argv[0], WIFSIGNALED(sst) ? "signal" : "status",
		             WIFSIGNALED(sst) ? WTERMSIG(sst) : WEXITSTATUS(sst), argv[0]);
		return 128 + SIGKILL;
	}
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		kill(getpid(), WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
