/* The other end: a small server (or client) that is never run under the
 * preload, and reports what it saw of the program under test.
 *
 *   tpeer [-4|-6] [-U PATH] [-n CONNS] [-t SECONDS] [-r READYFILE] MODE
 *
 * MODE
 *   sink     accept CONNS connections, read each until it ends
 *   echo     the same, sending every byte back
 *   http     answer one HTTP request per connection, then close it
 *   udp      print every datagram and send it back; "burst" is answered with
 *            three datagrams d1 d2 d3; "END" stops the peer
 *   connect TARGET   connect, send "hello", report what comes back
 *   probe6   exit 0 if ::1 can be used, 1 if not
 *
 * The port the peer listens on is written to READYFILE (atomically) once it
 * accepts connections. Per connection it prints
 *   peer: conn K: N bytes fnv=XXXXXXXX first="..." end=eof|ERRNO
 * and it gives up after SECONDS (default 20), saying "peer: timed out" after
 * the connections still open (end=open). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tnet.h"

#define MAX_CONNS 64
#define FIRST_MAX 64

struct conn {
	int fd;
	int id;
	size_t bytes;
	uint32_t fnv;
	unsigned char first[FIRST_MAX];
	char request[2048];
	size_t reqlen;
};

static const char *mode;
static struct conn conns[MAX_CONNS];
static int nconns, accepted, finished;

static void write_ready(const char *path, int port)
{
	if (!path)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
		tn_setup_fail("cannot write %s", path);
}

static void conn_end(struct conn *c, const char *how)
{
	printf("peer: conn %d: %zu bytes fnv=%08x first=", c->id, c->bytes, (unsigned)c->fnv);
	tn_print_bytes(c->first, c->bytes, FIRST_MAX);
	printf(" end=%s\n", how);
	close(c->fd);
	*c = conns[--nconns];
	finished++;
}

static void http_answer(struct conn *c)
{
	static const char body[] = "hello from tpeer\n";
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 sizeof body - 1);
	tn_send_all(c->fd, head, (size_t)n);
	tn_send_all(c->fd, body, sizeof body - 1);
	shutdown(c->fd, SHUT_WR);
}

/* Returns 0 when the connection ended (and was reported). */
static int conn_read(struct conn *c)
{
	char buf[65536];
	ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (r <= 0) {
		conn_end(c, r == 0 ? "eof" : tn_errname(errno));
		return 0;
	}
	size_t keep = c->bytes < FIRST_MAX ? FIRST_MAX - c->bytes : 0;
	memcpy(c->first + c->bytes, buf, (size_t)r < keep ? (size_t)r : keep);
	c->bytes += (size_t)r;
	c->fnv = tn_fnv(c->fnv, buf, (size_t)r);
	if (strcmp(mode, "echo") == 0 && tn_send_all(c->fd, buf, (size_t)r) < 0) {
		conn_end(c, tn_errname(errno));
		return 0;
	}
	if (strcmp(mode, "http") == 0 && c->reqlen < sizeof c->request) {
		size_t n = (size_t)r < sizeof c->request - c->reqlen ? (size_t)r : sizeof c->request - c->reqlen;
		memcpy(c->request + c->reqlen, buf, n);
		c->reqlen += n;
		if (memmem(c->request, c->reqlen, "\r\n\r\n", 4))
			http_answer(c);
	}
	return 1;
}

static int serve_stream(int lfd, int want, double deadline)
{
	while (want <= 0 || finished < want) {
		if (tn_now_ms() > deadline) {
			/* What the connections whose end never came got. */
			while (nconns > 0)
				conn_end(&conns[nconns - 1], "open");
			printf("peer: timed out\n");
			return 0;
		}
		struct pollfd p[MAX_CONNS + 1];
		p[0].fd = lfd;
		p[0].events = POLLIN;
		for (int i = 0; i < nconns; i++) {
			p[i + 1].fd = conns[i].fd;
			p[i + 1].events = POLLIN;
		}
		int r = poll(p, (nfds_t)nconns + 1, 100);
		if (r < 0 && errno != EINTR)
			tn_setup_fail("poll");
		if (r <= 0)
			continue;
		/* Connections first: their indices shift as they end. */
		for (int i = nconns; i-- > 0;)
			if (p[i + 1].revents)
				conn_read(&conns[i]);
		if ((p[0].revents & POLLIN) && nconns < MAX_CONNS) {
			int fd = accept(lfd, NULL, NULL);
			if (fd >= 0) {
				struct conn *c = &conns[nconns++];
				memset(c, 0, sizeof *c);
				c->fd = fd;
				c->id = ++accepted;
				c->fnv = TN_FNV_INIT;
				printf("peer: accepted %d\n", c->id);
			}
		}
	}
	printf("peer: done, %d connections\n", accepted);
	return 0;
}

