/* One direction of a relayed connection (relay_link.h): the bytes read
 * from its source into its ring, each read due at the destination when its
 * delay, and its pace (pace.h: lossy's retransmissions, throttle's
 * bottleneck), say. */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "relay_link.h"
#include "units.h"

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

uint64_t sf_dir_due_first(const struct dir *d)
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

int sf_dir_has_room(const struct dir *d)
{
	return !d->src_eof && d->len < queue_max(d) && d->mn < MARKS;
}

/* Read what the source has, as room allows; each read is one mark at
 * least (a paced one, one for each segment due at another time). */
void sf_dir_take_in(struct dir *d, int src, uint64_t now, uint64_t rtt)
{
	while (sf_dir_has_room(d)) {
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
		/* What was read came by now: the wake-up's own time may be
		 * older than the bytes (or the end), which would then be due a
		 * little before their delay is over. */
		now = sf_now();
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

void sf_dir_give_out(struct dir *d, int dst, uint64_t now)
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

void sf_link_flush(struct link *l, uint64_t deadline)
{
	for (;;) {
		/* Until a take from an empty ring finds the pair empty too (a
		 * full ring takes nothing before it is given out). */
		uint64_t before = l->tx.taken;
		size_t had = l->tx.len;
		sf_dir_take_in(&l->tx, l->end, 0, 0);
		for (unsigned k = 0; k < l->tx.mn; k++)
			l->tx.mark[(l->tx.mh + k) % MARKS].due = 0;
		l->tx.eof_due = 0;
		sf_dir_give_out(&l->tx, l->real, UINT64_MAX);
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
