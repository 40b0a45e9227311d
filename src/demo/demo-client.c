/* demo-client: the client side of the sockfault demo.
 *
 * It connects to the demo server, sends COUNT short lines ("message 1\n",
 * ...) and waits for each echo. Before message IDLE_BEFORE it goes quiet for
 * IDLE_MS milliseconds, like a program that had nothing to say for a while.
 * It prints what every call returned, handles what a careful client must
 * handle, and says so:
 *   - a short write: send() took only part of the line; it sends the rest;
 *   - a dead connection (ENOTCONN, ECONNRESET, EPIPE, ...): it reconnects
 *     once and sends the same line again.
 *
 *   demo-client --port N [--host ADDR] [--count N] [--idle-before N]
 *               [--idle-ms MS] [--expect ERRNO]
 *
 * Exit status: 0 when every line was echoed and the faults seen were the
 * expected ones (with --expect ENOTCONN: that error was seen; without
 * --expect: no error at all), 1 otherwise, 2 for a usage error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "demo-util.h"

#define ECHO_TIMEOUT_MS 2000
#define LINE_MAX_LEN 64

/* errno names: strerrorname_np() exists in glibc only, so a small table of
 * the errors a network client meets. */
static const struct {
	int num;
	const char *name;
} errno_names[] = {
	{ ENOTCONN, "ENOTCONN" },
	{ ECONNRESET, "ECONNRESET" },
	{ ECONNREFUSED, "ECONNREFUSED" },
	{ ECONNABORTED, "ECONNABORTED" },
	{ EPIPE, "EPIPE" },
	{ ETIMEDOUT, "ETIMEDOUT" },
	{ EAGAIN, "EAGAIN" },
	{ EINTR, "EINTR" },
	{ EISCONN, "EISCONN" },
	{ EALREADY, "EALREADY" },
	{ EINPROGRESS, "EINPROGRESS" },
	{ ENETRESET, "ENETRESET" },
	{ ENETDOWN, "ENETDOWN" },
	{ ENETUNREACH, "ENETUNREACH" },
	{ EHOSTUNREACH, "EHOSTUNREACH" },
	{ EADDRINUSE, "EADDRINUSE" },
	{ EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	{ EMSGSIZE, "EMSGSIZE" },
	{ ENOBUFS, "ENOBUFS" },
	{ EBADF, "EBADF" },
	{ EINVAL, "EINVAL" },
	{ EPROTO, "EPROTO" },
};
#define N_ERRNO_NAMES (sizeof errno_names / sizeof errno_names[0])

static const char *errno_name(int e)
{
	for (size_t i = 0; i < N_ERRNO_NAMES; i++)
		if (errno_names[i].num == e)
			return errno_names[i].name;
	return "E?";
}

/* "ENOTCONN" or "107" -> 107; -1 when unknown. */
static int errno_parse(const char *s)
{
	for (size_t i = 0; i < N_ERRNO_NAMES; i++)
		if (strcmp(errno_names[i].name, s) == 0)
			return errno_names[i].num;
	char *end;
	long n = strtol(s, &end, 10);
	return *s && !*end && n > 0 ? (int)n : -1;
}

const char *demo_who = "client";

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* What the run saw: the first error, and on which message. */
static struct {
	int first_errno;
	int first_msg;
	int errors;
} seen;

static void saw_error(int msg, int err)
{
	if (seen.errors++ == 0) {
		seen.first_errno = err;
		seen.first_msg = msg;
	}
}

static int connect_to(const char *host, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		say("not an IPv4 address: %s", host);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say("socket: -1 %s (%s)", errno_name(errno), strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		int e = errno;
		say("connect to %s:%u: -1 %s (%s)", host, port, errno_name(e), strerror(e));
		saw_error(0, e);
		close(fd);
		return -1;
	}
	say("connected to %s:%u", host, port);
	return fd;
}

/* Send one line, however many send() calls it takes. Returns 0, or -1 with
 * errno set when the connection failed. */
static int send_line(int fd, int msg, const char *line)
{
	size_t len = strlen(line), done = 0;
	while (done < len) {
		long long t0 = now_ms();
		ssize_t n = send(fd, line + done, len - done, MSG_NOSIGNAL);
		long long took = now_ms() - t0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			say("send #%d: -1 %s (%s)", msg, errno_name(e), strerror(e));
			errno = e;
			return -1;
		}
		if (n == 0) { /* cannot happen on TCP with len > 0; never loop on it */
			errno = EPROTO;
			return -1;
		}
		if (done == 0 && (size_t)n < len)
			say("send #%d: %zd of %zu bytes in %lld ms: a short write, sending the other %zu", msg, n, len,
			    took, len - (size_t)n);
		else if (done > 0)
			say("send #%d: the other %zd bytes in %lld ms", msg, n, took);
		else
			say("send #%d: %zd bytes in %lld ms", msg, n, took);
		done += (size_t)n;
	}
	return 0;
}

