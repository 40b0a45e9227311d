/* Stress: many threads make every kind of socket call at once over shared
 * and private sockets, while the rules inject resets, errors, short writes,
 * drops and tiny delays, and a thread keeps rewriting the rules file (run
 * with SOCKFAULT_RELOAD=1, so the rules are swapped under the storm).
 *
 *   hstress [-t THREADS] [-n OPS] [-T MS] [-S PCT] [-r RULESFILE -d DIR] [-w MS]
 *
 * Each thread makes at least OPS calls, and goes on until the storm has
 * lasted -T milliseconds (default 2000; at most 20 x OPS calls), so that
 * the rules are reloaded several times while it lasts (the library looks
 * at the file every 250 ms). PCT (default 10) is the share of calls made
 * on the shared pool, where every thread meets every other on the same
 * sockets (and, after each reload, on the same stale socket records).
 * RULESFILE is rewritten every -w milliseconds (default 40) with one of the
 * rule sets found in DIR (v1.rules, v2.rules, ... in turn); bad.rules, if
 * present, is written every tenth time and left for 400 ms (a reload that
 * must be refused).
 *
 * Every result is checked against what the kernel or the rules could give:
 * a return value within the length asked for, an errno from the set the
 * call can have. A private connection (used by one thread only) carries a
 * known byte stream, which must arrive whole and in order: an injected
 * error must not consume or lose data, a short write must not repeat it.
 * Its end (EOF, ECONNRESET, EPIPE) is only allowed after this thread saw
 * the injected reset that caused it.
 *
 * Prints "storm: start TS" and "storm: end TS" (the log's timestamp form),
 * the counts, and "UNEXPECTED: ..." for each surprise (exit 1). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hutil.h"

#define MAX_THREADS 64
#define SHARED_UNIX 4
#define SHARED_TCP 4
#define CHUNK 4096
#define MAX_REPORTS 20

static int nthreads = 16;
static long nops = 10000;
static int min_ms = 2000;
static int shared_pct = 10;
static double t_start;
static const char *rules_file, *rules_dir;
static int rewrite_ms = 40;

/* The shared pool: every thread sends and receives on these at random. */
static int shared[2 * (SHARED_UNIX + SHARED_TCP)];
static int nshared;

static int stop_rewriter;
static long rewrites;
static long unexpected;
static long count_ops, count_injected, count_resets, count_pairs;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	long n = __atomic_add_fetch(&unexpected, 1, __ATOMIC_RELAXED);
	if (n > MAX_REPORTS)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	printf("UNEXPECTED: %s\n", line);
}

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: our own generator, so the library's is left alone. */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ull;
}

/* ---- the rules rewriter ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	(void)n;
	fclose(f);
	return buf;
}

static void *rewriter(void *arg)
{
	(void)arg;
	char *sets[16];
	int nsets = 0;
	char path[4096];
	for (int i = 1; i <= 16; i++) {
		snprintf(path, sizeof path, "%s/v%d.rules", rules_dir, i);
		char *t = slurp(path);
		if (!t)
			break;
		sets[nsets++] = t;
	}
	snprintf(path, sizeof path, "%s/bad.rules", rules_dir);
	char *bad = slurp(path);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", rules_file);
	for (long k = 0; nsets && !__atomic_load_n(&stop_rewriter, __ATOMIC_ACQUIRE); k++) {
		const char *text = bad && k % 10 == 9 ? bad : sets[k % nsets];
		/* Whole files only: write aside, then rename over the old one. */
		FILE *f = fopen(tmp, "w");
		if (f) {
			fputs(text, f);
			/* A comment that differs each time: the size changes too. */
			fprintf(f, "# rewrite %ld\n", k);
			if (fclose(f) == 0 && rename(tmp, rules_file) == 0)
				__atomic_add_fetch(&rewrites, 1, __ATOMIC_RELAXED);
		}
		/* A bad file stays longer than the library's 250 ms between
		 * looks, so that it is seen (and refused) for sure. */
		tn_sleep_ms(text == bad && rewrite_ms < 400 ? 400 : rewrite_ms);
	}
	for (int i = 0; i < nsets; i++)
		free(sets[i]);
	free(bad);
	return NULL;
}

