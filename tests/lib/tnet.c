#include "tnet.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int tn_failures;

void tn_init(void)
{
	/* Line buffering: the output survives a kill, and a fork does not
	 * print the parent's pending lines twice. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
}

int tn_exit_status(void)
{
	return tn_failures ? TN_EXIT_UNEXPECTED : 0;
}

/* Our own table: the names must not depend on the libc version. */
#define E(n)          \
	{             \
		n, #n \
	}
static const struct {
	int num;
	const char *name;
} errnames[] = {
	E(EPERM),	 E(ENOENT),	     E(EINTR),		 E(EIO),	  E(ENXIO),
	E(EBADF),	 E(EAGAIN),	     E(ENOMEM),		 E(EACCES),	  E(EFAULT),
	E(EBUSY),	 E(EEXIST),	     E(ENODEV),		 E(EINVAL),	  E(ENFILE),
	E(EMFILE),	 E(ENOSPC),	     E(EPIPE),		 E(ERANGE),	  E(EDOM),
	E(ENOSYS),	 E(ENOTSOCK),	     E(EDESTADDRREQ),	 E(EMSGSIZE),	  E(EPROTOTYPE),
	E(ENOPROTOOPT),	 E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),	  E(EPFNOSUPPORT),
	E(EAFNOSUPPORT), E(EADDRINUSE),	     E(EADDRNOTAVAIL),	 E(ENETDOWN),	  E(ENETUNREACH),
	E(ENETRESET),	 E(ECONNABORTED),    E(ECONNRESET),	 E(ENOBUFS),	  E(EISCONN),
	E(ENOTCONN),	 E(ESHUTDOWN),	     E(ETIMEDOUT),	 E(ECONNREFUSED), E(EHOSTDOWN),
	E(EHOSTUNREACH), E(EALREADY),	     E(EINPROGRESS),	 E(ECANCELED),	  E(EPROTO),
	E(ELOOP),	 E(ENAMETOOLONG),    E(ENOTDIR),	 E(EISDIR),	  E(EROFS),
	E(ETXTBSY),	 E(ENOTTY),
};
#undef E

const char *tn_errname(int err)
{
	static __thread char buf[24];
	for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (errnames[i].num == err)
			return errnames[i].name;
	snprintf(buf, sizeof buf, "E#%d", err);
	return buf;
}

int tn_errnum(const char *name)
{
	for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (strcmp(errnames[i].name, name) == 0)
			return errnames[i].num;
	if (strncmp(name, "E#", 2) == 0)
		return atoi(name + 2);
	return -1;
}

void tn_setup_fail(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	fputs("SETUP FAILED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno %s)\n", tn_errname(err));
	fflush(stdout);
	exit(TN_EXIT_SETUP);
}

void tn_unexpected(const char *fmt, ...)
{
	va_list ap;
	fputs("UNEXPECTED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	tn_failures++;
}

void tn_loopback(struct tn_addr *a, int family, int port)
{
	memset(a, 0, sizeof *a);
	a->family = family;
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = htons((uint16_t)port);
		a->len = sizeof *in6;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons((uint16_t)port);
		a->len = sizeof *in;
	}
}

int tn_parse_addr(const char *spec, struct tn_addr *a)
{
	memset(a, 0, sizeof *a);
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
		const char *path = spec + 5;
		size_t n = strlen(path);
		if (n == 0 || n >= sizeof un->sun_path)
			return -1;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, n);
		if (path[0] == '@')
			un->sun_path[0] = '\0';
		a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@'));
		a->family = AF_UNIX;
		return 0;
	}
	char host[64];
	const char *colon;
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host)
			return -1;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof host)
			return -1;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	int port = atoi(colon + 1);
	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		a->len = sizeof *in;
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		a->len = sizeof *in6;
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

