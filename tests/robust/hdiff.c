/* The differential corpus: bad calls to every interposed entry (NULL and
 * unmapped buffers, addresses and lengths, bad and closed descriptors,
 * descriptors that are not sockets, huge and wrong lengths, unknown
 * families and flags). The script runs it without the library and with it
 * (no rules, rules for other peers, rules that keep every call on the slow
 * path, tracing) and compares the outputs line by line: the library must
 * give each call the kernel's own result and errno, and never crash where
 * the kernel says EFAULT.
 *
 *   hdiff [NAME-PREFIX]
 *
 * Each case runs in a child process of its own, set up afresh (so one
 * crash costs one line: "NAME: killed by signal 11"), and prints
 * "NAME: RET ERRNO [what came back]". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hutil.h"

/* Declared by glibc only for fortified callers: called here directly, with
 * lengths that fit, so they are the ordinary calls. (configure found them,
 * or the cases are left out: musl has none of these.) */
#ifdef HAVE___RECV_CHK
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
#endif
#ifdef HAVE___RECVFROM_CHK
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags, struct sockaddr *from,
		       socklen_t *fromlen);
#endif
#ifdef HAVE___READ_CHK
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
#endif
#ifdef HAVE_FCNTL64
int fcntl64(int fd, int cmd, ...);
#endif

/* What a case works with, made in the child before the call. */
static struct {
	int c, s;   /* connected TCP: client, server (nonblocking) */
	int u0, u1; /* unix stream pair; "abcd" waits on u0 */
	int uu;	    /* unconnected UDP, bound */
	int ud;	    /* UDP with a datagram waiting */
	struct sockaddr_in ud_addr;
	int l;		       /* listening, nonblocking, a connection pending */
	int l0;		       /* listening, nothing pending */
	int fresh;	       /* a TCP socket, neither bound nor connected */
	int pr, pw;	       /* a pipe */
	int dn;		       /* /dev/null */
	int closed;	       /* a number that was open and is not */
	char *bad;	       /* an unmapped page */
	char *edge;	       /* the last 16 bytes before an unmapped page */
	char *edge4;	       /* the last 4 bytes before it */
	char *stack_end;       /* the end of the main thread's stack mapping (NULL: not found) */
	struct sockaddr_in lo; /* 127.0.0.1, the port of l */
	char buf[70000];
} x;

#define BIG_FD (1 << 30)

/* Bad values the compiler cannot see, so that it neither warns about the
 * calls nor changes them. */
static void *volatile nil;
static volatile int minus1 = -1, n1025 = 1025;

static void setup(void)
{
	struct tn_addr a;
	x.l = hu_bind_on("127.0.0.1", SOCK_STREAM, &a);
	memcpy(&x.lo, &a.ss, sizeof x.lo);
	x.c = tn_connect(&a, SOCK_STREAM);
	x.s = accept(x.l, NULL, NULL);
	/* The pending one, for accept. */
	int pending = tn_connect(&a, SOCK_STREAM);
	tn_set_nonblocking(x.l, 1);
	tn_set_nonblocking(x.c, 1);
	tn_set_nonblocking(x.s, 1);
	x.l0 = hu_bind_on("127.0.0.1", SOCK_STREAM, &a);
	tn_set_nonblocking(x.l0, 1);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	x.u0 = sv[0];
	x.u1 = sv[1];
	tn_set_nonblocking(x.u0, 1);
	if (write(x.u1, "abcd", 4) != 4)
		tn_setup_fail("write");
	x.uu = hu_bind_on("127.0.0.1", SOCK_DGRAM, &a);
	x.ud = hu_bind_on("127.0.0.1", SOCK_DGRAM, &a);
	memcpy(&x.ud_addr, &a.ss, sizeof x.ud_addr);
	tn_set_nonblocking(x.ud, 1);
	if (sendto(x.uu, "dgram", 5, 0, (struct sockaddr *)&x.ud_addr, sizeof x.ud_addr) != 5)
		tn_setup_fail("sendto");
	tn_wait(x.ud, POLLIN, 1000);
	x.fresh = socket(AF_INET, SOCK_STREAM, 0);
	int p[2];
	if (pipe(p) != 0)
		tn_setup_fail("pipe");
	x.pr = p[0];
	x.pw = p[1];
	x.dn = open("/dev/null", O_RDWR);
	x.closed = dup(0);
	close(x.closed);
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + pg, (size_t)pg, PROT_NONE) != 0)
		tn_setup_fail("mmap");
	memset(m, 'e', (size_t)pg);
	x.bad = m + pg;
	x.edge = m + pg - 16;
	x.edge4 = m + pg - 4;
	memset(x.buf, 'b', sizeof x.buf);
	/* The library reads a destination on the main stack without asking
	 * the kernel (usermem.c): cases 22 and 23 straddle the stack's ends. */
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	while (maps && fgets(line, sizeof line, maps))
		if (strstr(line, "[stack]")) {
			unsigned long lo, hi;
			if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
				x.stack_end = (char *)hi;
		}
	if (maps)
		fclose(maps);
	if (x.l < 0 || x.c < 0 || x.s < 0 || pending < 0 || x.l0 < 0 || x.uu < 0 || x.ud < 0 || x.fresh < 0 || x.dn < 0)
		tn_setup_fail("setup");
	/* The pending connection stays open (in this child) so that it is
	 * still queued when accept runs. */
	tn_wait(x.l, POLLIN, 1000);
}

static const char *name_now;

