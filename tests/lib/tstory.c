/* Small clients for the field stories of rules/: each does what the client
 * of the story does, and prints what it saw, so that a script can run the
 * rules file as shipped and show that the story happens.
 *
 *   tstory connect TARGET          a blocking connect, and how long it took
 *   tstory idle TARGET MS          two connections: one kept busy, one idle for MS
 *   tstory serverclose TARGET MS   talk, wait MS, then receive and keep sending
 *   tstory asyncrace TARGET        send before a nonblocking connect completes
 *   tstory dblconnect TARGET       connect twice: connected, then still pending
 *   tstory handshake [-c CONNS] TARGET   hello, then the server's answer
 *   tstory flaky [-c CONNS] [-n CALLS] TARGET   many small sends
 *   tstory rate send|recv TARGET BYTES   throughput, and the slowest/fastest call
 *   tstory blast [-n CONNS] READYFILE BYTES   a server (not preloaded) that sends BYTES
 *
 * Exit status as tnet.h says. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#include "tnet.h"

static void usage(void)
{
	fputs("usage: tstory connect|idle|serverclose|asyncrace|dblconnect|handshake|flaky|rate|blast ...\n", stdout);
	exit(TN_EXIT_SETUP);
}

static ssize_t send1(int fd, const char *s)
{
	return send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* refused, unreachable: a blocking connect, timed. */
static int cmd_connect(int argc, char **argv)
{
	struct tn_addr a = tn_target(argc, argv, 1);
	int fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		tn_setup_fail("socket");
	double t0 = tn_now_ms();
	int r = connect(fd, (struct sockaddr *)&a.ss, a.len);
	int err = errno;
	double took = tn_now_ms() - t0;
	tn_report("connect", r, err);
	printf("connect_ms = %d\n", (int)took);
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	TN_REPORT("getpeername", getpeername(fd, (struct sockaddr *)&ss, &l));
	close(fd);
	return 0;
}

/* idle-firewall: A stays busy, B stays idle past the threshold, D speaks
 * once halfway (below the threshold each time), C is made after the wait. */
static int cmd_idle(int argc, char **argv)
{
	if (argc < 3)
		usage();
	struct tn_addr a = tn_target(argc, argv, 1);
	int wait_ms = atoi(argv[2]);
	int A = tn_must_connect(&a, SOCK_STREAM), B = tn_must_connect(&a, SOCK_STREAM),
	    D = tn_must_connect(&a, SOCK_STREAM);
	TN_CHECK("A first", send1(A, "A"), "ok");
	TN_CHECK("B first", send1(B, "B"), "ok");
	TN_CHECK("D first", send1(D, "D"), "ok");
	double t0 = tn_now_ms();
	int busy = 0, busy_bad = 0, d_done = 0;
	while (tn_now_ms() - t0 < wait_ms) {
		tn_sleep_ms(200);
		ssize_t r = send1(A, "a");
		busy++;
		if (r < 0) {
			busy_bad++;
			tn_unexpected("A busy send %d: %s", busy, tn_errname(errno));
		}
		if (!d_done && tn_now_ms() - t0 >= wait_ms / 2) {
			TN_CHECK("D halfway", send1(D, "d"), "ok");
			d_done = 1;
		}
	}
	printf("A busy sends = %d, failed %d\n", busy, busy_bad);
	printf("B idle for %d ms\n", (int)(tn_now_ms() - t0));
	TN_REPORT("B after idle", send1(B, "late"));
	TN_REPORT("B again", send1(B, "late"));
	TN_REPORT("B write", write(B, "late", 4));
	TN_REPORT("A still", send1(A, "a"));
	TN_REPORT("D after half", send1(D, "d"));
	int C = tn_must_connect(&a, SOCK_STREAM);
	TN_REPORT("C fresh", send1(C, "C"));
	close(A);
	close(B);
	close(C);
	close(D);
	return 0;
}

