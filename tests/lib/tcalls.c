/* One subcommand per interposed call: set up a situation where the call
 * would succeed, make it once, print what it returned, and check what
 * follows (the descriptor is released by a failed close, data that a
 * failed receive did not take is still there, ...).
 *
 *   tcalls [-P] [-e EXPECT] OP [TARGET]
 *
 * EXPECT is "ok", "any" or an errno name, for the one call under test; the
 * exit status is 1 if it differs. TARGET is the address of a tpeer: an echo
 * peer for the TCP calls, a udp peer for sendmmsg and recvmmsg. The scripts
 * give the rules `once`, so the checks that follow see the real call. This
 * file is also built with -O2 -D_FORTIFY_SOURCE=2 (tcalls_fortify), where
 * recv, recvfrom and read become __recv_chk, __recvfrom_chk and __read_chk. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tnet.h"

static const char *expect;
static struct tn_addr target;
static int have_target;

static void need_target(const char *op)
{
	if (!have_target)
		tn_setup_fail("%s needs a TARGET", op);
}

static int connected(int type)
{
	int fd = tn_must_connect(&target, type);
	printf("fd=%d\n", fd);
	return fd;
}

static int fresh_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		tn_setup_fail("socket");
	return fd;
}

/* What the peer's echo sends back, to be sure the connection still works. */
static void echo_check(int fd, const char *what)
{
	char buf[64];
	size_t n = strlen(what);
	if (tn_send_all(fd, what, n) < 0) {
		TN_REPORT("after: send", -1);
		return;
	}
	size_t got = tn_recv_exact(fd, buf, n, TN_WAIT_MS);
	printf("after: echo = %zu ", got);
	tn_print_bytes(buf, got, sizeof buf);
	putchar('\n');
}

/* --- creating and setting up --- */

static int op_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	TN_CHECK("socket", fd, expect);
	return 0;
}

static int op_socketpair(void)
{
	int sv[2] = { -1, -1 };
	int r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	TN_CHECK("socketpair", r, expect);
	if (r < 0)
		printf("after: sv = %d %d\n", sv[0], sv[1]);
	return 0;
}

static int op_bind(void)
{
	int fd = fresh_socket();
	struct tn_addr a;
	tn_loopback(&a, AF_INET, 0);
	int r = bind(fd, (struct sockaddr *)&a.ss, a.len);
	TN_CHECK("bind", r, expect);
	/* A failed bind left the socket unbound. */
	printf("after: bound = %s\n", tn_local_port(fd) > 0 ? "yes" : "no");
	return 0;
}

static int op_listen(void)
{
	int fd = fresh_socket();
	struct tn_addr a;
	tn_loopback(&a, AF_INET, 0);
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0)
		tn_setup_fail("bind");
	tn_set_port(&a, tn_local_port(fd));
	int r = listen(fd, 8);
	TN_CHECK("listen", r, expect);
	/* The kernel must agree: no listener, no connection. */
	int c = tn_connect(&a, SOCK_STREAM);
	TN_REPORT("after: connect", c < 0 ? -1 : 0);
	return 0;
}

static int op_connect(void)
{
	need_target("connect");
	int fd = socket(target.family, SOCK_STREAM, 0);
	int r = connect(fd, (struct sockaddr *)&target.ss, target.len);
	TN_CHECK("connect", r, expect);
	if (r < 0) {
		/* Nothing happened: the same socket can still connect. */
		r = connect(fd, (struct sockaddr *)&target.ss, target.len);
		TN_REPORT("after: connect", r);
	}
	if (r == 0)
		echo_check(fd, "after");
	return 0;
}

/* A listener with one connection waiting in its queue. */
static int queued(int *client)
{
	struct tn_addr a;
	tn_loopback(&a, AF_INET, 0);
	int lfd = tn_bind_listen(&a, SOCK_STREAM);
	if (lfd < 0)
		tn_setup_fail("listen");
	*client = tn_connect(&a, SOCK_STREAM);
	if (*client < 0)
		tn_setup_fail("connect to self");
	if (!(tn_wait(lfd, POLLIN, TN_WAIT_MS) & POLLIN))
		tn_setup_fail("nothing to accept");
	return lfd;
}

