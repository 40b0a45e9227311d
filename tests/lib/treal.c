/* The program under test of the realism tests: it plays a sequence of steps
 * given on the command line, against a real peer (rpeer, which it starts
 * without the preload and drives through a pipe), and prints one line per
 * observation, so that a script can say what the program and the peer must
 * see under a rule, and what they see without it.
 *
 *   treal [-6|-U|-D] [-A ADDR:PORT] [-W SECONDS] [-S PATH] STEP...
 *
 * -6 TCP over IPv6 (default TCP over IPv4), -U unix stream sockets, -D UDP.
 * -A: the peer is reached at ADDR (its family is the transport's), on PORT,
 * or on the port the peer listens on if PORT is 0 (the network oracle: the
 * peer runs elsewhere, rpeer's RPEER_* variables say where).
 * -W bounds every step (default 10 s): a step that hangs prints
 * "WATCHDOG: STEP hung" and the program exits 4. -S PATH: the peer's unix
 * listener is PATH, the program's own PATH.srv (default $TMPDIR/treal.PID).
 *
 * Steps on the current connection (the last one made, or use=K):
 *   connect | connect-nb    a new connection to the peer's listener
 *   socket                  a new socket, not connected (for options first)
 *   reconnect               connect() on the current socket (again)
 *   listen[=low] | accept   the program as the server (low: a port below the
 *                           ephemeral range)
 *   send[=N] sendns[=N] write[=N]   N bytes (default 4); sendns: MSG_NOSIGNAL
 *   sendall=N[,OP]          blocking sends until N bytes went; prints the rate;
 *                           with OP (send, write, writev, sendmsg: the last
 *                           two in two pieces) that call, and how many calls
 *                           it took and the most one of them moved
 *   sendfill                nonblocking sends (MSG_NOSIGNAL) until one fails:
 *                           the bytes taken and the error ("none" past 64 MiB)
 *   recv[=N] recvnb[=N] read[=N]    one call (recvnb: MSG_DONTWAIT)
 *   recvall=N[,OP]          receive N bytes; prints flipped bits and the rate;
 *                           with OP (recv, read, readv, recvmsg) that call,
 *                           and the calls and the most one of them took
 *   bits                    bits flipped in everything received so far, and
 *                           the checksum of it
 *   rcvtimeo=MS sndtimeo=MS nonblock block shut=rd|wr|rdwr close dup use=K
 *   pollin=MS pollout=MS    poll (POLLIN|POLLRDHUP, or POLLOUT)
 *   epoll=MS epollout=MS    a level-triggered epoll, registered now
 *   et-add                  an edge-triggered epoll (IN|OUT|RDHUP), its
 *                           first report consumed
 *   et=MS                   wait on it: only changes since are reported
 *   select=MS selectw=MS    readable (r) / writable (w) / exception (e)
 *   so_error peername sigpipes
 *   closeall                close every descriptor but the program's own
 *                           (its connections, listener, epoll, peer pipes)
 *                           one by one, as a daemon does
 *   socks                   the sockets open beyond the program's own (the
 *                           library's), by number ("none")
 *   fdfill=MS               take every free descriptor number (pairs of
 *                           unix stream sockets, up to 1024), wait MS, and
 *                           say whether any of them got bytes the program
 *                           did not write ("clean"); then give them back
 *   threads                 the process's threads, bg ones not counted
 *   sleep=MS at=MS          at: until MS after the start of the program
 *   mark since took         since: ms since mark; took: the previous step's ms
 *   gate=NAME               prints "gate NAME", then waits until the file
 *                           PATH.gate.NAME exists (PATH: -S): the script
 *                           changes the network there, then lets it go on
 *   bg=STEP                 STEP in a thread of its own (on the current
 *                           connection); join prints what each said, prefixed
 *                           "bgK ", and "bgK woke = MS" (after the mark)
 *   fork ... endchild       the child plays the steps up to endchild (its lines
 *                           prefixed "child "), the parent waits for it and
 *                           goes on after endchild
 *   exec                    exec treal itself with the connections and the
 *                           peer: the rest of the steps run in the new program
 *   p:CMD[,ARG...]          a command for the peer (see rpeer.c), its answer
 *                           printed as "peer CMD = ANSWER"; p&: does not wait
 *                           for the answer, pwait prints it
 * The peer commands listen and connect are completed with the transport
 * and the addresses. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rcommon.h"

#define MAX_CONNS 32
#define MAX_BG 8

enum transport { T_TCP, T_UNIX, T_UDP };

struct stream {
	uint64_t txoff, rxoff, rxbits;
	uint32_t rxfnv; /* of every byte received */
};

struct conn {
	int fd;
	int stream; /* a dup'd descriptor shares its stream */
};