static void res(long r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void res(long r, int err, const char *fmt, ...)
{
	char extra[200] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(extra, sizeof extra, fmt, ap);
		va_end(ap);
	}
	if (r < 0)
		printf("%s: %ld %s%s%s\n", name_now, r, tn_errname(err), *extra ? " " : "", extra);
	else
		printf("%s: %ld%s%s\n", name_now, r, *extra ? " " : "", extra);
}

/* Run `call` and report it; the errno is read right after. */
#define R(call)                         \
	do {                            \
		errno = 0;              \
		long r_ = (long)(call); \
		int e_ = errno;         \
		res(r_, e_, NULL);      \
	} while (0)
/* The same, with what came back in the out-parameters. */
#define RX(call, ...)                     \
	do {                              \
		errno = 0;                \
		long r_ = (long)(call);   \
		int e_ = errno;           \
		res(r_, e_, __VA_ARGS__); \
	} while (0)

static struct sockaddr_in sin_lo(void)
{
	return x.lo;
}

static struct sockaddr_in sin_other_port(void)
{
	struct sockaddr_in a = x.lo;
	a.sin_port = htons(9);
	return a;
}

/* ---- the cases ---- */

static void c_socket(int k)
{
	switch (k) {
	case 0:
		R(socket(-1, SOCK_STREAM, 0));
		break;
	case 1:
		R(socket(AF_INET, 999, 0));
		break;
	case 2:
		R(socket(AF_INET, SOCK_STREAM, 999));
		break;
	case 3:
		R(socket(12345, SOCK_STREAM, 0));
		break;
	case 4:
		R(socket(AF_INET, SOCK_STREAM | 0x40000000, 0));
		break;
	case 5:
		R(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
		break;
	case 6:
		R(socket(AF_UNIX, SOCK_RAW, 0));
		break;
	}
}

static void c_socketpair(int k)
{
	int sv[2] = { -1, -1 };
	switch (k) {
	case 0:
		R(socketpair(AF_INET, SOCK_STREAM, 0, sv));
		break;
	case 1:
		R(socketpair(AF_UNIX, SOCK_STREAM, 0, NULL));
		break;
	case 2:
		R(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)x.bad));
		break;
	case 3:
		R(socketpair(AF_UNIX, 999, 0, sv));
		break;
	case 4:
		R(socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
		break;
	/* Half of the array writable: the kernel's EFAULT comes after it made the pair. */
	case 5:
		R(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)x.edge4));
		break;
	}
}

static void c_connect(int k)
{
	struct sockaddr_in a = sin_lo();
	struct sockaddr weird = { .sa_family = 12345 };
	switch (k) {
	case 0:
		R(connect(-1, (struct sockaddr *)&a, sizeof a));
		break;
	case 1:
		R(connect(x.closed, (struct sockaddr *)&a, sizeof a));
		break;
	case 2:
		R(connect(BIG_FD, (struct sockaddr *)&a, sizeof a));
		break;
	case 3:
		R(connect(x.pw, (struct sockaddr *)&a, sizeof a));
		break;
	case 4:
		R(connect(x.dn, (struct sockaddr *)&a, sizeof a));
		break;
	case 5:
		R(connect(x.fresh, NULL, sizeof a));
		break;
	case 6:
		R(connect(x.fresh, NULL, 0));
		break;
	case 7:
		R(connect(x.fresh, (struct sockaddr *)x.bad, sizeof a));
		break;
	case 8:
		R(connect(x.fresh, (struct sockaddr *)&a, 2));
		break;
	case 9:
		R(connect(x.fresh, (struct sockaddr *)x.buf, 1000));
		break;
	case 10:
		R(connect(x.fresh, &weird, sizeof weird));
		break;
	case 11:
		R(connect(x.u0, (struct sockaddr *)&a, sizeof a));
		break;
	case 12:
		R(connect(x.fresh, (struct sockaddr *)&a, (socklen_t)INT_MAX));
		break;
	case 13:
		R(connect(x.fresh, (struct sockaddr *)&a, (socklen_t)-1));
		break;
	case 14:
		/* The family readable, the rest of the address not. */
		memcpy(x.edge4, &a, 4);
		R(connect(x.fresh, (struct sockaddr *)x.edge4, sizeof a));
		break;
	case 15:
		R(connect(x.c, (struct sockaddr *)&a, sizeof a));
		break;
	case 16: {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		strcpy(un.sun_path, "/nonexistent/hdiff.sock");
		int u = socket(AF_UNIX, SOCK_STREAM, 0);
		R(connect(u, (struct sockaddr *)&un, sizeof un));
		break;
	}
	case 17: {
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
		R(connect(x.fresh, (struct sockaddr *)&a6, sizeof a6));
		break;
	}
	case 18: {
		/* A datagram socket dissolving an association it never had. */
		struct sockaddr unspec = { .sa_family = AF_UNSPEC };
		R(connect(x.uu, &unspec, sizeof unspec));
		break;
	}
	case 19: {
		struct sockaddr_in o = sin_other_port();
		R(connect(x.uu, (struct sockaddr *)&o, 3));
		break;
	}
	case 20: {
		/* A success leaves errno alone: libc sets it only on failure. */
		errno = EDOM;
		long r = connect(x.uu, (struct sockaddr *)&x.ud_addr, sizeof x.ud_addr);
		int e = errno;
		res(r, e, "errno after %s", tn_errname(e));
		break;
	}
	}
}