static int op_accept(void)
{
	int client;
	int lfd = queued(&client);
	int fd = accept(lfd, NULL, NULL);
	TN_CHECK("accept", fd, expect);
	if (fd < 0) {
		/* The connection is still queued, as with EMFILE. */
		fd = accept(lfd, NULL, NULL);
		TN_REPORT("after: accept", fd < 0 ? -1 : 0);
	}
	return 0;
}

static int op_accept4(void)
{
	int client;
	int lfd = queued(&client);
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	TN_CHECK("accept4", fd, expect);
	if (fd < 0) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		TN_REPORT("after: accept4", fd < 0 ? -1 : 0);
	}
	if (fd >= 0)
		printf("after: cloexec = %s\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
	return 0;
}

static int op_shutdown(void)
{
	need_target("shutdown");
	int fd = connected(SOCK_STREAM);
	int r = shutdown(fd, SHUT_WR);
	TN_CHECK("shutdown", r, expect);
	/* Not shut down: both directions still work. */
	echo_check(fd, "after");
	return 0;
}

static int op_close(void)
{
	need_target("close");
	int fd = connected(SOCK_STREAM);
	int r = close(fd);
	TN_CHECK("close", r, expect);
	int fl = fcntl(fd, F_GETFD);
	printf("after: fd %s\n", fl >= 0 ? "open" : "closed");
	if (fl >= 0) {
		echo_check(fd, "after");
		TN_REPORT("after: close", close(fd));
	}
	return 0;
}

/* --- duplicating --- */

static void dup_after(int newfd, int r)
{
	if (r < 0)
		printf("after: fd %d %s\n", newfd, fcntl(newfd, F_GETFD) >= 0 ? "open" : "closed");
}

static int op_dup(void)
{
	int fd = fresh_socket();
	int r = dup(fd);
	TN_CHECK("dup", r, expect);
	return 0;
}

static int op_dup2(void)
{
	int fd = fresh_socket();
	int r = dup2(fd, 100);
	TN_CHECK("dup2", r, expect);
	dup_after(100, r);
	return 0;
}

static int op_dup3(void)
{
	int fd = fresh_socket();
	int r = dup3(fd, 101, O_CLOEXEC);
	TN_CHECK("dup3", r, expect);
	dup_after(101, r);
	return 0;
}

static int fcntl_dup(int cmd, const char *name)
{
	int fd = fresh_socket();
	int r = fcntl(fd, cmd, 200);
	TN_CHECK(name, r, expect);
	if (r >= 0 && r < 200)
		tn_unexpected("%s gave %d, below 200", name, r);
	/* Only the duplicating commands are faulted. */
	TN_REPORT("after: F_GETFL", fcntl(fd, F_GETFL) < 0 ? -1 : 0);
	return 0;
}

static int op_fcntl_dupfd(void)
{
	return fcntl_dup(F_DUPFD, "fcntl(F_DUPFD)");
}

static int op_fcntl_dupfd_cloexec(void)
{
	return fcntl_dup(F_DUPFD_CLOEXEC, "fcntl(F_DUPFD_CLOEXEC)");
}

#ifdef HAVE_FCNTL64
/* What glibc compiles fcntl into where off_t is 32 bits by default. */
static int op_fcntl64_dupfd(void)
{
	int fd = fresh_socket();
	int r = fcntl64(fd, F_DUPFD, 200);
	TN_CHECK("fcntl64(F_DUPFD)", r, expect);
	return 0;
}
#endif

/* --- sending: "hello" by the call under test, then "after" by send ---
 * The peer reports the bytes it got: "after" alone if the call failed. */

static int tx_done(int fd)
{
	char buf[64];
	size_t got = 0;
	if (tn_send_all(fd, "after", 5) < 0) {
		TN_REPORT("after: send", -1);
		return 0;
	}
	/* Take back all the peer echoes, to its end: a close with unread
	 * data would reset the connection, and the peer would see that. */
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 100 && got < sizeof buf; i++) {
		ssize_t r = tn_recv_wait(fd, buf + got, sizeof buf - got, TN_WAIT_MS);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	printf("after: echo = %zu ", got);
	tn_print_bytes(buf, got, sizeof buf);
	putchar('\n');
	close(fd);
	return 0;
}

