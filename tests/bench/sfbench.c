/* sfbench: the workloads of scripts/bench. It knows nothing of sockfault: the
 * script runs it with and without the preload (or under fiu-run, or
 * callgrind) and compares. Each mode prints one line of key=value pairs.
 *
 *   sfbench loop KIND -n CALLS    CALLS calls inside sfb_measure(), after a
 *                                 warm-up outside it: for callgrind
 *                                 --toggle-collect=sfb_measure, so that the
 *                                 count is the steady state of one call
 *   sfbench loop KIND -t SECONDS  calls for about SECONDS: ns per call
 *   sfbench pingpong send|rw -t SECONDS [-s SIZE]
 *                                 a TCP echo over loopback between this
 *                                 process and a forked child: round trips/s
 *   sfbench pingpong send|rw -n TRIPS [-s SIZE]
 *                                 TRIPS round trips inside
 *                                 sfb_measure_trips(), after the warm-up:
 *                                 for callgrind, the client's send and recv
 *                                 of one round trip
 *   sfbench sockets COUNT [-e ERRNO]
 *                                 hold COUNT sockets (COUNT/2 socketpairs):
 *                                 resident size before and after; with -e,
 *                                 the second send on the first and last pair
 *                                 must fail with ERRNO (a rule's doing, which
 *                                 proves the library tracks them)
 *   sfbench timers COUNT          COUNT/2 TCP connections over loopback to
 *                                 a listener of its own, a byte sent on each
 *                                 (under a time trigger, each connection
 *                                 sets the library's timer), then all
 *                                 closed: ms for it all
 *
 * Loop KINDs, chosen to make the kernel's share of a call small so that the
 * library's own cost shows:
 *   udp-sendto   sendto(MSG_DONTWAIT) of 1 byte from an unconnected UDP
 *                socket to a sink on "localhost" that never reads (the
 *                address from getaddrinfo(3), so that a rule's host= can
 *                know it)
 *   unix-send    send(MSG_DONTWAIT) of 1 byte on a full AF_UNIX stream
 *                socketpair: EAGAIN at once
 *   unix-write   write() of 1 byte on the same, O_NONBLOCK: EAGAIN
 *   file-write   write() of 1 byte to /dev/null: not a socket
 *
 * SFBENCH_THREADED=1: the program starts a thread of its own first, which
 * waits for ever: a threaded server's case (the C library's calls then take
 * their threaded paths, with or without the preload; the library keeps
 * idle> and age> with its timer: sockfault-rules(5), idle). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_CALLS 2000   /* resolves lazy symbols, learns descriptors, builds plans */
#define BATCH 1000	    /* calls between two looks at the clock */
#define FILL_MAX (1L << 20) /* bound on the sends that fill a socketpair */
#define PP_WARMUP 1000	    /* ping-pong round trips before timing */
#define PP_MAX_SIZE 65536

enum loop_kind { LOOP_UDP_SENDTO, LOOP_UNIX_SEND, LOOP_UNIX_WRITE, LOOP_FILE_WRITE };

static const char *const loop_names[] = { "udp-sendto", "unix-send", "unix-write", "file-write", NULL };

struct loop {
	enum loop_kind kind;
	int fd;		       /* the descriptor the measured calls use */
	int other;	       /* the sink or the peer end, held open */
	struct sockaddr_in to; /* udp-sendto: the sink */
};

/* What the calls returned: the script checks that each configuration did
 * what it claims (a rule that "fires on every call" did fire). */
struct tally {
	long ok;
	long eagain;
	long other;
	int other_errno;
};

static void die(const char *what)
{
	fprintf(stderr, "sfbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: sfbench loop udp-sendto|unix-send|unix-write|file-write -n CALLS|-t SECONDS\n"
			"       sfbench pingpong send|rw -t SECONDS|-n TRIPS [-s SIZE]\n"
			"       sfbench sockets COUNT [-e ERRNO]\n"
			"       sfbench timers COUNT\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_long(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "sfbench: '%s' is not a number in %ld..%ld\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static double parse_seconds(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0 && v <= 3600)) {
		fprintf(stderr, "sfbench: '%s' is not a duration in seconds (0..3600]\n", s);
		exit(2);
	}
	return v;
}

/* A UDP socket bound to "localhost" (its IPv4 address, as getaddrinfo(3)
 * gives it) on a port of the kernel's choosing. */
