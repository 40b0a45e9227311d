/* demo-server: a small line echo server for the sockfault demo.
 *
 * It listens on 127.0.0.1 (port 0 picks a free port and prints it), echoes
 * every line a client sends back to it, and tells what it sees on each
 * connection: the lines, how many pieces each line arrived in (a short write
 * on the client's side shows up here), and how the connection ended.
 *
 *   demo-server [--port N] [--port-file FILE] [--timeout SECONDS]
 *
 * It stops on SIGINT or SIGTERM, or after --timeout seconds (default 60) so
 * that a forgotten server never lingers. It runs without sockfault: the
 * faults are injected into the client only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "demo-util.h"

#define MAX_CONNS 8
#define LINE_MAX_LEN 256

struct conn {
	int fd;	     /* -1: free slot */
	int id;	     /* 1, 2, ... in the order of accept() */
	int lines;   /* lines echoed so far */
	int pieces;  /* recv() calls that brought parts of the current line */
	size_t used; /* bytes of the current line in buf */
	char buf[LINE_MAX_LEN];
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

const char *demo_who = "server";

/* Write the port to FILE through a temporary file and rename(), so that a
 * script polling for FILE never reads half a number. */
static int write_port_file(const char *file, unsigned port)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", file) >= (int)sizeof tmp)
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, file) != 0)
		return -1;
	return 0;
}

static int listen_on(unsigned port, unsigned *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say("socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof sin;
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		say("cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(sin.sin_port);
	return fd;
}

/* Send all of buf (the echo). The server's sockets are blocking and local,
 * so this loop ends quickly; MSG_NOSIGNAL turns a closed peer into EPIPE
 * instead of a SIGPIPE that would kill the server. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void close_conn(struct conn *c, const char *why)
{
	say("conn %d: %s after %d line%s", c->id, why, c->lines, c->lines == 1 ? "" : "s");
	close(c->fd);
	c->fd = -1;
}

/* Echo each complete line in c->buf; keep the incomplete rest. */
static void echo_lines(struct conn *c)
{
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->used)) != NULL) {
		size_t len = (size_t)(nl - c->buf) + 1;
		c->lines++;
		if (c->pieces > 1)
			say("conn %d: got \"%.*s\" (it arrived in %d pieces)", c->id, (int)len - 1, c->buf, c->pieces);
		else
			say("conn %d: got \"%.*s\"", c->id, (int)len - 1, c->buf);
		if (send_all(c->fd, c->buf, len) != 0) {
			say("conn %d: echo failed: %s", c->id, strerror(errno));
			close_conn(c, "dropped");
			return;
		}
		memmove(c->buf, c->buf + len, c->used - len);
		c->used -= len;
		c->pieces = c->used > 0;
	}
}

static void on_readable(struct conn *c)
{
	if (c->used == sizeof c->buf) { /* a line too long for us: cut it */
		c->buf[c->used - 1] = '\n';
		echo_lines(c);
		if (c->fd < 0)
			return;
	}
	ssize_t n = recv(c->fd, c->buf + c->used, sizeof c->buf - c->used, 0);
	if (n < 0 && errno == EINTR)
		return;
	if (n < 0) {
		say("conn %d: recv failed: %s", c->id, strerror(errno));
		close_conn(c, "dropped");
		return;
	}
	if (n == 0) {
		close_conn(c, "closed by the client");
		return;
	}
	c->used += (size_t)n;
	c->pieces++;
	echo_lines(c);
}

static void on_acceptable(int lfd, struct conn *conns, int *accepted)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof peer;
	int fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EINTR && errno != ECONNABORTED)
			say("accept: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd >= 0)
			continue;
		memset(&conns[i], 0, sizeof conns[i]);
		conns[i].fd = fd;
		conns[i].id = ++*accepted;
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof addr);
		say("conn %d: accepted from %s:%u", conns[i].id, addr, ntohs(peer.sin_port));
		return;
	}
	say("too many connections: refusing one");
	close(fd);
}

static void usage(FILE *to)
{
	fputs("usage: demo-server [--port N] [--port-file FILE] [--timeout SECONDS]\n", to);
}

int main(int argc, char **argv)
{
	unsigned port = 0;
	long timeout_s = 60;
	const char *port_file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout_s = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also into a pipe */

	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: poll wakes */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	unsigned bound;
	int lfd = listen_on(port, &bound);
	if (lfd < 0)
		return 1;
	say("listening on 127.0.0.1:%u", bound);
	if (port_file && write_port_file(port_file, bound) != 0) {
		say("cannot write %s: %s", port_file, strerror(errno));
		return 1;
	}

	struct conn conns[MAX_CONNS];
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	int accepted = 0;
	long long deadline = now_ms() + timeout_s * 1000;

	while (!stop_signal) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			say("no more time (--timeout %ld): stopping", timeout_s);
			break;
		}
		struct pollfd pfd[1 + MAX_CONNS];
		struct conn *owner[1 + MAX_CONNS];
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			owner[n] = &conns[i];
			pfd[n++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		}
		int ready = poll(pfd, n, left > 1000 ? 1000 : (int)left);
		if (ready < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			break;
		}
		if (ready <= 0)
			continue;
		for (nfds_t i = 1; i < n; i++)
			if (pfd[i].revents)
				on_readable(owner[i]);
		if (pfd[0].revents & POLLIN)
			on_acceptable(lfd, conns, &accepted);
	}

	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			close_conn(&conns[i], "closed by the server");
	close(lfd);
	say("stopped after %d connection%s", accepted, accepted == 1 ? "" : "s");
	return 0;
}
