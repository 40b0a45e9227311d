/* The relay's thread (relay.h): one epoll set over every link's real
 * socket and end of the pair, each watched for what its link waits for;
 * each wake-up moves every link on (its connect, its bytes due) and says
 * when it must look again. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "fdfloor.h"
#include "relay_link.h"
#include "thread.h"

static int running;

int sf_relay_high(int fd)
{
	if (fd < 0)
		return fd;
	int h = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, sf_relay.floor_fd);
	syscall(SYS_close, fd);
	return h;
}

/* Register one descriptor's interest (none: not watched at all, since
 * epoll reports a hangup whatever the interest). */
static void watch_one(int fd, uint32_t events, uint64_t tag, uint8_t *reg, uint8_t bit)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	if (!events) {
		if (*reg & bit)
			syscall(SYS_epoll_ctl, sf_relay.epfd, EPOLL_CTL_DEL, fd, NULL);
		*reg &= (uint8_t)~bit;
		return;
	}
	syscall(SYS_epoll_ctl, sf_relay.epfd, (*reg & bit) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
	*reg |= bit;
}

void sf_link_watch(struct link *l)
{
	uint32_t ri = 0, ei = 0;
	/* Before its time the connect's end is not looked at. */
	if (l->state == L_CONNECTING && l->connect_at <= sf_now())
		ri = EPOLLOUT;
	if (l->state == L_UP) {
		if (sf_dir_has_room(&l->rx))
			ri |= EPOLLIN;
		if (l->tx.blocked)
			ri |= EPOLLOUT;
		if (sf_dir_has_room(&l->tx))
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

void sf_link_unwatch(struct link *l)
{
	watch_one(l->real, 0, 0, &l->reg, 1);
	watch_one(l->end, 0, 0, &l->reg, 2);
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
			sf_link_release_keep(l);
		}
	}
	if (l->state == L_FAILED && l->keep >= 0) {
		/* Writable, readable (end of stream) and hung up at once, as a
		 * failed connect polls; sends EPIPE; SO_ERROR tells the error. */
		sf_link_release_keep(l);
		syscall(SYS_shutdown, l->end, SHUT_RDWR);
	}
	if (l->state == L_UP) {
		uint64_t rtt = l->tx.pace.loss || l->rx.pace.loss ? link_rtt(l) : 0;
		sf_dir_take_in(&l->tx, l->end, now, rtt);
		sf_dir_take_in(&l->rx, l->real, now, rtt);
		sf_dir_give_out(&l->tx, l->real, now);
		sf_dir_give_out(&l->rx, l->end, now);
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
			sf_link_free(l);
			return UINT64_MAX;
		}
	}
	uint64_t next = UINT64_MAX;
	if (l->state == L_CONNECTING && now < l->connect_at)
		next = l->connect_at;
	if (l->state == L_UP) {
		uint64_t a = l->tx.blocked ? UINT64_MAX : sf_dir_due_first(&l->tx);
		uint64_t b = l->rx.blocked ? UINT64_MAX : sf_dir_due_first(&l->rx);
		next = a < b ? a : b;
	}
	sf_link_watch(l);
	return next;
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
		int n = (int)syscall(SYS_epoll_wait, sf_relay.epfd, ev, 32, ms);
		if (n < 0 && errno != EINTR)
			break;
		if (SF_LOAD(&sf_relay.lost))
			break;
		sf_links_follow_rules();
		pthread_mutex_lock(&sf_relay.lock);
		if (SF_LOAD(&sf_relay.lost)) {
			pthread_mutex_unlock(&sf_relay.lock);
			break;
		}
		uint64_t v;
		syscall(SYS_read, sf_relay.wakefd, &v, sizeof v);
		now = sf_now();
		next = UINT64_MAX;
		for (unsigned i = 0; i < sf_relay.nlinks; i++)
			if (sf_link_at(i)->state != L_FREE) {
				uint64_t t = service(sf_link_at(i), now);
				if (t < next)
					next = t;
			}
		pthread_mutex_unlock(&sf_relay.lock);
	}
	SF_STORE(&running, 0);
	return NULL;
}

/* The relay's epoll and its wake-up, high. */
int sf_relay_descriptors(void)
{
	if (!sf_relay.floor_fd)
		sf_relay.floor_fd = sf_fd_floor(5);
	if (sf_relay.epfd < 0)
		SF_STORE(&sf_relay.epfd, sf_relay_high((int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC)));
	if (sf_relay.wakefd < 0) {
		SF_STORE(&sf_relay.wakefd, sf_relay_high((int)syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK)));
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
		if (sf_relay.epfd >= 0 && sf_relay.wakefd >= 0)
			syscall(SYS_epoll_ctl, sf_relay.epfd, EPOLL_CTL_ADD, sf_relay.wakefd, &ev);
	}
	return sf_relay.epfd >= 0 && sf_relay.wakefd >= 0;
}

int sf_relay_thread_ready(void)
{
	if (SF_LOAD(&running))
		return 1;
	if (!sf_relay_descriptors())
		return 0;
	SF_STORE(&running, sf_thread_start(relay_main, 64 * 1024));
	return SF_LOAD(&running);
}

void sf_relay_thread_wake(void)
{
	uint64_t one = 1;
	syscall(SYS_write, sf_relay.wakefd, &one, sizeof one);
}

void sf_relay_thread_forget(void)
{
	if (!sf_relay.lost) {
		if (sf_relay.epfd >= 0)
			syscall(SYS_close, sf_relay.epfd);
		if (sf_relay.wakefd >= 0)
			syscall(SYS_close, sf_relay.wakefd);
	}
	SF_STORE(&sf_relay.epfd, -1);
	SF_STORE(&sf_relay.wakefd, -1);
	running = 0;
}
