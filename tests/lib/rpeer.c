/* The other end of the realism tests, never run under the preload: treal
 * starts it with LD_PRELOAD and SOCKFAULT_* removed from its environment and
 * drives it through a pipe, one command a line on stdin, one answer a line
 * on stdout. It reports what a real peer sees of the program under test:
 * data, an end of file (FIN), a reset (RST), or silence.
 *
 *   listen 4|6 [PORT|low] [BACKLOG]  a TCP listener        -> port N
 *   listenu PATH                     a unix stream one     -> port 0
 *   udp 4|6 [PORT]                   a bound UDP socket    -> port N
 *                                    (another one each time: the last
 *                                    one sends, udpexpect names any)
 *   fill                  one connection of its own into its listener's queue
 *   accept MS             accept one connection            -> accepted K | none
 *   connect 4|6 PORT | connectu PATH                       -> connected K | err E
 *   use K                 later commands are about connection K
 *   send N                N pattern bytes (blocking, bounded) -> sent N [err E]
 *   expect MS             the first event within MS: data N bits=B ms=T |
 *                         eof ms=T | err E ms=T | silence
 *   recvall N MS          read N bytes -> got N bits=B fnv=F ms=T span=S rate=R
 *   outq | inq            bytes not yet acknowledged by the program | not yet read
 *   close | rst | shutwr  FIN, RST (SO_LINGER 0), half close
 *   udptarget PORT        where udpsend goes
 *   udpsend N             one datagram of N pattern bytes  -> sent N
 *   udpexpect MS [K]      dgram N bits=B | silence (on UDP socket K,
 *                         in the order made; default the last one)
 *   sleep MS
 *   quit
 *
 * The data is tn_pattern() at the stream offset (0 for each datagram), so
 * both ends can count flipped bits.
 *
 * The network oracle runs the peer on a network of its own: RPEER_NETNS
 * (a path such as /run/netns/NAME) is the network namespace it enters
 * first, RPEER_ADDR (ADDR:0) the address its listeners bind to instead of
 * the loopback, RPEER_TARGET (ADDR:0) the program's address, where
 * udptarget and connect go. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rcommon.h"

#define MAX_CONNS 32

struct pconn {
	int fd;
	uint64_t txoff, rxoff;
};

static struct pconn conns[MAX_CONNS];
static int nconns, cur = -1;
static int lfd = -1, ufd = -1, family = AF_INET;
static int ufds[4], nufd; /* every UDP socket made, ufd the last one */
static struct tn_addr laddr, utarget;
static char lpath[108];
static struct tn_addr own_at, target_at; /* RPEER_ADDR, RPEER_TARGET */
static int own_at_set, target_at_set;

/* An address of family with port: the one of the variable if it is set
 * (and of that family), the loopback otherwise. */
static void addr_or_loopback(struct tn_addr *a, const struct tn_addr *set, int is_set, int fam, int port)
{
	if (is_set && set->family == fam) {
		*a = *set;
		tn_set_port(a, port);
	} else {
		tn_loopback(a, fam, port);
	}
}

static int from_env(const char *name, struct tn_addr *a)
{
	const char *v = getenv(name);
	return v && *v && tn_parse_addr(v, a) == 0 && a->family != AF_UNIX;
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static struct pconn *current(void)
{
	if (cur < 0 || cur >= nconns)
		return NULL;
	return &conns[cur];
}

static int add_conn(int fd)
{
	if (nconns >= MAX_CONNS) {
		close(fd);
		return -1;
	}
	conns[nconns].fd = fd;
	conns[nconns].txoff = conns[nconns].rxoff = 0;
	cur = nconns++;
	return cur + 1;
}

static int fam_of(const char *s)
{
	return s && strcmp(s, "6") == 0 ? AF_INET6 : AF_INET;
}

static void cmd_listen(char **arg, int n)
{
	family = fam_of(arg[0]);
	int backlog = n > 2 ? atoi(arg[2]) : 64;
	if (n > 1 && strcmp(arg[1], "low") == 0) {
		lfd = rc_bind_low(&laddr, family, SOCK_STREAM);
	} else {
		addr_or_loopback(&laddr, &own_at, own_at_set, family, n > 1 ? atoi(arg[1]) : 0);
		lfd = tn_bind_listen(&laddr, SOCK_STREAM);
	}
	if (lfd < 0) {
		reply("err %s", tn_errname(errno));
		return;
	}
	/* The backlog asked for (0: one connection fills the queue, and the
	 * SYNs of the next are dropped, so that its connect stays pending). */
	listen(lfd, backlog);
	reply("port %d", tn_addr_port(&laddr));
}

static void cmd_listenu(const char *path)
{
	char spec[200];
	snprintf(spec, sizeof spec, "unix:%s", path);
	snprintf(lpath, sizeof lpath, "%s", path);
	unlink(path);
	if (tn_parse_addr(spec, &laddr) < 0 || (lfd = tn_bind_listen(&laddr, SOCK_STREAM)) < 0) {
		reply("err %s", tn_errname(errno));
		return;
	}
	reply("port 0");
}

static void cmd_udp(const char *fam, const char *port)
{
	family = fam_of(fam);
	addr_or_loopback(&laddr, &own_at, own_at_set, family, port ? atoi(port) : 0);
	if (nufd == (int)(sizeof ufds / sizeof ufds[0])) {
		reply("err too many UDP sockets");
		return;
	}
	int fd = tn_bind_listen(&laddr, SOCK_DGRAM);
	if (fd < 0) {
		reply("err %s", tn_errname(errno));
		return;
	}
	ufd = ufds[nufd++] = fd;
	reply("port %d", tn_addr_port(&laddr));
}

static void cmd_fill(void)
{
	static int filler = -1;
	filler = socket(laddr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	connect(filler, (struct sockaddr *)&laddr.ss, laddr.len);
	/* Wait until the handshake is done: the connection is then in the
	 * accept queue, and the queue is full. */
	reply("%s", tn_wait(filler, POLLOUT, TN_WAIT_MS) & POLLOUT ? "ok" : "err not connected");
}

static void cmd_accept(int ms)
{
	if (lfd < 0 || !(tn_wait(lfd, POLLIN, ms) & POLLIN)) {
		reply("none");
		return;
	}
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		reply("err %s", tn_errname(errno));
		return;
	}
	reply("accepted %d", add_conn(fd));
}

static void cmd_connect(const struct tn_addr *a)
{
	int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a->ss, a->len) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		reply("err %s", tn_errname(e));
		return;
	}
	reply("connected %d", add_conn(fd));
}

