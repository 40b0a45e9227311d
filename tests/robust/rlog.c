/* Hostile programs for the library's log: they take its descriptor number,
 * start without stderr, daemonise, fork with vfork, run out of descriptors,
 * give it a stderr or a FIFO nobody reads. Each checks that its own files
 * and streams hold exactly what it wrote, and says so.
 *
 * Faults come from a UDP send to 127.0.0.1:9, which the scripts' rule
 * "sendto peer=127.0.0.1:9 => error EIO" fails (without the library the
 * datagram is sent); every fault is a log line.
 *
 *   rlog faults N
 *       N faults; prints "fault N: EIO" (or "sent") for each.
 *   rlog daemon HOW DIR
 *       A fault (which opens a log file), a chdir to /, every descriptor closed
 *       (HOW: raw close system calls, raw close_range, closefrom, close,
 *       fclose of fdopen'ed streams; none: nothing, for a program started
 *       without stderr), then DIR/data1 and DIR/data2 opened (on 0, 1 or 2
 *       and on the log's old number) and a socket pair, written to with
 *       faults in between, and read back. DIR/result says what was found.
 *   rlog vfork N | spawn N
 *       N children made by vfork (the child faults, then closes every
 *       descriptor from 3 with close_range, as Python's subprocess does;
 *       or every other time, those above its socket, and faults again) or
 *       by posix_spawn, a fault before each; the parent's descriptors are
 *       counted before and after ("fds before=5 after=5").
 *   rlog vfork-first DIR
 *       A vfork child makes the first fault of the process, so the log is
 *       first opened there; then the parent opens DIR/data1 (on the number
 *       the child's log took), writes to it and faults. Prints the
 *       parent's pid ("pid=N") and whether DIR/data1 is exact.
 *   rlog emfile
 *       RLIMIT_NOFILE at the number of descriptors open, so that the log
 *       cannot be opened for the first fault; the limit put back; after a
 *       second, another fault (whose line must be in the log).
 *   rlog xfsz [pending]
 *       RLIMIT_FSIZE at the log file's size: faults whose lines would make
 *       it larger. With pending, SIGXFSZ is blocked and pending before, and
 *       must still be pending after. Prints "alive".
 *   rlog sigpipe-pending N
 *       SIGPIPE blocked and pending, N faults; it must still be pending.
 *   rlog reload-bad RULES
 *       Rewrites RULES with a bad rule and waits (at most 10 s) until the
 *       log (SOCKFAULT_LOG) reports it.
 *   rlog idle
 *       Nothing (what spawn runs).
 *   rlog with-stderr deadpipe|deadsocket|fullpipe|socket -- CMD [ARG...]
 *       CMD with stderr a pipe whose reader is gone, a socket whose peer
 *       is gone, a full pipe nobody reads, or a socket read here. For the
 *       last two, prints what came through ("stderr: bytes=N lines=N
 *       sockfault=N filler=N"); CMD is given 20 s, then killed ("hung").
 *   rlog with-fifo FIFO reader|full -- CMD [ARG...]
 *       CMD run while the FIFO (its SOCKFAULT_LOG) has a reader here that
 *       reads after CMD ends; full: the FIFO is filled first.
 *
 * Exit status: the checks' (0 all exact, 1 not), or CMD's for the
 * launchers (124 when it hung); 3 when the test could not be set up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SETUP_FAILED 3
#define UNSUPPORTED 77

static int udp = -1;
static int failures;

static void setup_fail(const char *what)
{
	fprintf(stderr, "rlog: %s: %s\n", what, strerror(errno));
	exit(SETUP_FAILED);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void make_udp(void)
{
	if (udp < 0)
		udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udp < 0)
		setup_fail("socket");
}

/* One fault: "EIO" under the library's rule, "sent" without it. */
static const char *fault(void)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(9);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	make_udp();
	if (sendto(udp, "x", 1, 0, (struct sockaddr *)&a, sizeof a) == 1)
		return "sent";
	return errno == EIO ? "EIO" : strerror(errno);
}