static enum transport transport = T_TCP;
static int family = AF_INET;
static char upath[100], lpath[100]; /* the peer's and the program's unix paths */
static int peer_port, lport, lfd = -1;
static struct stream streams[MAX_CONNS];
static struct conn conns[MAX_CONNS];
static int nstreams, nconns, cur = -1;
static FILE *to_peer, *from_peer;
static pid_t peer_pid;
static char pending[300]; /* the peer command of p&: */
static double t_start, t_mark, last_took;
static volatile sig_atomic_t sigpipes;
static const char *prefix = "";
static char self[PATH_MAX];
static int etfd = -1;
static int step_limit_ms = 10000;
static struct tn_addr peer_at; /* -A: the peer's address */
static int peer_at_set;

/* The watchdog: no step may hang the run. The main thread sets the
 * deadline (nanoseconds on tn_now_ms()'s clock, 0: no step running) and the
 * name of the step, the watchdog thread reads them: both only through the
 * __atomic builtins, so that they are not a data race (TSan). */
static long long wd_deadline_ns;
static const char *wd_step;

/* What a background step says, kept until join. */
struct bg {
	pthread_t t;
	char step[128];
	int conn;
	char out[2048];
	double t_done;
};
static struct bg bgs[MAX_BG];
static int nbg;
static __thread struct bg *self_bg;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (self_bg) {
		size_t used = strlen(self_bg->out);
		snprintf(self_bg->out + used, sizeof self_bg->out - used, "%s\n", line);
	} else {
		printf("%s%s\n", prefix, line);
	}
}

static void report(const char *what, long r, int err)
{
	if (r < 0)
		out("%s = %ld %s", what, r, tn_errname(err));
	else
		out("%s = %ld", what, r);
}

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	for (;;) {
		tn_sleep_ms(50);
		long long d = __atomic_load_n(&wd_deadline_ns, __ATOMIC_ACQUIRE);
		if (d > 0 && (long long)(tn_now_ms() * 1e6) > d) {
			const char *step = __atomic_load_n(&wd_step, __ATOMIC_ACQUIRE);
			printf("%sWATCHDOG: %s hung\n", prefix, step ? step : "?");
			fflush(stdout);
			_exit(4);
		}
	}
	return NULL;
}

static void watchdog_start(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, watchdog_main, NULL) != 0)
		tn_setup_fail("pthread_create");
	pthread_detach(t);
}

/* --- the connections --- */

static int conn_index(void)
{
	if (self_bg)
		return self_bg->conn;
	return cur;
}

static struct conn *C(void)
{
	int i = conn_index();
	if (i < 0 || i >= nconns)
		tn_setup_fail("no connection for this step");
	return &conns[i];
}

static struct stream *S(void)
{
	return &streams[C()->stream];
}

static int add_conn(int fd, int stream)
{
	if (nconns >= MAX_CONNS)
		tn_setup_fail("too many connections");
	if (stream < 0) {
		stream = nstreams++;
		memset(&streams[stream], 0, sizeof streams[stream]);
	}
	if (streams[stream].rxfnv == 0)
		streams[stream].rxfnv = TN_FNV_INIT;
	conns[nconns].fd = fd;
	conns[nconns].stream = stream;
	cur = nconns++;
	return cur;
}

static void peer_addr(struct tn_addr *a)
{
	if (transport == T_UNIX) {
		char spec[128];
		snprintf(spec, sizeof spec, "unix:%s", upath);
		tn_parse_addr(spec, a);
	} else if (peer_at_set) {
		*a = peer_at;
		if (!tn_addr_port(a))
			tn_set_port(a, peer_port);
	} else {
		tn_loopback(a, family, peer_port);
	}
}

/* --- the peer --- */

static void peer_start(void)
{
	int down[2], up[2];
	if (pipe(down) < 0 || pipe(up) < 0)
		tn_setup_fail("pipe");
	char path[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s", self);
	char *slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path, sizeof path - (size_t)(slash ? slash + 1 - path : 0), "rpeer");
	/* The peer must not run under the preload, nor see the rules. */
	extern char **environ;
	static char *env[512];
	int n = 0;
	for (char **e = environ; *e && n < 510; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "SOCKFAULT_", 10))
			env[n++] = *e;
	env[n] = NULL;
	fflush(stdout);
	peer_pid = fork();
	if (peer_pid < 0)
		tn_setup_fail("fork");
	if (peer_pid == 0) {
		dup2(down[0], 0);
		dup2(up[1], 1);
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		char *argv[] = { path, NULL };
		execve(path, argv, env);
		_exit(127);
	}
	close(down[0]);
	close(up[1]);
	to_peer = fdopen(down[1], "w");
	from_peer = fdopen(up[0], "r");
	if (!to_peer || !from_peer)
		tn_setup_fail("fdopen");
}

