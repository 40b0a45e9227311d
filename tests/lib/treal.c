/* The program under test of the realism tests: it plays a sequence of steps
 * given on the command line, against a real peer (rpeer, which it starts
 * without the preload and drives through a pipe), and prints one line per
 * observation, so that a script can say what the program and the peer must
 * see under a rule, and what they see without it.
 *
 *   treal [-6|-U|-D] [-A ADDR:PORT] [-N] [-W SECONDS] [-S PATH] STEP...
 *
 * -6 TCP over IPv6 (default TCP over IPv4), -U unix stream sockets, -D UDP.
 * -A: the peer is reached at ADDR (its family is the transport's), on PORT,
 * or on the port the peer listens on if PORT is 0 (the network oracle: the
 * peer runs elsewhere, rpeer's RPEER_* variables say where); -A unix:PATH
 * (a leading '@': abstract): a unix stream peer at PATH, whatever its name.
 * -N: no peer is started (the program talks to the -A address only, and
 * forks nothing of its own: the process-tree tests count its children).
 * -W bounds every step (default 10 s): a step that hangs prints
 * "WATCHDOG: STEP hung" and the program exits 4; -W 0: no watchdog, and
 * so no thread of the program's own (the script's timeout bounds it).
 * -S PATH: the peer's unix
 * listener is PATH, the program's own PATH.srv (default $TMPDIR/treal.PID).
 *
 * Steps on the current connection (the last one made, or use=K):
 *   connect | connect-nb    a new connection to the peer's listener
 *   socket                  a new socket, not connected (for options first)
 *   reconnect               connect() on the current socket (again)
 *   listen[=low] | accept   the program as the server (low: a port below the
 *                           ephemeral range)
 *   send[=N] sendns[=N] write[=N] writev[=N] sendmsg[=N] sendmsgns[=N]
 *                           one call, N bytes (default 4); ...ns: MSG_NOSIGNAL
 *   sendall=N[,OP]          blocking sends until N bytes went; prints the rate;
 *                           with OP (send, write, writev, sendmsg: the last
 *                           two in two pieces) that call, and how many calls
 *                           it took and the most one of them moved
 *   sends=N[,MS]            N sends of one byte, MS apart: their outcomes
 *                           ("ok" or the errno) on one line
 *   sendfill                nonblocking sends (MSG_NOSIGNAL) until one fails:
 *                           the bytes taken and the error ("none" past 64 MiB)
 *   sendto=N[,K]            one datagram of N bytes by sendto, to the peer's
 *                           K-th UDP socket (p:listen order; default 1),
 *                           from the current socket, connected or not;
 *                           sendtou: the same, the address's padding never
 *                           written (uninitialised, for valgrind);
 *                           sendmsgto: by sendmsg, the address its msg_name
 *   recv[=N] recvnb[=N] read[=N] recvfrom[=N] recvmsg[=N]
 *                           one call (recvnb: MSG_DONTWAIT)
 *   recvall=N[,OP]          receive N bytes; prints flipped bits and the rate;
 *                           with OP (recv, read, readv, recvmsg) that call,
 *                           and the calls and the most one of them took
 *   bits                    bits flipped in everything received so far, and
 *                           the checksum of it
 *   bind=IP                 bind the current socket to IP (any port)
 *   resolve=HOW,NAME        resolve NAME (HOW: gai, ghbn, ghbn2, ghbn_r, or
 *                           none: a number), print the address; the peer is
 *                           reached there from then on (IPv4)
 *   rcvtimeo=MS sndtimeo=MS nonblock block shut=rd|wr|rdwr close dup use=K
 *   keepalive=S             SO_KEEPALIVE, the first probe after S seconds
 *                           idle, then 2 probes 1 s apart; keepalive=off:
 *                           SO_KEEPALIVE off
 *   kaopt                   what getsockopt(SO_KEEPALIVE) says
 *   usertimeout=MS          TCP_USER_TIMEOUT: sent data unacknowledged for
 *                           MS ends the connection
 *   use=listen              the listening socket becomes the current one
 *   dup2=N closefd=N fd     the current descriptor onto N (then current);
 *                           close descriptor N; the current one's number
 *   pollin=MS pollout=MS    poll (POLLIN|POLLRDHUP, or POLLOUT)
 *   epoll=MS epollout=MS    a level-triggered epoll, registered now
 *   et-add                  an edge-triggered epoll (IN|OUT|RDHUP), its
 *                           first report consumed
 *   et=MS                   wait on it: only changes since are reported
 *   et-in=MS                wait on it until a change brings IN (at most
 *                           MS in all): the events that did
 *   select=MS selectw=MS    readable (r) / writable (w) / exception (e)
 *   so_error peername sigpipes
 *   inq                     the bytes waiting in the kernel (FIONREAD)
 *   closeall                close every descriptor but the program's own
 *                           (its connections, listener, epoll, peer pipes)
 *                           one by one, as a daemon does
 *   socks                   the sockets open beyond the program's own (the
 *                           library's), by number ("none")
 *   asksocks                getsockname and setsockopt (SO_KEEPALIVE off) on
 *                           each of them: how many answered, or the first
 *                           that failed
 *   fdfill=MS               take every free descriptor number (pairs of
 *                           unix stream sockets, up to 1024), wait MS, and
 *                           say whether any of them got bytes the program
 *                           did not write ("clean"); then give them back
 *   threads                 the process's threads, bg ones not counted
 *   pid                     the process's id
 *   sleep=MS at=MS          at: until MS after the program started
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
 *   spawn=PATH[,ARG...]     another program, forked and exec'd, waited for
 *   exec                    exec treal itself with the connections and the
 *                           peer: the rest of the steps run in the new program
 *   p:CMD[,ARG...]          a command for the peer (see rpeer.c), its answer
 *                           printed as "peer CMD = ANSWER"; p&: does not wait
 *                           for the answer, pwait prints it
 * The peer commands listen and connect are completed with the transport
 * and the addresses. Each step is a small function in the table steps[]:
 * a new step is a row and a function. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
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
#define MAX_UDP 4

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
static int udp_ports[MAX_UDP], nudp; /* the peer's UDP sockets, in order */
static struct tn_addr peer_at;	     /* -A: the peer's address */
static int peer_at_set;
static int no_peer; /* -N */