static void cmd_send(size_t n)
{
	struct pconn *c = current();
	if (!c) {
		reply("err no connection");
		return;
	}
	unsigned char buf[65536];
	size_t done = 0;
	double end = tn_now_ms() + 20000;
	while (done < n && tn_now_ms() < end) {
		size_t k = n - done < sizeof buf ? n - done : sizeof buf;
		rc_fill(buf, k, c->txoff);
		ssize_t r = send(c->fd, buf, k, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			tn_wait(c->fd, POLLOUT, 100);
			continue;
		}
		if (r < 0) {
			reply("sent %zu err %s", done, tn_errname(errno));
			return;
		}
		done += (size_t)r;
		c->txoff += (uint64_t)r;
	}
	reply("sent %zu", done);
}

static void cmd_expect(int ms)
{
	struct pconn *c = current();
	if (!c) {
		reply("err no connection");
		return;
	}
	double t0 = tn_now_ms();
	int ev = tn_wait(c->fd, POLLIN, ms);
	int took = (int)(tn_now_ms() - t0);
	if (ev <= 0) {
		reply("silence");
		return;
	}
	unsigned char buf[65536];
	ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (r > 0) {
		uint64_t bits = rc_bitdiff(buf, (size_t)r, c->rxoff);
		c->rxoff += (uint64_t)r;
		reply("data %zd bits=%llu ms=%d", r, (unsigned long long)bits, took);
	} else if (r == 0) {
		reply("eof ms=%d", took);
	} else {
		reply("err %s ms=%d", tn_errname(errno), took);
	}
}

static void cmd_recvall(size_t n, int ms)
{
	struct pconn *c = current();
	if (!c) {
		reply("err no connection");
		return;
	}
	unsigned char buf[65536];
	size_t got = 0, first = 0;
	uint64_t bits = 0;
	uint32_t fnv = TN_FNV_INIT;
	double t0 = tn_now_ms(), t_first = 0, t_last = 0, end = t0 + ms;
	const char *why = "";
	while (got < n && tn_now_ms() < end) {
		int left = (int)(end - tn_now_ms());
		if (!(tn_wait(c->fd, POLLIN, left > 0 ? left : 0) & (POLLIN | POLLHUP | POLLERR)))
			continue;
		size_t want = n - got < sizeof buf ? n - got : sizeof buf;
		ssize_t r = recv(c->fd, buf, want, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			why = r == 0 ? " end=eof" : " end=err";
			break;
		}
		t_last = tn_now_ms();
		if (!got) {
			t_first = t_last;
			first = (size_t)r;
		}
		bits += rc_bitdiff(buf, (size_t)r, c->rxoff);
		fnv = tn_fnv(fnv, buf, (size_t)r);
		c->rxoff += (uint64_t)r;
		got += (size_t)r;
	}
	double span = t_last - t_first;
	/* The rate at which the bytes after the first read arrived: what a
	 * slow link shows, whenever the sender started. */
	long rate = span > 0 ? (long)((double)(got - first) * 1000.0 / span) : 0;
	reply("got %zu bits=%llu fnv=%08x ms=%d span=%d rate=%ld%s", got, (unsigned long long)bits, (unsigned)fnv,
	      (int)(t_last - t0), (int)span, rate, why);
}

static void cmd_udpexpect(int ms, int k)
{
	if (k < 0 || k > nufd) {
		reply("err no UDP socket %d", k);
		return;
	}
	int fd = k ? ufds[k - 1] : ufd;
	if (fd < 0 || !(tn_wait(fd, POLLIN, ms) & POLLIN)) {
		reply("silence");
		return;
	}
	unsigned char buf[65536];
	ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	if (r < 0)
		reply("err %s", tn_errname(errno));
	else
		reply("dgram %zd bits=%llu", r, (unsigned long long)rc_bitdiff(buf, (size_t)r, 0));
}