static int serve_udp(int fd, double deadline)
{
	int n = 0;
	for (;;) {
		int left = (int)(deadline - tn_now_ms());
		if (left <= 0) {
			printf("peer: timed out after %d datagrams\n", n);
			return 0;
		}
		if (!(tn_wait(fd, POLLIN, left) & POLLIN))
			continue;
		char buf[65536];
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t r = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (r < 0)
			continue;
		if (r == 3 && memcmp(buf, "END", 3) == 0) {
			printf("peer: END after %d datagrams\n", n);
			return 0;
		}
		printf("peer: datagram %d: %zd bytes ", ++n, r);
		tn_print_bytes(buf, (size_t)r, FIRST_MAX);
		putchar('\n');
		if (r == 5 && memcmp(buf, "burst", 5) == 0) {
			static const char *const burst[] = { "d1", "d2", "d3" };
			for (int i = 0; i < 3; i++)
				sendto(fd, burst[i], 2, 0, (struct sockaddr *)&from, flen);
		} else {
			sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, flen);
		}
	}
}

static int run_connect(const char *target)
{
	struct tn_addr a;
	if (tn_parse_addr(target, &a) < 0)
		tn_setup_fail("bad target %s", target);
	int fd = tn_connect(&a, SOCK_STREAM);
	TN_REPORT("peer: connect", fd < 0 ? -1 : 0);
	if (fd < 0)
		return 0;
	TN_REPORT("peer: send", tn_send_all(fd, "hello", 5));
	char buf[256];
	ssize_t r;
	do
		r = tn_recv_wait(fd, buf, sizeof buf, TN_WAIT_MS);
	while (r < 0 && errno == EAGAIN);
	TN_REPORT("peer: recv", r);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int family = AF_INET, want = 1, seconds = 20, opt;
	const char *ready = NULL, *unix_path = NULL;
	tn_init();
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "46U:n:t:r:")) != -1) {
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'U':
			unix_path = optarg;
			break;
		case 'n':
			want = atoi(optarg);
			break;
		case 't':
			seconds = atoi(optarg);
			break;
		case 'r':
			ready = optarg;
			break;
		default:
			return TN_EXIT_SETUP;
		}
	}
	if (optind >= argc)
		tn_setup_fail("usage: tpeer [-4|-6] [-U PATH] [-n CONNS] [-t SECONDS] [-r READYFILE] MODE");
	mode = argv[optind];
	double deadline = tn_now_ms() + seconds * 1000.0;

	if (strcmp(mode, "probe6") == 0)
		return tn_have_ipv6() ? 0 : 1;
	if (strcmp(mode, "connect") == 0) {
		if (optind + 1 >= argc)
			tn_setup_fail("connect needs a target");
		return run_connect(argv[optind + 1]);
	}

	struct tn_addr a;
	char spec[4200];
	if (unix_path) {
		snprintf(spec, sizeof spec, "unix:%s", unix_path);
		if (tn_parse_addr(spec, &a) < 0)
			tn_setup_fail("bad unix path %s", unix_path);
		if (unix_path[0] != '@')
			unlink(unix_path);
	} else {
		tn_loopback(&a, family, 0);
	}
	int udp = strcmp(mode, "udp") == 0;
	if (!udp && strcmp(mode, "sink") && strcmp(mode, "echo") && strcmp(mode, "http"))
		tn_setup_fail("unknown mode %s", mode);
	int fd = tn_bind_listen(&a, udp ? SOCK_DGRAM : SOCK_STREAM);
	if (fd < 0)
		tn_setup_fail("cannot listen");
	write_ready(ready, tn_addr_port(&a));
	int r = udp ? serve_udp(fd, deadline) : serve_stream(fd, want, deadline);
	if (unix_path && unix_path[0] != '@')
		unlink(unix_path);
	return r;
}