/* ---- what a call may return ---- */

static int errno_in(int err, const int *set)
{
	for (; *set; set++)
		if (*set == err)
			return 1;
	return 0;
}

/* Errors an injected rule or a reset connection can give on data calls. */
static const int tx_errors[] = { EAGAIN, EPIPE, ECONNRESET, ENOTCONN, EIO, ENOBUFS, 0 };
static const int rx_errors[] = { EAGAIN, ECONNRESET, ENOTCONN, EINTR, 0 };
static const int injected_errors[] = { EIO, ENOBUFS, EINTR, EMFILE, ENFILE, ECONNREFUSED, ECONNABORTED, ECONNRESET, 0 };

static int check_io(const char *what, int fd, long r, int err, size_t len, const int *allowed)
{
	if (r >= 0 && (size_t)r <= len)
		return 1;
	if (r == -1 && errno_in(err, allowed)) {
		/* The errors only the rules make here (EPIPE and EAGAIN come
		 * from the program's own shutdowns and full buffers too). */
		if (errno_in(err, injected_errors))
			__atomic_add_fetch(&count_injected, 1, __ATOMIC_RELAXED);
		return 1;
	}
	report("%s fd=%d len=%zu = %ld %s", what, fd, len, r, tn_errname(err));
	return 0;
}

/* ---- a thread's private connection, which carries a checked stream ---- */

struct priv {
	int a, b; /* a sends, b receives */
	int tcp;
	uint64_t sent, rcvd;
	int dead; /* an injected reset was seen: the end is allowed */
};

struct worker {
	int id;
	pthread_t t;
	uint64_t rng;
	int listener; /* TCP, on 127.0.0.2 */
	struct tn_addr laddr;
	int udp_a, udp_b; /* connected to each other, on 127.0.0.3 */
	uint32_t udp_seq_sent, udp_seq_seen;
	int reserved; /* a number of our own for dup2 (/dev/null when idle) */
	int devnull;
	struct priv p;
	long failures;
};

static void close_pair(struct priv *p)
{
	if (p->a >= 0 && close(p->a) != 0)
		report("close(private a=%d) = %s", p->a, tn_errname(errno));
	if (p->b >= 0 && close(p->b) != 0)
		report("close(private b=%d) = %s", p->b, tn_errname(errno));
	p->a = p->b = -1;
}

static int tcp_pair(struct worker *w, int *a, int *b)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0) {
		check_io("socket", -1, -1, errno, 0, (const int[]){ EMFILE, 0 });
		return -1;
	}
	if (connect(c, (struct sockaddr *)&w->laddr.ss, w->laddr.len) < 0) {
		check_io("connect", c, -1, errno, 0, (const int[]){ ECONNREFUSED, 0 });
		close(c);
		return -1;
	}
	/* An injected accept error leaves the connection queued: try again. */
	for (int tries = 0; tries < 20; tries++) {
		if (tn_wait(w->listener, POLLIN, 2000) <= 0) {
			report("the private listener never became readable");
			break;
		}
		int s = accept4(w->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (s >= 0) {
			tn_set_nonblocking(c, 1);
			*a = c;
			*b = s;
			return 0;
		}
		if (!check_io("accept4", w->listener, -1, errno, 0, (const int[]){ ECONNABORTED, EAGAIN, 0 }))
			break;
	}
	close(c);
	return -1;
}