int tn_addr_port(const struct tn_addr *a)
{
	if (a->family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

void tn_set_port(struct tn_addr *a, int port)
{
	if (a->family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
	else if (a->family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
}

int tn_bind_listen(struct tn_addr *a, int type)
{
	int fd = socket(a->family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	if (a->family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (a->family != AF_UNIX) {
		socklen_t len = sizeof a->ss;
		getsockname(fd, (struct sockaddr *)&a->ss, &len);
		a->len = len;
	}
	return fd;
}

int tn_connect(const struct tn_addr *a, int type)
{
	int fd = socket(a->family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int tn_local_port(int fd)
{
	struct tn_addr a;
	memset(&a, 0, sizeof a);
	socklen_t len = sizeof a.ss;
	if (getsockname(fd, (struct sockaddr *)&a.ss, &len) < 0)
		return -1;
	a.family = a.ss.ss_family;
	return tn_addr_port(&a);
}

int tn_wait(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	double end = tn_now_ms() + ms;
	for (;;) {
		int left = (int)(end - tn_now_ms());
		int r = poll(&p, 1, left > 0 ? left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		return r ? p.revents : 0;
	}
}

int tn_set_nonblocking(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

ssize_t tn_send_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t tn_recv_wait(int fd, void *buf, size_t len, int ms)
{
	int ev = tn_wait(fd, POLLIN, ms);
	if (ev == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return recv(fd, buf, len, MSG_DONTWAIT);
}

size_t tn_recv_exact(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;
	double end = tn_now_ms() + ms;
	while (got < len) {
		int left = (int)(end - tn_now_ms());
		if (left <= 0)
			break;
		ssize_t r = tn_recv_wait(fd, (char *)buf + got, len - got, left);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

const char *tn_outcome(long ret, int err)
{
	return ret < 0 ? tn_errname(err) : "ok";
}

void tn_report(const char *what, long ret, int err)
{
	if (ret < 0)
		printf("%s = %ld %s\n", what, ret, tn_errname(err));
	else
		printf("%s = %ld\n", what, ret);
}

int tn_check(const char *what, long ret, int err, const char *expect)
{
	tn_report(what, ret, err);
	if (!expect || strcmp(expect, "any") == 0)
		return 1;
	int ok;
	if (strcmp(expect, "ok") == 0)
		ok = ret >= 0;
	else
		ok = ret < 0 && strcmp(tn_errname(err), expect) == 0;
	if (!ok)
		tn_unexpected("%s: expected %s, got %s", what, expect, tn_outcome(ret, err));
	return ok;
}

double tn_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void tn_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint32_t tn_fnv(uint32_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

unsigned char tn_pattern(size_t i)
{
	/* Not periodic in any small power of two: a lost or repeated slice of a
	 * short write shows in the checksum. */
	return (unsigned char)((i * 131u + (i >> 8) * 7u + 17u) & 0xff);
}

void tn_print_bytes(const void *buf, size_t len, size_t max)
{
	const unsigned char *p = buf;
	putchar('"');
	for (size_t i = 0; i < len && i < max; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	putchar('"');
	if (len > max)
		fputs("...", stdout);
}

size_t tn_opaque(size_t n)
{
	static volatile size_t v;
	v = n;
	return v;
}

int tn_have_ipv6(void)
{
	struct tn_addr a;
	tn_loopback(&a, AF_INET6, 0);
	int fd = tn_bind_listen(&a, SOCK_STREAM);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

struct tn_addr tn_addr_of(const char *spec)
{
	struct tn_addr a;
	if (tn_parse_addr(spec, &a) < 0)
		tn_setup_fail("bad address %s", spec);
	return a;
}

struct tn_addr tn_target(int argc, char **argv, int i)
{
	if (i < 1 || i >= argc)
		tn_setup_fail("%s: an address is missing (argument %d)", argv[0], i);
	return tn_addr_of(argv[i]);
}

int tn_must_connect(const struct tn_addr *a, int type)
{
	int fd = tn_connect(a, type);
	if (fd < 0)
		tn_setup_fail("connect: %s", tn_errname(errno));
	return fd;
}

int tn_wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0)
		tn_setup_fail("waitpid: %s", tn_errname(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tn_run_cmd(const struct tn_cmd *cmds, size_t n, int argc, char **argv, void (*usage)(void))
{
	if (argc < 1)
		usage();
	for (size_t k = 0; k < n; k++) {
		if (strcmp(cmds[k].name, argv[0]) == 0) {
			optind = 1;
			int r = cmds[k].fn(argc, argv);
			fflush(stdout);
			return r ? r : tn_exit_status();
		}
	}
	usage();
	return TN_EXIT_SETUP;
}