static void c_accept(int k)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	switch (k) {
	case 0:
		R(accept(-1, NULL, NULL));
		break;
	case 1:
		R(accept(BIG_FD, NULL, NULL));
		break;
	case 2:
		R(accept(x.pr, NULL, NULL));
		break;
	case 3:
		R(accept(x.fresh, NULL, NULL));
		break;
	case 4:
		R(accept(x.l0, NULL, NULL));
		break;
	case 5:
		R(accept(x.l, (struct sockaddr *)x.bad, &len));
		break;
	case 6:
		R(accept(x.l, (struct sockaddr *)&ss, NULL));
		break;
	case 7:
		len = (socklen_t)-1;
		RX(accept(x.l, (struct sockaddr *)&ss, &len), "len=%d", (int)len);
		break;
	case 8:
		R(accept(x.l, (struct sockaddr *)&ss, (socklen_t *)x.bad));
		break;
	case 9:
		len = 2;
		RX(accept(x.l, (struct sockaddr *)&ss, &len), "len=%u family=%d", (unsigned)len, ss.ss_family);
		break;
	case 10:
		len = 0;
		RX(accept(x.l, NULL, &len), "len=%u", (unsigned)len);
		break;
	case 11:
		R(accept4(x.l, NULL, NULL, 0x1234));
		break;
	case 12:
		R(accept(x.uu, NULL, NULL));
		break;
	case 13:
		R(accept4(x.l, (struct sockaddr *)x.edge4, &len, 0));
		break;
	case 14:
		R(accept4(x.l, (struct sockaddr *)x.bad, &len, SOCK_CLOEXEC));
		break;
	case 15:
		R(accept(x.dn, NULL, NULL));
		break;
	case 16:
		len = 0;
		RX(accept(x.l, (struct sockaddr *)&ss, &len), "len=%u", (unsigned)len);
		break;
	}
}

static void c_bind(int k)
{
	struct sockaddr_in a = sin_lo();
	a.sin_port = 0;
	struct sockaddr weird = { .sa_family = 12345 };
	switch (k) {
	case 0:
		R(bind(-1, (struct sockaddr *)&a, sizeof a));
		break;
	case 1:
		R(bind(x.pw, (struct sockaddr *)&a, sizeof a));
		break;
	case 2:
		R(bind(x.fresh, NULL, sizeof a));
		break;
	case 3:
		R(bind(x.fresh, (struct sockaddr *)x.bad, sizeof a));
		break;
	case 4:
		R(bind(x.fresh, (struct sockaddr *)&a, 3));
		break;
	case 5:
		R(bind(x.fresh, &weird, sizeof weird));
		break;
	case 6:
		inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
		R(bind(x.fresh, (struct sockaddr *)&a, sizeof a));
		break;
	case 7:
		R(bind(x.l, (struct sockaddr *)&a, sizeof a));
		break;
	case 8: {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		strcpy(un.sun_path, "/nonexistent/hdiff.sock");
		int u = socket(AF_UNIX, SOCK_STREAM, 0);
		R(bind(u, (struct sockaddr *)&un, sizeof un));
		break;
	}
	case 9:
		memcpy(x.edge4, &a, 4);
		R(bind(x.fresh, (struct sockaddr *)x.edge4, sizeof a));
		break;
	case 10:
		R(bind(x.fresh, (struct sockaddr *)&a, (socklen_t)-1));
		break;
	case 11:
		R(bind(BIG_FD, (struct sockaddr *)&a, sizeof a));
		break;
	}
}

static void c_listen(int k)
{
	switch (k) {
	case 0:
		R(listen(-1, 5));
		break;
	case 1:
		R(listen(x.pw, 5));
		break;
	case 2:
		R(listen(x.uu, 5));
		break;
	case 3:
		R(listen(x.c, 5));
		break;
	case 4:
		R(listen(BIG_FD, 5));
		break;
	case 5:
		R(listen(x.closed, 5));
		break;
	}
}

static void c_shutdown(int k)
{
	switch (k) {
	case 0:
		R(shutdown(-1, SHUT_RDWR));
		break;
	case 1:
		R(shutdown(x.c, 99));
		break;
	case 2:
		R(shutdown(x.fresh, SHUT_RDWR));
		break;
	case 3:
		R(shutdown(x.pw, SHUT_WR));
		break;
	case 4:
		R(shutdown(BIG_FD, SHUT_WR));
		break;
	case 5:
		R(shutdown(x.c, -1));
		break;
	}
}

static void c_close(int k)
{
	switch (k) {
	case 0:
		R(close(-1));
		break;
	case 1:
		R(close(x.closed));
		break;
	case 2:
		R(close(BIG_FD));
		break;
	case 3:
		R(close(INT_MIN));
		break;
	}
}

static void c_dup(int k)
{
	switch (k) {
	case 0:
		R(dup(-1));
		break;
	case 1:
		R(dup(BIG_FD));
		break;
	case 2:
		R(dup(x.closed));
		break;
	case 3:
		R(dup2(x.c, -1));
		break;
	case 4:
		R(dup2(-1, 50));
		break;
	case 5:
		R(dup2(x.c, BIG_FD));
		break;
	case 6:
		R(dup2(x.c, x.c));
		break;
	case 7:
		R(dup2(x.closed, x.closed));
		break;
	case 8:
		R(dup3(x.c, x.c, 0));
		break;
	case 9:
		R(dup3(x.c, 50, 0x1234));
		break;
	case 10:
		R(dup3(-1, 50, 0));
		break;
	case 11:
		R(fcntl(x.c, F_DUPFD, -1));
		break;
	case 12:
		R(fcntl(x.c, F_DUPFD, BIG_FD));
		break;
	case 13:
		R(fcntl(-1, F_DUPFD, 0));
		break;
	case 14:
		R(fcntl(x.c, F_DUPFD_CLOEXEC, BIG_FD));
		break;
	case 15:
		R(fcntl(x.closed, F_DUPFD_CLOEXEC, 0));
		break;
#ifdef HAVE_FCNTL64
	case 16:
		R(fcntl64(x.c, F_DUPFD, -1));
		break;
	case 17:
		R(fcntl64(-1, F_DUPFD_CLOEXEC, 0));
		break;
#endif
	case 18:
		R(fcntl(x.c, 12345, 0));
		break;
	case 19:
		R(dup2(x.c, INT_MAX));
		break;
	}
}