static void new_pair(struct worker *w)
{
	struct priv *p = &w->p;
	close_pair(p);
	memset(p, 0, sizeof *p);
	p->a = p->b = -1;
	p->tcp = (int)(next_rand(&w->rng) & 1);
	int a, b;
	if (p->tcp) {
		if (tcp_pair(w, &a, &b) < 0)
			return;
	} else {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
			check_io("socketpair", -1, -1, errno, 0, (const int[]){ ENFILE, 0 });
			return;
		}
		a = sv[0];
		b = sv[1];
	}
	p->a = a;
	p->b = b;
	__atomic_add_fetch(&count_pairs, 1, __ATOMIC_RELAXED);
}

/* The end of the private stream (EOF, reset, broken pipe): only allowed
 * once this thread has seen the injected reset. */
static void priv_error(struct worker *w, const char *what, long r, int err)
{
	struct priv *p = &w->p;
	if (r == -1 && err == ECONNRESET) {
		if (!p->dead)
			__atomic_add_fetch(&count_resets, 1, __ATOMIC_RELAXED);
		p->dead = 1;
		return;
	}
	if (p->dead)
		return;
	if (r == 0 || (r == -1 && (err == EPIPE || err == ENOTCONN)))
		report("%s on a live private %s connection = %ld %s (no reset was injected)", what,
		       p->tcp ? "tcp" : "unix", r, r < 0 ? tn_errname(err) : "EOF");
}

static void fill(unsigned char *buf, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = tn_pattern((size_t)(off + i));
}

