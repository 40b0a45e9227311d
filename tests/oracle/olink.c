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
 * addresses), and ends on SIGTERM. Exit status 3: it could not set up.
 *
 * SIGUSR1: a middlebox resets the TCP connection (IPv4) that last crossed
 * the link: each end gets an RST that seems to come from the other, with
 * the sequence number the other would send next (so the kernel takes it,
 * RFC 5961), and "reset" is printed. */
#include <arpa/inet.h>
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

#define SLOTS 1024    /* packets in flight per direction */
#define SLOT_MAX 2048 /* the tun devices' MTU is 1500 */

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

static volatile sig_atomic_t stop, reset_asked;
static uint64_t rng;

/* What the link knows of the last TCP connection, per direction (0: from
 * device A): the addresses and ports as sent, the next sequence number. */
struct flow {
	int seen;
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t next_seq;
};
static struct flow flows[2];

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	reset_asked = 1;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t sum16(const unsigned char *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Learn from an IPv4 TCP packet going in direction d. */
static void track(int d, const unsigned char *pkt, size_t n)
{
	if (n < 20 || pkt[0] >> 4 != 4 || pkt[9] != 6)
		return;
	size_t ihl = (size_t)(pkt[0] & 15) * 4;
	size_t total = (size_t)pkt[2] << 8 | pkt[3];
	if (total > n || ihl + 20 > total)
		return;
	const unsigned char *t = pkt + ihl;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (ihl + doff > total)
		return;
	unsigned flags = t[13];
	if (flags & 0x04) /* an RST: the connection is over */
		return;
	struct flow *f = &flows[d];
	f->seen = 1;
	f->src = get32(pkt + 12);
	f->dst = get32(pkt + 16);
	f->sport = (uint16_t)(t[0] << 8 | t[1]);
	f->dport = (uint16_t)(t[2] << 8 | t[3]);
	uint32_t len = (uint32_t)(total - ihl - doff) + !!(flags & 0x02) + !!(flags & 0x01);
	uint32_t next = get32(t + 4) + len;
	/* The highest: a retransmission must not move it back. */
	if ((int32_t)(next - f->next_seq) > 0 || !f->next_seq)
		f->next_seq = next;
}

/* An RST as if from the sender of flow f, written to fd (the receiver's
 * device). */
static void forge_rst(const struct flow *f, int fd)
{
	unsigned char p[40];
	memset(p, 0, sizeof p);
	p[0] = 0x45;
	p[3] = 40;
	p[8] = 64;
	p[9] = 6;
	put32(p + 12, f->src);
	put32(p + 16, f->dst);
	uint16_t ipsum = fold(sum16(p, 20, 0));
	p[10] = (unsigned char)(ipsum >> 8);
	p[11] = (unsigned char)ipsum;
	unsigned char *t = p + 20;
	t[0] = (unsigned char)(f->sport >> 8);
	t[1] = (unsigned char)f->sport;
	t[2] = (unsigned char)(f->dport >> 8);
	t[3] = (unsigned char)f->dport;
	put32(t + 4, f->next_seq);
	t[12] = 5 << 4;
	t[13] = 0x04;
	/* The pseudo-header: addresses, protocol, TCP length. */
	uint32_t sum = sum16(p + 12, 8, 0) + 6 + 20;
	uint16_t tsum = fold(sum16(t, 20, sum));
	t[16] = (unsigned char)(tsum >> 8);
	t[17] = (unsigned char)tsum;
	if (write(fd, p, sizeof p) < 0)
		fprintf(stderr, "olink: the RST was not taken: %s\n", strerror(errno));
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

static struct dir dirs_all[2];

static void take(struct dir *d, int64_t delay_ns, unsigned loss)
{
	for (int i = 0; i < 64; i++) {
		unsigned char buf[SLOT_MAX];
		ssize_t n = read(d->from, buf, sizeof buf);
		if (n <= 0)
			return;
		if (loss && next_percent() < loss)
			continue;
		track(d == &dirs_all[0] ? 0 : 1, buf, (size_t)n);
		if (d->count == SLOTS)
			continue; /* the queue is full: a real link drops too */
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
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* The signals arrive only inside ppoll: none is missed between the
	 * check of the flags and the wait. */
	sigset_t block, during;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &during);
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGINT);
	sigdelset(&during, SIGUSR1);

	int a = tun_in(argv[optind], argv[optind + 1]);
	int b = tun_in(argv[optind + 2], argv[optind + 3]);
	struct dir *dirs = dirs_all;
	dirs[0].from = a;
	dirs[0].to = b;
	dirs[1].from = b;
	dirs[1].to = a;
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
		int r = ppoll(p, 2, wait_ns < 0 ? NULL : &ts, &during);
		if (r < 0 && errno != EINTR)
			die("ppoll");
		if (reset_asked) {
			reset_asked = 0;
			/* flows[0] went from A to B: its RST goes to B, and the
			 * other way round. */
			if (flows[0].seen && flows[1].seen) {
				forge_rst(&flows[0], b);
				forge_rst(&flows[1], a);
				printf("reset\n");
			} else {
				printf("reset: no connection seen\n");
			}
			fflush(stdout);
		}
		if (r > 0 && (p[0].revents & POLLIN))
			take(&dirs[0], delay_ns, loss);
		if (r > 0 && (p[1].revents & POLLIN))
			take(&dirs[1], delay_ns, loss);
		give(&dirs[0]);
		give(&dirs[1]);
	}
	return 0;
}