static void peer_send(const char *cmd)
{
	fprintf(to_peer, "%s\n", cmd);
	fflush(to_peer);
}

static void peer_reply(const char *cmd)
{
	char line[512];
	if (!fgets(line, sizeof line, from_peer))
		tn_setup_fail("the peer is gone (after %s)", cmd);
	line[strcspn(line, "\n")] = '\0';
	int port;
	if (sscanf(line, "port %d", &port) == 1 && port > 0)
		peer_port = port;
	char name[32];
	sscanf(cmd, "%31s", name);
	out("peer %s = %s", name, line);
}

/* "listen,low" -> "listen 4 low"; "connect" -> "connect 4 PORT"; commas
 * become spaces. */
static void peer_command(const char *arg, char *cmd, size_t cap)
{
	char a[256];
	snprintf(a, sizeof a, "%s", arg);
	for (char *p = a; *p; p++)
		if (*p == ',')
			*p = ' ';
	const char *rest = strchr(a, ' ');
	rest = rest ? rest : "";
	const char *fam = family == AF_INET6 ? "6" : "4";
	if (strncmp(a, "listen", 6) == 0 && (a[6] == ' ' || !a[6])) {
		if (transport == T_UNIX)
			snprintf(cmd, cap, "listenu %s", upath);
		else if (transport == T_UDP)
			snprintf(cmd, cap, "udp %s%s", fam, rest);
		else
			snprintf(cmd, cap, "listen %s%s", fam, rest);
	} else if (strncmp(a, "connect", 7) == 0 && (a[7] == ' ' || !a[7])) {
		if (transport == T_UNIX)
			snprintf(cmd, cap, "connectu %s", lpath);
		else
			snprintf(cmd, cap, "connect %s %d", fam, lport);
	} else {
		snprintf(cmd, cap, "%s", a);
	}
}

static void peer_quit(void)
{
	if (!to_peer || peer_pid <= 0)
		return;
	peer_send("quit");
	int st;
	waitpid(peer_pid, &st, 0);
}

/* --- the steps --- */

static unsigned char *pattern(size_t n, uint64_t off)
{
	unsigned char *b = malloc(n ? n : 1);
	if (!b)
		tn_setup_fail("malloc");
	rc_fill(b, n, off);
	return b;
}