static int udp_bound(struct sockaddr_in *addr)
{
	static const struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai;
	int gai = getaddrinfo("localhost", NULL, &hints, &ai);
	if (gai != 0) {
		fprintf(stderr, "sfbench: getaddrinfo(localhost): %s\n", gai_strerror(gai));
		exit(1);
	}
	memcpy(addr, ai->ai_addr, sizeof *addr);
	freeaddrinfo(ai);
	addr->sin_port = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket(udp)");
	socklen_t len = sizeof *addr;
	if (bind(fd, (struct sockaddr *)addr, len) < 0 || getsockname(fd, (struct sockaddr *)addr, &len) < 0)
		die("bind(udp)");
	return fd;
}

/* Send until the socket's buffer is full: big sends first, then 1-byte ones
 * (a small send can still fit where a big one did not). */
static void fill(int fd)
{
	static char chunk[65536];
	long n = 0;
	for (size_t size = sizeof chunk; size >= 1; size /= 16) {
		for (;;) {
			if (++n > FILL_MAX) {
				fprintf(stderr, "sfbench: the socketpair never filled up\n");
				exit(1);
			}
			if (send(fd, chunk, size, MSG_DONTWAIT) >= 0)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			die("filling the socketpair");
		}
	}
}

static void loop_setup(struct loop *l, enum loop_kind kind)
{
	int sv[2];
	memset(l, 0, sizeof *l);
	l->kind = kind;
	switch (kind) {
	case LOOP_UDP_SENDTO:
		l->other = udp_bound(&l->to);
		l->fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (l->fd < 0)
			die("socket(udp)");
		break;
	case LOOP_UNIX_SEND:
	case LOOP_UNIX_WRITE:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			die("socketpair");
		l->fd = sv[0];
		l->other = sv[1];
		fill(l->fd);
		if (kind == LOOP_UNIX_WRITE) {
			int fl = fcntl(l->fd, F_GETFL);
			if (fl < 0 || fcntl(l->fd, F_SETFL, fl | O_NONBLOCK) < 0)
				die("fcntl(O_NONBLOCK)");
		}
		break;
	case LOOP_FILE_WRITE:
		l->fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (l->fd < 0)
			die("open(/dev/null)");
		l->other = -1;
		break;
	}
}

static void count(struct tally *t, long r)
{
	if (r >= 0) {
		t->ok++;
	} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
		t->eagain++;
	} else {
		t->other++;
		t->other_errno = errno;
	}
}

/* The calls themselves. noinline: sfb_measure must be a real function for
 * callgrind to collect under, and the warm-up runs this same code. */
static __attribute__((noinline)) void sfb_run(const struct loop *l, long n, struct tally *t)
{
	static const char byte = 'x';
	switch (l->kind) {
	case LOOP_UDP_SENDTO:
		for (long i = 0; i < n; i++)
			count(t, sendto(l->fd, &byte, 1, MSG_DONTWAIT, (const struct sockaddr *)&l->to, sizeof l->to));
		break;
	case LOOP_UNIX_SEND:
		for (long i = 0; i < n; i++)
			count(t, send(l->fd, &byte, 1, MSG_DONTWAIT));
		break;
	case LOOP_UNIX_WRITE:
	case LOOP_FILE_WRITE:
		for (long i = 0; i < n; i++)
			count(t, write(l->fd, &byte, 1));
		break;
	}
}

/* Exported, so that callgrind finds it by name whatever the symbol table. */
__attribute__((noinline, visibility("default"))) void sfb_measure(const struct loop *l, long n, struct tally *t);
__attribute__((noinline, visibility("default"))) void sfb_measure(const struct loop *l, long n, struct tally *t)
{
	sfb_run(l, n, t);
}

static int loop_main(int argc, char **argv)
{
	if (argc != 4)
		usage();
	int kind = -1;
	for (int i = 0; loop_names[i]; i++)
		if (strcmp(argv[1], loop_names[i]) == 0)
			kind = i;
	if (kind < 0)
		usage();
	struct loop l;
	loop_setup(&l, (enum loop_kind)kind);
	struct tally warm = { 0 }, t = { 0 };
	sfb_run(&l, WARMUP_CALLS, &warm);
	long calls = 0;
	double elapsed = 0;
	if (strcmp(argv[2], "-n") == 0) {
		calls = parse_long(argv[3], 1, 1L << 40);
		double t0 = now_s();
		sfb_measure(&l, calls, &t);
		elapsed = now_s() - t0;
	} else if (strcmp(argv[2], "-t") == 0) {
		double seconds = parse_seconds(argv[3]);
		double t0 = now_s();
		do {
			sfb_run(&l, BATCH, &t);
			calls += BATCH;
			elapsed = now_s() - t0;
		} while (elapsed < seconds);
	} else {
		usage();
	}
	printf("loop=%s calls=%ld ns_per_call=%.1f ok=%ld eagain=%ld other=%ld", loop_names[kind], calls,
	       elapsed * 1e9 / (double)calls, t.ok, t.eagain, t.other);
	if (t.other)
		printf(" other_errno=%d", t.other_errno);
	printf("\n");
	return 0;
}

