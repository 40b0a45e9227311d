/* A connection taken over by the relay (relay.h), and given back: the
 * program's numbers of the socket, out of its epoll sets while they
 * become the pair's end (and the real socket again), and its end of the
 * pair while its connect is under way. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "alloc.h"
#include "fdtab.h"
#include "relay_epoll.h"
#include "relay_link.h"
#include "stash.h"

static void set_nonblock(int fd)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	if (fl >= 0)
		syscall(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
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

/* Its buffer back to the kernel's size, the bytes that filled it read
 * away. */
void sf_link_release_keep(struct link *l)
{
	if (l->keep < 0)
		return;
	int sz = 212992;
	socklen_t sl = sizeof sz;
	syscall(SYS_getsockopt, l->end, SOL_SOCKET, SO_SNDBUF, &sz, &sl);
	sz /= 2; /* the kernel doubles what it is given */
	syscall(SYS_setsockopt, l->keep, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	size_pair(l, l->keep);
	/* The filler goes in one read: each read that frees some of it wakes
	 * the program's end as writable, and an edge-triggered loop would see
	 * a second OUT after the one that told it the connect was done. The
	 * relay's thread alone lets go of a keep. */
	static unsigned char sink[16384];
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
		ns->nregs[k] = sf_epoll_take(ns->fd[k], SF_LOAD(&sf_relay.epfd), ns->regs[k]);
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
	pthread_mutex_lock(&sf_relay.lock);
	struct link *l = NULL;
	unsigned char *tb = NULL, *rb = NULL;
	int sv[2] = { -1, -1 }, real = -1;
	if (SF_LOAD(&sf_relay.lost) || !sf_relay_thread_ready() || !(l = sf_link_take()))
		goto out;
	for (int k = 0; k < ns.n; k++)
		if ((ns.fdflags[k] = syscall(SYS_fcntl, ns.fd[k], F_GETFD)) < 0)
			goto out;
	tb = sf_alloc(RING);
	rb = sf_alloc(RING);
	if (!tb || !rb)
		goto out;
	real = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, sf_relay.floor_fd);
	if (real < 0 || syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto out;
	sv[0] = sf_relay_high(sv[0]);
	sv[1] = sf_relay_high(sv[1]);
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
	sf_link_bind(l, s);
	SF_STORE(&l->real, real);
	SF_STORE(&l->end, sv[1]);
	l->connect_at = connect_at;
	l->tx.buf = tb;
	l->rx.buf = rb;
	sf_link_plan(l, s);
	if (!connect_at)
		size_pair(l, fd);
	tb = rb = NULL;
	real = sv[1] = -1;
	SF_STORE(&sf_relay_count, sf_relay_count + 1);
	SF_STORE(&l->state, (uint8_t)(connect_at ? L_CONNECTING : L_UP));
	sf_link_watch(l);
	sf_sock_all_slow(s);
	sf_relay_thread_wake();
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
	pthread_mutex_unlock(&sf_relay.lock);
	errno = e0;
	return ok;
}

void sf_relay_same_mode(int from, int to)
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

/* Under the lock, the numbers out of their epoll sets: they become the real
 * socket again. What the link holds back for the peer goes out now, as much
 * as the socket takes at once; what it holds for the program, and what the
 * program has not read of its end, is kept for its next receives (stash.h),
 * as data that came before the fault. */
static void hand_back(struct link *l, const struct numbers *ns)
{
	if (l->state == L_UP) {
		sf_link_flush(l, 0);
		for (unsigned k = 0; k < l->rx.mn; k++)
			l->rx.mark[(l->rx.mh + k) % MARKS].due = 0;
		sf_dir_give_out(&l->rx, l->end, UINT64_MAX);
		sf_stash_take(ns->fd[0], l->s);
	}
	sf_relay_same_mode(ns->fd[0], l->real);
	swap_numbers(ns, l->real, -1);
	rewatch(ns);
	sf_sock_identify(l->s, ns->fd[0]);
	sf_link_free(l);
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
	pthread_mutex_lock(&sf_relay.lock);
	struct link *l = sf_link_find(s, fd);
	int ok = l && (l->state == L_UP || l->state == L_CONNECTING);
	for (int k = 0; ok && k < ns.n; k++)
		ok = (ns.fdflags[k] = syscall(SYS_fcntl, ns.fd[k], F_GETFD)) >= 0;
	if (ok && unwatch(&ns))
		hand_back(l, &ns);
	pthread_mutex_unlock(&sf_relay.lock);
	errno = e0;
}

void sf_relay_quiet(const struct sf_sock *s, int fd)
{
	if (sf_relay_real_fd(s, fd) < 0)
		return;
	pthread_mutex_lock(&sf_relay.lock);
	struct link *l = sf_link_find(s, fd);
	/* Closed now: nothing more goes out (the socket is in repair mode),
	 * and its addresses are free for the ghost (ghost.h) that stands in
	 * for it once the program's close is done. */
	if (l && l->state == L_UP)
		sf_link_free(l);
	pthread_mutex_unlock(&sf_relay.lock);
}