static void step_connect(int nonblock)
{
	struct tn_addr a;
	peer_addr(&a);
	int type = transport == T_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(a.family, type | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		tn_setup_fail("socket");
	int r = connect(fd, (struct sockaddr *)&a.ss, a.len);
	int err = errno;
	add_conn(fd, -1);
	report("connect", r, err);
	if (transport == T_UDP && r == 0) {
		char cmd[64];
		snprintf(cmd, sizeof cmd, "udptarget %d", tn_local_port(fd));
		peer_send(cmd);
		peer_reply(cmd);
	}
}

static void step_listen(const char *arg)
{
	struct tn_addr a;
	if (transport == T_UNIX) {
		char spec[128];
		snprintf(spec, sizeof spec, "unix:%s", lpath);
		tn_parse_addr(spec, &a);
		unlink(lpath);
		lfd = tn_bind_listen(&a, SOCK_STREAM);
	} else if (arg && strcmp(arg, "low") == 0) {
		lfd = rc_bind_low(&a, family, SOCK_STREAM);
	} else {
		tn_loopback(&a, family, 0);
		lfd = tn_bind_listen(&a, SOCK_STREAM);
	}
	if (lfd < 0)
		tn_setup_fail("listen");
	lport = tn_addr_port(&a);
	report("listen", 0, 0);
}

static void step_accept(void)
{
	if (!(tn_wait(lfd, POLLIN, TN_WAIT_MS) & POLLIN)) {
		out("accept = none");
		return;
	}
	int fd = accept(lfd, NULL, NULL);
	int err = errno;
	if (fd >= 0)
		add_conn(fd, -1);
	report("accept", fd < 0 ? -1 : 0, err);
}

static void step_send(const char *name, const char *arg, int flags)
{
	size_t n = arg ? (size_t)atol(arg) : 4;
	struct stream *st = S();
	unsigned char *b = pattern(n, transport == T_UDP ? 0 : st->txoff);
	ssize_t r = strcmp(name, "write") == 0 ? write(C()->fd, b, n) : send(C()->fd, b, n, flags);
	int err = errno;
	if (r > 0 && transport != T_UDP)
		st->txoff += (uint64_t)r;
	free(b);
	report(name, r, err);
}

/* One sending call of the data family, named by OP (sendall=N,OP): writev
 * and sendmsg give the bytes in two pieces, so that a short count may end
 * inside either. */
static ssize_t send_by(const char *op, int fd, unsigned char *b, size_t k)
{
	size_t h = k / 2;
	struct iovec iov[2] = { { b, h }, { b + h, k - h } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	if (strcmp(op, "write") == 0)
		return write(fd, b, k);
	if (strcmp(op, "writev") == 0)
		return writev(fd, iov, 2);
	if (strcmp(op, "sendmsg") == 0)
		return sendmsg(fd, &m, MSG_NOSIGNAL);
	return send(fd, b, k, MSG_NOSIGNAL);
}

/* The same for receiving (recvall=N,OP): readv and recvmsg into two pieces. */
static ssize_t recv_by(const char *op, int fd, unsigned char *b, size_t k)
{
	size_t h = k / 2;
	struct iovec iov[2] = { { b, h }, { b + h, k - h } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	if (strcmp(op, "read") == 0)
		return read(fd, b, k);
	if (strcmp(op, "readv") == 0)
		return readv(fd, iov, 2);
	if (strcmp(op, "recvmsg") == 0)
		return recvmsg(fd, &m, MSG_DONTWAIT);
	return recv(fd, b, k, MSG_DONTWAIT);
}

/* The OP of "N,OP", or NULL. */
static const char *op_of(const char *arg)
{
	const char *c = arg ? strchr(arg, ',') : NULL;
	return c ? c + 1 : NULL;
}

static void step_sendall(size_t n, const char *op)
{
	struct stream *st = S();
	size_t done = 0, calls = 0, largest = 0;
	double t0 = tn_now_ms();
	ssize_t r = 0;
	int err = 0;
	while (done < n) {
		size_t k = n - done < 65536 ? n - done : 65536;
		unsigned char *b = pattern(k, st->txoff);
		r = send_by(op ? op : "send", C()->fd, b, k);
		err = errno;
		free(b);
		if (r < 0 && err == EINTR)
			continue;
		if (r < 0)
			break;
		calls++;
		if ((size_t)r > largest)
			largest = (size_t)r;
		done += (size_t)r;
		st->txoff += (uint64_t)r;
	}
	double ms = tn_now_ms() - t0;
	if (r < 0)
		report("sendall", r, err);
	else
		out("sendall = %zu", done);
	if (op)
		out("calls = %zu largest = %zu", calls, largest);
	out("rate = %ld", ms > 0 ? (long)((double)done * 1000.0 / ms) : 0);
}

static void step_sendfill(void)
{
	struct stream *st = S();
	size_t done = 0;
	ssize_t r = 0;
	int err = 0;
	while (done < ((size_t)64 << 20)) {
		unsigned char *b = pattern(65536, st->txoff);
		r = send(C()->fd, b, 65536, MSG_DONTWAIT | MSG_NOSIGNAL);
		err = errno;
		free(b);
		if (r < 0 && err == EINTR)
			continue;
		if (r < 0)
			break;
		done += (size_t)r;
		st->txoff += (uint64_t)r;
	}
	out("sendfill = %zu %s", done, r < 0 ? tn_errname(err) : "none");
}

static void step_recv(const char *name, const char *arg, int flags)
{
	size_t n = arg ? (size_t)atol(arg) : 4096;
	unsigned char *b = malloc(n ? n : 1);
	if (!b)
		tn_setup_fail("malloc");
	struct stream *st = S();
	ssize_t r = strcmp(name, "read") == 0 ? read(C()->fd, b, n) : recv(C()->fd, b, n, flags);
	int err = errno;
	if (r > 0) {
		st->rxbits += rc_bitdiff(b, (size_t)r, transport == T_UDP ? 0 : st->rxoff);
		st->rxfnv = tn_fnv(st->rxfnv, b, (size_t)r);
		if (transport != T_UDP)
			st->rxoff += (uint64_t)r;
	}
	free(b);
	report(name, r, err);
}

static void step_recvall(size_t n, const char *op)
{
	struct stream *st = S();
	unsigned char *b = malloc(65536);
	if (!b)
		tn_setup_fail("malloc");
	size_t got = 0, first = 0, calls = 0, largest = 0;
	uint64_t bits = 0;
	double t_first = 0, t_last = 0, end = tn_now_ms() + 20000;
	const char *why = "";
	while (got < n && tn_now_ms() < end) {
		if (!(tn_wait(C()->fd, POLLIN, TN_WAIT_MS) & (POLLIN | POLLHUP | POLLERR))) {
			why = " end=none";
			break;
		}
		size_t want = n - got < 65536 ? n - got : 65536;
		ssize_t r = recv_by(op ? op : "recv", C()->fd, b, want);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			why = r == 0 ? " end=eof" : " end=err";
			break;
		}
		calls++;
		if ((size_t)r > largest)
			largest = (size_t)r;
		t_last = tn_now_ms();
		if (!got) {
			t_first = t_last;
			first = (size_t)r;
		}
		bits += rc_bitdiff(b, (size_t)r, st->rxoff);
		st->rxfnv = tn_fnv(st->rxfnv, b, (size_t)r);
		st->rxoff += (uint64_t)r;
		got += (size_t)r;
	}
	free(b);
	st->rxbits += bits;
	double span = t_last - t_first;
	out("recvall = %zu bits=%llu%s", got, (unsigned long long)bits, why);
	if (op)
		out("calls = %zu largest = %zu", calls, largest);
	out("rate = %ld", span > 0 ? (long)((double)(got - first) * 1000.0 / span) : 0);
}

static void step_sockopt_timeout(int which, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int r = setsockopt(C()->fd, SOL_SOCKET, which, &tv, sizeof tv);
	report(which == SO_RCVTIMEO ? "rcvtimeo" : "sndtimeo", r, errno);
}

static void step_poll(const char *name, short events, int ms)
{
	int ev = tn_wait(C()->fd, events, ms);
	out("%s = %s", name, ev < 0 ? "error" : rc_events((unsigned)ev));
}

static void step_epoll(const char *name, unsigned events, int ms)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = events, .data.fd = C()->fd };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, C()->fd, &ev) < 0)
		tn_setup_fail("epoll");
	struct epoll_event got = { 0 };
	int r = epoll_wait(ep, &got, 1, ms);
	close(ep);
	out("%s = %s", name, r > 0 ? rc_events(got.events) : r == 0 ? "none" : "error");
}

