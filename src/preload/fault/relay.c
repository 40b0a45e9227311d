#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "alloc.h"
#include "clock.h"
#include "decide.h"
#include "fdfloor.h"
#include "reclaim.h"
#include "real.h"
#include "settings.h"
#include "enter.h"
#include "lookup.h"
#include "match.h"
#include "names.h"
#include "pace.h"
#include "proc.h"
#include "relay_epoll.h"
#include "stash.h"
#include "thread.h"
#include "units.h"

/* Bounded: at most LINKS_MAX connections are relayed at once, and no more
 * than the descriptors allow (link_budget); the next ones keep the delay
 * inside the call. Each holds at most RING bytes late in each direction
 * (the pair's and the real socket's buffers hold the rest, and a program
 * that sends faster waits as on a slow link). */
#define CHUNK 64
#define CHUNKS 16
#define LINKS_MAX (CHUNK * CHUNKS)
#define RING (64 * 1024)
#define MARKS 64
/* lossy's segment (sockfault-rules(5)): what one TCP segment carries on an
 * Ethernet link. Segments are counted in the stream's bytes, so a seed
 * loses the same ones whatever sizes the reads have. */
#define SEGMENT 1448

enum lstate { L_FREE, L_CONNECTING, L_UP, L_FAILED };

/* One direction: the bytes read from its source, each read's bytes due at
 * the destination at a time of their own. */
struct dir {
	unsigned char *buf;
	size_t head, len;
	struct {
		size_t left; /* bytes of this read not yet written */
		uint64_t due;
	} mark[MARKS];
	unsigned mh, mn;
	uint64_t delay;	     /* for the next bytes read */
	struct sf_pace pace; /* lossy: the noisy link's sender (pace.h) */
	uint64_t rate;	     /* throttle: the bottleneck's bytes a second (0: none) */
	uint64_t free_at;    /* and when it is free again */
	uint64_t taken;	     /* bytes read from the source */
	uint64_t seg;	     /* segments whose losses are drawn */
	uint64_t eof_due;    /* the end of stream travels late too */
	uint8_t src_eof;     /* the source said end of stream */
	uint8_t eof_passed;  /* the destination was told (shutdown) */
	uint8_t blocked;     /* the destination's buffer is full */
	uint8_t broken;	     /* the destination refuses: drop what comes */
};

struct link {
	uint8_t state;
	struct sf_sock *s;
	uint32_t ino;	     /* the program's end (the record's identity) */
	int real;	     /* the real socket */
	int end;	     /* the relay's end of the pair */
	int keep;	     /* the program's end while its connect is under way */
	size_t filler;	     /* bytes that keep the program's end unwritable */
	uint64_t connect_at; /* the program sees the connect end no earlier */
	int err;	     /* the connect's error */
	uint8_t err_taken;
	uint8_t conn_told;  /* a second connect said 0 once */
	uint8_t prog_gone;  /* the program's end is closed */
	uint8_t tx_refused; /* the real socket took no more: told the program */
	uint8_t reg;	    /* watched: 1 the real socket, 2 the end */
	unsigned idx;	    /* its place in the table: its tag in the epoll set */
	struct dir tx, rx;  /* tx: program -> real; rx: real -> program */
};

unsigned sf_relay_count;
/* The links, in blocks of CHUNK made as connections come (in a connect or
 * an accept that relays, never on the fast path) and kept while the process
 * lives, so that a thread that looks for its link without the lock (find)
 * never reads freed memory. nlinks: the links in the blocks made so far. */
static struct link *chunks[CHUNKS];
static unsigned nlinks;

static struct link *link_at(unsigned i)
{
	return &SF_LOAD(&chunks[i / CHUNK])[i % CHUNK];
}
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int epfd = -1, wakefd = -1;
static int running;
static int floor_fd;
/* The program closed one of the relay's descriptors: the numbers may be
 * the program's now, and the relay never touches them again. */
static int lost;

/* Move a descriptor of ours above the floor, close-on-exec; -1 if it
 * cannot go there (a low number is the program's to have). */
static int up_high(int fd)
{
	if (fd < 0)
		return fd;
	int h = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, floor_fd);
	syscall(SYS_close, fd);
	return h;
}

static void set_nonblock(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	if (fl >= 0)
		syscall(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
}

/* Relay when a rule that can touch this connection delays, throttles or
 * loses TCP, and none that can touch it ends a connection in another way:
 * the actions that do (reset, eof, hangup, blackhole, timeout, a sticky
 * error) act on the kernel's socket under the program's descriptor, so
 * with them a delay stays a wait inside the calls and composes as it
 * always did. Where such an action comes later (rules reloaded, the
 * control channel), it acts on the relayed connection's real socket
 * (dead.c: silence in place, the others after sf_relay_hand_back). "Can
 * touch": its fixed conditions (peer=, host=, local=, side=, exe=) hold
 * for the connection or are not known yet; a connection no such rule can
 * touch keeps its own socket and costs the relay nothing. */
static int shaping_rule_for(const struct sf_subject *subj)
{
	if (sf_config.delay_in_call)
		return 0;
	int want = 0, kills = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	for (unsigned i = 0; a && i < a->rs.n; i++) {
		const struct sf_rule *r = &a->rs.rules[i];
		if (!a->for_exe[i] || !(r->protos & SF_PROTO_TCP) || !sf_rule_statics_hold(r, subj, 1))
			continue;
		want |= r->action == SF_ACT_DELAY && (r->ops & (SF_OPS_IO | SF_OPBIT(SF_OP_connect)));
		want |= (r->action == SF_ACT_LOSSY || r->action == SF_ACT_THROTTLE) && (r->ops & SF_OPS_IO);
		kills |= sf_rule_kills(r);
	}
	sf_read_end();
	return want && !kills;
}

int sf_relay_wanted(const struct sf_sock *s, const struct sf_sockaddr *target)
{
	if (s->proto != SF_PROTO_TCP || SF_LOAD(&lost))
		return 0;
	struct sf_subject subj;
	const char *hosts[SF_NAMES_PER_ADDR + 1];
	sf_sock_subject(s, &subj);
	if (target) {
		/* A connect: the program's side is the client's from now on. */
		subj.peer = *target;
		subj.side = SF_SIDE_CLIENT;
		subj.side_known = 1;
	}
	sf_names_of(&subj.peer, hosts);
	subj.hosts = hosts;
	return shaping_rule_for(&subj);
}

/* The latency a direction starts with: the D of the first delay rule of
 * that direction in the socket's plan whose fixed conditions (peer, local
 * address, side) are known to hold; its jitter and its conditions that
 * change (when=, p=, counts) are the sends' own, and not drawn for the
 * bytes that come in before any call. */
static uint64_t plan_delay(const struct sf_sock *s, sf_opmask ops)
{
	uint64_t d = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n && !d; i++) {
		const struct sf_rule *r = &a->rs.rules[plan->e[i].rule];
		if (r->action == SF_ACT_DELAY && (r->ops & ops) && (plan->e[i].flags & SF_PE_STATICS_OK))
			d = r->dur_ns;
	}
	sf_read_end();
	return d;
}