static int cmd_faults(int n)
{
	for (int i = 1; i <= n; i++)
		printf("fault %d: %s\n", i, fault());
	return 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		setup_fail("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* --- daemon --- */

static void close_all(const char *how)
{
	if (strcmp(how, "none") == 0)
		return;
	if (strcmp(how, "raw") == 0) {
		for (int fd = 0; fd < 1024; fd++)
			syscall(SYS_close, fd);
	} else if (strcmp(how, "range") == 0) {
#ifdef SYS_close_range
		if (syscall(SYS_close_range, 0u, ~0u, 0) != 0)
			exit(UNSUPPORTED);
#else
		exit(UNSUPPORTED);
#endif
	} else if (strcmp(how, "closefrom") == 0) {
#ifdef HAVE_CLOSEFROM
		closefrom(0);
#else
		exit(UNSUPPORTED);
#endif
	} else if (strcmp(how, "close") == 0) {
		for (int fd = 0; fd < 1024; fd++)
			close(fd);
	} else if (strcmp(how, "fclose") == 0) {
		/* glibc closes a stream's descriptor with its internal close,
		 * which no wrapper sees. */
		for (int fd = 0; fd < 1024; fd++) {
			int fl = fcntl(fd, F_GETFL);
			if (fl < 0)
				continue;
			FILE *f = fdopen(fd, (fl & O_ACCMODE) == O_RDONLY ? "r" : "a");
			if (f)
				fclose(f);
			else
				close(fd);
		}
	} else {
		errno = EINVAL;
		setup_fail(how);
	}
	udp = -1;
}

static int open_data(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		setup_fail(path);
	return fd;
}

static void write_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		failures++;
}

/* What fd holds from the start, compared with want. */
static const char *file_verdict(int fd, const char *want)
{
	char got[4096];
	ssize_t n = pread(fd, got, sizeof got - 1, 0);
	if (n < 0)
		return "unreadable";
	got[n] = 0;
	if (strcmp(got, want) != 0) {
		failures++;
		return strstr(got, "sockfault") ? "log lines inside" : "different";
	}
	return "exact";
}

static const char *stream_verdict(int fd, const char *want)
{
	char got[4096];
	size_t n = 0;
	for (;;) {
		ssize_t r = recv(fd, got + n, sizeof got - 1 - n, MSG_DONTWAIT);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	got[n] = 0;
	if (strcmp(got, want) != 0) {
		failures++;
		return strstr(got, "sockfault") ? "log lines inside" : "different";
	}
	return "exact";
}

static int cmd_daemon(const char *how, const char *dir)
{
	char faults[256] = "";
	/* Without stderr from the start, the program's first file must be
	 * the first thing it opens (a socket would take number 2 first). */
	if (strcmp(how, "none") != 0) {
		strcat(faults, fault());
		if (chdir("/") != 0)
			setup_fail("chdir /");
	}
	close_all(how);
	if (strcmp(how, "none") != 0) {
		/* The classic daemon: 0 and 1 on /dev/null, the rest its own. */
		if (open("/dev/null", O_RDONLY) != 0 || open("/dev/null", O_WRONLY) != 1)
			setup_fail("/dev/null on 0 and 1");
	}
	int d1 = open_data(dir, "data1"), d2 = open_data(dir, "data2");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		setup_fail("socketpair");
	strcat(faults, *faults ? " " : ""), strcat(faults, fault());
	write_str(d1, "the program's first file\n");
	strcat(faults, " "), strcat(faults, fault());
	write_str(d2, "the program's second file\n");
	strcat(faults, " "), strcat(faults, fault());
	write_str(sv[0], "the program's stream\n");
	strcat(faults, " "), strcat(faults, fault());
	char report[1024];
	int n = snprintf(report, sizeof report,
			 "descriptors: data1=%d data2=%d pair=%d,%d\ndata1: %s\ndata2: %s\n"
			 "stream: %s\nfaults: %s\n",
			 d1, d2, sv[0], sv[1], file_verdict(d1, "the program's first file\n"),
			 file_verdict(d2, "the program's second file\n"),
			 stream_verdict(sv[1], "the program's stream\n"), faults);
	int r = open_data(dir, "result");
	if (write(r, report, (size_t)n) != n)
		setup_fail("result");
	return failures ? 1 : 0;
}

/* --- children --- */

static int cmd_vfork(int n)
{
#ifndef HAVE_CLOSE_RANGE
	(void)n;
	return UNSUPPORTED;
#else
	fault();
	int before = count_fds();
	for (int i = 0; i < n; i++) {
		fault();
		pid_t pid = vfork();
		if (pid == 0) {
			/* Through the log's descriptor; then, every other
			 * time, through one of the child's own. */
			fault();
			if (i % 2) {
				close_range((unsigned)udp + 1, ~0u, 0);
				fault();
			} else {
				close_range(3, ~0u, 0);
			}
			_exit(0);
		}
		if (pid < 0)
			setup_fail("vfork");
		waitpid(pid, NULL, 0);
	}
	fault();
	int after = count_fds();
	printf("fds before=%d after=%d\n", before, after);
	return before == after ? 0 : 1;
#endif
}

static int cmd_vfork_first(const char *dir)
{
	make_udp();
	pid_t pid = vfork();
	if (pid == 0) {
		fault();
		_exit(0);
	}
	if (pid < 0)
		setup_fail("vfork");
	waitpid(pid, NULL, 0);
	int d = open_data(dir, "data1");
	write_str(d, "the program's file\n");
	printf("fault in the parent: %s\n", fault());
	printf("data1: %s\n", file_verdict(d, "the program's file\n"));
	printf("pid=%d\n", (int)getpid());
	return failures ? 1 : 0;
}

static int cmd_spawn(int n, const char *self)
{
	fault();
	int before = count_fds();
	for (int i = 0; i < n; i++) {
		fault();
		pid_t pid;
		char *argv[] = { (char *)self, "idle", NULL };
		if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0)
			setup_fail("posix_spawn");
		waitpid(pid, NULL, 0);
	}
	fault();
	int after = count_fds();
	printf("fds before=%d after=%d\n", before, after);
	return before == after ? 0 : 1;
}

/* --- limits --- */

static int cmd_emfile(void)
{
	struct rlimit old, tiny;
	if (getrlimit(RLIMIT_NOFILE, &old) != 0)
		setup_fail("getrlimit");
	make_udp();
	int lowest = open("/dev/null", O_RDONLY);
	if (lowest < 0)
		setup_fail("/dev/null");
	close(lowest);
	/* Every number below the limit is taken: no new descriptor at all. */
	tiny = old;
	tiny.rlim_cur = (rlim_t)lowest;
	if (setrlimit(RLIMIT_NOFILE, &tiny) != 0)
		setup_fail("setrlimit");
	printf("fault with no descriptor left: %s\n", fault());
	int fd = open("/dev/null", O_RDONLY);
	printf("the program's open at the limit: %s\n", fd >= 0		  ? "opened"
							: errno == EMFILE ? "EMFILE"
									  : strerror(errno));
	if (fd >= 0)
		close(fd);
	setrlimit(RLIMIT_NOFILE, &old);
	sleep_ms(1100);
	printf("fault a second later: %s\n", fault());
	fd = open("/dev/null", O_RDONLY);
	printf("the program's open after: %s\n", fd < 0 ? strerror(errno) : "opened");
	return fd < 0;
}

static int cmd_xfsz(int pending)
{
	const char *log = getenv("SOCKFAULT_LOG");
	struct stat st;
	struct rlimit old, lim;
	printf("first fault: %s\n", fault());
	if (!log || stat(log, &st) != 0 || getrlimit(RLIMIT_FSIZE, &old) != 0)
		setup_fail("the log file");
	sigset_t set, now;
	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	if (pending) {
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGXFSZ);
	}
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size;
	if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
		setup_fail("setrlimit");
	printf("fault past the size limit: %s\n", fault());
	printf("fault past the size limit: %s\n", fault());
	setrlimit(RLIMIT_FSIZE, &old);
	sigpending(&now);
	printf("SIGXFSZ pending after: %s\n", sigismember(&now, SIGXFSZ) ? "yes" : "no");
	printf("alive\n");
	return pending && !sigismember(&now, SIGXFSZ);
}