/* Move exactly size bytes (0: the peer closed; -1: an error). */
static int xfer(int fd, char *buf, size_t size, int rw, int tx)
{
	size_t done = 0;
	while (done < size) {
		ssize_t r;
		if (tx)
			r = rw ? write(fd, buf + done, size - done) : send(fd, buf + done, size - done, 0);
		else
			r = rw ? read(fd, buf + done, size - done) : recv(fd, buf + done, size - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (int)r;
		done += (size_t)r;
	}
	return 1;
}

static void nodelay(int fd)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		die("setsockopt(TCP_NODELAY)");
}

/* The child: accept one connection and echo until the parent closes it. */
static void echo_child(int lfd, size_t size, int rw)
{
	static char buf[PP_MAX_SIZE];
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	nodelay(fd);
	for (;;) {
		int r = xfer(fd, buf, size, rw, 0);
		if (r == 0)
			_exit(0);
		if (r < 0 || xfer(fd, buf, size, rw, 1) <= 0)
			die("echo");
	}
}

/* One round trip of the client: 1 when it went through. */
static int trip(int fd, char *buf, size_t size, int rw)
{
	return xfer(fd, buf, size, rw, 1) > 0 && xfer(fd, buf, size, rw, 0) > 0;
}

/* Exported and not inlined, as sfb_measure: callgrind's
 * --toggle-collect='sfb_measure*' counts the round trips in here only. */
__attribute__((noinline, visibility("default"))) long sfb_measure_trips(int fd, char *buf, size_t size, int rw, long n);
__attribute__((noinline, visibility("default"))) long sfb_measure_trips(int fd, char *buf, size_t size, int rw, long n)
{
	long i = 0;
	while (i < n && trip(fd, buf, size, rw))
		i++;
	return i;
}

static int pingpong_main(int argc, char **argv)
{
	static char buf[PP_MAX_SIZE];
	if (argc != 4 && argc != 6)
		usage();
	int rw;
	if (strcmp(argv[1], "send") == 0)
		rw = 0;
	else if (strcmp(argv[1], "rw") == 0)
		rw = 1;
	else
		usage();
	double seconds = 0;
	long measured = 0;
	if (strcmp(argv[2], "-t") == 0)
		seconds = parse_seconds(argv[3]);
	else if (strcmp(argv[2], "-n") == 0)
		measured = parse_long(argv[3], 1, 1L << 40);
	else
		usage();
	size_t size = 1;
	if (argc == 6) {
		if (strcmp(argv[4], "-s") != 0)
			usage();
		size = (size_t)parse_long(argv[5], 1, PP_MAX_SIZE);
	}
	memset(buf, 'x', size);

	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket(tcp)");
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;
	if (bind(lfd, (struct sockaddr *)&addr, len) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len) < 0)
		die("listen");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		echo_child(lfd, size, rw);
	close(lfd);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		die("connect");
	nodelay(fd);

	for (long i = 0; i < PP_WARMUP; i++)
		if (!trip(fd, buf, size, rw))
			die("ping-pong");
	long trips = 0;
	double t0 = now_s(), elapsed = 0;
	if (measured) {
		trips = sfb_measure_trips(fd, buf, size, rw, measured);
		elapsed = now_s() - t0;
		if (trips != measured)
			die("ping-pong");
	} else {
		do {
			/* The clock every 64 round trips: ~1 µs of vDSO per 64 × ~20 µs. */
			if (sfb_measure_trips(fd, buf, size, rw, 64) != 64)
				die("ping-pong");
			trips += 64;
		} while ((elapsed = now_s() - t0) < seconds);
	}
	close(fd);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sfbench: the echo child failed (status %d)\n", status);
		return 1;
	}
	printf("pingpong=%s size=%zu round_trips=%ld seconds=%.3f per_second=%.0f\n", argv[1], size, trips, elapsed,
	       (double)trips / elapsed);
	return 0;
}