/* The link's noise and bottleneck in one direction: the first lossy rule
 * of that direction in the socket's plan whose fixed conditions hold, and
 * the slowest such throttle rule (their conditions that change are not
 * drawn for the relay's segments). */
static void plan_shape(const struct sf_sock *s, sf_opmask ops, struct dir *d)
{
	d->pace.loss = 0;
	d->rate = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n; i++) {
		const struct sf_rule *r = &a->rs.rules[plan->e[i].rule];
		if (!(r->ops & ops) || !(plan->e[i].flags & SF_PE_STATICS_OK))
			continue;
		if (r->action == SF_ACT_LOSSY && !d->pace.loss) {
			d->pace.loss = r->loss;
			d->pace.key = sf_draw_key(sf_config.seed, plan->draw_proc, r->name_hash, s->peer_hash,
						  plan->draw_ord, SF_DRAW_LOSS);
		}
		if (r->action == SF_ACT_THROTTLE && r->rate && (!d->rate || r->rate < d->rate))
			d->rate = r->rate;
	}
	sf_read_end();
}

/* The connection's round trip, as the noisy link's sender sees it: the
 * real socket's own (TCP_INFO) and the latency the relay adds each way. */
static uint64_t link_rtt(const struct link *l)
{
	struct tcp_info ti;
	socklen_t tl = sizeof ti;
	uint64_t rtt = 0;
	if (syscall(SYS_getsockopt, l->real, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
		rtt = (uint64_t)ti.tcpi_rtt * 1000;
	return rtt + SF_LOAD(&l->tx.delay) + SF_LOAD(&l->rx.delay);
}

/* n bytes read, due at `due`: with the last mark if it is due then (or no
 * mark is left: it then waits for the later), else a mark of their own. */
static void mark_bytes(struct dir *d, size_t n, uint64_t due)
{
	unsigned last = (d->mh + d->mn + MARKS - 1) % MARKS;
	if (d->mn && (d->mark[last].due == due || d->mn == MARKS)) {
		d->mark[last].left += n;
		if (due > d->mark[last].due)
			d->mark[last].due = due;
		return;
	}
	unsigned k = (d->mh + d->mn) % MARKS;
	d->mark[k].left = n;
	d->mark[k].due = due;
	d->mn++;
}

/* The bytes of a read, due segment by segment: after their retransmissions
 * (a lossy link's) and the bottleneck (a throttled one's), then the
 * latency. Segments are counted in the stream's bytes, so a seed loses the
 * same ones whatever sizes the reads have. queued: bytes the source holds
 * already, after these (the segments that follow the read's). */
static void pace_in(struct dir *d, size_t n, uint64_t now, uint64_t rtt, uint64_t queued)
{
	uint64_t delay = SF_LOAD(&d->delay);
	uint64_t start = d->taken;
	d->taken += n;
	uint64_t nseg = (d->taken + SEGMENT - 1) / SEGMENT;
	if (!d->pace.loss && !d->rate) {
		d->seg = nseg;
		mark_bytes(d, n, now + delay);
		return;
	}
	for (uint64_t pos = start; pos < d->taken;) {
		uint64_t i = pos / SEGMENT;
		uint64_t hi = (i + 1) * SEGMENT < d->taken ? (i + 1) * SEGMENT : d->taken;
		uint64_t t = now;
		if (d->pace.loss && i >= d->seg) {
			uint64_t after = nseg - 1 - i + (queued + SEGMENT - 1) / SEGMENT;
			t = sf_pace_segment(&d->pace, i, now, after, rtt);
			d->seg = i + 1;
		} else if (d->pace.loss && d->pace.last > now) {
			t = d->pace.last; /* the rest of a segment already sent */
		}
		if (d->rate)
			t = sf_pace_rate(&d->free_at, d->rate, t, hi - pos);
		mark_bytes(d, (size_t)(hi - pos), t + delay);
		pos = hi;
	}
}

/* Where each record's link was put, by a hash of the record's address
 * (the place plus one; 0: none): every call on a relayed connection looks
 * for its link, and the table may hold a thousand. A hint that is wrong
 * (another record's, a link since freed) costs one look more. */
#define HINTS 1024
static uint16_t hint[HINTS];

static unsigned hint_of(const struct sf_sock *s)
{
	return (unsigned)(((uintptr_t)s >> 6) % HINTS);
}

static int is_link_of(const struct link *l, const struct sf_sock *s, uint32_t ino)
{
	return SF_LOAD(&l->state) != L_FREE && SF_LOAD(&l->s) == s && SF_LOAD(&l->ino) == ino;
}

static struct link *find(const struct sf_sock *s, int fd)
{
	(void)fd;
	if (!SF_LOAD(&sf_relay_count) || SF_LOAD(&lost))
		return NULL;
	uint32_t ino = SF_LOAD(&s->ino);
	unsigned n = SF_ACQUIRE(&nlinks), h = SF_LOAD(&hint[hint_of(s)]);
	if (h && h <= n && is_link_of(link_at(h - 1), s, ino))
		return link_at(h - 1);
	for (unsigned i = 0; i < n; i++)
		if (is_link_of(link_at(i), s, ino))
			return link_at(i);
	return NULL;
}

void sf_relay_replanned(const struct sf_sock *s, int fd)
{
	struct link *l = find(s, fd);
	if (!l)
		return;
	SF_STORE(&l->rx.delay, plan_delay(s, SF_OPS_RX));
	/* A send's own decision replaces it (sf_relay_tx_delay). */
	SF_STORE(&l->tx.delay, plan_delay(s, SF_OPS_TX));
	/* The thread reads the noise under the lock. */
	pthread_mutex_lock(&lock);
	plan_shape(s, SF_OPS_TX, &l->tx);
	plan_shape(s, SF_OPS_RX, &l->rx);
	pthread_mutex_unlock(&lock);
}

/* ---- the relay thread ---- */

static uint64_t due_first(const struct dir *d)
{
	if (d->mn)
		return d->mark[d->mh].due;
	return d->src_eof && !d->eof_passed ? d->eof_due : UINT64_MAX;
}

/* What a direction holds at most: its ring; a throttled one, the queue of
 * its bottleneck (200 ms of its rate, as a tbf link's with latency 200ms;
 * at least four segments). */
static size_t queue_max(const struct dir *d)
{
	if (!d->rate || d->rate / 5 >= RING)
		return RING;
	return d->rate / 5 > 4 * SEGMENT ? (size_t)(d->rate / 5) : 4 * SEGMENT;
}

/* Can the direction take more from its source? */
static int has_room(const struct dir *d)
{
	return !d->src_eof && d->len < queue_max(d) && d->mn < MARKS;
}

/* Read what the source has, as room allows; each read is one mark at
 * least (a paced one, one for each segment due at another time). */
static void take_in(struct dir *d, int src, uint64_t now, uint64_t rtt)
{
	while (has_room(d)) {
		size_t tail = (d->head + d->len) % RING;
		size_t room = queue_max(d) - d->len;
		if (room > RING - tail)
			room = RING - tail;
		/* Paced bytes take a mark a segment at most. */
		if ((d->pace.loss || d->rate) && room > (MARKS - d->mn) * (size_t)SEGMENT)
			room = (MARKS - d->mn) * (size_t)SEGMENT;
		ssize_t n = syscall(SYS_recvfrom, src, d->buf + tail, room, MSG_DONTWAIT, NULL, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			d->src_eof = 1;
			/* After the last segment is through the link. */
			uint64_t t = d->pace.last > now ? d->pace.last : now;
			d->eof_due = (d->free_at > t ? d->free_at : t) + SF_LOAD(&d->delay);
			return;
		}
		if (d->broken)
			continue;
		d->len += (size_t)n;
		int q = 0;
		if (d->pace.loss && (syscall(SYS_ioctl, src, FIONREAD, &q) < 0 || q < 0))
			q = 0;
		pace_in(d, (size_t)n, now, rtt, (uint64_t)q);
	}
}

/* Write the bytes that are due; after the last, pass the end of stream on. */
static void give_out(struct dir *d, int dst, uint64_t now)
{
	d->blocked = 0;
	while (d->mn && d->mark[d->mh].due <= now && !d->broken) {
		size_t n = d->mark[d->mh].left;
		if (n > RING - d->head)
			n = RING - d->head;
		ssize_t w = syscall(SYS_sendto, dst, d->buf + d->head, n, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			d->blocked = 1;
			return;
		}
		if (w < 0) {
			d->broken = 1;
			break;
		}
		d->head = (d->head + (size_t)w) % RING;
		d->len -= (size_t)w;
		if ((d->mark[d->mh].left -= (size_t)w) == 0) {
			d->mh = (d->mh + 1) % MARKS;
			d->mn--;
		}
	}
	if (d->broken) {
		d->len = 0;
		d->mn = 0;
	}
	if (d->src_eof && !d->mn && !d->eof_passed && d->eof_due <= now) {
		syscall(SYS_shutdown, dst, SHUT_WR);
		d->eof_passed = 1;
	}
}

/* Register one descriptor's interest (none: not watched at all, since
 * epoll reports a hangup whatever the interest). */
static void watch_one(int fd, uint32_t events, uint64_t tag, uint8_t *reg, uint8_t bit)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	if (!events) {
		if (*reg & bit)
			syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_DEL, fd, NULL);
		*reg &= (uint8_t)~bit;
		return;
	}
	syscall(SYS_epoll_ctl, epfd, (*reg & bit) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
	*reg |= bit;
}

static void watch(struct link *l)
{
	uint32_t ri = 0, ei = 0;
	/* Before its time the connect's end is not looked at. */
	if (l->state == L_CONNECTING && l->connect_at <= sf_now())
		ri = EPOLLOUT;
	if (l->state == L_UP) {
		if (has_room(&l->rx))
			ri |= EPOLLIN;
		if (l->tx.blocked)
			ri |= EPOLLOUT;
		if (has_room(&l->tx))
			ei |= EPOLLIN;
		if (l->rx.blocked)
			ei |= EPOLLOUT;
		/* The program's end still open after its end of stream: its
		 * closing shows as a hangup. */
		if (l->tx.src_eof && !l->prog_gone)
			ei |= EPOLLRDHUP;
	}
	uint64_t idx = l->idx;
	watch_one(l->real, ri, idx << 1, &l->reg, 1);
	watch_one(l->end, ei, (idx << 1) | 1, &l->reg, 2);
}

/* A throttled sender's buffer is a TCP socket's on the slow link: its
 * first send buffer for segments of SEGMENT bytes (2 x 10 segments of
 * 3456 bytes with the kernel's overhead: 69 120), or the real socket's if
 * smaller. The program's end of the pair takes at once what such a socket
 * does (a third over it; measured against a real tbf link, as the bytes a
 * nonblocking sender gets in at once and a blocking sender's rate). */
#define FIRST_SNDBUF 69120
static void size_pair(const struct link *l, int prog)
{
	if (!l->tx.rate)
		return;
	int snd = FIRST_SNDBUF;
	socklen_t sl = sizeof snd;
	if (syscall(SYS_getsockopt, l->real, SOL_SOCKET, SO_SNDBUF, &snd, &sl) < 0 || snd <= 0 || snd > FIRST_SNDBUF)
		snd = FIRST_SNDBUF;
	int own = snd / 3 * 2; /* the kernel doubles what it is given */
	syscall(SYS_setsockopt, prog, SOL_SOCKET, SO_SNDBUF, &own, sizeof own);
}

/* The connect is over: the program's end becomes writable (its buffer back
 * to the kernel's size, the bytes that filled it read away). */
static void release_keep(struct link *l)
{
	if (l->keep < 0)
		return;
	int sz = 212992;
	socklen_t sl = sizeof sz;
	syscall(SYS_getsockopt, l->end, SOL_SOCKET, SO_SNDBUF, &sz, &sl);
	sz /= 2; /* the kernel doubles what it is given */
	syscall(SYS_setsockopt, l->keep, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	size_pair(l, l->keep);
	unsigned char sink[512];
	while (l->filler) {
		ssize_t n = syscall(SYS_recvfrom, l->end, sink, l->filler < sizeof sink ? l->filler : sizeof sink,
				    MSG_DONTWAIT, NULL, NULL);
		if (n <= 0)
			break;
		l->filler -= (size_t)n;
	}
	syscall(SYS_close, l->keep);
	SF_STORE(&l->keep, -1);
}

static void free_link(struct link *l)
{
	watch_one(l->real, 0, 0, &l->reg, 1);
	watch_one(l->end, 0, 0, &l->reg, 2);
	syscall(SYS_close, l->real);
	syscall(SYS_close, l->end);
	if (l->keep >= 0)
		syscall(SYS_close, l->keep);
	sf_free(l->tx.buf, RING);
	sf_free(l->rx.buf, RING);
	sf_sock_unref(l->s);
	SF_STORE(&l->state, L_FREE);
	if (sf_relay_count)
		SF_STORE(&sf_relay_count, sf_relay_count - 1);
}

/* Move the link on; returns the next time it needs the thread. */
static uint64_t service(struct link *l, uint64_t now)
{
	if (l->state == L_CONNECTING && now >= l->connect_at) {
		int e = 0;
		socklen_t el = sizeof e;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		syscall(SYS_getsockopt, l->real, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e) {
			l->err = e;
			SF_STORE(&l->state, L_FAILED);
		} else if (syscall(SYS_getpeername, l->real, &ss, &sl) == 0) {
			SF_STORE(&l->state, L_UP);
			release_keep(l);
		}
	}
	if (l->state == L_FAILED && l->keep >= 0) {
		/* Writable, readable (end of stream) and hung up at once, as a
		 * failed connect polls; sends EPIPE; SO_ERROR tells the error. */
		release_keep(l);
		syscall(SYS_shutdown, l->end, SHUT_RDWR);
	}
	if (l->state == L_UP) {
		uint64_t rtt = l->tx.pace.loss || l->rx.pace.loss ? link_rtt(l) : 0;
		take_in(&l->tx, l->end, now, rtt);
		take_in(&l->rx, l->real, now, rtt);
		give_out(&l->tx, l->real, now);
		give_out(&l->rx, l->end, now);
		/* The connection refuses data (reset, closed): the program's next
		 * sends fail with EPIPE, as on the real socket. */
		if (l->tx.broken && !l->tx_refused) {
			syscall(SYS_shutdown, l->end, SHUT_RD);
			l->tx_refused = 1;
		}
		if (l->tx.src_eof && !l->prog_gone) {
			struct pollfd p = { .fd = l->end, .events = POLLRDHUP };
			struct timespec zero = { 0, 0 };
			if (syscall(SYS_ppoll, &p, 1, &zero, NULL, 0) == 1 && (p.revents & POLLHUP))
				l->prog_gone = 1;
		}
		/* The program has closed its end and everything it sent is out:
		 * the real socket closes as the program's own close would have. */
		if ((l->prog_gone || l->rx.broken) && l->tx.src_eof && (l->tx.eof_passed || l->tx.broken)) {
			free_link(l);
			return UINT64_MAX;
		}
	}
	uint64_t next = UINT64_MAX;
	if (l->state == L_CONNECTING && now < l->connect_at)
		next = l->connect_at;
	if (l->state == L_UP) {
		uint64_t a = l->tx.blocked ? UINT64_MAX : due_first(&l->tx);
		uint64_t b = l->rx.blocked ? UINT64_MAX : due_first(&l->rx);
		next = a < b ? a : b;
	}
	watch(l);
	return next;
}

/* The rules replaced (a reload, the control channel): each link's socket
 * is planned again, and its delays follow (sf_relay_replanned), whether or
 * not the program calls on it. Outside the lock, which a replan takes. */
static void follow_rules(void)
{
	static uint32_t seen;
	uint32_t gen = SF_LOAD(&sf_gen);
	if (!gen || gen == seen)
		return;
	seen = gen;
	for (unsigned i = 0; i < SF_ACQUIRE(&nlinks); i++) {
		pthread_mutex_lock(&lock);
		struct link *l = link_at(i);
		struct sf_sock *s = NULL;
		if ((l->state == L_UP || l->state == L_CONNECTING) && !sf_sock_current(l->s, gen))
			sf_sock_ref(s = l->s);
		pthread_mutex_unlock(&lock);
		if (s) {
			sf_sock_replan(s);
			sf_sock_unref(s);
		}
	}
}

static void *relay_main(void *arg)
{
	(void)arg;
	/* Never inside a wrapper's logic: every call goes straight through. */
	sf_self.depth = 1;
	uint64_t next = UINT64_MAX;
	for (;;) {
		struct epoll_event ev[32];
		uint64_t now = sf_now();
		int ms = next == UINT64_MAX ? -1 : next <= now ? 0 : (int)((next - now + 999999) / 1000000);
		int n = (int)syscall(SYS_epoll_wait, epfd, ev, 32, ms);
		if (n < 0 && errno != EINTR)
			break;
		if (SF_LOAD(&lost))
			break;
		follow_rules();
		pthread_mutex_lock(&lock);
		if (SF_LOAD(&lost)) {
			pthread_mutex_unlock(&lock);
			break;
		}
		uint64_t v;
		syscall(SYS_read, wakefd, &v, sizeof v);
		now = sf_now();
		next = UINT64_MAX;
		for (unsigned i = 0; i < nlinks; i++)
			if (link_at(i)->state != L_FREE) {
				uint64_t t = service(link_at(i), now);
				if (t < next)
					next = t;
			}
		pthread_mutex_unlock(&lock);
	}
	SF_STORE(&running, 0);
	return NULL;
}

/* The relay's epoll and its wake-up, high. */
static int descriptors(void)
{
	if (!floor_fd)
		floor_fd = sf_fd_floor(5);
	if (epfd < 0)
		SF_STORE(&epfd, up_high((int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC)));
	if (wakefd < 0) {
		SF_STORE(&wakefd, up_high((int)syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK)));
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
		if (epfd >= 0 && wakefd >= 0)
			syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, wakefd, &ev);
	}
	return epfd >= 0 && wakefd >= 0;
}

