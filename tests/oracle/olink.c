/* A network link in user space, for the oracle: this kernel has no
 * sch_netem, so latency (and loss) between two namespaces is made here. Two
 * tun devices, one in each network namespace, and every IP packet read from
 * one is written to the other after DELAY milliseconds (the same for every
 * packet: the order is kept), or dropped with probability LOSS per cent
 * (seeded: the same packets for the same seed). Never run under the preload.
 *
 *   olink [-d MS] [-l PERCENT] [-s SEED] NETNS_A DEV_A NETNS_B DEV_B
 *
 * NETNS_x is a path (/run/netns/NAME). The devices exist while olink runs;
 * it prints "ready" once both are made (the script then gives them their
 * addresses), and ends on SIGTERM. Exit status 3: it could not set up. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 1024      /* packets in flight per direction */
#define SLOT_MAX 2048   /* the tun devices' MTU is 1500 */

struct slot {
	int64_t due_ns;
	size_t len;
	unsigned char data[SLOT_MAX];
};

/* One direction: packets read from `from`, written to `to` when due. */
struct dir {
	int from, to;
	struct slot *ring;
	unsigned head, count;
};

static volatile sig_atomic_t stop;
static uint64_t rng;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "olink: %s: %s\n", what, strerror(errno));
	exit(3);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift64*: the loss decisions, from the seed. */
static unsigned next_percent(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 2685821657736338717ULL) >> 33) % 100;
}

static int tun_in(const char *netns, const char *dev)
{
	int ns = open(netns, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
		die(netns);
	close(ns);
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		die("/dev/net/tun");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die(dev);
	return fd;
}

static void take(struct dir *d, int64_t delay_ns, unsigned loss)
{
	for (int i = 0; i < 64; i++) {
		unsigned char buf[SLOT_MAX];
		ssize_t n = read(d->from, buf, sizeof buf);
		if (n <= 0)
			return;
		if (loss && next_percent() < loss)
			continue;
		if (d->count == SLOTS)
			continue;       /* the queue is full: a real link drops too */
		struct slot *s = &d->ring[(d->head + d->count) % SLOTS];
		s->due_ns = now_ns() + delay_ns;
		s->len = (size_t)n;
		memcpy(s->data, buf, (size_t)n);
		d->count++;
	}
}

static void give(struct dir *d)
{
	int64_t t = now_ns();
	while (d->count && d->ring[d->head].due_ns <= t) {
		struct slot *s = &d->ring[d->head];
		/* A packet the device will not take is lost, as on a wire. */
		if (write(d->to, s->data, s->len) < 0 && errno == EINTR)
			continue;
		d->head = (d->head + 1) % SLOTS;
		d->count--;
	}
}

int main(int argc, char **argv)
{
	int delay_ms = 0, opt;
	unsigned loss = 0;
	rng = 0x9e3779b97f4a7c15ULL;
	while ((opt = getopt(argc, argv, "d:l:s:")) != -1) {
		switch (opt) {
		case 'd':
			delay_ms = atoi(optarg);
			break;
		case 'l':
			loss = (unsigned)atoi(optarg);
			break;
		case 's':
			rng ^= strtoull(optarg, NULL, 10) * 0x2545f4914f6cdd1dULL;
			break;
		default:
			fprintf(stderr, "usage: olink [-d MS] [-l PERCENT] [-s SEED] NETNS_A DEV_A NETNS_B DEV_B\n");
			return 3;
		}
	}
	if (argc - optind != 4) {
		fprintf(stderr, "usage: olink [-d MS] [-l PERCENT] [-s SEED] NETNS_A DEV_A NETNS_B DEV_B\n");
		return 3;
	}
	if (!rng)
		rng = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int a = tun_in(argv[optind], argv[optind + 1]);
	int b = tun_in(argv[optind + 2], argv[optind + 3]);
	struct dir dirs[2] = { { .from = a, .to = b }, { .from = b, .to = a } };
	for (int i = 0; i < 2; i++) {
		dirs[i].ring = calloc(SLOTS, sizeof(struct slot));
		if (!dirs[i].ring)
			die("calloc");
	}
	printf("ready\n");
	fflush(stdout);

	int64_t delay_ns = (int64_t)delay_ms * 1000000;
	while (!stop) {
		struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
		/* Sleep until the next packet is due (or something comes in). */
		int64_t wait_ns = -1;
		for (int i = 0; i < 2; i++) {
			if (!dirs[i].count)
				continue;
			int64_t left = dirs[i].ring[dirs[i].head].due_ns - now_ns();
			if (left < 0)
				left = 0;
			if (wait_ns < 0 || left < wait_ns)
				wait_ns = left;
		}
		struct timespec ts = { (time_t)(wait_ns / 1000000000), (long)(wait_ns % 1000000000) };
		int r = ppoll(p, 2, wait_ns < 0 ? NULL : &ts, NULL);
		if (r < 0 && errno != EINTR)
			die("ppoll");
		if (r > 0 && (p[0].revents & POLLIN))
			take(&dirs[0], delay_ns, loss);
		if (r > 0 && (p[1].revents & POLLIN))
			take(&dirs[1], delay_ns, loss);
		give(&dirs[0]);
		give(&dirs[1]);
	}
	return 0;
}