static void c_send(int k)
{
	struct sockaddr_in a = x.ud_addr;
	struct sockaddr weird = { .sa_family = 12345 };
	switch (k) {
	case 0:
		R(send(-1, "x", 1, 0));
		break;
	case 1:
		R(send(x.closed, "x", 1, 0));
		break;
	case 2:
		R(send(BIG_FD, "x", 1, 0));
		break;
	case 3:
		R(send(x.pw, "x", 1, 0));
		break;
	case 4:
		R(send(x.dn, "x", 1, 0));
		break;
	case 5:
		R(send(x.c, nil, 10, 0));
		break;
	case 6:
		R(send(x.c, x.bad, 10, 0));
		break;
	case 7:
		R(send(x.c, NULL, 0, 0));
		break;
	case 8:
		R(send(x.u0, "x", 1, MSG_OOB));
		break;
	/* 16 readable bytes, then the unmapped page: TCP takes the 16. */
	case 9:
		R(send(x.c, x.edge, SIZE_MAX, MSG_NOSIGNAL));
		break;
	case 10:
		R(send(x.u0, x.edge, 64, 0));
		break;
	case 11:
		R(send(x.fresh, "x", 1, MSG_NOSIGNAL));
		break;
	case 12:
		R(sendto(x.uu, "x", 1, 0, NULL, 0));
		break;
	case 13:
		R(sendto(x.uu, "x", 1, 0, (struct sockaddr *)&a, 3));
		break;
	case 14:
		R(sendto(x.uu, "x", 1, 0, (struct sockaddr *)x.bad, sizeof a));
		break;
	case 15:
		R(sendto(x.uu, "x", 1, 0, &weird, sizeof weird));
		break;
	case 16:
		R(sendto(x.uu, x.buf, 70000, 0, (struct sockaddr *)&a, sizeof a));
		break;
	case 17:
		memcpy(x.edge4, &a, 4);
		R(sendto(x.uu, "x", 1, 0, (struct sockaddr *)x.edge4, sizeof a));
		break;
	case 18:
		R(sendto(x.uu, NULL, 1, 0, (struct sockaddr *)&a, sizeof a));
		break;
	case 19:
		R(sendto(x.uu, "x", 1, 0, (struct sockaddr *)&a, (socklen_t)-1));
		break;
	case 20:
		R(sendto(x.c, "x", 1, 0, (struct sockaddr *)x.bad, sizeof a));
		break;
	case 21:
		R(send(x.c, "x", 1, 0x7fff0000));
		break;
	/* The last 4 bytes of the main stack's mapping, then nothing. */
	case 22:
		R(sendto(x.uu, "x", 1, 0, x.stack_end ? (struct sockaddr *)(x.stack_end - 4) : NULL, sizeof a));
		break;
	/* Far below the stack, where it has not grown (and may not: 32 MiB). */
	case 23:
		R(sendto(x.uu, "x", 1, 0, (struct sockaddr *)((uintptr_t)&a - (32u << 20)), sizeof a));
		break;
	/* One byte over the largest IPv4 datagram; the largest; the largest
	 * with its last byte unmapped. */
	case 24:
		R(sendto(x.uu, x.buf, 65508, 0, (struct sockaddr *)&a, sizeof a));
		break;
	case 25:
		R(sendto(x.uu, x.buf, 65507, 0, (struct sockaddr *)&a, sizeof a));
		break;
	case 26:
		R(sendto(x.uu, x.edge, 17, 0, (struct sockaddr *)&a, sizeof a));
		break;
	case 27:
		R(sendto(x.uu, "x", 1, MSG_OOB, (struct sockaddr *)&a, sizeof a));
		break;
	}
}

