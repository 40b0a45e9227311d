/* The program under test of the tests that are not transcripts yet (treal
 * is the program to extend: tests/README): connect as the kernel delivers
 * it, sequences of calls counted by the rules, short writes, datagrams,
 * timing, threads, exec, stderr taken by a socket, and the results that
 * must not change under the library (baseline).
 *
 *   tclient [-P] SUBCOMMAND [OPTIONS] [ARGS]
 *
 * -P prints "pid=N" first. Each subcommand prints one line per observation,
 * e.g. "connect = -1 EINPROGRESS", "poll = 1 events=OUT,ERR,HUP",
 * "conn 1: ok ok ECONNRESET ok". See usage() for the list. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tnet.h"

static void usage(void)
{
	fputs("usage: tclient [-P] SUBCOMMAND ...\n"
	      "  connect [-u] TARGET                 blocking connect (-u: UDP)\n"
	      "  connect-nb poll|select|epoll TARGET  nonblocking TCP connect, then wait\n"
	      "  seq [-o OP] [-n CALLS] [-c CONNS] [-u] [-b LOCAL] [-S CALL:MS] TARGET\n"
	      "  sendall [-o send|write|writev|sendmsg] [-b BYTES] TARGET\n"
	      "  udp-send [-n N] [-u] TARGET...\n"
	      "  timed connect|send|recv TARGET\n"
	      "  threads TARGET_A TARGET_B\n"
	      "  exec TARGET PROGRAM [ARG...]\n"
	      "  stderr-socket UNIXTARGET TARGET     stderr is a socket\n"
	      "  stderr-closed TARGET                close(2), then a socket takes fd 2\n"
	      "  sigpipe TARGET                      EPIPE from each sending call\n"
	      "  dead TARGET                         a connection after a sticky fault\n"
	      "  baseline\n",
	      stdout);
	exit(TN_EXIT_SETUP);
}

/* --- connect, the way the kernel delivers it --- */

static void print_events(const char *what, int r, unsigned ev, unsigned in, unsigned out, unsigned err, unsigned hup)
{
	char buf[64] = "";
	if (ev & in)
		strcat(buf, ",IN");
	if (ev & out)
		strcat(buf, ",OUT");
	if (ev & err)
		strcat(buf, ",ERR");
	if (ev & hup)
		strcat(buf, ",HUP");
	printf("%s = %d events=%s\n", what, r, buf[0] ? buf + 1 : "none");
}

static void wait_connect(const char *method, int fd)
{
	if (strcmp(method, "poll") == 0) {
		struct pollfd p = { fd, POLLOUT, 0 };
		int r = poll(&p, 1, TN_WAIT_MS);
		print_events("poll", r, (unsigned)p.revents, POLLIN, POLLOUT, POLLERR, POLLHUP);
	} else if (strcmp(method, "select") == 0) {
		fd_set w, e;
		FD_ZERO(&w);
		FD_ZERO(&e);
		FD_SET(fd, &w);
		FD_SET(fd, &e);
		struct timeval tv = { TN_WAIT_MS / 1000, 0 };
		int r = select(fd + 1, NULL, &w, &e, &tv);
		printf("select = %d writable=%s\n", r, FD_ISSET(fd, &w) ? "yes" : "no");
	} else if (strcmp(method, "epoll") == 0) {
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLOUT, .data.fd = fd };
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			tn_setup_fail("epoll");
		struct epoll_event got = { 0 };
		int r = epoll_wait(ep, &got, 1, TN_WAIT_MS);
		print_events("epoll", r, got.events, EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP);
		close(ep);
	} else {
		usage();
	}
}

static void print_so_error(const char *what, int fd)
{
	int v = -1;
	socklen_t l = sizeof v;
	int r = getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
	if (r < 0)
		TN_REPORT(what, r);
	else
		printf("%s = %s\n", what, v ? tn_errname(v) : "0");
}

static void print_peername(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	TN_REPORT("getpeername", getpeername(fd, (struct sockaddr *)&ss, &l));
}

