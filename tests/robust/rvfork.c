/* Children that share the parent's memory, and children made without fork
 * handlers: nothing a vfork child does may change what the parent sees, and
 * a child with memory of its own is a process of its own.
 *
 *   rvfork vfork-range|vfork-closefrom|vfork-close
 *       A client socket whose sends a sticky rule fails (EIO); a vfork
 *       child closes every descriptor (close_range, closefrom, or close and
 *       dup2 of /dev/null over the socket) and execs itself to exit 0; the
 *       parent's sends must still fail.
 *   rvfork vfork-learn
 *       A vfork child writes to a pipe it put on the number of a socket
 *       the library has not met yet; the parent's send on that number must
 *       be faulted (the library learns the parent's socket, not the
 *       child's pipe).
 *   rvfork rawfork-dest
 *       A destination on the heap names 127.0.0.2 (A); a child made by a
 *       raw clone (no fork handlers) rewrites it to 127.0.0.3 (B) and sends
 *       there. The rule is for A only: the child's send must go out.
 *   rvfork rawfork-close
 *       A raw-clone child closes a UDP socket whose writes a rule fails,
 *       opens /dev/null on the same number and writes to it: a file, not
 *       the socket, so the write succeeds.
 *   rvfork fork-timer ROUNDS
 *       Client sockets under a `timeout` expire while the program forks
 *       again and again; each child closes every socket and exits. No
 *       child may hang (the timeout thread was mid-expiry at the fork).
 *
 * Prints what each call returned; exit 0 as expected, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hutil.h"

/* A child with no fork handlers run and no libc bookkeeping: what _Fork and
 * clone-based runtimes do. */