static void step_et_add(void)
{
	if (etfd >= 0)
		close(etfd);
	etfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = C()->fd };
	if (etfd < 0 || epoll_ctl(etfd, EPOLL_CTL_ADD, C()->fd, &ev) < 0)
		tn_setup_fail("epoll");
	/* The first report is the state at registration (writable): consume
	 * it, so that et= shows only what changes afterwards. */
	struct epoll_event got = { 0 };
	int r = epoll_wait(etfd, &got, 1, 0);
	out("et-add = %s", r > 0 ? rc_events(got.events) : "none");
}

static void step_et(int ms)
{
	struct epoll_event got = { 0 };
	int r = etfd < 0 ? -1 : epoll_wait(etfd, &got, 1, ms);
	out("et = %s", r > 0 ? rc_events(got.events) : r == 0 ? "none" : "error");
}

static void step_select(const char *name, int write_set, int ms)
{
	fd_set rs, ws, es;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	int fd = C()->fd;
	if (write_set)
		FD_SET(fd, &ws);
	else
		FD_SET(fd, &rs);
	FD_SET(fd, &es);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int r = select(fd + 1, &rs, &ws, &es, &tv);
	char what[8] = "";
	if (r > 0 && FD_ISSET(fd, &rs))
		strcat(what, "r");
	if (r > 0 && FD_ISSET(fd, &ws))
		strcat(what, "w");
	if (r > 0 && FD_ISSET(fd, &es))
		strcat(what, "e");
	out("%s = %s", name, r < 0 ? "error" : what[0] ? what : "none");
}

static void step_so_error(void)
{
	int v = -1;
	socklen_t l = sizeof v;
	int r = getsockopt(C()->fd, SOL_SOCKET, SO_ERROR, &v, &l);
	if (r < 0)
		report("SO_ERROR", r, errno);
	else
		out("SO_ERROR = %s", v ? tn_errname(v) : "0");
}

static int own_fd(int fd)
{
	for (int i = 0; i < nconns; i++)
		if (conns[i].fd == fd)
			return 1;
	return fd == lfd || fd == etfd || fd == fileno(to_peer) || fd == fileno(from_peer);
}

static void step_closeall(void)
{
	for (int fd = 3; fd < 1024; fd++)
		if (!own_fd(fd))
			close(fd);
	out("closeall = done");
}

static void step_socks(void)
{
	char list[400] = "";
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));) {
		int fd = atoi(e->d_name);
		struct stat st;
		if (e->d_name[0] == '.' || fd == dirfd(d) || own_fd(fd) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%d", n ? " " : "", fd);
	}
	if (d)
		closedir(d);
	out("socks = %s", n ? list : d ? "none" : "unknown");
}