static int op_send(void)
{
	need_target("send");
	int fd = connected(SOCK_STREAM);
	TN_CHECK("send", send(fd, "hello", 5, MSG_NOSIGNAL), expect);
	return tx_done(fd);
}

static int op_sendto(void)
{
	need_target("sendto");
	int fd = connected(SOCK_STREAM);
	TN_CHECK("sendto", sendto(fd, "hello", 5, MSG_NOSIGNAL, NULL, 0), expect);
	return tx_done(fd);
}

static int op_sendmsg(void)
{
	need_target("sendmsg");
	int fd = connected(SOCK_STREAM);
	struct iovec iov[2] = { { "hel", 3 }, { "lo", 2 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	TN_CHECK("sendmsg", sendmsg(fd, &m, MSG_NOSIGNAL), expect);
	return tx_done(fd);
}

static int op_write(void)
{
	need_target("write");
	int fd = connected(SOCK_STREAM);
	TN_CHECK("write", write(fd, "hello", 5), expect);
	return tx_done(fd);
}

static int op_writev(void)
{
	need_target("writev");
	int fd = connected(SOCK_STREAM);
	struct iovec iov[2] = { { "hel", 3 }, { "lo", 2 } };
	TN_CHECK("writev", writev(fd, iov, 2), expect);
	return tx_done(fd);
}

/* UDP: the peer prints each datagram and stops at "END". */
static int op_sendmmsg(void)
{
	need_target("sendmmsg");
	int fd = connected(SOCK_DGRAM);
	struct iovec iov[2] = { { "m1", 2 }, { "m2", 2 } };
	struct mmsghdr v[2];
	memset(v, 0, sizeof v);
	v[0].msg_hdr.msg_iov = &iov[0];
	v[0].msg_hdr.msg_iovlen = 1;
	v[1].msg_hdr.msg_iov = &iov[1];
	v[1].msg_hdr.msg_iovlen = 1;
	TN_CHECK("sendmmsg", sendmmsg(fd, v, 2, 0), expect);
	TN_REPORT("after: send", send(fd, "after", 5, 0));
	send(fd, "END", 3, 0);
	return 0;
}

/* --- receiving: the echo peer sends "ping" back; the call under test
 * reads it, or fails and leaves it for the plain recv that follows. */

static int rx_ready(int type)
{
	int fd = connected(type);
	if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4)
		tn_setup_fail("send ping");
	if (!(tn_wait(fd, POLLIN, TN_WAIT_MS) & POLLIN))
		tn_setup_fail("no echo from the peer");
	return fd;
}

static int rx_done(int fd, const char *op, ssize_t r, const char *buf)
{
	int err = errno;
	tn_check(op, r, err, expect);
	if (r >= 0) {
		printf("data: ");
		tn_print_bytes(buf, (size_t)r, 64);
		putchar('\n');
	} else {
		char again[64];
		ssize_t n = tn_recv_wait(fd, again, sizeof again, TN_WAIT_MS);
		TN_REPORT("after: recv", n);
		if (n > 0) {
			printf("data: ");
			tn_print_bytes(again, (size_t)n, sizeof again);
			putchar('\n');
		}
	}
	close(fd);
	return 0;
}

static int op_recv(void)
{
	need_target("recv");
	int fd = rx_ready(SOCK_STREAM);
	char buf[64];
	ssize_t r = recv(fd, buf, tn_opaque(sizeof buf), 0);
	return rx_done(fd, "recv", r, buf);
}

static int op_recvfrom(void)
{
	need_target("recvfrom");
	int fd = rx_ready(SOCK_STREAM);
	char buf[64];
	ssize_t r = recvfrom(fd, buf, tn_opaque(sizeof buf), 0, NULL, NULL);
	return rx_done(fd, "recvfrom", r, buf);
}

static int op_recvmsg(void)
{
	need_target("recvmsg");
	int fd = rx_ready(SOCK_STREAM);
	char buf[64];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r = recvmsg(fd, &m, 0);
	return rx_done(fd, "recvmsg", r, buf);
}

static int op_read(void)
{
	need_target("read");
	int fd = rx_ready(SOCK_STREAM);
	char buf[64];
	ssize_t r = read(fd, buf, tn_opaque(sizeof buf));
	return rx_done(fd, "read", r, buf);
}

static int op_readv(void)
{
	need_target("readv");
	int fd = rx_ready(SOCK_STREAM);
	char buf[64];
	struct iovec iov[2] = { { buf, 2 }, { buf + 2, sizeof buf - 2 } };
	ssize_t r = readv(fd, iov, 2);
	return rx_done(fd, "readv", r, buf);
}

static int op_recvmmsg(void)
{
	need_target("recvmmsg");
	int fd = rx_ready(SOCK_DGRAM);
	char buf[64];
	struct iovec iov = { buf, sizeof buf };
	struct mmsghdr v[1];
	memset(v, 0, sizeof v);
	v[0].msg_hdr.msg_iov = &iov;
	v[0].msg_hdr.msg_iovlen = 1;
	int r = recvmmsg(fd, v, 1, MSG_DONTWAIT, NULL);
	int err = errno;
	if (r > 0)
		r = (int)v[0].msg_len;
	errno = err;
	rx_done(fd, "recvmmsg", r, buf);
	int u = tn_connect(&target, SOCK_DGRAM);
	send(u, "END", 3, 0);
	return 0;
}

/* --- asking --- */

static int op_getsockopt(void)
{
	need_target("getsockopt");
	int fd = connected(SOCK_STREAM);
	int v = -1;
	socklen_t l = sizeof v;
	int r = getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
	TN_CHECK("getsockopt(SO_ERROR)", r, expect);
	if (r == 0)
		printf("SO_ERROR = %s\n", v ? tn_errname(v) : "0");
	/* Only SO_ERROR is interposed. */
	l = sizeof v;
	r = getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l);
	TN_REPORT("after: getsockopt(SO_TYPE)", r < 0 ? r : v);
	return 0;
}