/* The watchdog: no step may hang the run. The main thread sets the
 * deadline (nanoseconds on tn_now_ms()'s clock, 0: no step running) and the
 * name of the step, the watchdog thread reads them: both only through the
 * __atomic builtins, so that they are not a data race (TSan). */
static long long wd_deadline_ns;
static const char *wd_step;
/* The child a fork step waits for: killed with the run when it hangs, so
 * that it holds no pipe of the test's open. */
static pid_t wd_child;

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
			pid_t child = __atomic_load_n(&wd_child, __ATOMIC_ACQUIRE);
			if (child > 0)
				kill(child, SIGKILL);
			_exit(4);
		}
	}
	return NULL;
}

static void watchdog_start(void)
{
	if (!step_limit_ms)
		return;
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
	if (peer_at_set && peer_at.family == AF_UNIX) {
		*a = peer_at;
	} else if (transport == T_UNIX) {
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
	if (!to_peer)
		tn_setup_fail("%s: no peer (-N)", cmd);
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
	if (sscanf(line, "port %d", &port) == 1 && port > 0) {
		peer_port = port;
		if (strncmp(cmd, "udp ", 4) == 0 && nudp < MAX_UDP)
			udp_ports[nudp++] = port;
	}
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
	if (transport == T_UDP && r == 0 && to_peer) {
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

/* One sending call, named by the step: write, writev, sendmsg[ns] (one
 * piece each), or send[ns]. */
static ssize_t send_once(const char *name, int fd, unsigned char *b, size_t n, int flags)
{
	struct iovec iov = { b, n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (strcmp(name, "write") == 0)
		return write(fd, b, n);
	if (strcmp(name, "writev") == 0)
		return writev(fd, &iov, 1);
	if (strncmp(name, "sendmsg", 7) == 0)
		return sendmsg(fd, &m, flags);
	return send(fd, b, n, flags);
}

static void step_send(const char *name, const char *arg, int flags)
{
	size_t n = arg ? (size_t)atol(arg) : 4;
	struct stream *st = S();
	unsigned char *b = pattern(n, transport == T_UDP ? 0 : st->txoff);
	ssize_t r = send_once(name, C()->fd, b, n, flags);
	int err = errno;
	if (r > 0 && transport != T_UDP)
		st->txoff += (uint64_t)r;
	free(b);
	report(name, r, err);
}

/* The OP of "N,OP", or NULL. */
static const char *op_of(const char *arg)
{
	const char *c = arg ? strchr(arg, ',') : NULL;
	return c ? c + 1 : NULL;
}

/* sendto=N[,K]: one datagram of N pattern bytes (default 4) from the
 * current socket, connected or not, to the peer's K-th UDP socket (the
 * order of p:listen; default the first), by sendto with the address (how:
 * 1 careless, 2 by sendmsg with it as msg_name). */
static void step_sendto(const char *arg, int how)
{
	int careless = how == 1;
	size_t n = arg ? (size_t)atol(arg) : 4;
	const char *k = op_of(arg);
	int i = k ? atoi(k) : 1;
	if (i < 1 || i > nudp)
		tn_setup_fail("sendto: the peer has no UDP socket %d", i);
	struct tn_addr a;
	tn_loopback(&a, family, udp_ports[i - 1]);
	if (peer_at_set) {
		a = peer_at;
		tn_set_port(&a, udp_ports[i - 1]);
	}
	/* careless: an IPv4 address as a careless program builds it, family,
	 * port and address set and the padding (sin_zero) never written, for
	 * valgrind to see the library never decides on it. */
	struct sockaddr_in sloppy;
	const struct sockaddr *to = (const struct sockaddr *)&a.ss;
	if (careless && a.family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a.ss;
		sloppy.sin_family = AF_INET;
		sloppy.sin_port = in->sin_port;
		sloppy.sin_addr = in->sin_addr;
		to = (const struct sockaddr *)&sloppy;
	}
	unsigned char *b = pattern(n, 0);
	struct iovec v = { b, n };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = a.len, .msg_iov = &v, .msg_iovlen = 1 };
	ssize_t r = how == 2 ? sendmsg(C()->fd, &m, 0) : sendto(C()->fd, b, n, 0, to, a.len);
	int err = errno;
	free(b);
	report(how == 2 ? "sendmsgto" : "sendto", r, err);
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

/* One receiving call, named by the step: read, recvfrom (the sender's
 * address asked for), recvmsg (one piece), or recv. */
static ssize_t recv_once(const char *name, int fd, unsigned char *b, size_t n, int flags)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	struct iovec iov = { b, n };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (strcmp(name, "read") == 0)
		return read(fd, b, n);
	if (strcmp(name, "recvfrom") == 0)
		return recvfrom(fd, b, n, flags, (struct sockaddr *)&from, &fl);
	if (strcmp(name, "recvmsg") == 0)
		return recvmsg(fd, &m, flags);
	return recv(fd, b, n, flags);
}

static void step_recv(const char *name, const char *arg, int flags)
{
	size_t n = arg ? (size_t)atol(arg) : 4096;
	unsigned char *b = malloc(n ? n : 1);
	if (!b)
		tn_setup_fail("malloc");
	struct stream *st = S();
	ssize_t r = recv_once(name, C()->fd, b, n, flags);
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

/* An edge-triggered loop may be woken more than once for what it already
 * knows (the kernel wakes it at every change of the buffers, not only of
 * readiness): it waits on until the data comes. */
static void step_et_in(int ms)
{
	struct epoll_event got = { 0 };
	double until = tn_now_ms() + ms;
	int r = 0;
	for (int i = 0; i < 16 && etfd >= 0; i++) {
		double left = until - tn_now_ms();
		r = epoll_wait(etfd, &got, 1, left > 0 ? (int)left : 0);
		if (r != 1 || (got.events & EPOLLIN))
			break;
	}
	out("et-in = %s", r > 0 && (got.events & EPOLLIN) ? rc_events(got.events) : r < 0 ? "error" : "none");
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
	return fd == lfd || fd == etfd || (to_peer && (fd == fileno(to_peer) || fd == fileno(from_peer)));
}

static void step_closeall(void)
{
	for (int fd = 3; fd < 1024; fd++)
		if (!own_fd(fd))
			close(fd);
	out("closeall = done");
}

/* The sockets open beyond the program's own (the library's), up to cap, by
 * number; -1 if /proc cannot say. */
static int strangers(int *fds, int cap)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	for (struct dirent *e; n < cap && (e = readdir(d));) {
		int fd = atoi(e->d_name);
		struct stat st;
		if (e->d_name[0] == '.' || fd == dirfd(d) || own_fd(fd) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		fds[n++] = fd;
	}
	closedir(d);
	return n;
}

static void step_socks(void)
{
	int fds[32];
	int n = strangers(fds, 32);
	char list[400] = "";
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%d", len ? " " : "",
					fds[i]);
	out("socks = %s", n > 0 ? list : n == 0 ? "none" : "unknown");
}

/* What a program that looks at every socket it has (an inherited listener's
 * search, sd_is_socket) asks of those it did not make: getsockname, and
 * setsockopt (SO_KEEPALIVE off, as the library's own sockets have it). The
 * first call on a number the library never saw learns it: every other
 * socket is asked setsockopt first. */
static void step_asksocks(void)
{
	int fds[32];
	int n = strangers(fds, 32), asked = 0;
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int off = 0, ok = 1;
		for (int k = 0; k < 2 && ok; k++)
			ok = (k + i) % 2 ? getsockname(fds[i], (struct sockaddr *)&ss, &sl) == 0
					 : setsockopt(fds[i], SOL_SOCKET, SO_KEEPALIVE, &off, sizeof off) == 0;
		if (!ok) {
			out("asksocks = %d: %s", fds[i], tn_errname(errno));
			return;
		}
		asked++;
	}
	out("asksocks = %d answered", asked);
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
	if (!to_peer)
		tn_setup_fail("exec: no peer to hand over (-N)");
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
	if (to_peer)
		fflush(to_peer);
	execv(self, argv);
	tn_setup_fail("exec %s", self);
}

/* --- the step table: one small function a step --- */

/* A step's entry: its name, the function that plays it, and what tells
 * the steps that share a function apart (a flag, an event mask, an option). */
struct step {
	const char *name;
	void (*fn)(const struct step *s, const char *arg);
	int how;
};

static int num(const char *arg)
{
	return arg ? atoi(arg) : 0;
}

static void do_pwait(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	peer_reply(pending);
}

static void do_connect(const struct step *s, const char *arg)
{
	(void)arg;
	step_connect(s->how);
}

static void do_socket(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	int fd = socket(transport == T_UNIX ? AF_UNIX : family, transport == T_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
	int err = errno;
	if (fd >= 0)
		add_conn(fd, -1);
	report("socket", fd < 0 ? -1 : 0, err);
}

/* resolve=HOW,NAME: NAME resolved by this program, as HOW says (gai:
 * getaddrinfo, ghbn: gethostbyname, ghbn2: gethostbyname2, ghbn_r:
 * gethostbyname_r; none: NAME is a number and nothing is resolved); the
 * peer is reached at that IPv4 address from then on (host=). */
static void do_resolve(const struct step *s, const char *arg)
{
	(void)s;
	const char *name = op_of(arg);
	if (!name || family != AF_INET)
		tn_setup_fail("resolve=HOW,NAME: an IPv4 name");
	struct in_addr in;
	if (strncmp(arg, "gai,", 4) == 0) {
		struct addrinfo hints = { .ai_family = AF_INET }, *res;
		int r = getaddrinfo(name, NULL, &hints, &res);
		if (r != 0)
			tn_setup_fail("getaddrinfo %s: %s", name, gai_strerror(r));
		in = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
		freeaddrinfo(res);
	} else if (strncmp(arg, "ghbn,", 5) == 0 || strncmp(arg, "ghbn2,", 6) == 0) {
		struct hostent *h = arg[4] == '2' ? gethostbyname2(name, AF_INET) : gethostbyname(name);
		if (!h || h->h_addrtype != AF_INET)
			tn_setup_fail("gethostbyname %s", name);
		memcpy(&in, h->h_addr_list[0], sizeof in);
	} else if (strncmp(arg, "ghbn_r,", 7) == 0) {
		struct hostent he, *h = NULL;
		char buf[2048];
		int herr;
		if (gethostbyname_r(name, &he, buf, sizeof buf, &h, &herr) != 0 || !h || h->h_addrtype != AF_INET)
			tn_setup_fail("gethostbyname_r %s", name);
		memcpy(&in, h->h_addr_list[0], sizeof in);
	} else if (strncmp(arg, "none,", 5) == 0) {
		if (inet_pton(AF_INET, name, &in) != 1)
			tn_setup_fail("resolve=none,%s: not an IPv4 number", name);
	} else {
		tn_setup_fail("resolve=%s: gai, ghbn, ghbn2, ghbn_r or none", arg);
	}
	char text[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &in, text, sizeof text);
	out("address = %s", text);
	tn_loopback(&peer_at, AF_INET, 0);
	((struct sockaddr_in *)&peer_at.ss)->sin_addr = in;
	peer_at_set = 1;
}

/* bind=IP: the current socket bound to IP, any port (a unix socket: to
 * the path IP). */
static void do_bind(const struct step *s, const char *arg)
{
	(void)s;
	if (!arg)
		tn_setup_fail("bind= needs an address");
	char spec[300];
	if (transport == T_UNIX)
		snprintf(spec, sizeof spec, "unix:%s", arg);
	else
		snprintf(spec, sizeof spec, family == AF_INET6 ? "[%s]:0" : "%s:0", arg);
	struct tn_addr a = tn_addr_of(spec);
	int r = bind(C()->fd, (struct sockaddr *)&a.ss, a.len);
	report("bind", r, errno);
}

static void do_reconnect(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	struct tn_addr a;
	peer_addr(&a);
	int r = connect(C()->fd, (struct sockaddr *)&a.ss, a.len);
	report("connect", r, errno);
}

static void do_listen(const struct step *s, const char *arg)
{
	(void)s;
	step_listen(arg);
}

static void do_accept(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_accept();
}

static void do_send(const struct step *s, const char *arg)
{
	step_send(s->name, arg, s->how);
}

static void do_sendto(const struct step *s, const char *arg)
{
	step_sendto(arg, s->how);
}

/* sends=N[,MS]: N sends of one byte (MSG_NOSIGNAL), MS apart, on one
 * line: "sends = ok ok ECONNRESET ok" (a sequence a rule counts). */
static void do_sends(const struct step *s, const char *arg)
{
	(void)s;
	int n = num(arg);
	const char *gap = op_of(arg);
	char line[400] = "";
	size_t used = 0;
	for (int i = 0; i < n && used < sizeof line - 16; i++) {
		if (i && gap)
			tn_sleep_ms(atoi(gap));
		unsigned char *b = pattern(1, S()->txoff);
		ssize_t r = send(C()->fd, b, 1, MSG_NOSIGNAL);
		int err = errno;
		free(b);
		if (r > 0 && transport != T_UDP)
			S()->txoff += (uint64_t)r;
		used += (size_t)snprintf(line + used, sizeof line - used, " %s", tn_outcome(r, err));
	}
	out("sends =%s", line);
}

/* spawn=PATH[,ARG...]: another program, started by fork and execv with the
 * program's descriptors, its lines among these; waited for. */
static void do_spawn(const struct step *s, const char *arg)
{
	(void)s;
	if (!arg)
		tn_setup_fail("spawn= needs a program");
	char buf[1024], *argv[32];
	int n = 0;
	snprintf(buf, sizeof buf, "%s", arg);
	for (char *t = strtok(buf, ","); t && n < 31; t = strtok(NULL, ","))
		argv[n++] = t;
	argv[n] = NULL;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		tn_setup_fail("fork");
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	out("spawn exit = %d", tn_wait_child(pid));
}

/* pid: the process's id, for the log lines it must own. */
static void do_pid(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	out("pid = %d", (int)getpid());
}

static void do_sendall(const struct step *s, const char *arg)
{
	(void)s;
	step_sendall((size_t)atol(arg ? arg : "0"), op_of(arg));
}

static void do_sendfill(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_sendfill();
}

static void do_recv(const struct step *s, const char *arg)
{
	step_recv(s->name, arg, s->how);
}

static void do_recvall(const struct step *s, const char *arg)
{
	(void)s;
	step_recvall((size_t)atol(arg ? arg : "0"), op_of(arg));
}

static void do_bits(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	out("rxbits = %llu fnv=%08x", (unsigned long long)S()->rxbits, (unsigned)S()->rxfnv);
}

static void do_timeo(const struct step *s, const char *arg)
{
	step_sockopt_timeout(s->how, num(arg));
}

/* keepalive=S: the kernel's own keepalive, quick enough to end a dead
 * connection within a test (S + 2 s). */
static void do_keepalive(const struct step *s, const char *arg)
{
	int on = !arg || strcmp(arg, "off") != 0, idle = on ? num(arg) : 0, intvl = 1, cnt = 2;
	int fd = C()->fd;
	int r = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
	if (!on) {
		report(s->name, r, errno);
		return;
	}
	if (r == 0)
		r = setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	if (r == 0)
		r = setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	if (r == 0)
		r = setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	report(s->name, r, errno);
}

static void do_kaopt(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	int on = -1;
	socklen_t l = sizeof on;
	int r = getsockopt(C()->fd, SOL_SOCKET, SO_KEEPALIVE, &on, &l);
	if (r < 0)
		report("SO_KEEPALIVE", r, errno);
	else
		out("SO_KEEPALIVE = %d", on);
}

static void do_usertimeout(const struct step *s, const char *arg)
{
	unsigned ms = (unsigned)num(arg);
	report(s->name, setsockopt(C()->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms), errno);
}

static void do_nonblock(const struct step *s, const char *arg)
{
	(void)arg;
	report(s->name, tn_set_nonblocking(C()->fd, s->how), errno);
}

static void do_shut(const struct step *s, const char *arg)
{
	(void)s;
	if (!arg)
		tn_setup_fail("shut= needs rd, wr or rdwr");
	int how = strcmp(arg, "rd") == 0 ? SHUT_RD : strcmp(arg, "wr") == 0 ? SHUT_WR : SHUT_RDWR;
	int r = shutdown(C()->fd, how);
	report("shutdown", r, errno);
}

static void do_close(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	int r = close(C()->fd);
	report("close", r, errno);
}

static void do_dup(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	int fd = dup(C()->fd);
	int err = errno;
	if (fd >= 0)
		add_conn(fd, C()->stream);
	report("dup", fd < 0 ? -1 : 0, err);
}

/* dup2=N: the current descriptor duplicated onto N (a socket becomes the
 * program's stderr), which becomes the current connection, on the same
 * stream. */
static void do_dup2(const struct step *s, const char *arg)
{
	(void)s;
	int fd = dup2(C()->fd, num(arg));
	int err = errno;
	if (fd >= 0)
		add_conn(fd, C()->stream);
	report("dup2", fd < 0 ? -1 : 0, err);
}

/* closefd=N: close descriptor N, the program's own (a daemon closing its
 * stderr); fd: the current connection's descriptor. */
static void do_closefd(const struct step *s, const char *arg)
{
	(void)s;
	int r = close(num(arg));
	report("closefd", r, errno);
}

static void do_fd(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	out("fd = %d", C()->fd);
}

static void do_use(const struct step *s, const char *arg)
{
	(void)s;
	if (arg && strcmp(arg, "listen") == 0) {
		if (lfd < 0)
			tn_setup_fail("use=listen: no listening socket");
		add_conn(lfd, -1);
		return;
	}
	int k = num(arg);
	if (k < 1 || k > nconns)
		tn_setup_fail("use=%d: no such connection", k);
	cur = k - 1;
}

static void do_poll(const struct step *s, const char *arg)
{
	step_poll(s->name, (short)s->how, num(arg));
}

static void do_epoll(const struct step *s, const char *arg)
{
	step_epoll(s->name, (unsigned)s->how, num(arg));
}

static void do_et_add(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_et_add();
}

static void do_et(const struct step *s, const char *arg)
{
	(void)s;
	step_et(num(arg));
}

static void do_et_in(const struct step *s, const char *arg)
{
	(void)s;
	step_et_in(num(arg));
}

static void do_select(const struct step *s, const char *arg)
{
	step_select(s->name, s->how, num(arg));
}

static void do_so_error(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_so_error();
}

/* inq: bytes waiting in the kernel to be read (what the program has not
 * been given, whatever the calls said). */
static void do_inq(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	int n = -1;
	int r = ioctl(C()->fd, FIONREAD, &n);
	if (r < 0)
		report("inq", r, errno);
	else
		out("inq = %d", n);
}

static void do_peername(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	int r = getpeername(C()->fd, (struct sockaddr *)&ss, &l);
	report("getpeername", r, errno);
}

/* The process's threads, this program's own included (the main thread and
 * the watchdog): the library's helpers show here. */
static void do_threads(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	out("threads = %d", n - nbg);
}

static void do_sigpipes(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	out("sigpipes = %d", (int)sigpipes);
}

static void do_sleep(const struct step *s, const char *arg)
{
	(void)s;
	tn_sleep_ms(num(arg));
}

static void do_at(const struct step *s, const char *arg)
{
	(void)s;
	double left = t_start + num(arg) - tn_now_ms();
	if (left > 0)
		tn_sleep_ms((int)left);
}

static void do_gate(const struct step *s, const char *arg)
{
	(void)s;
	if (!arg)
		tn_setup_fail("gate= needs a name");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s.gate.%s", upath, arg);
	out("gate %s", arg);
	fflush(stdout);
	/* Bounded by the watchdog, as every step. */
	while (access(path, F_OK) != 0)
		tn_sleep_ms(10);
}

static void do_closeall(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_closeall();
}

static void do_socks(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_socks();
}

static void do_asksocks(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_asksocks();
}

static void do_fdfill(const struct step *s, const char *arg)
{
	(void)s;
	step_fdfill(num(arg));
}

static void do_mark(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	t_mark = tn_now_ms();
}

static void do_since(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	out("since = %d", (int)(tn_now_ms() - t_mark));
}

static void do_took(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	out("took = %d", (int)last_took);
}

static void do_bg(const struct step *s, const char *arg)
{
	(void)s;
	if (!arg)
		tn_setup_fail("bg= needs a step");
	step_bg(arg);
}

static void do_join(const struct step *s, const char *arg)
{
	(void)s, (void)arg;
	step_join();
}

static const struct step steps[] = {
	{ "pwait", do_pwait, 0 },
	{ "connect", do_connect, 0 },
	{ "connect-nb", do_connect, 1 },
	{ "socket", do_socket, 0 },
	{ "resolve", do_resolve, 0 },
	{ "bind", do_bind, 0 },
	{ "reconnect", do_reconnect, 0 },
	{ "listen", do_listen, 0 },
	{ "accept", do_accept, 0 },
	{ "send", do_send, 0 },
	{ "sendns", do_send, MSG_NOSIGNAL },
	{ "write", do_send, 0 },
	{ "writev", do_send, 0 },
	{ "sendmsg", do_send, 0 },
	{ "sendmsgns", do_send, MSG_NOSIGNAL },
	{ "sendto", do_sendto, 0 },
	{ "sendtou", do_sendto, 1 },
	{ "sendmsgto", do_sendto, 2 },
	{ "sends", do_sends, 0 },
	{ "sendall", do_sendall, 0 },
	{ "sendfill", do_sendfill, 0 },
	{ "recv", do_recv, 0 },
	{ "recvnb", do_recv, MSG_DONTWAIT },
	{ "read", do_recv, 0 },
	{ "recvfrom", do_recv, 0 },
	{ "recvmsg", do_recv, 0 },
	{ "recvall", do_recvall, 0 },
	{ "bits", do_bits, 0 },
	{ "rcvtimeo", do_timeo, SO_RCVTIMEO },
	{ "sndtimeo", do_timeo, SO_SNDTIMEO },
	{ "keepalive", do_keepalive, 0 },
	{ "kaopt", do_kaopt, 0 },
	{ "usertimeout", do_usertimeout, 0 },
	{ "nonblock", do_nonblock, 1 },
	{ "block", do_nonblock, 0 },
	{ "shut", do_shut, 0 },
	{ "close", do_close, 0 },
	{ "dup", do_dup, 0 },
	{ "dup2", do_dup2, 0 },
	{ "closefd", do_closefd, 0 },
	{ "fd", do_fd, 0 },
	{ "use", do_use, 0 },
	{ "pollin", do_poll, POLLIN | POLLRDHUP },
	{ "pollout", do_poll, POLLOUT },
	{ "epoll", do_epoll, EPOLLIN | EPOLLRDHUP },
	{ "epollout", do_epoll, EPOLLOUT },
	{ "et-add", do_et_add, 0 },
	{ "et", do_et, 0 },
	{ "et-in", do_et_in, 0 },
	{ "select", do_select, 0 },
	{ "selectw", do_select, 1 },
	{ "so_error", do_so_error, 0 },
	{ "peername", do_peername, 0 },
	{ "inq", do_inq, 0 },
	{ "threads", do_threads, 0 },
	{ "pid", do_pid, 0 },
	{ "spawn", do_spawn, 0 },
	{ "sigpipes", do_sigpipes, 0 },
	{ "sleep", do_sleep, 0 },
	{ "at", do_at, 0 },
	{ "gate", do_gate, 0 },
	{ "closeall", do_closeall, 0 },
	{ "socks", do_socks, 0 },
	{ "asksocks", do_asksocks, 0 },
	{ "fdfill", do_fdfill, 0 },
	{ "mark", do_mark, 0 },
	{ "since", do_since, 0 },
	{ "took", do_took, 0 },
	{ "bg", do_bg, 0 },
	{ "join", do_join, 0 },
};

/* A step is NAME or NAME=ARG; p:CMD and p&:CMD go to the peer. */
static void run_step(const char *step)
{
	if (strncmp(step, "p:", 2) == 0 || strncmp(step, "p&:", 3) == 0) {
		int async = step[1] == '&';
		char cmd[300];
		peer_command(step + (async ? 3 : 2), cmd, sizeof cmd);
		peer_send(cmd);
		if (async)
			snprintf(pending, sizeof pending, "%s", cmd);
		else
			peer_reply(cmd);
		return;
	}
	const char *arg = strchr(step, '=');
	size_t nl = arg ? (size_t)(arg - step) : strlen(step);
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		if (strlen(steps[k].name) == nl && strncmp(steps[k].name, step, nl) == 0) {
			steps[k].fn(&steps[k], arg ? arg + 1 : NULL);
			return;
		}
	}
	tn_setup_fail("unknown step %s", step);
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

/* at= counts from here: as close to the library's own start (the origin
 * of uptime, sockfault-rules(5)) as the program can come. */
__attribute__((constructor)) static void start_clock(void)
{
	t_start = tn_now_ms();
}

int main(int argc, char **argv)
{
	tn_init();
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
	while ((opt = getopt(argc, argv, "+6UDNA:W:S:X:")) != -1) {
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
			if (tn_parse_addr(optarg, &peer_at) < 0)
				tn_setup_fail("-A %s: not ADDR:PORT nor unix:PATH", optarg);
			peer_at_set = 1;
			if (peer_at.family == AF_UNIX)
				transport = T_UNIX;
			else
				family = peer_at.family;
			break;
		case 'N':
			no_peer = 1;
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
			tn_setup_fail("usage: treal [-6|-U|-D] [-A ADDR:PORT] [-N] [-W SECONDS] [-S PATH] STEP...");
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
	} else if (!no_peer) {
		peer_start();
	}
	watchdog_start();

	int child = 0;
	for (int i = optind; i < argc; i++) {
		const char *step = argv[i];
		if (strcmp(step, "fork") == 0) {
			fflush(stdout);
			if (to_peer)
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
			int depth = 0, nsteps = 0;
			for (i++; i < argc && (depth || strcmp(argv[i], "endchild")); i++, nsteps++)
				depth += strcmp(argv[i], "fork") == 0;
			/* Each of the child's steps has its own limit, but a child
			 * that hangs before its watchdog runs has none. */
			__atomic_store_n(&wd_step, "fork", __ATOMIC_RELEASE);
			__atomic_store_n(&wd_child, pid, __ATOMIC_RELEASE);
			__atomic_store_n(&wd_deadline_ns,
					 (long long)((tn_now_ms() + (double)step_limit_ms * (nsteps + 1)) * 1e6),
					 __ATOMIC_RELEASE);
			int status = tn_wait_child(pid);
			__atomic_store_n(&wd_deadline_ns, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&wd_child, 0, __ATOMIC_RELEASE);
			out("child exit = %d", status);
			continue;
		}
		if (strcmp(step, "endchild") == 0) {
			if (child) {
				fflush(stdout);
				if (to_peer)
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