static void c_sendmsg(int k)
{
	struct iovec v = { (void *)"x", 1 };
	struct msghdr m = { 0 };
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	struct sockaddr_in a = x.ud_addr;
	/* An iovec array of one, at the end of the mapping. */
	struct iovec *last = (struct iovec *)(x.bad - sizeof(struct iovec));
	last->iov_base = (void *)"y";
	last->iov_len = 1;
	switch (k) {
	case 0:
		R(sendmsg(x.c, NULL, 0));
		break;
	case 1:
		R(sendmsg(x.c, (struct msghdr *)x.bad, 0));
		break;
	case 2:
		m.msg_iov = NULL;
		m.msg_iovlen = 3;
		R(sendmsg(x.c, &m, 0));
		break;
	case 3:
		m.msg_iovlen = 1025;
		R(sendmsg(x.c, &m, 0));
		break;
	case 4:
		m.msg_iov = (struct iovec *)x.bad;
		R(sendmsg(x.c, &m, 0));
		break;
	case 5:
		m.msg_iov = last;
		m.msg_iovlen = 1025;
		R(sendmsg(x.c, &m, 0));
		break;
	case 6:
		m.msg_iov = last;
		m.msg_iovlen = 2;
		R(sendmsg(x.c, &m, 0));
		break;
	case 7:
		m.msg_name = x.bad;
		m.msg_namelen = sizeof a;
		R(sendmsg(x.uu, &m, 0));
		break;
	case 8:
		m.msg_name = &a;
		m.msg_namelen = 3;
		R(sendmsg(x.uu, &m, 0));
		break;
	case 9:
		m.msg_control = x.bad;
		m.msg_controllen = 64;
		R(sendmsg(x.c, &m, 0));
		break;
	case 10:
		v.iov_base = NULL;
		v.iov_len = 10;
		R(sendmsg(x.c, &m, 0));
		break;
	case 11:
		R(sendmsg(-1, &m, 0));
		break;
	case 12:
		R(sendmsg(x.pw, &m, 0));
		break;
	/* -1: all ones in the field's own type, size_t on glibc, int on musl
	 * (padded to 64 bits there, so the kernel sees 0xffffffff): too many
	 * iovecs either way. (size_t)-1 would not fit musl's int. */
	case 13:
		m.msg_iovlen = -1;
		R(sendmsg(x.c, &m, 0));
		break;
	case 14:
		v.iov_len = SIZE_MAX;
		R(sendmsg(x.c, &m, MSG_NOSIGNAL));
		break;
	case 15:
		R(sendmsg(BIG_FD, &m, 0));
		break;
	}
}

static void c_sendmmsg(int k)
{
	struct iovec v = { (void *)"x", 1 };
	struct mmsghdr vec[2];
	memset(vec, 0, sizeof vec);
	vec[0].msg_hdr.msg_iov = &v;
	vec[0].msg_hdr.msg_iovlen = 1;
	vec[1] = vec[0];
	struct sockaddr_in a = x.ud_addr;
	switch (k) {
	case 0:
		R(sendmmsg(x.uu, NULL, 1, 0));
		break;
	case 1:
		R(sendmmsg(x.uu, (struct mmsghdr *)x.bad, 1, 0));
		break;
	case 2:
		R(sendmmsg(x.c, vec, 0, 0));
		break;
	case 3:
		vec[0].msg_hdr.msg_iov = NULL;
		vec[0].msg_hdr.msg_iovlen = 3;
		R(sendmmsg(x.c, vec, 1, 0));
		break;
	case 4:
		R(sendmmsg(-1, vec, 1, 0));
		break;
	case 5:
		R(sendmmsg(x.pw, vec, 1, 0));
		break;
	case 6:
		vec[0].msg_hdr.msg_iovlen = 1025;
		R(sendmmsg(x.c, vec, 1, 0));
		break;
	case 7:
		vec[0].msg_hdr.msg_name = x.bad;
		vec[0].msg_hdr.msg_namelen = sizeof a;
		R(sendmmsg(x.uu, vec, 1, 0));
		break;
	case 8:
		R(sendmmsg(x.uu, vec, 1, 0));
		break;
	/* Two messages, the second one's name unreadable: one is sent. */
	case 9:
		vec[0].msg_hdr.msg_name = &a;
		vec[0].msg_hdr.msg_namelen = sizeof a;
		vec[1].msg_hdr.msg_name = x.bad;
		vec[1].msg_hdr.msg_namelen = sizeof a;
		RX(sendmmsg(x.uu, vec, 2, 0), "len0=%u", vec[0].msg_len);
		break;
	case 10:
		R(sendmmsg(x.c, vec, 2, 0x7fff0000));
		break;
	}
}

static void c_write(int k)
{
	struct iovec v[2] = { { (void *)"x", 1 }, { (void *)"y", 1 } };
	struct iovec *last = (struct iovec *)(x.bad - sizeof(struct iovec));
	last->iov_base = (void *)"y";
	last->iov_len = 1;
	switch (k) {
	case 0:
		R(write(-1, "x", 1));
		break;
	case 1:
		R(write(x.closed, "x", 1));
		break;
	case 2:
		R(write(BIG_FD, "x", 1));
		break;
	case 3:
		R(write(x.c, nil, 10));
		break;
	case 4:
		R(write(x.c, x.bad, 10));
		break;
	case 5:
		R(write(x.pr, "x", 1));
		break;
	case 6:
		R(write(x.c, x.edge, tn_opaque(SIZE_MAX)));
		break;
	case 7:
		R(write(x.fresh, "x", 1));
		break;
	case 8:
		R(writev(x.c, nil, 3));
		break;
	case 9:
		R(writev(x.c, v, minus1));
		break;
	case 10:
		R(writev(x.c, v, n1025));
		break;
	case 11:
		R(writev(x.c, last, n1025));
		break;
	case 12:
		R(writev(x.c, last, 2));
		break;
	case 13:
		v[0].iov_base = NULL;
		v[0].iov_len = 10;
		R(writev(x.c, v, 1));
		break;
	case 14:
		R(writev(x.c, (struct iovec *)x.bad, 1));
		break;
	case 15:
		R(writev(-1, v, 1));
		break;
	case 16:
		R(writev(x.pr, v, 1));
		break;
	case 17:
		R(writev(x.c, v, 0));
		break;
	case 18:
		v[0].iov_len = SSIZE_MAX;
		v[1].iov_len = SSIZE_MAX;
		R(writev(x.c, v, 2));
		break;
	case 19:
		R(write(x.dn, nil, 10));
		break;
	case 20:
		R(write(x.u0, x.bad, 10));
		break;
	}
}