static int ready(void)
{
	if (SF_LOAD(&running))
		return 1;
	if (!descriptors())
		return 0;
	SF_STORE(&running, sf_thread_start(relay_main, 64 * 1024));
	return SF_LOAD(&running);
}

void sf_relay_prepare(void)
{
	/* Growing the descriptor table up to the high numbers waits for every
	 * other thread to pass a quiescent point (milliseconds, more under
	 * load); while the program has one thread it costs nothing: the first
	 * connect would otherwise pay it. */
	struct sf_subject anyone = { .proto = SF_PROTO_TCP, .peer.family = SF_ADDR_ANY, .local.family = SF_ADDR_ANY };
	if (!shaping_rule_for(&anyone))
		return;
	int e0 = errno;
	pthread_mutex_lock(&lock);
	descriptors();
	pthread_mutex_unlock(&lock);
	errno = e0;
}

static void wake(void)
{
	uint64_t one = 1;
	syscall(SYS_write, wakefd, &one, sizeof one);
}

/* The program's end, while its connect is under way: unwritable, as a TCP
 * socket in SYN-SENT is, by a send buffer at its smallest and full. */
static size_t fill(int pend)
{
	int small = 1;
	syscall(SYS_setsockopt, pend, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	static const unsigned char zero[256];
	size_t total = 0;
	for (int i = 0; i < 4096; i++) {
		ssize_t n = syscall(SYS_sendto, pend, zero, sizeof zero, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	return total;
}

/* The program's numbers for the socket s, fd first (a dup made before the
 * connect names the same socket: every number is swapped, or none); -1 if
 * there are more than cap. */
static int numbers(int fd, const struct sf_sock *s, int *nums, int cap)
{
	int n = 0;
	nums[n++] = fd;
	unsigned high = SF_LOAD(&sf_fd_high);
	for (unsigned i = 0; i < high; i++)
		if ((int)i != fd && sf_fd_get((int)i) == (uintptr_t)s) {
			if (n == cap)
				return -1;
			nums[n++] = (int)i;
		}
	return n;
}

/* The program's numbers of one socket and their places in its epoll sets,
 * taken out of the sets while the socket under the numbers changes. */
#define NUMS 8
struct numbers {
	int n;
	int fd[NUMS];
	long fdflags[NUMS];
	int nregs[NUMS];
	struct sf_epoll_reg regs[NUMS][SF_EPOLL_REGS];
};

/* Take every number's registrations out (0 if any cannot be known: then
 * none is out). */
static int unwatch(struct numbers *ns)
{
	for (int k = 0; k < ns->n; k++) {
		ns->nregs[k] = sf_epoll_take(ns->fd[k], SF_LOAD(&epfd), ns->regs[k]);
		if (ns->nregs[k] < 0) {
			for (int j = 0; j < k; j++)
				sf_epoll_put(ns->fd[j], ns->regs[j], ns->nregs[j]);
			return 0;
		}
	}
	return 1;
}

/* Put them back, for what the numbers name now. */
static void rewatch(const struct numbers *ns)
{
	for (int k = 0; k < ns->n; k++)
		sf_epoll_put(ns->fd[k], ns->regs[k], ns->nregs[k]);
}

/* Put sock under every number, each keeping its close-on-exec flag; 0 (and
 * the numbers as they were, under old, if old is given) if one cannot be. */
static int swap_numbers(const struct numbers *ns, int sock, int old)
{
	for (int k = 0; k < ns->n; k++)
		if (syscall(SYS_dup3, sock, ns->fd[k], (ns->fdflags[k] & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
			for (int j = 0; j < k && old >= 0; j++)
				syscall(SYS_dup3, old, ns->fd[j], (ns->fdflags[j] & FD_CLOEXEC) ? O_CLOEXEC : 0);
			return 0;
		}
	return 1;
}

/* How many links the descriptors allow: each holds two numbers above the
 * floor (three while its connect is under way), and the relay takes at most
 * three quarters of the numbers there, the rest staying the program's (144
 * links under the usual limit of 1024 descriptors). */
static unsigned link_budget(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur <= (rlim_t)floor_fd)
		return 0;
	rlim_t room = (rl.rlim_cur - (rlim_t)floor_fd) * 3 / 8;
	return room < LINKS_MAX ? (unsigned)room : LINKS_MAX;
}

/* A free link (under the lock), the table grown by a block if none is
 * free and the budget allows; NULL if none. */
static struct link *free_slot(void)
{
	unsigned n = nlinks;
	for (unsigned i = 0; i < n; i++)
		if (link_at(i)->state == L_FREE)
			return link_at(i);
	/* A failed connect's link is kept for its SO_ERROR until the record
	 * is another socket's. */
	for (unsigned i = 0; i < n; i++) {
		struct link *l = link_at(i);
		if (l->state == L_FAILED && (l->err_taken || SF_LOAD(&l->s->ino) != l->ino)) {
			free_link(l);
			return l;
		}
	}
	if (n >= LINKS_MAX || sf_relay_count >= link_budget())
		return NULL;
	struct link *block = sf_alloc(CHUNK * sizeof *block);
	if (!block)
		return NULL;
	memset(block, 0, CHUNK * sizeof *block);
	for (unsigned i = 0; i < CHUNK; i++) {
		block[i].idx = n + i;
		block[i].keep = -1;
	}
	SF_STORE(&chunks[n / CHUNK], block);
	SF_RELEASE(&nlinks, n + CHUNK);
	return &block[0];
}

int sf_relay_adopt(int fd, struct sf_sock *s, uint64_t connect_at, int fresh)
{
	int e0 = errno;
	int ok = 0, out_of_sets = 0;
	/* An accepted socket has no other number and is in no set yet. */
	struct numbers ns = { .n = 1, .fd = { fd } };
	if (!fresh && (ns.n = numbers(fd, s, ns.fd, NUMS)) < 0) {
		errno = e0;
		return 0;
	}
	/* Out of the program's epoll sets before the swap (looked up in /proc
	 * outside the lock, which the relay's thread needs meanwhile). */
	if (!fresh && !(out_of_sets = unwatch(&ns))) {
		errno = e0;
		return 0;
	}
	pthread_mutex_lock(&lock);
	struct link *l = NULL;
	unsigned char *tb = NULL, *rb = NULL;
	int sv[2] = { -1, -1 }, real = -1;
	if (SF_LOAD(&lost) || !ready() || !(l = free_slot()))
		goto out;
	for (int k = 0; k < ns.n; k++)
		if ((ns.fdflags[k] = syscall(SYS_fcntl, ns.fd[k], F_GETFD)) < 0)
			goto out;
	tb = sf_alloc(RING);
	rb = sf_alloc(RING);
	if (!tb || !rb)
		goto out;
	real = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, floor_fd);
	if (real < 0 || syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto out;
	sv[0] = up_high(sv[0]);
	sv[1] = up_high(sv[1]);
	if (sv[0] < 0 || sv[1] < 0)
		goto out;
	long flflags = syscall(SYS_fcntl, real, F_GETFL);
	if (flflags < 0)
		goto out;
	if (flflags & O_NONBLOCK)
		set_nonblock(sv[0]);
	/* The program's timeouts go with its descriptor. */
	static const int timeouts[] = { SO_RCVTIMEO, SO_SNDTIMEO };
	for (int i = 0; i < 2; i++) {
		struct timeval tv;
		socklen_t tl = sizeof tv;
		if (syscall(SYS_getsockopt, real, SOL_SOCKET, timeouts[i], &tv, &tl) == 0 && (tv.tv_sec || tv.tv_usec))
			syscall(SYS_setsockopt, sv[0], SOL_SOCKET, timeouts[i], &tv, tl);
	}
	size_t filler = connect_at ? fill(sv[0]) : 0;
	if (!swap_numbers(&ns, sv[0], real))
		goto out;
	rewatch(&ns);
	out_of_sets = 0;
	/* Field by field: other threads read state, s, ino and real (find). */
	memset(&l->tx, 0, sizeof l->tx);
	memset(&l->rx, 0, sizeof l->rx);
	l->err = 0;
	l->err_taken = l->prog_gone = l->reg = l->tx_refused = 0;
	/* A blocking connect's 0, or the accept, has told the program it is
	 * connected: the kernel's next connect says EISCONN at once. Only a
	 * connect still under way gets its one 0 from a later connect. */
	l->conn_told = !connect_at;
	l->filler = 0;
	SF_STORE(&l->keep, -1);
	if (connect_at) {
		SF_STORE(&l->keep, sv[0]);
		l->filler = filler;
	} else {
		syscall(SYS_close, sv[0]);
	}
	sv[0] = -1;
	set_nonblock(real);
	set_nonblock(sv[1]);
	sf_sock_identify(s, fd);
	sf_sock_ref(s);
	SF_STORE(&l->s, s);
	SF_STORE(&l->ino, s->ino);
	SF_STORE(&hint[hint_of(s)], (uint16_t)(l->idx + 1));
	SF_STORE(&l->real, real);
	SF_STORE(&l->end, sv[1]);
	l->connect_at = connect_at;
	l->tx.buf = tb;
	l->rx.buf = rb;
	l->tx.delay = plan_delay(s, SF_OPS_TX);
	l->rx.delay = plan_delay(s, SF_OPS_RX);
	plan_shape(s, SF_OPS_TX, &l->tx);
	plan_shape(s, SF_OPS_RX, &l->rx);
	if (!connect_at)
		size_pair(l, fd);
	tb = rb = NULL;
	real = sv[1] = -1;
	SF_STORE(&sf_relay_count, sf_relay_count + 1);
	SF_STORE(&l->state, (uint8_t)(connect_at ? L_CONNECTING : L_UP));
	watch(l);
	sf_sock_all_slow(s);
	wake();
	ok = 1;
out:
	if (out_of_sets)
		rewatch(&ns);
	if (tb)
		sf_free(tb, RING);
	if (rb)
		sf_free(rb, RING);
	if (real >= 0)
		syscall(SYS_close, real);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			syscall(SYS_close, sv[i]);
	pthread_mutex_unlock(&lock);
	errno = e0;
	return ok;
}

int sf_relay_find_real(const struct sf_sock *s, int fd)
{
	struct link *l = find(s, fd);
	return l ? SF_LOAD(&l->real) : -1;
}

int sf_relay_connect_state(const struct sf_sock *s, int fd, int take, int *err)
{
	struct link *l = find(s, fd);
	if (!l)
		return 0;
	pthread_mutex_lock(&lock);
	uint8_t st = l->state;
	int ret = st == L_CONNECTING ? SF_RELAY_CONNECTING : st == L_FAILED ? SF_RELAY_FAILED : SF_RELAY_UP;
	if (take == 2) {
		*err = 0;
	} else if (st == L_CONNECTING) {
		*err = take ? 0 : EALREADY;
	} else if (st == L_FAILED) {
		*err = l->err_taken && take ? 0 : l->err;
		if (take)
			l->err_taken = 1;
	} else if (take) {
		*err = 0;
	} else {
		/* The kernel's second connect after the handshake says 0 once. */
		*err = l->conn_told ? EISCONN : 0;
		l->conn_told = 1;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

void sf_relay_tx_delay(const struct sf_sock *s, int fd, uint64_t ns)
{
	struct link *l = find(s, fd);
	if (l)
		SF_STORE(&l->tx.delay, ns);
}

/* The real socket takes the blocking mode and timeouts the program set on
 * its end (from). */
static void same_mode(int from, int to)
{
	long fl = syscall(SYS_fcntl, from, F_GETFL);
	if (fl >= 0)
		syscall(SYS_fcntl, to, F_SETFL, fl);
	static const int timeouts[] = { SO_RCVTIMEO, SO_SNDTIMEO };
	for (int k = 0; k < 2; k++) {
		struct timeval tv;
		socklen_t tl = sizeof tv;
		if (syscall(SYS_getsockopt, from, SOL_SOCKET, timeouts[k], &tv, &tl) == 0)
			syscall(SYS_setsockopt, to, SOL_SOCKET, timeouts[k], &tv, tl);
	}
}

static void flush_now(struct link *l, uint64_t deadline);

/* Under the lock, the numbers out of their epoll sets: they become the real
 * socket again. What the link holds back for the peer goes out now, as much
 * as the socket takes at once; what it holds for the program, and what the
 * program has not read of its end, is kept for its next receives (stash.h),
 * as data that came before the fault. */
static void hand_back(struct link *l, const struct numbers *ns)
{
	if (l->state == L_UP) {
		flush_now(l, 0);
		for (unsigned k = 0; k < l->rx.mn; k++)
			l->rx.mark[(l->rx.mh + k) % MARKS].due = 0;
		give_out(&l->rx, l->end, UINT64_MAX);
		sf_stash_take(ns->fd[0], l->s);
	}
	same_mode(ns->fd[0], l->real);
	swap_numbers(ns, l->real, -1);
	rewatch(ns);
	sf_sock_identify(l->s, ns->fd[0]);
	free_link(l);
}

void sf_relay_hand_back(struct sf_sock *s, int fd)
{
	if (sf_relay_real_fd(s, fd) < 0)
		return;
	int e0 = errno;
	struct numbers ns = { 0 };
	if ((ns.n = numbers(fd, s, ns.fd, NUMS)) < 0) {
		errno = e0;
		return;
	}
	pthread_mutex_lock(&lock);
	struct link *l = find(s, fd);
	int ok = l && (l->state == L_UP || l->state == L_CONNECTING);
	for (int k = 0; ok && k < ns.n; k++)
		ok = (ns.fdflags[k] = syscall(SYS_fcntl, ns.fd[k], F_GETFD)) >= 0;
	if (ok && unwatch(&ns))
		hand_back(l, &ns);
	pthread_mutex_unlock(&lock);
	errno = e0;
}

void sf_relay_quiet(const struct sf_sock *s, int fd)
{
	if (sf_relay_real_fd(s, fd) < 0)
		return;
	pthread_mutex_lock(&lock);
	struct link *l = find(s, fd);
	/* Closed now: nothing more goes out (the socket is in repair mode),
	 * and its addresses are free for the ghost (ghost.h) that stands in
	 * for it once the program's close is done. */
	if (l && l->state == L_UP)
		free_link(l);
	pthread_mutex_unlock(&lock);
}

static int within(int fd, unsigned lo, unsigned hi)
{
	return fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi;
}

void sf_relay_fd_range_lost(unsigned lo, unsigned hi)
{
	if (SF_LOAD(&epfd) < 0 || SF_LOAD(&lost))
		return;
	int hit = within(SF_LOAD(&epfd), lo, hi) || within(SF_LOAD(&wakefd), lo, hi);
	for (unsigned i = 0, n = SF_ACQUIRE(&nlinks); i < n && !hit; i++) {
		struct link *l = link_at(i);
		if (SF_LOAD(&l->state) == L_FREE)
			continue;
		hit = within(SF_LOAD(&l->real), lo, hi) || within(SF_LOAD(&l->end), lo, hi) ||
		      within(SF_LOAD(&l->keep), lo, hi);
	}
	if (hit) {
		/* Whatever the relay carried is lost with them, as when a
		 * program closes a connection it did not know it had. */
		SF_STORE(&lost, 1);
		SF_STORE(&sf_relay_count, 0);
	}
}

/* Send now what the link holds back for the peer, and what the program's
 * end still has (bounded by deadline). */
static void flush_now(struct link *l, uint64_t deadline)
{
	for (;;) {
		/* Until a take from an empty ring finds the pair empty too (a
		 * full ring takes nothing before it is given out). */
		uint64_t before = l->tx.taken;
		size_t had = l->tx.len;
		take_in(&l->tx, l->end, 0, 0);
		for (unsigned k = 0; k < l->tx.mn; k++)
			l->tx.mark[(l->tx.mh + k) % MARKS].due = 0;
		l->tx.eof_due = 0;
		give_out(&l->tx, l->real, UINT64_MAX);
		uint64_t now = sf_now();
		if (l->tx.broken || (!had && !l->tx.mn && l->tx.taken == before && !l->tx.blocked) || now >= deadline)
			break;
		if (l->tx.blocked) {
			struct pollfd p = { .fd = l->real, .events = POLLOUT };
			struct timespec ts = { (time_t)((deadline - now) / SF_NS_PER_S),
					       (long)((deadline - now) % SF_NS_PER_S) };
			syscall(SYS_ppoll, &p, 1, &ts, NULL, 0);
		}
	}
}

/* The process is ending: the relay's thread ends with it, and the kernel
 * would deliver what the program sent. What is still held back goes out
 * now, early rather than never (bounded: a peer that takes nothing gets
 * what fits in two seconds). */
/* The lock, from an exit or an exec that may run in a signal handler which
 * interrupted a holder: tried for at most 100 ms (the relay's thread holds
 * it for microseconds). */
static int lock_bounded(void)
{
	for (int i = 0; i < 100; i++) {
		if (pthread_mutex_trylock(&lock) == 0)
			return 1;
		struct timespec ms = { 0, 1000000 };
		syscall(SYS_nanosleep, &ms, NULL);
	}
	return 0;
}

__attribute__((destructor)) static void relay_at_exit(void)
{
	if (!SF_LOAD(&sf_relay_count) || SF_LOAD(&lost))
		return;
	int e0 = errno;
	if (!lock_bounded()) {
		errno = e0;
		return;
	}
	uint64_t deadline = sf_now() + 2 * SF_NS_PER_S;
	for (unsigned i = 0; i < nlinks; i++)
		if (link_at(i)->state == L_UP)
			flush_now(link_at(i), deadline);
	pthread_mutex_unlock(&lock);
	errno = e0;
}

/* The program's descriptors of a link's end that a new program would
 * inherit, up to `cap`; how many. */
static int inherited(const struct link *l, int *fds, int cap)
{
	int n = 0;
	unsigned high = SF_LOAD(&sf_fd_high);
	for (unsigned i = 0; i < high && n < cap; i++) {
		if (sf_fd_get((int)i) != (uintptr_t)l->s)
			continue;
		long fl = syscall(SYS_fcntl, (int)i, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			fds[n++] = (int)i;
	}
	return n;
}

void sf_relay_before_exec(void)
{
	if (!SF_LOAD(&sf_relay_count) || SF_LOAD(&lost) || !sf_proc_owns_state())
		return;
	int e0 = errno;
	if (!lock_bounded()) {
		errno = e0;
		return;
	}
	uint64_t deadline = sf_now() + 2 * SF_NS_PER_S;
	for (unsigned i = 0; i < nlinks; i++) {
		struct link *l = link_at(i);
		int fds[16];
		int n = l->state == L_UP || l->state == L_CONNECTING ? inherited(l, fds, 16) : 0;
		if (!n)
			continue;
		if (l->state == L_UP)
			flush_now(l, deadline);
		/* The program's numbers become the real socket again, with the
		 * program's end's blocking mode and timeouts. */
		same_mode(fds[0], l->real);
		for (int k = 0; k < n; k++)
			syscall(SYS_dup3, l->real, fds[k], 0);
		sf_sock_identify(l->s, fds[0]);
		free_link(l);
	}
	pthread_mutex_unlock(&lock);
	errno = e0;
}

void sf_relay_disable(void)
{
	if (!SF_LOAD(&lost))
		SF_STORE(&lost, 1);
}

void sf_relay_lock(void)
{
	pthread_mutex_lock(&lock);
}

void sf_relay_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

void sf_relay_child_reset(void)
{
	pthread_mutex_init(&lock, NULL);
	if (epfd < 0 && !sf_relay_count)
		return;
	/* The connections stay the parent's to carry: the child's descriptor
	 * is the same end of the same pair, served by the parent's thread. The
	 * child's copies of the relay's descriptors would keep the real
	 * connections open after the parent closed them: closed here. */
	for (unsigned i = 0; i < nlinks; i++) {
		struct link *l = link_at(i);
		if (l->state == L_FREE)
			continue;
		if (!lost) {
			syscall(SYS_close, l->real);
			syscall(SYS_close, l->end);
			if (l->keep >= 0)
				syscall(SYS_close, l->keep);
		}
		sf_free(l->tx.buf, RING);
		sf_free(l->rx.buf, RING);
		l->state = L_FREE;
	}
	if (!lost) {
		if (epfd >= 0)
			syscall(SYS_close, epfd);
		if (wakefd >= 0)
			syscall(SYS_close, wakefd);
	}
	SF_STORE(&epfd, -1);
	SF_STORE(&wakefd, -1);
	running = 0;
	sf_relay_count = 0;
}