static void priv_send(struct worker *w, int how)
{
	struct priv *p = &w->p;
	unsigned char buf[CHUNK];
	size_t n = 1 + (size_t)(next_rand(&w->rng) % CHUNK);
	fill(buf, p->sent, n);
	long r;
	const char *what;
	if (how == 0) {
		what = "send";
		r = send(p->a, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	} else if (how == 1) {
		what = "write";
		r = write(p->a, buf, n);
	} else if (how == 2) {
		what = "writev";
		size_t h = n / 2;
		struct iovec v[2] = { { buf, h }, { buf + h, n - h } };
		r = writev(p->a, v, 2);
	} else {
		what = "sendmsg";
		struct iovec v = { buf, n };
		struct msghdr m = { 0 };
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		r = sendmsg(p->a, &m, MSG_NOSIGNAL);
	}
	int err = errno;
	if (!check_io(what, p->a, r, err, n, tx_errors))
		return;
	if (r > 0)
		p->sent += (uint64_t)r;
	else
		priv_error(w, what, r, err);
}

static void priv_recv(struct worker *w, int how)
{
	struct priv *p = &w->p;
	unsigned char buf[CHUNK];
	size_t n = 1 + (size_t)(next_rand(&w->rng) % CHUNK);
	long r;
	const char *what;
	if (how == 0) {
		what = "recv";
		r = recv(p->b, buf, n, MSG_DONTWAIT);
	} else if (how == 1) {
		what = "read";
		r = read(p->b, buf, n);
	} else if (how == 2) {
		what = "readv";
		size_t h = n / 3;
		struct iovec v[2] = { { buf, h }, { buf + h, n - h } };
		r = readv(p->b, v, 2);
	} else {
		what = "recvmsg";
		struct iovec v = { buf, n };
		struct msghdr m = { 0 };
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		r = recvmsg(p->b, &m, MSG_DONTWAIT);
	}
	int err = errno;
	if (!check_io(what, p->b, r, err, n, rx_errors))
		return;
	if (r <= 0) {
		if (!(r == -1 && (err == EAGAIN || err == EINTR)))
			priv_error(w, what, r, err);
		return;
	}
	if (p->dead)
		return;
	if (p->rcvd + (uint64_t)r > p->sent) {
		report("%s received %ld bytes at offset %llu, only %llu were sent", what, r,
		       (unsigned long long)p->rcvd, (unsigned long long)p->sent);
		p->dead = 1;
		return;
	}
	for (long i = 0; i < r; i++)
		if (buf[i] != tn_pattern((size_t)(p->rcvd + (uint64_t)i))) {
			report("%s: byte %llu of the private %s stream is wrong", what,
			       (unsigned long long)(p->rcvd + (uint64_t)i), p->tcp ? "tcp" : "unix");
			p->dead = 1;
			return;
		}
	p->rcvd += (uint64_t)r;
}

/* ---- datagrams: sequence numbers must increase (drops make gaps) ---- */

static void udp_send(struct worker *w)
{
	unsigned char buf[64];
	uint32_t seq = w->udp_seq_sent + 1;
	memcpy(buf, &seq, sizeof seq);
	fill(buf + 4, seq, sizeof buf - 4);
	long r = sendto(w->udp_a, buf, sizeof buf, MSG_DONTWAIT, NULL, 0);
	int err = errno;
	if (check_io("sendto(udp)", w->udp_a, r, err, sizeof buf,
		     (const int[]){ EAGAIN, EIO, ENOBUFS, ECONNREFUSED, 0 }) &&
	    r >= 0) {
		if (r != (long)sizeof buf)
			report("sendto(udp) sent %ld of %zu bytes of a datagram", r, sizeof buf);
		w->udp_seq_sent = seq;
	}
}

static void udp_recv(struct worker *w)
{
	unsigned char buf[128], want[64];
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	long r = recvfrom(w->udp_b, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	int err = errno;
	if (!check_io("recvfrom(udp)", w->udp_b, r, err, sizeof buf, (const int[]){ EAGAIN, EINTR, 0 }) || r < 0)
		return;
	uint32_t seq;
	memcpy(&seq, buf, sizeof seq);
	fill(want + 4, seq, sizeof want - 4);
	if (r != 64 || seq <= w->udp_seq_seen || seq > w->udp_seq_sent || memcmp(buf + 4, want + 4, 60) != 0)
		report("recvfrom(udp): datagram %u (%ld bytes) after %u, %u sent", seq, r, w->udp_seq_seen,
		       w->udp_seq_sent);
	w->udp_seq_seen = seq;
}

/* ---- the shared pool ---- */

static void shared_io(struct worker *w)
{
	int fd = shared[next_rand(&w->rng) % (uint64_t)nshared];
	char buf[512];
	size_t n = 1 + (size_t)(next_rand(&w->rng) % sizeof buf);
	if (next_rand(&w->rng) & 1) {
		memset(buf, 'x', n);
		long r = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		check_io("send(shared)", fd, r, errno, n, tx_errors);
	} else {
		long r = recv(fd, buf, n, MSG_DONTWAIT);
		check_io("recv(shared)", fd, r, errno, n, rx_errors);
	}
}

/* ---- descriptors that come and go ---- */

static void churn(struct worker *w)
{
	int k = (int)(next_rand(&w->rng) % 6);
	if (k == 0) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			check_io("socket", -1, -1, errno, 0, (const int[]){ EMFILE, 0 });
			return;
		}
		if (close(fd) != 0)
			report("close(fresh socket) = %s", tn_errname(errno));
	} else if (k == 1 && w->p.a >= 0) {
		int fd = dup(w->p.a);
		if (fd < 0) {
			check_io("dup", w->p.a, -1, errno, 0, (const int[]){ EMFILE, 0 });
			return;
		}
		if (close(fd) != 0)
			report("close(dup) = %s", tn_errname(errno));
	} else if (k == 2 && w->p.a >= 0) {
		/* A socket on our reserved number, then /dev/null again: a write
		 * there must reach /dev/null whatever the rules say of sockets. */
		if (dup2(w->p.a, w->reserved) != w->reserved) {
			check_io("dup2", w->p.a, -1, errno, 0, (const int[]){ EMFILE, 0 });
			return;
		}
		if (dup2(w->devnull, w->reserved) != w->reserved) {
			report("dup2(/dev/null) = %s", tn_errname(errno));
			return;
		}
		char c = 'n';
		long r = write(w->reserved, &c, 1);
		if (r != 1)
			report("write to /dev/null on a number that held a socket = %ld %s", r, tn_errname(errno));
	} else if (k == 3 && w->p.b >= 0) {
		int fd = fcntl(w->p.b, F_DUPFD_CLOEXEC, 100);
		if (fd < 0) {
			check_io("fcntl(F_DUPFD_CLOEXEC)", w->p.b, -1, errno, 0, (const int[]){ EMFILE, 0 });
			return;
		}
		close(fd);
	} else if (k == 4 && w->p.a >= 0) {
		int e = -1;
		socklen_t l = sizeof e;
		if (getsockopt(w->p.a, SOL_SOCKET, SO_ERROR, &e, &l) != 0)
			report("getsockopt(SO_ERROR) = %s", tn_errname(errno));
		else if (e != 0 && e != ECONNRESET && e != EPIPE)
			report("getsockopt(SO_ERROR) gives %s", tn_errname(e));
	} else if (k == 5 && w->p.b >= 0) {
		struct sockaddr_storage ss;
		socklen_t l = sizeof ss;
		if (getpeername(w->p.b, (struct sockaddr *)&ss, &l) != 0 && errno != ENOTCONN)
			report("getpeername = %s", tn_errname(errno));
		struct pollfd pf = { w->p.b, POLLIN | POLLOUT, 0 };
		if (poll(&pf, 1, 0) < 0)
			report("poll = %s", tn_errname(errno));
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	w->p.a = w->p.b = -1;
	for (long i = 0; i < nops || (tn_now_ms() - t_start < min_ms && i < 20 * nops); i++) {
		if (w->p.a < 0 || (w->p.dead && (next_rand(&w->rng) & 3) == 0))
			new_pair(w);
		int k = (int)(next_rand(&w->rng) % 100);
		if ((int)(next_rand(&w->rng) % 100) < shared_pct - 10)
			k = 60; /* more of the shared pool than the mix below has */
		else if (w->p.a < 0)
			k = 90;
		if (k < 30)
			priv_send(w, (int)(next_rand(&w->rng) % 4));
		else if (k < 60)
			priv_recv(w, (int)(next_rand(&w->rng) % 4));
		else if (k < 70)
			shared_io(w);
		else if (k < 76)
			udp_send(w);
		else if (k < 82)
			udp_recv(w);
		else if (k < 98)
			churn(w);
		else if (k < 99 && w->p.a >= 0)
			new_pair(w);
		else if (w->p.a >= 0 && !w->p.dead) {
			/* Our own end: the peer's EOF is then expected. */
			if (shutdown(w->p.a, SHUT_WR) != 0 && errno != ENOTCONN)
				report("shutdown = %s", tn_errname(errno));
			w->p.dead = 1;
		}
		__atomic_add_fetch(&count_ops, 1, __ATOMIC_RELAXED);
	}
	close_pair(&w->p);
	return NULL;
}

/* Setup runs under the rules too (socket => error EMFILE, connect =>
 * error ECONNREFUSED ...): try again, a bounded number of times. */
#define RETRY(expr)                                        \
	({                                                 \
		int r_ = -1;                               \
		for (int t_ = 0; t_ < 100 && r_ < 0; t_++) \
			r_ = (expr);                       \
		r_;                                        \
	})

static int retry_pair(const char *ip, int *c, int *s)
{
	return RETRY(hu_tcp_pair(ip, c, s));
}

static void setup_shared(void)
{
	for (int i = 0; i < SHARED_UNIX; i++) {
		int sv[2];
		if (RETRY(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv)) < 0)
			tn_setup_fail("socketpair");
		shared[nshared++] = sv[0];
		shared[nshared++] = sv[1];
	}
	for (int i = 0; i < SHARED_TCP; i++) {
		int c, sv;
		if (retry_pair("127.0.0.1", &c, &sv) < 0)
			tn_setup_fail("shared tcp connection");
		tn_set_nonblocking(c, 1);
		tn_set_nonblocking(sv, 1);
		shared[nshared++] = c;
		shared[nshared++] = sv;
	}
}