/* server-close: the client's receives end while the server is still there. */
static int cmd_serverclose(int argc, char **argv)
{
	if (argc < 3)
		usage();
	struct tn_addr a = tn_target(argc, argv, 1);
	int wait_ms = atoi(argv[2]);
	int fd = tn_must_connect(&a, SOCK_STREAM);
	char buf[64];
	TN_CHECK("send ping", send1(fd, "ping"), "ok");
	size_t n = tn_recv_exact(fd, buf, 4, TN_WAIT_MS);
	printf("echo before = %zu\n", n);
	tn_sleep_ms(wait_ms);
	/* Bounded reads: without the rules nothing more comes, and a
	 * blocking read must not wait for ever. */
	struct timeval tv = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	TN_REPORT("send late1", send1(fd, "late1"));
	/* The echo of late1 comes back: data is waiting in the kernel, yet
	 * the program is told the stream ended. */
	double end = tn_now_ms() + TN_WAIT_MS;
	int pending = 0;
	while (tn_now_ms() < end && pending < 5) {
		tn_sleep_ms(10);
		if (ioctl(fd, FIONREAD, &pending) < 0)
			pending = -1;
		if (pending < 0)
			break;
	}
	printf("pending in the kernel = %d\n", pending);
	int ev = tn_wait(fd, POLLIN, 1000);
	printf("poll = %s\n", ev & POLLIN ? "IN" : "not readable");
	TN_REPORT("recv", recv(fd, buf, sizeof buf, 0));
	TN_REPORT("recv again", recv(fd, buf, sizeof buf, MSG_DONTWAIT));
	TN_REPORT("read", read(fd, buf, sizeof buf));
	TN_REPORT("send late2", send1(fd, "late2"));
	close(fd);
	return 0;
}

/* async-connect-race: send while the nonblocking connect is under way. */
static int cmd_asyncrace(int argc, char **argv)
{
	struct tn_addr a = tn_target(argc, argv, 1);
	int fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		tn_setup_fail("socket");
	TN_REPORT("connect", connect(fd, (struct sockaddr *)&a.ss, a.len));
	TN_REPORT("send early", send1(fd, "early"));
	tn_sleep_ms(100);
	TN_REPORT("send after 100ms, unchecked", send1(fd, "unchecked"));
	int ev = tn_wait(fd, POLLOUT, TN_WAIT_MS);
	printf("poll = %s\n", ev & POLLOUT ? "OUT" : "not writable");
	int v = -1;
	socklen_t l = sizeof v;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
	printf("SO_ERROR = %s\n", v ? tn_errname(v) : "0");
	TN_REPORT("send after check", send1(fd, "late"));
	close(fd);
	return 0;
}

/* double-connect: a connected socket, then one whose connect is pending. */
static int cmd_dblconnect(int argc, char **argv)
{
	struct tn_addr a = tn_target(argc, argv, 1);
	int fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TN_REPORT("blocking connect", connect(fd, (struct sockaddr *)&a.ss, a.len));
	TN_REPORT("blocking connect again", connect(fd, (struct sockaddr *)&a.ss, a.len));
	TN_REPORT("blocking send", send1(fd, "one"));
	close(fd);
	fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	TN_REPORT("nonblocking connect", connect(fd, (struct sockaddr *)&a.ss, a.len));
	TN_REPORT("nonblocking connect again", connect(fd, (struct sockaddr *)&a.ss, a.len));
	int ev = tn_wait(fd, POLLOUT, TN_WAIT_MS);
	printf("poll = %s\n", ev & POLLOUT ? "OUT" : "not writable");
	int v = -1;
	socklen_t l = sizeof v;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
	printf("SO_ERROR = %s\n", v ? tn_errname(v) : "0");
	TN_REPORT("nonblocking connect once done", connect(fd, (struct sockaddr *)&a.ss, a.len));
	TN_REPORT("nonblocking send", send1(fd, "two"));
	close(fd);
	return 0;
}

/* handshake-drop: hello sent, the answer never read. */
static int cmd_handshake(int argc, char **argv)
{
	int conns = 1, opt;
	while ((opt = getopt(argc, argv, "c:")) != -1)
		if (opt == 'c')
			conns = atoi(optarg);
		else
			usage();
	if (optind >= argc || conns < 1 || conns > 10)
		usage();
	struct tn_addr a = tn_target(argc, argv, optind);
	for (int c = 1; c <= conns; c++) {
		char what[64], buf[256];
		int fd = tn_must_connect(&a, SOCK_STREAM);
		snprintf(what, sizeof what, "conn %d hello", c);
		TN_REPORT(what, send1(fd, "hello"));
		/* Wait a little for the answer (an echoing server sends one, a
		 * silent one does not), then read it as a client would: a
		 * blocking receive, bounded by SO_RCVTIMEO. */
		struct timeval tv = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		tn_wait(fd, POLLIN, 500);
		snprintf(what, sizeof what, "conn %d answer", c);
		TN_REPORT(what, recv(fd, buf, sizeof buf, 0));
		snprintf(what, sizeof what, "conn %d send after", c);
		TN_REPORT(what, send1(fd, "more"));
		/* Still open for a moment: what the server sees now is the
		 * reset's doing, not that of a close. */
		tn_sleep_ms(300);
		close(fd);
	}
	return 0;
}

