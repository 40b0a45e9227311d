#include "ghost.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "fdfloor.h"
#include "proc.h"
#include "sf.h"
#include "units.h"

/* A bound on what the library holds: past it, the oldest ghost goes first. */
#define GHOSTS 64

/* How long a ghost stays: a peer with unacknowledged data gives up after
 * 924.6 s with Linux's default tcp_retries2 (15); after that, and at the
 * program's exit or exec, the ghost is closed (silently) and a segment the
 * peer sends later is answered with an RST. */
#define GHOST_LIFE_NS (930ull * SF_NS_PER_S)

/* A slot: EMPTY, or FULL with a ghost; BUSY while one thread writes or
 * empties it (so that closing a ghost and the program closing its number
 * never both act on it). A fork that catches a slot BUSY leaves the child
 * with one slot fewer, for good. */
enum { EMPTY, BUSY, FULL };

struct ghost {
	int state;
	int fd;
	uint64_t ino, dev;
	uint64_t born_ns;
};

static struct ghost ghosts[GHOSTS];

/* When this process last forked, spawned or was born as a child
 * (monotonic ns). */
static uint64_t forked_ns;

static int claim(struct ghost *g, int from)
{
	return __atomic_compare_exchange_n(&g->state, &from, BUSY, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void release(struct ghost *g, int to)
{
	__atomic_store_n(&g->state, to, __ATOMIC_RELEASE);
}

/* Close the ghost of a claimed slot, if its number still holds it (the
 * program may have closed it where the library could not see, and have the
 * number for a file of its own now). */
static void let_go(struct ghost *g)
{
	struct stat st;
	if (fstat(g->fd, &st) == 0 && (uint64_t)st.st_ino == g->ino && (uint64_t)st.st_dev == g->dev)
		syscall(SYS_close, g->fd);
	release(g, EMPTY);
}

/* Free a slot for a new ghost: an empty one, else the oldest is let go.
 * Ghosts past their time are let go on the way. Returns a claimed slot, or
 * NULL. */
static struct ghost *find_slot(uint64_t now)
{
	struct ghost *oldest = NULL;
	for (int i = 0; i < GHOSTS; i++) {
		struct ghost *g = &ghosts[i];
		if (SF_ACQUIRE(&g->state) != FULL)
			continue;
		if (now - SF_LOAD(&g->born_ns) >= GHOST_LIFE_NS && claim(g, FULL))
			let_go(g);
		else if (!oldest || SF_LOAD(&g->born_ns) < SF_LOAD(&oldest->born_ns))
			oldest = g;
	}
	for (int i = 0; i < GHOSTS; i++)
		if (claim(&ghosts[i], EMPTY))
			return &ghosts[i];
	if (oldest && claim(oldest, FULL)) {
		let_go(oldest);
		if (claim(oldest, EMPTY))
			return oldest;
	}
	return NULL;
}

static int sockaddr_from_record(const struct sf_sock *s, int family, struct sockaddr_storage *a, socklen_t *len)
{
	const struct sf_caddr *c = &s->peer;
	memset(a, 0, sizeof *a);
	if (!(SF_LOAD(&s->flags) & SF_SOCK_HAS_PEER))
		return 0;
	if (family == AF_INET && c->family == SF_ADDR_IP4) {
		struct sockaddr_in *in = (void *)a;
		in->sin_family = AF_INET;
		in->sin_port = htons(c->port);
		memcpy(&in->sin_addr, c->ip, 4);
		*len = sizeof *in;
		return 1;
	}
	if (family == AF_INET6 && (c->family == SF_ADDR_IP4 || c->family == SF_ADDR_IP6)) {
		struct sockaddr_in6 *in6 = (void *)a;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(c->port);
		if (c->family == SF_ADDR_IP6) {
			memcpy(&in6->sin6_addr, c->ip, 16);
		} else {
			in6->sin6_addr.s6_addr[10] = 0xff;
			in6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(in6->sin6_addr.s6_addr + 12, c->ip, 4);
		}
		*len = sizeof *in6;
		return 1;
	}
	return 0;
}

int sf_ghost_plan_of(int fd, const struct sf_sock *s, struct sf_ghost_plan *p)
{
	int saved = errno;
	p->local_len = sizeof p->local;
	p->peer_len = sizeof p->peer;
	int ok = syscall(SYS_getsockname, fd, &p->local, &p->local_len) == 0 &&
		 (p->local.ss_family == AF_INET || p->local.ss_family == AF_INET6);
	/* A connection the kernel itself timed out has no peer any more:
	 * the record remembers it. */
	if (ok && syscall(SYS_getpeername, fd, &p->peer, &p->peer_len) != 0)
		ok = sockaddr_from_record(s, p->local.ss_family, &p->peer, &p->peer_len);
	errno = saved;
	return ok;
}

/* The ghost itself, at the lowest free number for now: in repair mode
 * before anything else, so that its connect sends no SYN and puts it
 * straight into ESTABLISHED, and its close later sends nothing. Bound to
 * the connection's own port (repair mode may share it, a listener's too). */
static int make(const struct sf_ghost_plan *p)
{
	int fd = (int)syscall(SYS_socket, p->local.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -1;
	int on = TCP_REPAIR_ON;
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &drop };
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) != 0 ||
	    syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0 ||
	    syscall(SYS_bind, fd, &p->local, p->local_len) != 0 ||
	    syscall(SYS_connect, fd, &p->peer, p->peer_len) != 0) {
		syscall(SYS_close, fd);
		return -1;
	}
	return fd;
}