static int cmd_connect(int argc, char **argv)
{
	int type = SOCK_STREAM, opt;
	while ((opt = getopt(argc, argv, "u")) != -1)
		if (opt == 'u')
			type = SOCK_DGRAM;
		else
			usage();
	if (optind >= argc)
		usage();
	struct tn_addr a = tn_target(argc, argv, optind);
	int fd = socket(a.family, type, 0);
	if (fd < 0)
		tn_setup_fail("socket");
	int r = connect(fd, (struct sockaddr *)&a.ss, a.len);
	int err = errno;
	tn_report("connect", r, err);
	/* "At once": no waiting for a timeout, whatever the machine's load. */
	print_peername(fd);
	if (r == 0 && type == SOCK_STREAM) {
		char buf[8];
		tn_send_all(fd, "hi", 2);
		size_t n = tn_recv_exact(fd, buf, 2, TN_WAIT_MS);
		printf("echo = %zu\n", n);
	}
	return 0;
}

static int cmd_connect_nb(int argc, char **argv)
{
	const char *method = argv[1];
	struct tn_addr a = tn_target(argc, argv, 2);
	int fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		tn_setup_fail("socket");
	int r = connect(fd, (struct sockaddr *)&a.ss, a.len);
	TN_REPORT("connect", r);
	wait_connect(method, fd);
	print_so_error("SO_ERROR", fd);
	print_so_error("SO_ERROR again", fd);
	print_peername(fd);
	return 0;
}

/* --- sequences of calls, for when=, p=, limit=, per=, sticky ... --- */

static ssize_t one_call(const char *op, int fd, int i)
{
	char msg[16], buf[64];
	int n = snprintf(msg, sizeof msg, "m%02d.", i);
	if (strcmp(op, "send") == 0)
		return send(fd, msg, (size_t)n, MSG_NOSIGNAL);
	if (strcmp(op, "write") == 0)
		return write(fd, msg, (size_t)n);
	if (strcmp(op, "recv") == 0 || strcmp(op, "read") == 0) {
		/* Something to read first (the peer echoes); sent with write
		 * so that a rule on send does not get in the way. */
		if (write(fd, msg, (size_t)n) != n)
			return -1;
		if (!(tn_wait(fd, POLLIN, TN_WAIT_MS) & POLLIN)) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (strcmp(op, "recv") == 0)
			return recv(fd, buf, (size_t)n, 0);
		return read(fd, buf, (size_t)n);
	}
	if (strcmp(op, "getpeername") == 0) {
		struct sockaddr_storage ss;
		socklen_t l = sizeof ss;
		return getpeername(fd, (struct sockaddr *)&ss, &l);
	}
	tn_setup_fail("seq: unknown operation %s", op);
}

