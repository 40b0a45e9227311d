/* Processes: fork while other threads are inside the library, exec,
 * vfork and posix_spawn with redirections.
 *
 *   hproc forkstorm [-n FORKS] [-t THREADS] [-x SELF]
 *       Threads loop over calls that allocate socket records and take the
 *       library's locks (socket, connect, accept, send, recv, close,
 *       socketpair) while the main thread forks FORKS times. Each child
 *       checks its faults (see child_checks) and exits; every fourth one
 *       execs SELF instead ("hproc child FD PORT"), so the new image, set
 *       up from nothing while its parent's threads still run, is checked
 *       too. A child that has not exited after 10 s is reported as hung
 *       (killed, with its kernel wait channel) and the run fails.
 *       The rules the script gives: send to 127.0.0.1 fails with EIO, send
 *       on unix sockets with ENOBUFS (the threads connect to 127.0.0.2).
 *   hproc child FD PORT
 *       The checks of a forked child, in a fresh image (after exec).
 *   hproc vfork|vfork-exec|spawn SELF
 *       A connection c; the child (vfork, or posix_spawn's file actions)
 *       does dup2(c, 1) and close(c), then exits or execs "SELF sockout".
 *       Then the parent's stdout must still be its stdout (a write there
 *       succeeds under `write => error EIO`) and c must still be the
 *       socket the library knew (`send side=client when=2` fires on the
 *       parent's second send: a record learned afresh would know neither
 *       its side nor its count).
 *   hproc sockout
 *       Stdout is a socket: write there, and report on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hutil.h"

extern char **environ;

#define HANG_MS 10000

/* ---- what a child checks: its faults work, its calls do not hang ---- */

static int child_checks(int fd, int port, const char *who)
{
	int bad = 0;
	char b = 'c';
	/* The parent's connection, inherited: its record came along. */
	long r = send(fd, &b, 1, MSG_NOSIGNAL);
	if (!(r == -1 && errno == EIO)) {
		printf("%s: send on the inherited connection = %ld %s, expected EIO\n", who, r, tn_errname(errno));
		bad++;
	}
	/* New records in the child: the allocator and its lock work here. */
	int sv[2];
	for (int i = 0; i < 20; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
			printf("%s: socketpair = %s\n", who, tn_errname(errno));
			bad++;
			break;
		}
		r = send(sv[0], &b, 1, MSG_NOSIGNAL);
		if (!(r == -1 && errno == ENOBUFS)) {
			printf("%s: send on a new unix socket = %ld %s, expected ENOBUFS\n", who, r, tn_errname(errno));
			bad++;
		}
		close(sv[0]);
		close(sv[1]);
	}
	/* A new connection to the same peer: a new connection ordinal, the
	 * peers table and its lock work here. */
	struct tn_addr a;
	tn_loopback(&a, AF_INET, port);
	int c = tn_connect(&a, SOCK_STREAM);
	if (c < 0) {
		printf("%s: connect = %s\n", who, tn_errname(errno));
		bad++;
	} else {
		r = send(c, &b, 1, MSG_NOSIGNAL);
		if (!(r == -1 && errno == EIO)) {
			printf("%s: send on a new connection = %ld %s, expected EIO\n", who, r, tn_errname(errno));
			bad++;
		}
		close(c);
	}
	return bad ? TN_EXIT_UNEXPECTED : 0;
}

static int cmd_child(int argc, char **argv)
{
	if (argc < 3)
		tn_setup_fail("child FD PORT");
	return child_checks(atoi(argv[1]), atoi(argv[2]), "exec'd child");
}

/* ---- the hammering threads ---- */

static int stop;
static long hammered;
static struct tn_addr listen_addr;
static int listener;

static void *hammer(void *arg)
{
	(void)arg;
	char buf[16];
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c >= 0 && connect(c, (struct sockaddr *)&listen_addr.ss, listen_addr.len) == 0) {
			/* Whichever thread's connection this is: it is accepted,
			 * used and closed. */
			int s = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			send(c, "x", 1, MSG_NOSIGNAL);
			if (s >= 0) {
				recv(s, buf, sizeof buf, MSG_DONTWAIT);
				close(s);
			}
		}
		if (c >= 0)
			close(c);
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
			int d = dup(sv[0]);
			close(sv[0]);
			close(sv[1]);
			if (d >= 0)
				close(d);
		}
		__atomic_add_fetch(&hammered, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void print_wchan(pid_t pid)
{
	char path[64], buf[128] = "";
	snprintf(path, sizeof path, "/proc/%d/wchan", (int)pid);
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
	}
	printf("UNEXPECTED: child %d hung (wchan %s)\n", (int)pid, buf);
}