/* Keep fd, a descriptor of the library's, in the claimed slot g (with the
 * identity it is checked against before it is closed); closed if that
 * cannot be known. */
static void keep(struct ghost *g, int fd, uint64_t now)
{
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		/* Atomic stores: find_slot and sf_ghost_fd_range_lost read
		 * these before they claim the slot. */
		SF_STORE(&g->fd, fd);
		SF_STORE(&g->ino, (uint64_t)st.st_ino);
		SF_STORE(&g->dev, (uint64_t)st.st_dev);
		SF_STORE(&g->born_ns, now);
		release(g, FULL);
		return;
	}
	if (fd >= 0)
		syscall(SYS_close, fd);
	release(g, EMPTY);
}

void sf_ghost_raise(const struct sf_ghost_plan *p)
{
	int saved = errno;
	/* A vfork child's table would be the parent's, its descriptor not. */
	struct ghost *g = sf_proc_owns_state() ? find_slot(sf_now()) : NULL;
	if (!g) {
		errno = saved;
		return;
	}
	/* No room up high (-1): the number would be one the program counts
	 * on. Without the ghost, the peer's next segment is answered with an
	 * RST. */
	int fd = make(p);
	int high = fd < 0 ? -1 : (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, sf_fd_floor(5));
	if (fd >= 0)
		syscall(SYS_close, fd);
	keep(g, high, sf_now());
	errno = saved;
}

void sf_ghost_for_ended(int fd, const struct sf_sock *s)
{
	struct sf_ghost_plan p;
	if (!sf_ghost_may_share(s) && sf_ghost_plan_of(fd, s, &p))
		sf_ghost_raise(&p);
}

void sf_ghost_forked(void)
{
	SF_STORE(&forked_ns, sf_now());
}

int sf_ghost_may_share(const struct sf_sock *s)
{
	/* Atomic: the timer thread asks while a call marks the error told. */
	return (SF_LOAD(&s->flags) & SF_SOCK_LEARNED) || s->t_connected <= SF_LOAD(&forked_ns);
}

void sf_ghost_fd_range_lost(unsigned lo, unsigned hi)
{
	/* A vfork child's descriptors are not the parent's. */
	if (!sf_proc_owns_state())
		return;
	for (int i = 0; i < GHOSTS; i++) {
		struct ghost *g = &ghosts[i];
		if (SF_ACQUIRE(&g->state) != FULL)
			continue;
		unsigned fd = (unsigned)SF_LOAD(&g->fd);
		if (fd < lo || fd > hi || !claim(g, FULL))
			continue;
		/* Between the look and the claim the slot may have been emptied
		 * and filled with another ghost: the number is asked again. */
		fd = (unsigned)SF_LOAD(&g->fd);
		release(g, fd >= lo && fd <= hi ? EMPTY : FULL);
	}
}