static void step_fdfill(int ms)
{
	static int rd[512], wr[512];
	int n = 0;
	for (int p[2]; n < 512 && socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0; n++) {
		rd[n] = p[0];
		wr[n] = p[1];
		if (p[1] >= 1023) {
			n++;
			break;
		}
	}
	tn_sleep_ms(ms);
	int dirty = 0;
	for (int i = 0; i < n; i++) {
		struct pollfd pf[2] = { { .fd = rd[i], .events = POLLIN }, { .fd = wr[i], .events = POLLIN } };
		dirty += poll(pf, 2, 0) > 0;
		close(rd[i]);
		close(wr[i]);
	}
	if (dirty)
		out("fdfill = %d of %d pairs got bytes or lost their other end", dirty, n);
	else
		out("fdfill = clean");
}

static void run_step(const char *step);

static void *bg_main(void *arg)
{
	struct bg *b = arg;
	self_bg = b;
	run_step(b->step);
	b->t_done = tn_now_ms();
	return NULL;
}

static void step_bg(const char *what)
{
	if (nbg >= MAX_BG)
		tn_setup_fail("too many bg steps");
	struct bg *b = &bgs[nbg];
	memset(b, 0, sizeof *b);
	snprintf(b->step, sizeof b->step, "%s", what);
	b->conn = cur;
	if (pthread_create(&b->t, NULL, bg_main, b) != 0)
		tn_setup_fail("pthread_create");
	nbg++;
}

static void step_join(void)
{
	for (int i = 0; i < nbg; i++) {
		pthread_join(bgs[i].t, NULL);
		for (char *line = strtok(bgs[i].out, "\n"); line; line = strtok(NULL, "\n"))
			out("bg%d %s", i + 1, line);
		out("bg%d woke = %d", i + 1, (int)(bgs[i].t_done - t_mark));
	}
	nbg = 0;
}

/* exec: this program again, with the connections and the peer. */
static void step_exec(char **rest)
{
	char inherit[512];
	int n = snprintf(inherit, sizeof inherit, "%d,%d,%d,%d", fileno(to_peer), fileno(from_peer), peer_port,
			 (int)peer_pid);
	for (int i = 0; i < nconns; i++)
		n += snprintf(inherit + n, sizeof inherit - (size_t)n, ",%d", conns[i].fd);
	char *argv[256];
	int k = 0;
	argv[k++] = self;
	if (transport == T_UNIX)
		argv[k++] = "-U";
	else if (transport == T_UDP)
		argv[k++] = "-D";
	if (family == AF_INET6)
		argv[k++] = "-6";
	argv[k++] = "-S";
	argv[k++] = upath;
	argv[k++] = "-X";
	argv[k++] = inherit;
	for (; *rest && k < 254; rest++)
		argv[k++] = *rest;
	argv[k] = NULL;
	fflush(stdout);
	fflush(to_peer);
	execv(self, argv);
	tn_setup_fail("exec %s", self);
}