static int cmd_sigpipe_pending(int n)
{
	sigset_t set, now;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGPIPE);
	cmd_faults(n);
	sigpending(&now);
	printf("SIGPIPE pending after: %s\n", sigismember(&now, SIGPIPE) ? "yes" : "no");
	return !sigismember(&now, SIGPIPE);
}

static int log_says(const char *log, const char *what)
{
	char buf[65536];
	int fd = open(log, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strstr(buf, what) != NULL;
}

static int cmd_reload_bad(const char *rules)
{
	const char *log = getenv("SOCKFAULT_LOG");
	const char *bad = "sendto peer=127.0.0.1:9 => eror EIO\n";
	if (!log)
		setup_fail("SOCKFAULT_LOG");
	int fd = open(rules, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, bad, strlen(bad)) != (ssize_t)strlen(bad))
		setup_fail(rules);
	close(fd);
	for (int i = 0; i < 200 && !log_says(log, "previous rules stay"); i++)
		sleep_ms(50);
	printf("fault after the reload: %s\n", fault());
	return 0;
}

/* --- launchers --- */

/* CMD's exit status, or 124 if it is still running after 20 s. */
static int run(char **cmd, int stderr_fd, int close_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		setup_fail("fork");
	if (pid == 0) {
		if (stderr_fd >= 0 && dup2(stderr_fd, 2) != 2)
			_exit(SETUP_FAILED);
		if (stderr_fd > 2)
			close(stderr_fd);
		if (close_fd >= 0)
			close(close_fd);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	int status;
	for (int i = 0; i < 400; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("hung: killed after 20 s\n");
	return 124;
}

/* A byte no log line holds. */
#define FILLER '\001'

/* Fill a pipe through a description of its own (O_NONBLOCK there only). */
static size_t fill(int fd)
{
	char buf[4096];
	size_t total = 0;
	memset(buf, FILLER, sizeof buf);
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (size_t chunk = sizeof buf; chunk > 0; chunk /= 2) {
		ssize_t w;
		while ((w = write(fd, buf, chunk)) > 0)
			total += (size_t)w;
	}
	fcntl(fd, F_SETFL, fl);
	return total;
}

/* Everything left to read on fd, counted. */
static void drain(const char *what, int fd)
{
	char buf[4096];
	size_t bytes = 0, lines = 0, ours = 0, filler = 0;
	int at_line = 1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] == FILLER)
				filler++;
			if (at_line && buf[i] == 's' && i + 9 <= r && memcmp(buf + i, "sockfault", 9) == 0)
				ours++;
			at_line = buf[i] == '\n';
			lines += buf[i] == '\n';
		}
		bytes += (size_t)r;
	}
	printf("%s: bytes=%zu lines=%zu sockfault=%zu filler=%zu\n", what, bytes, lines, ours, filler);
}