/* VmRSS of this process in KiB, read through the (interposed) open/read. */
static long rss_kib(void)
{
	char text[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open(/proc/self/status)");
	size_t n = 0;
	ssize_t r;
	while (n < sizeof text - 1 && (r = read(fd, text + n, sizeof text - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	text[n] = '\0';
	const char *p = strstr(text, "\nVmRSS:");
	long kib;
	if (!p || sscanf(p + 7, "%ld", &kib) != 1) {
		fprintf(stderr, "sfbench: no VmRSS in /proc/self/status\n");
		exit(1);
	}
	return kib;
}

/* Room for `want` descriptors: raise the soft limit, and the hard one too
 * where we may (root). */
static void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit");
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		fprintf(stderr, "sfbench: cannot raise RLIMIT_NOFILE to %llu: %s (run as root or raise ulimit -Hn)\n",
			(unsigned long long)want, strerror(errno));
		exit(1);
	}
}

/* Send one byte twice on a pair; the second must fail with expect (0: must
 * succeed). Returns 1 when it behaved. */
static int check_pair(const int sv[2], int expect)
{
	char b = 'x';
	if (send(sv[0], &b, 1, MSG_DONTWAIT) != 1)
		return 0;
	ssize_t r = send(sv[0], &b, 1, MSG_DONTWAIT);
	if (expect ? !(r < 0 && errno == expect) : r != 1)
		return 0;
	char got[2];
	return recv(sv[1], got, sizeof got, MSG_DONTWAIT) == (expect ? 1 : 2);
}

static int sockets_main(int argc, char **argv)
{
	if (argc != 2 && argc != 4)
		usage();
	long count = parse_long(argv[1], 4, 4000000);
	int expect = 0;
	if (argc == 4) {
		if (strcmp(argv[2], "-e") != 0)
			usage();
		expect = (int)parse_long(argv[3], 1, 4095);
	}
	raise_nofile((rlim_t)count + 64);
	long before = rss_kib();
	int first[2] = { -1, -1 }, last[2] = { -1, -1 };
	for (long i = 0; i < count / 2; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, last) < 0) {
			fprintf(stderr, "sfbench: socketpair number %ld: %s\n", i + 1, strerror(errno));
			return 1;
		}
		if (i == 0)
			memcpy(first, last, sizeof first);
	}
	long after = rss_kib();
	int ok = check_pair(first, expect) && check_pair(last, expect);
	printf("sockets=%ld highest_fd=%d rss_before_kib=%ld rss_after_kib=%ld checked=%s\n", count / 2 * 2, last[1],
	       before, after, ok ? "yes" : "NO");
	return ok ? 0 : 1;
}

static int timers_main(int argc, char **argv)
{
	if (argc != 2)
		usage();
	long conns = parse_long(argv[1], 4, 4000000) / 2;
	raise_nofile((rlim_t)conns * 2 + 64);
	int *fds = calloc((size_t)conns * 2, sizeof *fds);
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof at;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (!fds || l < 0 || bind(l, (struct sockaddr *)&at, sizeof at) < 0 || listen(l, 64) < 0 ||
	    getsockname(l, (struct sockaddr *)&at, &len) < 0)
		die("listener");
	double start = now_s();
	for (long i = 0; i < conns; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&at, sizeof at) < 0)
			die("connect");
		int a = accept(l, NULL, NULL);
		if (a < 0)
			die("accept");
		if (send(c, "x", 1, 0) != 1)
			die("send");
		fds[2 * i] = c;
		fds[2 * i + 1] = a;
	}
	/* Ended by an RST, with no TIME_WAIT to hold the ports: the next run
	 * needs as many. */
	struct linger now = { 1, 0 };
	for (long i = 0; i < 2 * conns; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &now, sizeof now);
		close(fds[i]);
	}
	printf("sockets=%ld ms=%.1f\n", conns * 2, (now_s() - start) * 1e3);
	free(fds);
	close(l);
	return 0;
}

static void *wait_for_ever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	/* A fault on a send must not kill the benchmark. */
	signal(SIGPIPE, SIG_IGN);
	const char *threaded = getenv("SFBENCH_THREADED");
	if (threaded && strcmp(threaded, "1") == 0) {
		pthread_t t;
		int err = pthread_create(&t, NULL, wait_for_ever, NULL);
		if (err) {
			errno = err;
			die("pthread_create");
		}
	}
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "loop") == 0)
		return loop_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "pingpong") == 0)
		return pingpong_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "sockets") == 0)
		return sockets_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "timers") == 0)
		return timers_main(argc - 1, argv + 1);
	usage();
}