static int cmd_seq(int argc, char **argv)
{
	const char *op = "send", *bind_ip = NULL;
	int calls = 5, conns = 1, type = SOCK_STREAM, sleep_call = 0, sleep_ms = 0, opt;
	while ((opt = getopt(argc, argv, "o:n:c:ub:S:")) != -1) {
		switch (opt) {
		case 'o':
			op = optarg;
			break;
		case 'n':
			calls = atoi(optarg);
			break;
		case 'c':
			conns = atoi(optarg);
			break;
		case 'u':
			type = SOCK_DGRAM;
			break;
		case 'b':
			bind_ip = optarg;
			break;
		case 'S':
			if (sscanf(optarg, "%d:%d", &sleep_call, &sleep_ms) != 2)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || calls < 1 || calls > 200 || conns < 1 || conns > 20)
		usage();
	struct tn_addr a = tn_target(argc, argv, optind);
	int total_ok = 0;
	for (int c = 1; c <= conns; c++) {
		int fd = socket(a.family, type, 0);
		if (fd < 0)
			tn_setup_fail("socket");
		if (bind_ip) {
			struct tn_addr l;
			char spec[300];
			if (a.family == AF_UNIX)
				snprintf(spec, sizeof spec, "unix:%s", bind_ip);
			else
				snprintf(spec, sizeof spec, a.family == AF_INET6 ? "[%s]:0" : "%s:0", bind_ip);
			l = tn_addr_of(spec);
			if (bind(fd, (struct sockaddr *)&l.ss, l.len) < 0)
				tn_setup_fail("bind %s", bind_ip);
		}
		printf("conn %d:", c);
		if (connect(fd, (struct sockaddr *)&a.ss, a.len) < 0) {
			printf(" connect %s\n", tn_errname(errno));
			close(fd);
			continue;
		}
		for (int i = 1; i <= calls; i++) {
			if (i == sleep_call)
				tn_sleep_ms(sleep_ms);
			ssize_t r = one_call(op, fd, i);
			printf(" %s", tn_outcome(r, errno));
			total_ok += r >= 0;
		}
		putchar('\n');
		close(fd);
	}
	printf("ok calls = %d\n", total_ok);
	return 0;
}

/* --- all of it across, however short each call is --- */

/* The options of sendall: -o OP -b BYTES (1..max), then a target. */
static void op_bytes_options(int argc, char **argv, const char **op, size_t *bytes, size_t max)
{
	int opt;
	while ((opt = getopt(argc, argv, "o:b:")) != -1) {
		if (opt == 'o')
			*op = optarg;
		else if (opt == 'b')
			*bytes = (size_t)atol(optarg);
		else
			usage();
	}
	if (optind >= argc || *bytes == 0 || *bytes > max)
		usage();
}

static int cmd_sendall(int argc, char **argv)
{
	const char *op = "send";
	size_t bytes = 1000;
	op_bytes_options(argc, argv, &op, &bytes, 1 << 20);
	struct tn_addr a = tn_target(argc, argv, optind);
	int fd = tn_must_connect(&a, SOCK_STREAM);
	unsigned char *data = malloc(bytes);
	if (!data)
		tn_setup_fail("malloc");
	for (size_t i = 0; i < bytes; i++)
		data[i] = tn_pattern(i);
	size_t done = 0, biggest = 0;
	int ncalls = 0;
	while (done < bytes && ncalls < 2000000) {
		const unsigned char *p = data + done;
		size_t left = bytes - done;
		/* Two pieces, so that a short write inside the first, at the
		 * boundary, or inside the second are all exercised. */
		size_t half = left > 1 ? left / 2 : left;
		struct iovec iov[2] = { { (void *)p, half }, { (void *)(p + half), left - half } };
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t r;
		if (strcmp(op, "send") == 0)
			r = send(fd, p, left, MSG_NOSIGNAL);
		else if (strcmp(op, "write") == 0)
			r = write(fd, p, left);
		else if (strcmp(op, "writev") == 0)
			r = writev(fd, iov, 2);
		else if (strcmp(op, "sendmsg") == 0)
			r = sendmsg(fd, &m, MSG_NOSIGNAL);
		else
			usage();
		ncalls++;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			tn_unexpected("%s failed: %s", op, tn_errname(errno));
			break;
		}
		done += (size_t)r;
		if ((size_t)r > biggest)
			biggest = (size_t)r;
	}
	printf("calls = %d\n", ncalls);
	printf("largest = %zu\n", biggest);
	printf("sent = %zu fnv=%08x\n", done, (unsigned)tn_fnv(TN_FNV_INIT, data, done));
	close(fd);
	free(data);
	return 0;
}

/* --- datagrams --- */

/* One unconnected socket, n datagrams to each target in turn: a datagram
 * socket's peer is the call's own. -u: IPv4 addresses as a careless program
 * builds them, family, port and address set and the padding (sin_zero)
 * never written (valgrind sees it uninitialised). */
static int cmd_udp_send(int argc, char **argv)
{
	int n = 3, opt, sloppy = 0;
	while ((opt = getopt(argc, argv, "n:u")) != -1)
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'u')
			sloppy = 1;
		else
			usage();
	if (optind >= argc || n < 1 || n > 100 || argc - optind > 8)
		usage();
	struct tn_addr a[8];
	int na = argc - optind;
	for (int k = 0; k < na; k++)
		a[k] = tn_target(argc, argv, optind + k);
	int fd = socket(a[0].family, SOCK_DGRAM, 0);
	if (fd < 0)
		tn_setup_fail("socket");
	for (int i = 1; i <= n; i++) {
		for (int k = 0; k < na; k++) {
			char msg[16];
			int len = snprintf(msg, sizeof msg, "d%d", i);
			struct sockaddr_in careless;
			const struct sockaddr *to = (struct sockaddr *)&a[k].ss;
			if (sloppy && a[k].family == AF_INET) {
				const struct sockaddr_in *in = (const struct sockaddr_in *)&a[k].ss;
				careless.sin_family = AF_INET;
				careless.sin_port = in->sin_port;
				careless.sin_addr = in->sin_addr;
				to = (struct sockaddr *)&careless;
			}
			ssize_t r = sendto(fd, msg, (size_t)len, 0, to, a[k].len);
			TN_REPORT("sendto", r);
		}
	}
	/* What was sent has arrived (loopback keeps order): now stop the
	 * peers, through a call that the rules do not name. */
	for (int k = 0; k < na; k++) {
		int end = tn_connect(&a[k], SOCK_DGRAM);
		if (end < 0 || write(end, "END", 3) != 3)
			tn_setup_fail("END");
		close(end);
	}
	return 0;
}

