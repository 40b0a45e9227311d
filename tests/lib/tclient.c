/* The library changes nothing without rules: tclient baseline makes calls
 * whose results, failures and their errno included, must be the same with
 * and without the library (tests/calls/transparent.sh compares them). Its
 * bad pointers are handed to the kernel on purpose: the valgrind and
 * sanitizer stages recognise them by the function's name, cmd_baseline.
 *
 *   tclient baseline */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tnet.h"

static void usage(void)
{
	fputs("usage: tclient baseline\n", stdout);
	exit(TN_EXIT_SETUP);
}

/* --- without rules, the library changes nothing: every result below,
 * failures and their errno included, must be the same with and without it.
 * No descriptor numbers or ports are printed: they may differ by design. --- */

static void same(const char *what, long r, int err)
{
	tn_report(what, r < 0 ? -1 : r, err);
}

#define SAME(what, call)                      \
	do {                                  \
		long same_r_ = (long)(call);  \
		int same_e_ = errno;          \
		same(what, same_r_, same_e_); \
	} while (0)

static int cmd_baseline(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t l;
	char buf[64];
	int v;

	/* A bound, never listening socket: connecting to it is refused. */
	struct tn_addr closed;
	tn_loopback(&closed, AF_INET, 0);
	int holder = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(holder, (struct sockaddr *)&closed.ss, closed.len) < 0)
		tn_setup_fail("bind");
	tn_set_port(&closed, tn_local_port(holder));

	int fd = socket(AF_INET, SOCK_STREAM, 0);
	SAME("socket", fd >= 0 ? 0 : -1);
	errno = EDOM;
	SAME("connect closed port", connect(fd, (struct sockaddr *)&closed.ss, closed.len));
	l = sizeof v;
	SAME("SO_ERROR after refusal", getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) < 0 ? -1 : v);
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(fd, (struct sockaddr *)&closed.ss, closed.len);
	int err = errno;
	/* An immediate refusal or EINPROGRESS and a pending error are the
	 * kernel's to choose between; the final answer is what must match. */
	if (r < 0 && err == EINPROGRESS) {
		tn_wait(fd, POLLOUT, TN_WAIT_MS);
		l = sizeof v;
		v = -1;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
		err = v;
	}
	printf("nonblocking connect closed port: %s\n", err ? tn_errname(err) : "connected");
	l = sizeof ss;
	SAME("getpeername after refusal", getpeername(fd, (struct sockaddr *)&ss, &l));
	close(fd);

	SAME("send bad fd", send(-1, "x", 1, 0));
	SAME("send closed fd", send(1000, "x", 1, 0));
	SAME("recv bad fd", recv(-1, buf, 1, 0));
	SAME("close bad fd", close(-1));
	SAME("dup bad fd", dup(-1));
	SAME("getsockopt bad fd", getsockopt(-1, SOL_SOCKET, SO_ERROR, &v, &l));

	int pfd[2];
	if (pipe(pfd) < 0)
		tn_setup_fail("pipe");
	SAME("send on a pipe", send(pfd[1], "x", 1, 0));
	SAME("write on a pipe", write(pfd[1], "xy", 2));
	SAME("recv on a pipe", recv(pfd[0], buf, 2, 0));
	SAME("read on a pipe", read(pfd[0], buf, 2));
	SAME("getpeername on a pipe", getpeername(pfd[0], (struct sockaddr *)&ss, &l));
	SAME("connect on a pipe", connect(pfd[0], (struct sockaddr *)&closed.ss, closed.len));

	fd = socket(AF_INET, SOCK_STREAM, 0);
	l = sizeof ss;
	SAME("getpeername unconnected", getpeername(fd, (struct sockaddr *)&ss, &l));
	SAME("shutdown unconnected", shutdown(fd, SHUT_RDWR));
	SAME("send unconnected", send(fd, "x", 1, MSG_NOSIGNAL));
	SAME("recv unconnected", recv(fd, buf, 1, MSG_DONTWAIT));
	SAME("accept not listening", accept(fd, NULL, NULL));
	SAME("bind in use", bind(fd, (struct sockaddr *)&closed.ss, closed.len));
	SAME("connect NULL address", connect(fd, NULL, sizeof(struct sockaddr_in)));
	SAME("connect short address", connect(fd, (struct sockaddr *)&closed.ss, 2));
	SAME("sendmsg NULL", sendmsg(fd, NULL, 0));