static void setup_worker(struct worker *w, int id)
{
	memset(w, 0, sizeof *w);
	w->id = id;
	w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);
	w->listener = RETRY(hu_bind_on("127.0.0.2", SOCK_STREAM, &w->laddr));
	if (w->listener < 0)
		tn_setup_fail("listen on 127.0.0.2");
	tn_set_nonblocking(w->listener, 1);
	struct tn_addr ua, ub;
	w->udp_a = RETRY(hu_bind_on("127.0.0.3", SOCK_DGRAM, &ua));
	w->udp_b = RETRY(hu_bind_on("127.0.0.3", SOCK_DGRAM, &ub));
	if (w->udp_a < 0 || w->udp_b < 0 || connect(w->udp_a, (struct sockaddr *)&ub.ss, ub.len) < 0 ||
	    connect(w->udp_b, (struct sockaddr *)&ua.ss, ua.len) < 0)
		tn_setup_fail("udp pair on 127.0.0.3");
	w->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	w->reserved = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (w->devnull < 0 || w->reserved < 0)
		tn_setup_fail("/dev/null");
}

static void teardown_worker(struct worker *w)
{
	close(w->listener);
	close(w->udp_a);
	close(w->udp_b);
	close(w->devnull);
	close(w->reserved);
}

int main(int argc, char **argv)
{
	int opt;
	tn_init();
	while ((opt = getopt(argc, argv, "t:n:T:S:r:d:w:")) != -1) {
		switch (opt) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'n':
			nops = atol(optarg);
			break;
		case 'T':
			min_ms = atoi(optarg);
			break;
		case 'S':
			shared_pct = atoi(optarg);
			break;
		case 'r':
			rules_file = optarg;
			break;
		case 'd':
			rules_dir = optarg;
			break;
		case 'w':
			rewrite_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: hstress [-t THREADS] [-n OPS] [-T MS] [-S PCT] [-r RULESFILE -d DIR] "
					"[-w MS]\n");
			return TN_EXIT_SETUP;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || nops < 1 || (rules_file && !rules_dir))
		tn_setup_fail("bad arguments");
	/* write() on a reset connection raises SIGPIPE, as the kernel would. */
	signal(SIGPIPE, SIG_IGN);
	setup_shared();
	static struct worker workers[MAX_THREADS];
	for (int i = 0; i < nthreads; i++)
		setup_worker(&workers[i], i);

	pthread_t rw;
	int have_rw = rules_file && pthread_create(&rw, NULL, rewriter, NULL) == 0;
	hu_print_ts("storm: start");
	double t0 = tn_now_ms();
	t_start = t0;
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&workers[i].t, NULL, work, &workers[i]) != 0)
			tn_setup_fail("pthread_create");
	for (int i = 0; i < nthreads; i++)
		pthread_join(workers[i].t, NULL);
	double t1 = tn_now_ms();
	hu_print_ts("storm: end");
	if (have_rw) {
		__atomic_store_n(&stop_rewriter, 1, __ATOMIC_RELEASE);
		pthread_join(rw, NULL);
	}
	for (int i = 0; i < nthreads; i++)
		teardown_worker(&workers[i]);
	for (int i = 0; i < nshared; i++)
		close(shared[i]);

	printf("threads=%d ops=%ld injected=%ld resets=%ld pairs=%ld rewrites=%ld ms=%.0f\n", nthreads,
	       __atomic_load_n(&count_ops, __ATOMIC_RELAXED), __atomic_load_n(&count_injected, __ATOMIC_RELAXED),
	       __atomic_load_n(&count_resets, __ATOMIC_RELAXED), __atomic_load_n(&count_pairs, __ATOMIC_RELAXED),
	       __atomic_load_n(&rewrites, __ATOMIC_RELAXED), t1 - t0);
	long u = __atomic_load_n(&unexpected, __ATOMIC_RELAXED);
	printf("unexpected=%ld\n", u);
	return u ? TN_EXIT_UNEXPECTED : 0;
}