static void run_step(const char *step)
{
	char name[64];
	const char *arg = strchr(step, '=');
	size_t nl = arg ? (size_t)(arg - step) : strlen(step);
	if (nl >= sizeof name)
		nl = sizeof name - 1;
	memcpy(name, step, nl);
	name[nl] = '\0';
	if (arg)
		arg++;
	int iarg = arg ? atoi(arg) : 0;

	if (strncmp(step, "p:", 2) == 0 || strncmp(step, "p&:", 3) == 0) {
		int async = step[1] == '&';
		char cmd[300];
		peer_command(step + (async ? 3 : 2), cmd, sizeof cmd);
		peer_send(cmd);
		if (async)
			snprintf(pending, sizeof pending, "%s", cmd);
		else
			peer_reply(cmd);
	} else if (strcmp(name, "pwait") == 0) {
		peer_reply(pending);
	} else if (strcmp(name, "connect") == 0) {
		step_connect(0);
	} else if (strcmp(name, "connect-nb") == 0) {
		step_connect(1);
	} else if (strcmp(name, "socket") == 0) {
		int fd = socket(transport == T_UNIX ? AF_UNIX : family, transport == T_UDP ? SOCK_DGRAM : SOCK_STREAM,
				0);
		int err = errno;
		if (fd >= 0)
			add_conn(fd, -1);
		report("socket", fd < 0 ? -1 : 0, err);
	} else if (strcmp(name, "reconnect") == 0) {
		struct tn_addr a;
		peer_addr(&a);
		int r = connect(C()->fd, (struct sockaddr *)&a.ss, a.len);
		report("connect", r, errno);
	} else if (strcmp(name, "listen") == 0) {
		step_listen(arg);
	} else if (strcmp(name, "accept") == 0) {
		step_accept();
	} else if (strcmp(name, "send") == 0) {
		step_send("send", arg, 0);
	} else if (strcmp(name, "sendns") == 0) {
		step_send("sendns", arg, MSG_NOSIGNAL);
	} else if (strcmp(name, "write") == 0) {
		step_send("write", arg, 0);
	} else if (strcmp(name, "sendall") == 0) {
		step_sendall((size_t)atol(arg ? arg : "0"), op_of(arg));
	} else if (strcmp(name, "sendfill") == 0) {
		step_sendfill();
	} else if (strcmp(name, "recv") == 0) {
		step_recv("recv", arg, 0);
	} else if (strcmp(name, "recvnb") == 0) {
		step_recv("recvnb", arg, MSG_DONTWAIT);
	} else if (strcmp(name, "read") == 0) {
		step_recv("read", arg, 0);
	} else if (strcmp(name, "recvall") == 0) {
		step_recvall((size_t)atol(arg ? arg : "0"), op_of(arg));
	} else if (strcmp(name, "bits") == 0) {
		out("rxbits = %llu fnv=%08x", (unsigned long long)S()->rxbits, (unsigned)S()->rxfnv);
	} else if (strcmp(name, "rcvtimeo") == 0) {
		step_sockopt_timeout(SO_RCVTIMEO, iarg);
	} else if (strcmp(name, "sndtimeo") == 0) {
		step_sockopt_timeout(SO_SNDTIMEO, iarg);
	} else if (strcmp(name, "nonblock") == 0 || strcmp(name, "block") == 0) {
		report(name, tn_set_nonblocking(C()->fd, name[0] == 'n'), errno);
	} else if (strcmp(name, "shut") == 0) {
		int how = strcmp(arg, "rd") == 0 ? SHUT_RD : strcmp(arg, "wr") == 0 ? SHUT_WR : SHUT_RDWR;
		int r = shutdown(C()->fd, how);
		report("shutdown", r, errno);
	} else if (strcmp(name, "close") == 0) {
		int r = close(C()->fd);
		report("close", r, errno);
	} else if (strcmp(name, "dup") == 0) {
		int fd = dup(C()->fd);
		int err = errno;
		if (fd >= 0)
			add_conn(fd, C()->stream);
		report("dup", fd < 0 ? -1 : 0, err);
	} else if (strcmp(name, "use") == 0) {
		if (iarg < 1 || iarg > nconns)
			tn_setup_fail("use=%d: no such connection", iarg);
		cur = iarg - 1;
	} else if (strcmp(name, "pollin") == 0) {
		step_poll("pollin", POLLIN | POLLRDHUP, iarg);
	} else if (strcmp(name, "pollout") == 0) {
		step_poll("pollout", POLLOUT, iarg);
	} else if (strcmp(name, "epoll") == 0) {
		step_epoll("epoll", EPOLLIN | EPOLLRDHUP, iarg);
	} else if (strcmp(name, "epollout") == 0) {
		step_epoll("epollout", EPOLLOUT, iarg);
	} else if (strcmp(name, "et-add") == 0) {
		step_et_add();
	} else if (strcmp(name, "et") == 0) {
		step_et(iarg);
	} else if (strcmp(name, "select") == 0) {
		step_select("select", 0, iarg);
	} else if (strcmp(name, "selectw") == 0) {
		step_select("selectw", 1, iarg);
	} else if (strcmp(name, "so_error") == 0) {
		step_so_error();
	} else if (strcmp(name, "peername") == 0) {
		struct sockaddr_storage ss;
		socklen_t l = sizeof ss;
		int r = getpeername(C()->fd, (struct sockaddr *)&ss, &l);
		report("getpeername", r, errno);
	} else if (strcmp(name, "threads") == 0) {
		/* The process's threads, this program's own included (the main
		 * thread and the watchdog): the library's helpers show here. */
		int n = 0;
		DIR *d = opendir("/proc/self/task");
		for (struct dirent *e; d && (e = readdir(d));)
			n += e->d_name[0] != '.';
		if (d)
			closedir(d);
		out("threads = %d", n - nbg);
	} else if (strcmp(name, "sigpipes") == 0) {
		out("sigpipes = %d", (int)sigpipes);
	} else if (strcmp(name, "sleep") == 0) {
		tn_sleep_ms(iarg);
	} else if (strcmp(name, "at") == 0) {
		double left = t_start + iarg - tn_now_ms();
		if (left > 0)
			tn_sleep_ms((int)left);
	} else if (strcmp(name, "gate") == 0 && arg) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s.gate.%s", upath, arg);
		out("gate %s", arg);
		fflush(stdout);
		/* Bounded by the watchdog, as every step. */
		while (access(path, F_OK) != 0)
			tn_sleep_ms(10);
	} else if (strcmp(name, "closeall") == 0) {
		step_closeall();
	} else if (strcmp(name, "socks") == 0) {
		step_socks();
	} else if (strcmp(name, "fdfill") == 0) {
		step_fdfill(arg ? atoi(arg) : 0);
	} else if (strcmp(name, "mark") == 0) {
		t_mark = tn_now_ms();
	} else if (strcmp(name, "since") == 0) {
		out("since = %d", (int)(tn_now_ms() - t_mark));
	} else if (strcmp(name, "took") == 0) {
		out("took = %d", (int)last_took);
	} else if (strcmp(name, "bg") == 0 && arg) {
		step_bg(arg);
	} else if (strcmp(name, "join") == 0) {
		step_join();
	} else {
		tn_setup_fail("unknown step %s", step);
	}
}