static pid_t raw_fork(void)
{
	return (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
}

static int child_status(pid_t pid, int ms)
{
	double end = tn_now_ms() + ms;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 || tn_now_ms() > end)
			break;
		tn_sleep_ms(1);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int vfork_case(const char *how)
{
	int c, s;
	if (hu_tcp_pair("127.0.0.1", &c, &s) != 0)
		tn_setup_fail("tcp pair");
	TN_CHECK("before: send", send(c, "x", 1, MSG_NOSIGNAL), "EIO");
	pid_t pid = vfork();
	if (pid < 0)
		tn_setup_fail("vfork");
	if (pid == 0) {
		/* What Python's subprocess does between vfork and exec. */
		if (0)
			;
#ifdef HAVE_CLOSE_RANGE
		else if (!strcmp(how, "vfork-range"))
			close_range(3u, ~0u, 0);
#endif
#ifdef HAVE_CLOSEFROM
		else if (!strcmp(how, "vfork-closefrom"))
			closefrom(3);
#endif
		else {
			int dn = open("/dev/null", O_RDWR);
			dup2(dn, c);
			close(dn);
			close(c);
		}
		/* This program again, not /bin/true: in a musl build only the
		 * build's own programs can run under its library. */
		execl("/proc/self/exe", "rvfork", "exit0", (char *)NULL);
		_exit(127);
	}
	int st = child_status(pid, TN_WAIT_MS);
	printf("child: %d\n", st);
	TN_CHECK("after: send", send(c, "x", 1, MSG_NOSIGNAL), "EIO");
	TN_CHECK("after: send again", send(c, "y", 1, MSG_NOSIGNAL), "EIO");
	return tn_exit_status();
}

/* The child's descriptor N is a pipe, the parent's a socket the library
 * has not seen yet: what the child's write teaches the library must not
 * become the parent's. */
static int vfork_learn(void)
{
	int c, s;
	if (hu_tcp_pair("127.0.0.1", &c, &s) != 0)
		tn_setup_fail("tcp pair");
	/* A socket made where the library cannot see it. */
	int n = (int)syscall(SYS_dup, c);
	int p[2];
	if (n < 0 || pipe(p) != 0)
		tn_setup_fail("setup");
	pid_t pid = vfork();
	if (pid < 0)
		tn_setup_fail("vfork");
	if (pid == 0) {
		dup2(p[1], n);
		ssize_t w = write(n, "x", 1);
		_exit(w == 1 ? 0 : 1);
	}
	int st = child_status(pid, TN_WAIT_MS);
	printf("child: %d\n", st);
	TN_CHECK("parent: send on the socket the child's pipe shadowed", send(n, "x", 1, MSG_NOSIGNAL), "EIO");
	return tn_exit_status();
}

static int rawfork_dest(void)
{
	struct tn_addr a, b;
	int ra = hu_bind_on("127.0.0.2", SOCK_DGRAM, &a);
	int rb = hu_bind_on("127.0.0.3", SOCK_DGRAM, &b);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (ra < 0 || rb < 0 || u < 0)
		tn_setup_fail("sockets");
	/* Off the stack: the library asks the kernel for a copy. */
	struct tn_addr *dest = malloc(sizeof *dest);
	if (!dest)
		tn_setup_fail("malloc");
	*dest = a;
	TN_CHECK("parent: sendto A", sendto(u, "a", 1, 0, (struct sockaddr *)&dest->ss, dest->len), "EIO");
	fflush(stdout);
	pid_t pid = raw_fork();
	if (pid < 0)
		tn_setup_fail("clone");
	if (pid == 0) {
		*dest = b;
		TN_CHECK("child: sendto B", sendto(u, "b", 1, 0, (struct sockaddr *)&dest->ss, dest->len), "ok");
		fflush(stdout);
		_exit(tn_exit_status());
	}
	int st = child_status(pid, TN_WAIT_MS);
	printf("child: %d\n", st);
	if (st != 0)
		tn_unexpected("the child's send to B was faulted (status %d)", st);
	char buf[4];
	TN_CHECK("B received", tn_recv_wait(rb, buf, sizeof buf, TN_WAIT_MS), "ok");
	free(dest);
	return tn_exit_status();
}

static int rawfork_close(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct tn_addr a;
	int r = hu_bind_on("127.0.0.1", SOCK_DGRAM, &a);
	if (u < 0 || r < 0 || connect(u, (struct sockaddr *)&a.ss, a.len) != 0)
		tn_setup_fail("sockets");
	TN_CHECK("parent: write", write(u, "x", 1), "EIO");
	fflush(stdout);
	pid_t pid = raw_fork();
	if (pid < 0)
		tn_setup_fail("clone");
	if (pid == 0) {
		close(u);
		int fd = open("/dev/null", O_WRONLY);
		if (fd != u)
			_exit(3);
		TN_CHECK("child: write to /dev/null on the socket's number", write(fd, "x", 1), "ok");
		fflush(stdout);
		_exit(tn_exit_status());
	}
	int st = child_status(pid, TN_WAIT_MS);
	printf("child: %d\n", st);
	if (st != 0)
		tn_unexpected("the child's file write failed (status %d)", st);
	TN_CHECK("parent: write again", write(u, "y", 1), "EIO");
	return tn_exit_status();
}

#define NSOCK 200

static int fork_timer(int rounds)
{
	int hung = 0, forks = 0;
	for (int round = 0; round < rounds && !hung; round++) {
		int c[NSOCK], s[NSOCK];
		for (int i = 0; i < NSOCK; i++)
			if (hu_tcp_pair("127.0.0.1", &c[i], &s[i]) != 0)
				tn_setup_fail("tcp pair");
		/* Each send starts a 20 ms timeout: they expire together. */
		for (int i = 0; i < NSOCK; i++)
			send(c[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		/* Fork while the timeout thread works through them. */
		double start = tn_now_ms() + 15, end = start + 40;
		while (tn_now_ms() < start)
			;
		while (tn_now_ms() < end && !hung) {
			pid_t pid = fork();
			if (pid < 0)
				tn_setup_fail("fork");
			if (pid == 0) {
				for (int i = 0; i < NSOCK; i++)
					close(c[i]);
				_exit(0);
			}
			forks++;
			if (child_status(pid, 2 * TN_WAIT_MS) != 0) {
				tn_unexpected("a child forked in round %d hung in close", round);
				hung = 1;
			}
		}
		for (int i = 0; i < NSOCK; i++) {
			close(c[i]);
			close(s[i]);
		}
	}
	printf("forks: %d, hung: %d\n", forks, hung);
	return tn_exit_status();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exit0"))
		return 0;
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "vfork-learn"))
		return vfork_learn();
	if (!strncmp(mode, "vfork-", 6))
		return vfork_case(mode);
	if (!strcmp(mode, "rawfork-dest"))
		return rawfork_dest();
	if (!strcmp(mode, "rawfork-close"))
		return rawfork_close();
	if (!strcmp(mode, "fork-timer") && argc > 2)
		return fork_timer(atoi(argv[2]));
	fprintf(stderr,
		"usage: rvfork "
		"vfork-range|vfork-learn|vfork-closefrom|vfork-close|rawfork-dest|rawfork-close|fork-timer N\n");
	return 3;
}