/* flaky-network: small sends until one fails, on several connections. */
static int cmd_flaky(int argc, char **argv)
{
	int conns = 5, calls = 40, opt;
	while ((opt = getopt(argc, argv, "c:n:")) != -1) {
		if (opt == 'c')
			conns = atoi(optarg);
		else if (opt == 'n')
			calls = atoi(optarg);
		else
			usage();
	}
	if (optind >= argc || conns < 1 || conns > 50 || calls < 1 || calls > 500)
		usage();
	struct tn_addr a = tn_target(argc, argv, optind);
	for (int c = 1; c <= conns; c++) {
		int fd = tn_must_connect(&a, SOCK_STREAM);
		printf("conn %d:", c);
		for (int k = 1; k <= calls; k++) {
			ssize_t r = send1(fd, "x");
			printf(" %s", tn_outcome(r, errno));
			if (r < 0)
				break;
		}
		putchar('\n');
		close(fd);
	}
	return 0;
}

/* slow-link: how fast it goes, and how long one call takes. */
static int cmd_rate(int argc, char **argv)
{
	if (argc < 4)
		usage();
	const char *dir = argv[1];
	struct tn_addr a = tn_target(argc, argv, 2);
	size_t bytes = (size_t)atol(argv[3]);
	if (bytes == 0 || bytes > (64u << 20))
		usage();
	static char buf[16384];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)tn_pattern(i);
	int fd = tn_must_connect(&a, SOCK_STREAM);
	size_t done = 0;
	int calls = 0;
	double min_call = 1e9, t0 = tn_now_ms();
	double limit = t0 + 60000;
	while (done < bytes && tn_now_ms() < limit) {
		size_t want = bytes - done < sizeof buf ? bytes - done : sizeof buf;
		double c0 = tn_now_ms();
		ssize_t r;
		if (strcmp(dir, "send") == 0)
			r = send(fd, buf, want, MSG_NOSIGNAL);
		else if (strcmp(dir, "recv") == 0)
			r = recv(fd, buf, want, 0);
		else
			usage();
		double took = tn_now_ms() - c0;
		calls++;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			tn_unexpected("%s: %s after %zu bytes", dir, tn_outcome(r, errno), done);
			break;
		}
		if (took < min_call)
			min_call = took;
		done += (size_t)r;
	}
	double elapsed = tn_now_ms() - t0;
	printf("bytes = %zu\n", done);
	printf("calls = %d\n", calls);
	printf("elapsed_ms = %d\n", (int)elapsed);
	printf("rate_kib_s = %d\n", elapsed > 0 ? (int)((double)done / 1024.0 / (elapsed / 1000.0)) : 0);
	printf("min_call_ms = %d\n", (int)min_call);
	close(fd);
	return 0;
}

/* The server for rate recv: never preloaded, sends as fast as it can. */
static int cmd_blast(int argc, char **argv)
{
	int conns = 1, opt;
	while ((opt = getopt(argc, argv, "n:")) != -1)
		if (opt == 'n')
			conns = atoi(optarg);
		else
			usage();
	if (optind + 1 >= argc)
		usage();
	const char *ready = argv[optind];
	size_t bytes = (size_t)atol(argv[optind + 1]);
	struct tn_addr a;
	tn_loopback(&a, AF_INET, 0);
	int lfd = tn_bind_listen(&a, SOCK_STREAM);
	if (lfd < 0)
		tn_setup_fail("listen");
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", ready);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", tn_addr_port(&a)) < 0 || fclose(f) != 0 || rename(tmp, ready) != 0)
		tn_setup_fail("ready file");
	static char buf[65536];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)tn_pattern(i);
	for (int c = 0; c < conns; c++) {
		if (!(tn_wait(lfd, POLLIN, 30000) & POLLIN)) {
			printf("blast: nobody came\n");
			return 0;
		}
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		size_t done = 0;
		while (done < bytes) {
			size_t want = bytes - done < sizeof buf ? bytes - done : sizeof buf;
			if (tn_send_all(fd, buf, want) < 0)
				break;
			done += want;
		}
		printf("blast: sent %zu\n", done);
		close(fd);
	}
	return 0;
}

static const struct tn_cmd cmds[] = {
	{ "connect", cmd_connect },
	{ "idle", cmd_idle },
	{ "serverclose", cmd_serverclose },
	{ "asyncrace", cmd_asyncrace },
	{ "dblconnect", cmd_dblconnect },
	{ "handshake", cmd_handshake },
	{ "flaky", cmd_flaky },
	{ "rate", cmd_rate },
	{ "blast", cmd_blast },
};

int main(int argc, char **argv)
{
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	return TN_RUN_CMD(cmds, argc - 1, argv + 1, usage);
}