/* --- timing (lower bounds only: the scripts never assume an upper one) --- */

static int cmd_timed(int argc, char **argv)
{
	const char *op = argv[1];
	struct tn_addr a = tn_target(argc, argv, 2);
	int fd = -1, r;
	double t0;
	char buf[8];
	if (strcmp(op, "connect") == 0) {
		fd = socket(a.family, SOCK_STREAM, 0);
		t0 = tn_now_ms();
		r = connect(fd, (struct sockaddr *)&a.ss, a.len);
	} else {
		fd = tn_must_connect(&a, SOCK_STREAM);
		if (strcmp(op, "recv") == 0) {
			tn_send_all(fd, "x", 1);
			tn_wait(fd, POLLIN, TN_WAIT_MS);
			t0 = tn_now_ms();
			r = (int)recv(fd, buf, 1, 0);
		} else {
			t0 = tn_now_ms();
			r = (int)send(fd, "x", 1, MSG_NOSIGNAL);
		}
	}
	int err = errno;
	double took = tn_now_ms() - t0;
	tn_report(op, r, err);
	printf("elapsed_ms = %d\n", (int)took);
	return 0;
}

/* --- two threads, each with its own connection and its own faults --- */

struct worker {
	const char *name;
	struct tn_addr a;
	pthread_barrier_t *start;
	char result[256];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int fd = tn_connect(&w->a, SOCK_STREAM);
	pthread_barrier_wait(w->start);
	if (fd < 0) {
		snprintf(w->result, sizeof w->result, " connect %s", tn_errname(errno));
		return NULL;
	}
	for (int i = 1; i <= 6; i++) {
		ssize_t r = send(fd, "t", 1, MSG_NOSIGNAL);
		size_t used = strlen(w->result);
		snprintf(w->result + used, sizeof w->result - used, " %s", tn_outcome(r, errno));
		/* Interleave the two threads' calls. */
		tn_sleep_ms(5);
	}
	close(fd);
	return NULL;
}

static int cmd_threads(int argc, char **argv)
{
	if (argc < 3)
		usage();
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	struct worker w[2] = { { .name = "A", .start = &start }, { .name = "B", .start = &start } };
	w[0].a = tn_target(argc, argv, 1);
	w[1].a = tn_target(argc, argv, 2);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker_main, &w[i]) != 0)
			tn_setup_fail("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++)
		printf("thread %s:%s\n", w[i].name, w[i].result);
	return 0;
}

/* --- exec: the child runs under the preload too --- */

static int cmd_exec(int argc, char **argv)
{
	if (argc < 3)
		usage();
	struct tn_addr a = tn_target(argc, argv, 1);
	int fd = tn_connect(&a, SOCK_STREAM);
	TN_REPORT("parent connect", fd < 0 ? -1 : 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	printf("child exit = %d\n", tn_wait_child(pid));
	return 0;
}

/* --- EPIPE and SIGPIPE: the kernel raises SIGPIPE for EPIPE on a stream
 * socket unless the call passed MSG_NOSIGNAL (write and writev cannot) --- */

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	sigpipes++;
}

static void pipe_report(const char *what, long r, int err)
{
	printf("%s = %ld %s sigpipe=%d\n", what, r < 0 ? -1 : r, r < 0 ? tn_errname(err) : "", (int)sigpipes);
}

#define PIPE_REPORT(what, call)              \
	do {                                 \
		long pr_ = (long)(call);     \
		int pe_ = errno;             \
		pipe_report(what, pr_, pe_); \
	} while (0)