static void c_recv(int k)
{
	char b[16] = "";
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	switch (k) {
	case 0:
		R(recv(x.u0, nil, 10, 0));
		break;
	case 1:
		R(recv(x.u0, x.bad, 10, 0));
		break;
	case 2:
		R(recv(-1, b, sizeof b, 0));
		break;
	case 3:
		R(recv(x.pr, b, sizeof b, MSG_DONTWAIT));
		break;
	case 4:
		R(recv(x.l, b, sizeof b, MSG_DONTWAIT));
		break;
	case 5:
		R(recv(x.fresh, b, sizeof b, MSG_DONTWAIT));
		break;
	case 6:
		R(recv(BIG_FD, b, sizeof b, 0));
		break;
	case 7:
		R(recv(x.u0, x.edge, 64, 0));
		break;
	case 8:
		R(recv(x.u0, b, sizeof b, MSG_ERRQUEUE));
		break;
	case 9:
		RX(recvfrom(x.ud, b, sizeof b, 0, (struct sockaddr *)&ss, (socklen_t *)x.bad), "b=%.5s", b);
		break;
	case 10:
		len = (socklen_t)-1;
		RX(recvfrom(x.ud, b, sizeof b, 0, (struct sockaddr *)&ss, &len), "len=%d", (int)len);
		break;
	case 11:
		R(recvfrom(x.ud, b, sizeof b, 0, (struct sockaddr *)x.bad, &len));
		break;
	case 12:
		RX(recvfrom(x.ud, b, sizeof b, 0, (struct sockaddr *)&ss, NULL), "b=%.5s", b);
		break;
	case 13:
		len = 2;
		RX(recvfrom(x.ud, b, sizeof b, 0, (struct sockaddr *)&ss, &len), "len=%u", (unsigned)len);
		break;
	case 14:
		R(recvfrom(x.ud, nil, 10, 0, NULL, NULL));
		break;
	case 15:
		R(recvfrom(x.pr, b, sizeof b, MSG_DONTWAIT, NULL, NULL));
		break;
	case 16:
		RX(recv(x.ud, b, 2, MSG_TRUNC), "b=%.2s", b);
		break;
	case 17:
		R(recv(x.c, b, sizeof b, MSG_OOB));
		break;
	case 18:
		RX(recvfrom(x.ud, b, sizeof b, 0, (struct sockaddr *)x.edge4, &len), "len=%u", (unsigned)len);
		break;
	}
}

static void c_recvmsg(int k)
{
	char b[16] = "";
	struct iovec v = { b, sizeof b };
	struct msghdr m = { 0 };
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	struct iovec *last = (struct iovec *)(x.bad - sizeof(struct iovec));
	last->iov_base = b;
	last->iov_len = 1;
	switch (k) {
	case 0:
		R(recvmsg(x.u0, NULL, 0));
		break;
	case 1:
		R(recvmsg(x.u0, (struct msghdr *)x.bad, 0));
		break;
	case 2:
		m.msg_iov = NULL;
		m.msg_iovlen = 3;
		R(recvmsg(x.u0, &m, 0));
		break;
	case 3:
		m.msg_iovlen = 1025;
		R(recvmsg(x.u0, &m, 0));
		break;
	case 4:
		m.msg_iov = last;
		m.msg_iovlen = 1025;
		R(recvmsg(x.u0, &m, 0));
		break;
	case 5:
		m.msg_iov = last;
		m.msg_iovlen = 2;
		RX(recvmsg(x.u0, &m, 0), "b=%.1s", b);
		break;
	case 6:
		m.msg_name = x.bad;
		m.msg_namelen = 16;
		RX(recvmsg(x.ud, &m, 0), "namelen=%u", (unsigned)m.msg_namelen);
		break;
	case 7:
		m.msg_control = x.bad;
		m.msg_controllen = 64;
		RX(recvmsg(x.u0, &m, 0), "flags=%d", m.msg_flags);
		break;
	case 8:
		v.iov_base = NULL;
		v.iov_len = 10;
		R(recvmsg(x.u0, &m, 0));
		break;
	case 9:
		R(recvmsg(-1, &m, 0));
		break;
	case 10:
		R(recvmsg(x.pr, &m, MSG_DONTWAIT));
		break;
	case 11:
		m.msg_iov = (struct iovec *)x.bad;
		R(recvmsg(x.u0, &m, 0));
		break;
	/* -1: as in c_sendmsg. */
	case 12:
		m.msg_iovlen = -1;
		R(recvmsg(x.u0, &m, 0));
		break;
	case 13:
		R(recvmsg(x.l, &m, MSG_DONTWAIT));
		break;
	}
}