static int cmd_with_stderr(const char *kind, char **cmd)
{
	int p[2];
	if (strcmp(kind, "deadpipe") == 0 || strcmp(kind, "fullpipe") == 0) {
		if (pipe(p) != 0)
			setup_fail("pipe");
	} else if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) != 0) {
		setup_fail("socketpair");
	}
	/* p[0] the reading end, p[1] CMD's stderr. */
	if (strcmp(kind, "deadpipe") == 0 || strcmp(kind, "deadsocket") == 0) {
		close(p[0]);
		int rc = run(cmd, p[1], -1);
		printf("rc=%d\n", rc);
		return rc;
	}
	size_t filled = strcmp(kind, "fullpipe") == 0 ? fill(p[1]) : 0;
	if (filled)
		printf("filled with %zu bytes\n", filled);
	int rc = run(cmd, p[1], p[0]);
	close(p[1]);
	drain("stderr", p[0]);
	printf("rc=%d\n", rc);
	return rc;
}

static int cmd_with_fifo(const char *fifo, const char *how, char **cmd)
{
	int r = open(fifo, O_RDONLY | O_NONBLOCK);
	if (r < 0)
		setup_fail(fifo);
	if (strcmp(how, "full") == 0) {
		int w = open(fifo, O_WRONLY | O_NONBLOCK);
		if (w < 0)
			setup_fail(fifo);
		printf("filled with %zu bytes\n", fill(w));
		close(w);
	}
	int rc = run(cmd, -1, r);
	drain("fifo", r);
	printf("rc=%d\n", rc);
	return rc;
}

static void usage(void)
{
	fputs("usage: rlog faults N | daemon HOW DIR | vfork N | vfork-first DIR | spawn N | emfile | xfsz [pending] "
	      "|\n"
	      "       sigpipe-pending N | reload-bad RULES | idle |\n"
	      "       with-stderr KIND -- CMD... | with-fifo FIFO reader|full -- CMD...\n",
	      stderr);
	exit(SETUP_FAILED);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *m = argv[1];
	if (strcmp(m, "faults") == 0 && argc == 3)
		return cmd_faults(atoi(argv[2]));
	if (strcmp(m, "daemon") == 0 && argc == 4)
		return cmd_daemon(argv[2], argv[3]);
	if (strcmp(m, "vfork") == 0 && argc == 3)
		return cmd_vfork(atoi(argv[2]));
	if (strcmp(m, "vfork-first") == 0 && argc == 3)
		return cmd_vfork_first(argv[2]);
	if (strcmp(m, "spawn") == 0 && argc == 3)
		return cmd_spawn(atoi(argv[2]), argv[0]);
	if (strcmp(m, "emfile") == 0 && argc == 2)
		return cmd_emfile();
	if (strcmp(m, "xfsz") == 0 && (argc == 2 || argc == 3))
		return cmd_xfsz(argc == 3);
	if (strcmp(m, "sigpipe-pending") == 0 && argc == 3)
		return cmd_sigpipe_pending(atoi(argv[2]));
	if (strcmp(m, "reload-bad") == 0 && argc == 3)
		return cmd_reload_bad(argv[2]);
	if (strcmp(m, "idle") == 0)
		return 0;
	if (strcmp(m, "with-stderr") == 0 && argc > 4 && strcmp(argv[3], "--") == 0)
		return cmd_with_stderr(argv[2], argv + 4);
	if (strcmp(m, "with-fifo") == 0 && argc > 5 && strcmp(argv[4], "--") == 0)
		return cmd_with_fifo(argv[2], argv[3], argv + 5);
	usage();
	return SETUP_FAILED;
}