static int op_getpeername(void)
{
	need_target("getpeername");
	int fd = connected(SOCK_STREAM);
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	int r = getpeername(fd, (struct sockaddr *)&ss, &l);
	TN_CHECK("getpeername", r, expect);
	l = sizeof ss;
	TN_REPORT("after: getsockname", getsockname(fd, (struct sockaddr *)&ss, &l));
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} ops[] = {
	{ "socket", op_socket },
	{ "socketpair", op_socketpair },
	{ "bind", op_bind },
	{ "listen", op_listen },
	{ "connect", op_connect },
	{ "accept", op_accept },
	{ "accept4", op_accept4 },
	{ "shutdown", op_shutdown },
	{ "close", op_close },
	{ "dup", op_dup },
	{ "dup2", op_dup2 },
	{ "dup3", op_dup3 },
	{ "fcntl-dupfd", op_fcntl_dupfd },
	{ "fcntl-dupfd-cloexec", op_fcntl_dupfd_cloexec },
#ifdef HAVE_FCNTL64
	{ "fcntl64-dupfd", op_fcntl64_dupfd },
#endif
	{ "send", op_send },
	{ "sendto", op_sendto },
	{ "sendmsg", op_sendmsg },
	{ "sendmmsg", op_sendmmsg },
	{ "write", op_write },
	{ "writev", op_writev },
	{ "recv", op_recv },
	{ "recvfrom", op_recvfrom },
	{ "recvmsg", op_recvmsg },
	{ "recvmmsg", op_recvmmsg },
	{ "read", op_read },
	{ "readv", op_readv },
	{ "getsockopt", op_getsockopt },
	{ "getpeername", op_getpeername },
};

int main(int argc, char **argv)
{
	int opt;
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "Pe:")) != -1) {
		switch (opt) {
		case 'P':
			printf("pid=%d\n", (int)getpid());
			break;
		case 'e':
			expect = optarg;
			break;
		default:
			return TN_EXIT_SETUP;
		}
	}
	if (optind >= argc)
		tn_setup_fail("usage: tcalls [-P] [-e EXPECT] OP [TARGET]");
	const char *op = argv[optind];
	if (optind + 1 < argc) {
		if (tn_parse_addr(argv[optind + 1], &target) < 0)
			tn_setup_fail("bad target %s", argv[optind + 1]);
		have_target = 1;
	}
	/* Seen by the bad-input tests: main ran. */
	printf("main: tcalls %s\n", op);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (strcmp(ops[i].name, op) == 0) {
			ops[i].fn();
			return tn_exit_status();
		}
	}
	tn_setup_fail("unknown operation %s", op);
}