/* Wait (at most ECHO_TIMEOUT_MS) for the echo of one line. Returns 0, or -1
 * with errno set (ETIMEDOUT when nothing came in time). */
static int recv_echo(int fd, int msg, const char *line)
{
	char buf[LINE_MAX_LEN];
	size_t used = 0;
	long long deadline = now_ms() + ECHO_TIMEOUT_MS;
	while (used < sizeof buf && !memchr(buf, '\n', used)) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return -1;
		if (ready == 0) {
			say("echo #%d: nothing within %d ms", msg, ECHO_TIMEOUT_MS);
			errno = ETIMEDOUT;
			return -1;
		}
		ssize_t n = recv(fd, buf + used, sizeof buf - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n == 0 ? ECONNRESET : errno;
			say("echo #%d: recv %s", msg, n == 0 ? "0: the server closed the connection" : strerror(e));
			errno = e;
			return -1;
		}
		used += (size_t)n;
	}
	size_t len = strlen(line);
	if (used != len || memcmp(buf, line, len) != 0) {
		say("echo #%d: unexpected reply \"%.*s\"", msg, (int)used, buf);
		errno = EPROTO;
		return -1;
	}
	say("echo #%d: \"%.*s\"", msg, (int)len - 1, line);
	return 0;
}

static void usage(FILE *to)
{
	fputs("usage: demo-client --port N [--host ADDR] [--count N] [--idle-before N]\n"
	      "                   [--idle-ms MS] [--expect ERRNO]\n",
	      to);
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	unsigned port = 0;
	int count = 5, idle_before = 4, expect = 0;
	long idle_ms = 1500;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(a, "--host") == 0)
			host = v;
		else if (strcmp(a, "--port") == 0)
			port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--count") == 0)
			count = atoi(v);
		else if (strcmp(a, "--idle-before") == 0)
			idle_before = atoi(v);
		else if (strcmp(a, "--idle-ms") == 0)
			idle_ms = atol(v);
		else if (strcmp(a, "--expect") == 0 && (expect = errno_parse(v)) > 0)
			;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (port == 0 || port > 65535 || count < 1 || count > 100 || idle_ms < 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also into a pipe */

	int fd = connect_to(host, port);
	if (fd < 0)
		return 1;
	int delivered = 0, reconnects = 0;
	for (int msg = 1; msg <= count; msg++) {
		char line[LINE_MAX_LEN];
		snprintf(line, sizeof line, "message %d\n", msg);
		if (msg == idle_before && idle_ms > 0) {
			say("nothing to say for %ld ms...", idle_ms);
			sleep_ms(idle_ms);
		}
		/* Two tries: on the current connection, then on a new one. */
		int ok = 0;
		for (int attempt = 1; attempt <= 2; attempt++) {
			if (send_line(fd, msg, line) == 0 && recv_echo(fd, msg, line) == 0) {
				ok = 1;
				break;
			}
			saw_error(msg, errno);
			if (attempt == 2)
				break;
			say("the connection is dead: reconnecting to send #%d again", msg);
			close(fd);
			reconnects++;
			if ((fd = connect_to(host, port)) < 0)
				break;
		}
		if (!ok) {
			say("giving up on message %d", msg);
			break;
		}
		delivered++;
	}
	if (fd >= 0)
		close(fd);

	if (seen.errors == 0)
		say("done: %d of %d messages echoed, no errors", delivered, count);
	else
		say("done: %d of %d messages echoed, %d error%s (the first: %s on send #%d), %d reconnect%s", delivered,
		    count, seen.errors, seen.errors == 1 ? "" : "s", errno_name(seen.first_errno), seen.first_msg,
		    reconnects, reconnects == 1 ? "" : "s");
	if (delivered < count)
		return 1;
	if (expect) {
		if (seen.errors > 0 && seen.first_errno == expect)
			return 0;
		say("expected %s, which did not happen", errno_name(expect));
		return 1;
	}
	return seen.errors == 0 ? 0 : 1;
}