static void cmd_udpsend(size_t n)
{
	unsigned char buf[65536];
	if (n > sizeof buf)
		n = sizeof buf;
	rc_fill(buf, n, 0);
	ssize_t r = sendto(ufd, buf, n, 0, (struct sockaddr *)&utarget.ss, utarget.len);
	if (r < 0)
		reply("err %s", tn_errname(errno));
	else
		reply("sent %zd", r);
}

static void cmd_close(int how)
{
	struct pconn *c = current();
	if (!c) {
		reply("err no connection");
		return;
	}
	if (how == 1) {
		struct linger abort_now = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now);
	}
	if (how == 2) {
		reply("%s", shutdown(c->fd, SHUT_WR) == 0 ? "ok" : tn_errname(errno));
		return;
	}
	close(c->fd);
	c->fd = -1;
	reply("ok");
}

static void cmd_queue(unsigned long req, const char *what)
{
	struct pconn *c = current();
	int v = -1;
	if (!c || ioctl(c->fd, req, &v) < 0)
		reply("err %s", tn_errname(errno));
	else
		reply("%s %d", what, v);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *ns = getenv("RPEER_NETNS");
	if (ns && *ns) {
		int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "rpeer: cannot enter the network namespace %s: %s\n", ns, strerror(errno));
			return 3;
		}
		close(nsfd);
	}
	own_at_set = from_env("RPEER_ADDR", &own_at);
	target_at_set = from_env("RPEER_TARGET", &target_at);
	char line[512];
	while (fgets(line, sizeof line, stdin)) {
		char *arg[8];
		int n = 0;
		for (char *t = strtok(line, " \n"); t && n < 8; t = strtok(NULL, " \n"))
			arg[n++] = t;
		if (!n)
			continue;
		const char *cmd = arg[0];
		for (int i = n; i < 8; i++)
			arg[i] = NULL;
		int i1 = arg[1] ? atoi(arg[1]) : 0;
		if (strcmp(cmd, "listen") == 0)
			cmd_listen(arg + 1, n - 1);
		else if (strcmp(cmd, "listenu") == 0 && arg[1])
			cmd_listenu(arg[1]);
		else if (strcmp(cmd, "udp") == 0)
			cmd_udp(arg[1], arg[2]);
		else if (strcmp(cmd, "fill") == 0)
			cmd_fill();
		else if (strcmp(cmd, "accept") == 0)
			cmd_accept(arg[1] ? i1 : TN_WAIT_MS);
		else if (strcmp(cmd, "connect") == 0 && arg[2]) {
			struct tn_addr a;
			addr_or_loopback(&a, &target_at, target_at_set, fam_of(arg[1]), atoi(arg[2]));
			cmd_connect(&a);
		} else if (strcmp(cmd, "connectu") == 0 && arg[1]) {
			char spec[200];
			struct tn_addr a;
			snprintf(spec, sizeof spec, "unix:%s", arg[1]);
			if (tn_parse_addr(spec, &a) < 0)
				reply("err bad address %s", spec);
			else
				cmd_connect(&a);
		} else if (strcmp(cmd, "use") == 0) {
			cur = i1 - 1;
			reply("%s", current() ? "ok" : "err no such connection");
		} else if (strcmp(cmd, "send") == 0)
			cmd_send((size_t)atol(arg[1] ? arg[1] : "4"));
		else if (strcmp(cmd, "expect") == 0)
			cmd_expect(arg[1] ? i1 : 1000);
		else if (strcmp(cmd, "recvall") == 0 && arg[1])
			cmd_recvall((size_t)atol(arg[1]), arg[2] ? atoi(arg[2]) : 10000);
		else if (strcmp(cmd, "outq") == 0)
			cmd_queue(SIOCOUTQ, "outq");
		else if (strcmp(cmd, "inq") == 0)
			cmd_queue(SIOCINQ, "inq");
		else if (strcmp(cmd, "close") == 0)
			cmd_close(0);
		else if (strcmp(cmd, "rst") == 0)
			cmd_close(1);
		else if (strcmp(cmd, "shutwr") == 0)
			cmd_close(2);
		else if (strcmp(cmd, "udptarget") == 0) {
			addr_or_loopback(&utarget, &target_at, target_at_set, family, i1);
			reply("ok");
		} else if (strcmp(cmd, "udpsend") == 0)
			cmd_udpsend((size_t)atol(arg[1] ? arg[1] : "4"));
		else if (strcmp(cmd, "udpexpect") == 0)
			cmd_udpexpect(arg[1] ? i1 : 1000, arg[2] ? atoi(arg[2]) : 0);
		else if (strcmp(cmd, "sleep") == 0) {
			tn_sleep_ms(i1);
			reply("ok");
		} else if (strcmp(cmd, "quit") == 0)
			break;
		else
			reply("err unknown command %s", cmd);
	}
	if (lpath[0])
		unlink(lpath);
	return 0;
}