static void c_recvmmsg(int k)
{
	char b[16] = "";
	struct iovec v = { b, sizeof b };
	struct mmsghdr vec[2];
	memset(vec, 0, sizeof vec);
	vec[0].msg_hdr.msg_iov = &v;
	vec[0].msg_hdr.msg_iovlen = 1;
	struct timespec ts = { 0, 1000000 };
	switch (k) {
	case 0:
		R(recvmmsg(x.ud, NULL, 1, MSG_DONTWAIT, NULL));
		break;
	case 1:
		R(recvmmsg(x.ud, (struct mmsghdr *)x.bad, 1, MSG_DONTWAIT, NULL));
		break;
	case 2:
		R(recvmmsg(x.ud, vec, 1, MSG_DONTWAIT, (struct timespec *)x.bad));
		break;
	case 3:
		R(recvmmsg(x.ud, vec, 0, MSG_DONTWAIT, NULL));
		break;
	case 4:
		vec[0].msg_hdr.msg_iov = NULL;
		vec[0].msg_hdr.msg_iovlen = 3;
		R(recvmmsg(x.ud, vec, 1, MSG_DONTWAIT, NULL));
		break;
	case 5:
		R(recvmmsg(-1, vec, 1, 0, NULL));
		break;
	case 6:
		R(recvmmsg(x.pr, vec, 1, MSG_DONTWAIT, NULL));
		break;
	case 7:
		ts.tv_nsec = -1;
		R(recvmmsg(x.ud, vec, 1, 0, &ts));
		break;
	case 8:
		vec[0].msg_hdr.msg_iovlen = 1025;
		R(recvmmsg(x.ud, vec, 1, MSG_DONTWAIT, NULL));
		break;
	case 9:
		vec[0].msg_hdr.msg_name = x.bad;
		vec[0].msg_hdr.msg_namelen = 16;
		R(recvmmsg(x.ud, vec, 1, MSG_DONTWAIT, NULL));
		break;
	}
}

static void c_read(int k)
{
	char b[16] = "";
	struct iovec v[2] = { { b, 8 }, { b + 8, 8 } };
	struct iovec *last = (struct iovec *)(x.bad - sizeof(struct iovec));
	last->iov_base = b;
	last->iov_len = 1;
	switch (k) {
	case 0:
		R(read(x.u0, nil, 10));
		break;
	case 1:
		R(read(x.u0, x.bad, 10));
		break;
	case 2:
		R(read(-1, b, sizeof b));
		break;
	case 3:
		R(read(BIG_FD, b, sizeof b));
		break;
	case 4:
		R(read(x.pw, b, sizeof b));
		break;
	case 5:
		R(read(x.l, b, sizeof b));
		break;
	case 6:
		R(read(x.u0, x.edge, 64));
		break;
	case 7:
		R(readv(x.u0, nil, 3));
		break;
	case 8:
		R(readv(x.u0, v, minus1));
		break;
	case 9:
		R(readv(x.u0, v, n1025));
		break;
	case 10:
		R(readv(x.u0, last, n1025));
		break;
	case 11:
		RX(readv(x.u0, last, 2), "b=%.1s", b);
		break;
	case 12:
		v[0].iov_base = NULL;
		v[0].iov_len = 10;
		R(readv(x.u0, v, 1));
		break;
	case 13:
		R(readv(x.u0, (struct iovec *)x.bad, 1));
		break;
	case 14:
		R(readv(-1, v, 1));
		break;
	case 15:
		R(read(x.closed, b, 1));
		break;
	case 16:
		R(readv(x.fresh, v, 2));
		break;
	case 17:
		R(read(x.dn, nil, 10));
		break;
	}
}

static void c_getsockopt(int k)
{
	int v = -1;
	socklen_t len = sizeof v;
	switch (k) {
	case 0:
		R(getsockopt(x.c, SOL_SOCKET, SO_ERROR, NULL, &len));
		break;
	case 1:
		R(getsockopt(x.c, SOL_SOCKET, SO_ERROR, &v, NULL));
		break;
	case 2:
		R(getsockopt(x.c, SOL_SOCKET, SO_ERROR, &v, (socklen_t *)x.bad));
		break;
	case 3:
		R(getsockopt(x.c, SOL_SOCKET, SO_ERROR, x.bad, &len));
		break;
	case 4:
		len = (socklen_t)-1;
		RX(getsockopt(x.c, SOL_SOCKET, SO_ERROR, &v, &len), "len=%d", (int)len);
		break;
	case 5:
		len = 1;
		RX(getsockopt(x.c, SOL_SOCKET, SO_ERROR, &v, &len), "len=%u", (unsigned)len);
		break;
	case 6:
		len = 0;
		RX(getsockopt(x.c, SOL_SOCKET, SO_ERROR, &v, &len), "len=%u v=%d", (unsigned)len, v);
		break;
	case 7:
		R(getsockopt(x.pw, SOL_SOCKET, SO_ERROR, &v, &len));
		break;
	case 8:
		R(getsockopt(-1, SOL_SOCKET, SO_ERROR, &v, &len));
		break;
	case 9:
		R(getsockopt(x.c, 12345, SO_ERROR, &v, &len));
		break;
	case 10:
		R(getsockopt(x.c, SOL_SOCKET, 12345, &v, &len));
		break;
	case 11:
		RX(getsockopt(x.u0, SOL_SOCKET, SO_ERROR, &v, &len), "v=%d", v);
		break;
	case 12:
		R(getsockopt(BIG_FD, SOL_SOCKET, SO_ERROR, &v, &len));
		break;
	case 13:
		R(getsockopt(x.c, SOL_SOCKET, SO_ERROR, x.edge4 + 2, &len));
		break;
	}
}