static int cmd_sigpipe(int argc, char **argv)
{
	struct tn_addr a = tn_target(argc, argv, 1);
	signal(SIGPIPE, on_sigpipe);
	int fd = tn_connect(&a, SOCK_STREAM);
	int u = tn_connect(&a, SOCK_DGRAM);
	if (fd < 0 || u < 0)
		tn_setup_fail("connect");
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	PIPE_REPORT("send", send(fd, "x", 1, 0));
	PIPE_REPORT("send MSG_NOSIGNAL", send(fd, "x", 1, MSG_NOSIGNAL));
	PIPE_REPORT("sendmsg", sendmsg(fd, &m, 0));
	PIPE_REPORT("sendmsg MSG_NOSIGNAL", sendmsg(fd, &m, MSG_NOSIGNAL));
	PIPE_REPORT("write", write(fd, "x", 1));
	PIPE_REPORT("writev", writev(fd, &iov, 1));
	PIPE_REPORT("udp send", send(u, "x", 1, 0));
	return 0;
}

/* --- a connection a sticky fault has killed: every way of looking at it
 * agrees --- */

static int cmd_dead(int argc, char **argv)
{
	struct tn_addr a = tn_target(argc, argv, 1);
	int fd = tn_must_connect(&a, SOCK_STREAM);
	char buf[8];
	TN_REPORT("send 1", send(fd, "x", 1, MSG_NOSIGNAL));
	TN_REPORT("send 2", send(fd, "x", 1, MSG_NOSIGNAL));
	TN_REPORT("send 3", send(fd, "x", 1, MSG_NOSIGNAL));
	TN_REPORT("write", write(fd, "x", 1));
	/* Readable: at once if the connection is dead, when the echo comes
	 * back if it is not. */
	struct pollfd p = { fd, POLLIN, 0 };
	int r = poll(&p, 1, TN_WAIT_MS);
	print_events("poll", r, (unsigned)p.revents, POLLIN, POLLOUT, POLLERR, POLLHUP);
	print_so_error("SO_ERROR", fd);
	print_so_error("SO_ERROR again", fd);
	print_peername(fd);
	TN_REPORT("recv", recv(fd, buf, sizeof buf, MSG_DONTWAIT));
	/* A live connection has nothing more to read: do not wait for it. */
	tn_set_nonblocking(fd, 1);
	TN_REPORT("read", read(fd, buf, sizeof buf));
	return 0;
}

/* --- stderr is a socket (as under systemd): the library's own log lines
 * still get out, while the program's writes to it are faulted like any
 * write on a socket --- */

static int cmd_stderr_socket(int argc, char **argv)
{
	if (argc < 3)
		usage();
	struct tn_addr u, a;
	u = tn_target(argc, argv, 1);
	a = tn_target(argc, argv, 2);
	int s = tn_connect(&u, SOCK_STREAM);
	if (s < 0 || dup2(s, 2) < 0)
		tn_setup_fail("stderr to %s", argv[1]);
	close(s);
	int fd = tn_must_connect(&a, SOCK_STREAM);
	TN_REPORT("send", send(fd, "x", 1, MSG_NOSIGNAL));
	TN_REPORT("stderr write", write(2, "program line\n", 13));
	return 0;
}

/* --- a daemon closed its stderr, and its next socket took descriptor 2:
 * what goes through that socket is the program's business alone --- */

static int cmd_stderr_closed(int argc, char **argv)
{
	struct tn_addr a = tn_target(argc, argv, 1);
	close(2);
	int fd = tn_connect(&a, SOCK_STREAM);
	printf("fd = %d\n", fd);
	if (fd < 0)
		tn_setup_fail("connect");
	TN_REPORT("send", send(fd, "data", 4, MSG_NOSIGNAL));
	TN_REPORT("send", send(fd, "more", 4, MSG_NOSIGNAL));
	close(fd);
	return 0;
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
	{ "connect", cmd_connect },
	{ "connect-nb", cmd_connect_nb },
	{ "seq", cmd_seq },
	{ "sendall", cmd_sendall },
	{ "udp-send", cmd_udp_send },
	{ "timed", cmd_timed },
	{ "threads", cmd_threads },
	{ "exec", cmd_exec },
	{ "stderr-socket", cmd_stderr_socket },
	{ "stderr-closed", cmd_stderr_closed },
	{ "sigpipe", cmd_sigpipe },
	{ "dead", cmd_dead },
	{ "baseline", cmd_baseline },
};

int main(int argc, char **argv)
{
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	int i = 1;
	if (i < argc && strcmp(argv[i], "-P") == 0) {
		printf("pid=%d\n", (int)getpid());
		i++;
	}
	if (i >= argc)
		usage();
	printf("main: tclient %s\n", argv[i]);
	return TN_RUN_CMD(cmds, argc - i, argv + i, usage);
}