/* -X TO,FROM,PEERPORT,PEERPID,FD...: what exec handed over. */
static void inherit(char *spec)
{
	int v[MAX_CONNS + 4], n = 0;
	for (char *t = strtok(spec, ","); t && n < MAX_CONNS + 4; t = strtok(NULL, ","))
		v[n++] = atoi(t);
	if (n < 4)
		tn_setup_fail("bad -X");
	to_peer = fdopen(v[0], "w");
	from_peer = fdopen(v[1], "r");
	peer_port = v[2];
	peer_pid = v[3];
	if (!to_peer || !from_peer)
		tn_setup_fail("fdopen");
	for (int i = 4; i < n; i++)
		add_conn(v[i], -1);
}

int main(int argc, char **argv)
{
	tn_init();
	t_start = tn_now_ms();
	t_mark = t_start;
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl <= 0)
		tn_setup_fail("readlink /proc/self/exe");
	self[sl] = '\0';
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigpipe;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPIPE, &sa, NULL);

	char *inherited = NULL;
	const char *base = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "+6UDA:W:S:X:")) != -1) {
		switch (opt) {
		case '6':
			family = AF_INET6;
			break;
		case 'U':
			transport = T_UNIX;
			break;
		case 'D':
			transport = T_UDP;
			break;
		case 'A':
			if (tn_parse_addr(optarg, &peer_at) < 0 || peer_at.family == AF_UNIX)
				tn_setup_fail("-A %s: not ADDR:PORT", optarg);
			peer_at_set = 1;
			family = peer_at.family;
			break;
		case 'W':
			step_limit_ms = atoi(optarg) * 1000;
			break;
		case 'S':
			base = optarg;
			break;
		case 'X':
			inherited = optarg;
			break;
		default:
			tn_setup_fail("usage: treal [-6|-U|-D] [-A ADDR:PORT] [-W SECONDS] [-S PATH] STEP...");
		}
	}
	if (base) {
		snprintf(upath, sizeof upath, "%s", base);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(upath, sizeof upath, "%s/treal.%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	}
	/* The peer's listener is the path itself (a client's peer is named);
	 * the program's own listener is PATH.srv. */
	snprintf(lpath, sizeof lpath, "%.90s.srv", upath);
	if (inherited) {
		inherit(inherited);
		out("exec'd = %d", nconns);
	} else
		peer_start();
	watchdog_start();

	int child = 0;
	for (int i = optind; i < argc; i++) {
		const char *step = argv[i];
		if (strcmp(step, "fork") == 0) {
			fflush(stdout);
			fflush(to_peer);
			pid_t pid = fork();
			if (pid < 0)
				tn_setup_fail("fork");
			if (pid == 0) {
				child = 1;
				prefix = "child ";
				watchdog_start();
				continue;
			}
			int depth = 0;
			for (i++; i < argc && (depth || strcmp(argv[i], "endchild")); i++)
				depth += strcmp(argv[i], "fork") == 0;
			int st;
			waitpid(pid, &st, 0);
			out("child exit = %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			continue;
		}
		if (strcmp(step, "endchild") == 0) {
			if (child) {
				fflush(stdout);
				fflush(to_peer);
				_exit(0);
			}
			continue;
		}
		if (strcmp(step, "exec") == 0)
			step_exec(argv + i + 1);
		__atomic_store_n(&wd_step, step, __ATOMIC_RELEASE);
		__atomic_store_n(&wd_deadline_ns, (long long)((tn_now_ms() + step_limit_ms) * 1e6), __ATOMIC_RELEASE);
		double t0 = tn_now_ms();
		run_step(step);
		double took = tn_now_ms() - t0;
		__atomic_store_n(&wd_deadline_ns, 0, __ATOMIC_RELEASE);
		if (strcmp(step, "took") && strcmp(step, "since"))
			last_took = took;
	}
	fflush(stdout);
	if (child)
		_exit(0);
	peer_quit();
	if (transport == T_UNIX) {
		unlink(upath);
		unlink(lpath);
	}
	return 0;
}
