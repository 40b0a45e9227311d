/* Programs for the control channel's tests.
 *
 *   tctl serve READYFILE N       echo server for N clients at once (poll
 *                                loop); writes its port to READYFILE; per
 *                                connection prints "conn K: end=eof|ERRNO";
 *                                exits when N connections have ended, or
 *                                after 60 s
 *   tctl clients PORT N          N connections to 127.0.0.1:PORT, "hi" on
 *                                each, read back; then waits for each to end
 *                                and prints "client K port=P: end=eof|ERRNO";
 *                                prints "clients: connected" once all are up
 *   tctl sender PORT THREADS N   THREADS threads, one connection each, N
 *                                sends of 8 bytes each, 1 ms apart; prints
 *                                "sent TOTAL", then waits for stdin to end
 *
 * Every wait is bounded (60 s). */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LIMIT_MS 60000
#define MAXC 256

static const char *end_of(long r, int err)
{
	static char buf[64];
	if (r == 0)
		return "eof";
	snprintf(buf, sizeof buf, "%s",
		 err == ECONNRESET  ? "ECONNRESET"
		 : err == EPIPE	    ? "EPIPE"
		 : err == ETIMEDOUT ? "ETIMEDOUT"
				    : strerror(err));
	return buf;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int serve(const char *ready, int n)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 128) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0) {
		perror("tctl serve");
		return 1;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", ready);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	rename(tmp, ready);
	struct pollfd pf[MAXC + 1];
	int id[MAXC + 1];
	int nfd = 1, accepted = 0, ended = 0;
	pf[0] = (struct pollfd){ l, POLLIN, 0 };
	long long deadline = now_ms() + LIMIT_MS;
	while (ended < n && now_ms() < deadline) {
		if (poll(pf, (nfds_t)nfd, 100) <= 0)
			continue;
		if ((pf[0].revents & POLLIN) && accepted < n && nfd <= MAXC) {
			int c = accept(l, NULL, NULL);
			if (c >= 0) {
				pf[nfd] = (struct pollfd){ c, POLLIN, 0 };
				id[nfd++] = ++accepted;
			}
		}
		for (int i = 1; i < nfd; i++) {
			if (!pf[i].revents)
				continue;
			char buf[4096];
			ssize_t r = recv(pf[i].fd, buf, sizeof buf, 0);
			if (r > 0 && send(pf[i].fd, buf, (size_t)r, MSG_NOSIGNAL) == r)
				continue;
			int err = errno;
			if (r > 0)
				r = -1;
			printf("conn %d: end=%s\n", id[i], end_of(r, err));
			fflush(stdout);
			close(pf[i].fd);
			pf[i] = pf[nfd - 1];
			id[i] = id[nfd - 1];
			nfd--;
			i--;
			ended++;
		}
	}
	return 0;
}

static int clients(int port, int n)
{
	struct pollfd pf[MAXC];
	int local[MAXC];
	if (n > MAXC)
		n = MAXC;
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof a;
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
			perror("tctl clients: connect");
			return 1;
		}
		char buf[2];
		if (send(c, "hi", 2, MSG_NOSIGNAL) != 2 || recv(c, buf, 2, MSG_WAITALL) != 2) {
			perror("tctl clients: echo");
			return 1;
		}
		getsockname(c, (struct sockaddr *)&a, &len);
		local[i] = ntohs(a.sin_port);
		pf[i] = (struct pollfd){ c, POLLIN, 0 };
	}
	printf("clients: connected\n");
	fflush(stdout);
	int left = n;
	long long deadline = now_ms() + LIMIT_MS;
	while (left && now_ms() < deadline) {
		if (poll(pf, (nfds_t)n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			char buf[64];
			ssize_t r = recv(pf[i].fd, buf, sizeof buf, 0);
			if (r > 0)
				continue;
			printf("client %d port=%d: end=%s\n", i + 1, local[i], end_of(r, errno));
			fflush(stdout);
			close(pf[i].fd);
			pf[i].fd = -1;
			left--;
		}
	}
	return 0;
}

static int target_port, per_thread;
static long total;

static void *send_loop(void *arg)
{
	(void)arg;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)target_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("tctl sender: connect");
		return NULL;
	}
	for (int i = 0; i < per_thread; i++) {
		if (send(c, "12345678", 8, MSG_NOSIGNAL) == 8)
			__atomic_fetch_add(&total, 1, __ATOMIC_RELAXED);
		else
			printf("send failed: %s\n", strerror(errno)), fflush(stdout);
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int sender(int port, int threads, int n)
{
	pthread_t t[64];
	target_port = port;
	per_thread = n;
	if (threads > 64)
		threads = 64;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, send_loop, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("sent %ld\n", total);
	fflush(stdout);
	char buf[64];
	struct pollfd p = { 0, POLLIN, 0 };
	long long deadline = now_ms() + LIMIT_MS;
	while (now_ms() < deadline)
		if (poll(&p, 1, 100) > 0 && read(0, buf, sizeof buf) <= 0)
			break;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "clients") == 0)
		return clients(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "sender") == 0)
		return sender(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: tctl serve READYFILE N | clients PORT N | sender PORT THREADS N\n");
	return 2;
}