/* Wait for pid, bounded; 0 as expected, 1 not, 2 hung. */
static int reap(pid_t pid, const char *what)
{
	double end = tn_now_ms() + HANG_MS;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			printf("UNEXPECTED: waitpid(%s) = %s\n", what, tn_errname(errno));
			return 1;
		}
		if (tn_now_ms() > end) {
			print_wchan(pid);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return 2;
		}
		tn_sleep_ms(1);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		printf("UNEXPECTED: %s killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("UNEXPECTED: %s exit %d\n", what, WEXITSTATUS(st));
	return 1;
}

static int cmd_forkstorm(int argc, char **argv)
{
	int forks = 60, nthreads = 4, opt;
	const char *self = NULL;
	while ((opt = getopt(argc, argv, "n:t:x:")) != -1) {
		if (opt == 'n')
			forks = atoi(optarg);
		else if (opt == 't')
			nthreads = atoi(optarg);
		else if (opt == 'x')
			self = optarg;
		else
			tn_setup_fail("forkstorm [-n FORKS] [-t THREADS] [-x SELF]");
	}
	if (nthreads < 1 || nthreads > 32)
		tn_setup_fail("bad -t");
	/* The hammering threads connect to 127.0.0.2, which no rule fires on;
	 * the parent's connection and the children's go to 127.0.0.1. */
	listener = hu_bind_on("127.0.0.2", SOCK_STREAM, &listen_addr);
	struct tn_addr caddr;
	int lchild = hu_bind_on("127.0.0.1", SOCK_STREAM, &caddr);
	if (listener < 0 || lchild < 0)
		tn_setup_fail("listen");
	tn_set_nonblocking(listener, 1);
	int port = tn_addr_port(&caddr);
	/* The connection every child inherits. */
	int conn = tn_connect(&caddr, SOCK_STREAM);
	int srv = conn >= 0 ? accept(lchild, NULL, NULL) : -1;
	if (srv < 0)
		tn_setup_fail("the inherited connection");
	tn_set_nonblocking(lchild, 1);
	/* Children must inherit it through exec too. */
	fcntl(conn, F_SETFD, 0);
	char b = 'p';
	long r = send(conn, &b, 1, MSG_NOSIGNAL);
	printf("parent: send on the connection = %s\n", tn_outcome(r, errno));

	pthread_t th[32];
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, hammer, NULL) != 0)
			tn_setup_fail("pthread_create");
	/* Let the threads get going before the first fork. */
	while (__atomic_load_n(&hammered, __ATOMIC_RELAXED) < 10)
		tn_sleep_ms(1);

	int ok = 0, failed = 0, hung = 0, execs = 0;
	char fdarg[16], portarg[16];
	snprintf(fdarg, sizeof fdarg, "%d", conn);
	snprintf(portarg, sizeof portarg, "%d", port);
	for (int i = 0; i < forks; i++) {
		int do_exec = self && i % 4 == 3;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			printf("UNEXPECTED: fork = %s\n", tn_errname(errno));
			failed++;
			break;
		}
		if (pid == 0) {
			if (do_exec) {
				execl(self, "hproc", "child", fdarg, portarg, (char *)NULL);
				_exit(127);
			}
			int st = child_checks(conn, port, "forked child");
			fflush(stdout);
			_exit(st);
		}
		execs += do_exec;
		int res = reap(pid, do_exec ? "exec'd child" : "forked child");
		/* The children's connections, so that the backlog never fills. */
		for (int s; (s = accept4(lchild, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
			close(s);
		ok += res == 0;
		failed += res == 1;
		hung += res == 2;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	/* The parent's own faults still work after all that. */
	r = send(conn, &b, 1, MSG_NOSIGNAL);
	printf("parent: send after the forks = %s\n", tn_outcome(r, errno));
	printf("forks=%d ok=%d failed=%d hung=%d execs=%d hammered=%ld\n", forks, ok, failed, hung, execs,
	       __atomic_load_n(&hammered, __ATOMIC_RELAXED));
	close(conn);
	close(srv);
	close(listener);
	close(lchild);
	return failed || hung ? TN_EXIT_UNEXPECTED : 0;
}

/* ---- vfork and posix_spawn ---- */

static int cmd_sockout(void)
{
	/* Reports go to stderr: stdout is the socket. */
	long r = write(1, "out\n", 4);
	fprintf(stderr, "sockout: write(1) = %s\n", tn_outcome(r, errno));
	return 0;
}

static int cmd_redirect(const char *how, const char *self)
{
	int c, s;
	if (hu_tcp_pair("127.0.0.1", &c, &s) < 0)
		tn_setup_fail("connection");
	/* Before: stdout is ours, the first send on c goes through. */
	long r = write(1, "parent: before\n", 15);
	int err = errno;
	fprintf(stderr, "parent: write(1) before = %s\n", tn_outcome(r, err));
	char b = 'p';
	r = send(c, &b, 1, MSG_NOSIGNAL);
	fprintf(stderr, "parent: first send = %s\n", tn_outcome(r, errno));
	fflush(stdout);

	pid_t pid;
	if (strcmp(how, "spawn") == 0) {
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, c, 1);
		posix_spawn_file_actions_addclose(&fa, c);
		char *args[] = { (char *)"hproc", (char *)"sockout", NULL };
		int e = posix_spawn(&pid, self, &fa, NULL, args, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (e != 0)
			tn_setup_fail("posix_spawn: %s", tn_errname(e));
	} else {
		int do_exec = strcmp(how, "vfork-exec") == 0;
		pid = vfork();
		if (pid < 0)
			tn_setup_fail("vfork");
		if (pid == 0) {
			/* Only what vfork allows: these calls and exec or _exit.
			 * They go through the library, in the parent's memory. */
			if (dup2(c, 1) != 1)
				_exit(126);
			close(c);
			if (do_exec)
				execl(self, "hproc", "sockout", (char *)NULL);
			_exit(do_exec ? 127 : 0);
		}
	}
	int st;
	waitpid(pid, &st, 0);
	fprintf(stderr, "parent: child exit = %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));

	/* After: stdout is still ours (a rule for sockets leaves it alone). */
	r = write(1, "parent: after\n", 14);
	fprintf(stderr, "parent: write(1) after = %s\n", tn_outcome(r, errno));
	/* c is still the connection the library knew: its second send. */
	r = send(c, &b, 1, MSG_NOSIGNAL);
	fprintf(stderr, "parent: second send = %s\n", tn_outcome(r, errno));
	/* The contrast: a socket on a number of the parent's own is faulted. */
	if (dup2(c, 50) == 50) {
		r = write(50, "x", 1);
		fprintf(stderr, "parent: write on a dup2'ed socket = %s\n", tn_outcome(r, errno));
		close(50);
	}
	/* What the child wrote on the socket (sockout) reached the server. */
	char buf[64];
	r = tn_recv_wait(s, buf, sizeof buf, 200);
	if (r > 0)
		fprintf(stderr, "parent: the server got \"%.*s\"\n", (int)(r > 0 ? r : 0), buf);
	close(c);
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	tn_init();
	if (argc < 2)
		tn_setup_fail("usage: hproc forkstorm|child|vfork|vfork-exec|spawn|sockout ...");
	const char *cmd = argv[1];
	if (strcmp(cmd, "forkstorm") == 0)
		return cmd_forkstorm(argc - 1, argv + 1);
	if (strcmp(cmd, "child") == 0)
		return cmd_child(argc - 1, argv + 1);
	if (strcmp(cmd, "sockout") == 0)
		return cmd_sockout();
	if ((strcmp(cmd, "vfork") == 0 || strcmp(cmd, "vfork-exec") == 0 || strcmp(cmd, "spawn") == 0) && argc > 2)
		return cmd_redirect(cmd, argv[2]);
	tn_setup_fail("unknown command %s", cmd);
}