static void c_getpeername(int k)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	switch (k) {
	case 0:
		R(getpeername(x.c, NULL, &len));
		break;
	case 1:
		R(getpeername(x.c, (struct sockaddr *)&ss, NULL));
		break;
	case 2:
		R(getpeername(x.c, (struct sockaddr *)x.bad, &len));
		break;
	case 3:
		R(getpeername(x.c, (struct sockaddr *)&ss, (socklen_t *)x.bad));
		break;
	case 4:
		len = (socklen_t)-1;
		RX(getpeername(x.c, (struct sockaddr *)&ss, &len), "len=%d", (int)len);
		break;
	case 5:
		len = 2;
		RX(getpeername(x.c, (struct sockaddr *)&ss, &len), "len=%u family=%d", (unsigned)len, ss.ss_family);
		break;
	case 6:
		R(getpeername(x.fresh, (struct sockaddr *)&ss, &len));
		break;
	case 7:
		R(getpeername(x.pw, (struct sockaddr *)&ss, &len));
		break;
	case 8:
		R(getpeername(-1, (struct sockaddr *)&ss, &len));
		break;
	case 9:
		R(getpeername(x.l, (struct sockaddr *)&ss, &len));
		break;
	case 10:
		RX(getpeername(x.u0, (struct sockaddr *)&ss, &len), "len=%u", (unsigned)len);
		break;
	case 11:
		R(getpeername(x.c, (struct sockaddr *)x.edge4, &len));
		break;
	case 12:
		R(getpeername(BIG_FD, (struct sockaddr *)&ss, &len));
		break;
	}
}

static void c_ranges(int k)
{
	switch (k) {
#ifdef HAVE_CLOSE_RANGE
	case 0:
		R(close_range(60, 50, 0));
		break;
	case 1:
		R(close_range(50, 60, 0x80));
		break;
	case 2:
		R(close_range(~0U, ~0U, 0));
		break;
#endif
	default:
		break;
	}
}

static void c_chk(int k)
{
	char b[16] = "";
	socklen_t len = 16;
	(void)b, (void)len;
	switch (k) {
#ifdef HAVE___RECV_CHK
	case 0:
		R(__recv_chk(x.u0, nil, 10, 10, 0));
		break;
	case 1:
		R(__recv_chk(-1, b, sizeof b, sizeof b, 0));
		break;
#endif
#ifdef HAVE___RECVFROM_CHK
	case 2:
		R(__recvfrom_chk(x.ud, b, sizeof b, sizeof b, 0, (struct sockaddr *)x.bad, &len));
		break;
	case 3:
		R(__recvfrom_chk(x.pr, b, sizeof b, sizeof b, MSG_DONTWAIT, NULL, NULL));
		break;
#endif
#ifdef HAVE___READ_CHK
	case 4:
		R(__read_chk(x.u0, x.bad, 10, 10));
		break;
	case 5:
		R(__read_chk(BIG_FD, b, sizeof b, sizeof b));
		break;
#endif
	default:
		break;
	}
}

/* Non-socket descriptors through the data calls: one table look-up, the
 * kernel's answer. */
static void c_plain(int k)
{
	char b[4] = "";
	switch (k) {
	case 0:
		R(write(x.pw, "p", 1));
		break;
	case 1:
		R(write(x.dn, "d", 1));
		break;
	case 2:
		R(read(x.dn, b, sizeof b));
		break;
	case 3:
		tn_set_nonblocking(x.pr, 1);
		R(read(x.pr, b, sizeof b));
		break;
	}
}

static const struct group {
	const char *name;
	void (*fn)(int k);
	int n;
} groups[] = {
	{ "socket", c_socket, 7 },
	{ "socketpair", c_socketpair, 6 },
	{ "connect", c_connect, 21 },
	{ "accept", c_accept, 17 },
	{ "bind", c_bind, 12 },
	{ "listen", c_listen, 6 },
	{ "shutdown", c_shutdown, 6 },
	{ "close", c_close, 4 },
	{ "dup", c_dup, 20 },
	{ "send", c_send, 28 },
	{ "sendmsg", c_sendmsg, 16 },
	{ "sendmmsg", c_sendmmsg, 11 },
	{ "write", c_write, 21 },
	{ "recv", c_recv, 19 },
	{ "recvmsg", c_recvmsg, 14 },
	{ "recvmmsg", c_recvmmsg, 10 },
	{ "read", c_read, 18 },
	{ "getsockopt", c_getsockopt, 14 },
	{ "getpeername", c_getpeername, 13 },
	{ "ranges", c_ranges, 3 },
	{ "chk", c_chk, 6 },
	{ "plain", c_plain, 4 },
};

static int run_case(const struct group *g, int k)
{
	char name[64];
	snprintf(name, sizeof name, "%s.%d", g->name, k);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		tn_setup_fail("fork");
	if (pid == 0) {
		/* A broken pipe is an answer (EPIPE), not the end of the case. */
		signal(SIGPIPE, SIG_IGN);
		name_now = name;
		setup();
		g->fn(k);
		fflush(stdout);
		_exit(0);
	}
	int st;
	double end = tn_now_ms() + 10000;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (tn_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("%s: hung\n", name);
			return 1;
		}
		tn_sleep_ms(1);
	}
	if (WIFSIGNALED(st)) {
		printf("%s: killed by signal %d\n", name, WTERMSIG(st));
		return 1;
	}
	if (WEXITSTATUS(st) != 0) {
		printf("%s: exit %d\n", name, WEXITSTATUS(st));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	tn_init();
	const char *only = argc > 1 ? argv[1] : NULL;
	int cases = 0;
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		const struct group *g = &groups[i];
		for (int k = 0; k < g->n; k++) {
			char name[64];
			snprintf(name, sizeof name, "%s.%d", g->name, k);
			if (only && strncmp(name, only, strlen(only)) != 0)
				continue;
			run_case(g, k);
			cases++;
		}
	}
	printf("cases: %d\n", cases);
	return 0;
}