#ifdef __GLIBC__
	SAME("recvmsg NULL", recvmsg(fd, NULL, 0));
#else
	/* musl (1.2.3 at least) crashes in recvmsg(fd, NULL, 0) itself,
	 * library or not: it reads through the msghdr pointer in user space
	 * before the system call (for its own conversions) instead of letting
	 * the kernel say EFAULT, as glibc does. Nothing to compare: the case is
	 * left out, the same with the library as without. */
	printf("recvmsg NULL: left out (crashes in this libc itself)\n");
#endif
	SAME("getsockopt NULL length", getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, NULL));
	SAME("fcntl F_DUPFD negative", fcntl(fd, F_DUPFD, -1));
	SAME("dup2 to negative", dup2(fd, -1));
	SAME("dup3 same fd", dup3(fd, fd, 0));
	close(fd);

	SAME("socket bad family", socket(12345, SOCK_STREAM, 0));
	SAME("socket bad type", socket(AF_INET, 999, 0));
	SAME("socketpair inet", socketpair(AF_INET, SOCK_STREAM, 0, pfd));
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	SAME("listen on udp", listen(u, 1));
	struct tn_addr zero;
	tn_loopback(&zero, AF_INET, 0);
	SAME("sendto port 0", sendto(u, "x", 1, 0, (struct sockaddr *)&zero.ss, zero.len));
	SAME("recvfrom empty", recvfrom(u, buf, 1, MSG_DONTWAIT, NULL, NULL));
	struct mmsghdr mm;
	memset(&mm, 0, sizeof mm);
	SAME("recvmmsg empty", recvmmsg(u, &mm, 1, MSG_DONTWAIT, NULL));
	close(u);

	/* Successes, with errno left alone as libc leaves it. */
	int sv[2];
	errno = EDOM;
	r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	err = errno;
	same("socketpair", r, err);
	printf("errno after success = %s\n", tn_errname(err));
	errno = EDOM;
	r = (int)send(sv[0], "hello", 5, 0);
	err = errno;
	same("send", r, err);
	printf("errno after success = %s\n", tn_errname(err));
	struct iovec iov[2] = { { buf, 2 }, { buf + 2, 10 } };
	SAME("readv", readv(sv[1], iov, 2));
	printf("data = %.5s\n", buf);
	SAME("recv nothing", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	SAME("recv into NULL", (send(sv[0], "x", 1, 0), recv(sv[1], NULL, 1, 0)));
	SAME("shutdown", shutdown(sv[0], SHUT_WR));
	SAME("recv after peer shutdown", recv(sv[1], buf, sizeof buf, 0));
	SAME("send after shutdown", send(sv[0], "x", 1, MSG_NOSIGNAL));
	int d = dup(sv[1]);
	SAME("dup", d >= 0 ? 0 : -1);
	SAME("close dup", close(d));
	SAME("close", close(sv[0]));
	errno = EDOM;
	r = close(sv[0]);
	err = errno;
	same("close again", r, err);
	printf("errno after failure = %s\n", tn_errname(err));
	return 0;
}

static const struct tn_cmd cmds[] = {
	{ "baseline", cmd_baseline },
};

int main(int argc, char **argv)
{
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		usage();
	printf("main: tclient %s\n", argv[1]);
	return TN_RUN_CMD(cmds, argc - 1, argv + 1, usage);
}
