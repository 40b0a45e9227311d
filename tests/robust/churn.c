/* A program that replaces and clobbers its sockets from many threads while
 * others use them: the ordinary reconnect pattern (socket, connect, swap,
 * close the old one), and worse (dup2 of /dev/null over descriptors in use,
 * closes of numbers another thread holds). Whatever the library does, the
 * program must run to the end: exit 0, no signal.
 *
 *   churn SECONDS PORT     UDP sockets to 127.0.0.1:PORT
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 8
#define RECONNECTORS 4
#define SENDERS 8
#define CLOBBERERS 4

static int shared[SLOTS];
static struct sockaddr_in peer;
static int null_fd;
static volatile int stop;

static unsigned next(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static int fresh(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s >= 0)
		connect(s, (struct sockaddr *)&peer, sizeof peer);
	return s;
}

static void *reconnector(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int s = fresh();
		if (s < 0)
			continue;
		int old = __atomic_exchange_n(&shared[next(&seed) % SLOTS], s, __ATOMIC_ACQ_REL);
		if (old >= 0)
			close(old);
	}
	return NULL;
}

static void *sender(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	char c = 'x';
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int fd = __atomic_load_n(&shared[next(&seed) % SLOTS], __ATOMIC_ACQUIRE);
		switch (next(&seed) % 4) {
		case 0:
			send(fd, &c, 1, MSG_DONTWAIT);
			break;
		case 1:
			write(fd, &c, 1);
			break;
		case 2:
			recv(fd, &c, 1, MSG_DONTWAIT);
			break;
		default: {
			struct sockaddr_in a;
			socklen_t l = sizeof a;
			getpeername(fd, (struct sockaddr *)&a, &l);
		}
		}
	}
	return NULL;
}

static void *clobberer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int fd = __atomic_load_n(&shared[next(&seed) % SLOTS], __ATOMIC_ACQUIRE);
		switch (next(&seed) % 3) {
		case 0:
			dup2(null_fd, fd);
			break;
		case 1: {
			int d = dup(fd);
			if (d >= 0)
				close(d);
			break;
		}
		default:
			close(fd); /* a number another thread holds */
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: churn SECONDS PORT\n");
		return 2;
	}
	peer.sin_family = AF_INET;
	peer.sin_port = htons((unsigned short)atoi(argv[2]));
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	null_fd = open("/dev/null", O_RDWR);
	for (int i = 0; i < SLOTS; i++)
		shared[i] = fresh();
	pthread_t t[RECONNECTORS + SENDERS + CLOBBERERS];
	int n = 0;
	for (; n < RECONNECTORS + SENDERS + CLOBBERERS; n++) {
		void *(*fn)(void *) = n < RECONNECTORS ? reconnector : n < RECONNECTORS + SENDERS ? sender : clobberer;
		pthread_create(&t[n], NULL, fn, (void *)(uintptr_t)(n + 1));
	}
	struct timespec d = { atoi(argv[1]), 0 };
	nanosleep(&d, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("churn: done\n");
	return 0;
}
