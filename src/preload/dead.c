#include "dead.h"

#include <errno.h>
#include <linux/filter.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "active.h"
#include "clock.h"
#include "log.h"
#include "real.h"
#include "settings.h"
#include "slow.h"
#include "timer.h"

static int is_tcp(const struct sf_sock *s)
{
	return s->proto == SF_PROTO_TCP;
}

/* Every segment that arrives for the socket is dropped before TCP or UDP
 * sees it: nothing is acknowledged, nothing becomes readable, and the
 * kernel's own blocking, SO_RCVTIMEO and poll behave as on a dead link. */
static int attach_drop_filter(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &drop };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/* What was already queued would still be readable: throw it away. */
static void drain(int fd)
{
	char scratch[4096];
	for (int i = 0; i < 4096; i++)
		if (sf_real_recvfrom(fd, scratch, sizeof scratch, MSG_DONTWAIT, NULL, NULL) <= 0)
			return;
}

/* Abort a TCP connection: connect(AF_UNSPEC) runs the kernel's disconnect,
 * which sends an RST to an established peer and wakes every waiter. */
static void abort_tcp(int fd)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	sf_real_connect(fd, &unspec, sizeof unspec);
}

static void consume_kernel_error(int fd)
{
	int e;
	socklen_t l = sizeof e;
	sf_real_getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
}

static void die(struct sf_sock *s, enum sf_dead how, int err)
{
	SF_STORE(&s->dead_err, (uint16_t)err);
	SF_STORE(&s->dead, (uint8_t)how);
	sf_sock_all_slow(s);
}

void sf_raise_sigpipe(enum sf_op op, int flags)
{
	int nosignal = (flags & MSG_NOSIGNAL) && op != SF_OP_write && op != SF_OP_writev;
	if (!nosignal)
		syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), SIGPIPE);
}

static int is_tx(enum sf_op op)
{
	return (SF_OPS_TX & SF_OPBIT(op)) != 0;
}

static int is_rx(enum sf_op op)
{
	return (SF_OPS_RX & SF_OPBIT(op)) != 0;
}

static uint64_t sockopt_timeout_ns(int fd, int which)
{
	struct timeval tv;
	socklen_t l = sizeof tv;
	if (sf_real_getsockopt(fd, SOL_SOCKET, which, &tv, &l) < 0)
		return 0;
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

/* A unix stream socket has no filter hook on its receive path, and a TCP
 * socket may already hold its peer's FIN: silence is kept by hand. Incoming data is discarded; a blocking receive waits for
 * SO_RCVTIMEO (EAGAIN), the timeout's deadline (ETIMEDOUT), a signal
 * (EINTR), or for ever. */
static long hold_rx(struct sf_call *c, int flags, int *err)
{
	int nonblock = (flags & MSG_DONTWAIT) || sf_fd_nonblocking(c->fd);
	uint64_t rcvtimeo = sockopt_timeout_ns(c->fd, SO_RCVTIMEO);
	uint64_t start = sf_now();
	for (;;) {
		char scratch[4096];
		int peer_gone = 0;
		for (int i = 0; i < 4096; i++) {
			ssize_t r = sf_real_recvfrom(c->fd, scratch, sizeof scratch, MSG_DONTWAIT, NULL, NULL);
			if (r == 0)
				peer_gone = 1;
			if (r <= 0)
				break;
		}
		if (SF_LOAD(&c->s->dead) == SF_DEAD_TIMEDOUT) {
			*err = ETIMEDOUT;
			return -1;
		}
		if (nonblock) {
			*err = EAGAIN;
			return -1;
		}
		uint64_t now = sf_now();
		int wait_ms = -1;
		if (rcvtimeo) {
			if (now - start >= rcvtimeo) {
				*err = EAGAIN;
				return -1;
			}
			wait_ms = (int)((rcvtimeo - (now - start)) / 1000000ull) + 1;
		}
		/* The peer's close would make poll return at once, for ever: wait
		 * in small steps instead, so the timeout's kill is still seen. */
		if (peer_gone && (wait_ms < 0 || wait_ms > 50))
			wait_ms = 50;
		struct pollfd p = { c->fd, POLLIN, 0 };
		int r = peer_gone ? (sf_sleep_ns((uint64_t)wait_ms * 1000000ull), 0) : poll(&p, 1, wait_ms);
		if (r < 0 && errno == EINTR) {
			*err = EINTR;
			return -1;
		}
	}
}

int sf_dead_begin(struct sf_call *c, int flags, long *ret, int *err)
{
	struct sf_sock *s = c->s;
	const struct sf_verdict *r = &c->v;
	int tx = is_tx(c->op);
	switch (r->action) {
	case SF_ACT_RESET:
		die(s, SF_DEAD_RESET, ECONNRESET);
		if (is_tcp(s)) {
			abort_tcp(c->fd);
			consume_kernel_error(c->fd);
		} else {
			sf_real_shutdown(c->fd, SHUT_RDWR);
		}
		*ret = -1;
		*err = ECONNRESET;
		return 1;
	case SF_ACT_EOF:
		die(s, SF_DEAD_EOF, 0);
		sf_real_shutdown(c->fd, SHUT_RD);
		*ret = 0;
		*err = 0;
		return 1;
	case SF_ACT_HANGUP:
		die(s, SF_DEAD_HANGUP, EPIPE);
		sf_real_shutdown(c->fd, SHUT_RDWR);
		if (tx)
			return 0; /* the kernel answers: EPIPE, and SIGPIPE unless MSG_NOSIGNAL */
		*ret = 0;
		*err = 0;
		return 1;
	case SF_ACT_BLACKHOLE:
	case SF_ACT_TIMEOUT: {
		int timeout = r->action == SF_ACT_TIMEOUT;
		if (s->proto != SF_PROTO_UNIX) {
			attach_drop_filter(c->fd);
			drain(c->fd);
			/* A FIN that arrived before the silence cannot be taken back
			 * from the kernel (it keeps the socket readable): receives
			 * are then kept silent by the library. */
			char probe;
			if (sf_real_recvfrom(c->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT, NULL, NULL) == 0)
				__atomic_fetch_or(&s->flags, SF_SOCK_FIN_HIDDEN, __ATOMIC_RELAXED);
		}
		die(s, timeout ? SF_DEAD_TIMEOUT : SF_DEAD_BLACKHOLE, timeout ? ETIMEDOUT : 0);
		if (timeout) {
			uint16_t token = (uint16_t)(SF_LOAD(&s->timer_token) + 1);
			SF_STORE(&s->timer_token, token);
			sf_timer_schedule(c->fd, s, token, sf_now() + r->dur_ns);
		}
		return sf_dead_answer(c, flags, ret, err);
	}
	case SF_ACT_ERROR:
		/* A sticky error on a connection: the connection is gone for the
		 * program, silently for the peer (as when a firewall dropped it);
		 * SHUT_RD makes poll report it so an event loop comes to read. */
		die(s, SF_DEAD_ERROR, r->err);
		sf_real_shutdown(c->fd, SHUT_RD);
		*ret = -1;
		*err = r->err;
		if (r->err == EPIPE && tx && (s->flags & SF_SOCK_STREAM))
			sf_raise_sigpipe(c->op, flags);
		return 1;
	default:
		return 0;
	}
}

int sf_dead_answer(struct sf_call *c, int flags, long *ret, int *err)
{
	struct sf_sock *s = c->s;
	enum sf_dead d = (enum sf_dead)SF_LOAD(&s->dead);
	int tx = is_tx(c->op), rx = is_rx(c->op);
	int connect = c->op == SF_OP_connect;
	switch (d) {
	case SF_DEAD_NONE:
		return 0;
	case SF_DEAD_EOF:
		if (!rx)
			return 0;
		*ret = 0;
		*err = 0;
		return 1;
	case SF_DEAD_HANGUP:
	case SF_DEAD_RESET:
		if (rx) {
			*ret = 0;
			*err = 0;
			return 1;
		}
		if (connect) {
			/* A TCP socket after an abort would connect again; one that
			 * was reset by its peer is still "connected". */
			*ret = -1;
			*err = EISCONN;
			return 1;
		}
		if (d == SF_DEAD_RESET && c->op == SF_OP_getpeername) {
			/* The kernel agrees for TCP; a unix socket after shutdown
			 * would still name its peer. */
			*ret = -1;
			*err = ENOTCONN;
			return 1;
		}
		return 0; /* sends: the kernel gives EPIPE (and SIGPIPE) itself */
	case SF_DEAD_BLACKHOLE:
	case SF_DEAD_TIMEOUT:
		if (tx && SF_LOAD(&s->state) != SF_STATE_CONNECTING)
			return SF_DEAD_PRETEND_SENT; /* sent into the void */
		if (rx && (s->proto == SF_PROTO_UNIX || (SF_LOAD(&s->flags) & SF_SOCK_FIN_HIDDEN))) {
			*ret = hold_rx(c, flags, err);
			return 1;
		}
		if (connect && s->proto == SF_PROTO_UNIX) {
			/* A unix connect is never in progress: the nearest thing the
			 * kernel has is a full backlog. */
			*ret = -1;
			*err = EAGAIN;
			return 1;
		}
		return 0;
	case SF_DEAD_TIMEDOUT:
		if (tx || rx || connect) {
			*ret = -1;
			*err = ETIMEDOUT;
			return 1;
		}
		if (c->op == SF_OP_getpeername) {
			*ret = -1;
			*err = ENOTCONN;
			return 1;
		}
		return 0;
	case SF_DEAD_ERROR:
		if (tx || rx) {
			*ret = -1;
			*err = SF_LOAD(&s->dead_err);
			if (*err == EPIPE && tx && (s->flags & SF_SOCK_STREAM))
				sf_raise_sigpipe(c->op, flags);
			return 1;
		}
		if (c->op == SF_OP_getpeername) {
			*ret = -1;
			*err = ENOTCONN;
			return 1;
		}
		return 0;
	}
	return 0;
}

/* What a call blocked in the kernel gets when the connection is aborted
 * under it: the kernel's own words for it vary (EPIPE on recent kernels). */
static int aborted(long ret, int err, enum sf_op op)
{
	return (ret < 0 && (err == ECONNRESET || err == EPIPE || err == ENOTCONN)) || (is_rx(op) && ret == 0);
}

int sf_dead_fixup(struct sf_sock *s, enum sf_op op, long ret, int err)
{
	enum sf_dead d = (enum sf_dead)SF_LOAD(&s->dead);
	int data = is_tx(op) || is_rx(op) || op == SF_OP_connect;
	int failed = ret < 0 || (is_rx(op) && ret == 0);
	if (d == SF_DEAD_TIMEOUT && data && aborted(ret, err, op)) {
		/* The deadline came, from this process's timer or from another
		 * process's (a forked child shares the socket): it timed out. */
		die(s, SF_DEAD_TIMEDOUT, ETIMEDOUT);
		return ETIMEDOUT;
	}
	if (d == SF_DEAD_TIMEDOUT && failed && data)
		return ETIMEDOUT;
	if (d == SF_DEAD_RESET && ret < 0 && is_rx(op) && (err == ENOTCONN || err == ECONNRESET || err == EPIPE))
		return ECONNRESET;
	return err;
}

int sf_dead_so_error(struct sf_sock *s, int kernel_error)
{
	enum sf_dead d = (enum sf_dead)SF_LOAD(&s->dead);
	if (d == SF_DEAD_TIMEDOUT || d == SF_DEAD_ERROR) {
		/* Given once, like the kernel's own pending error. */
		if (__atomic_fetch_or(&s->flags, SF_SOCK_ERR_TOLD, __ATOMIC_RELAXED) & SF_SOCK_ERR_TOLD)
			return 0;
		return SF_LOAD(&s->dead_err);
	}
	if (d == SF_DEAD_RESET)
		return 0; /* the program already saw ECONNRESET */
	return kernel_error;
}

void sf_dead_timeout_expired(int fd, struct sf_sock *s)
{
	if (SF_LOAD(&s->dead) != SF_DEAD_TIMEOUT)
		return;
	die(s, SF_DEAD_TIMEDOUT, ETIMEDOUT);
	/* The silence ends with an RST to the peer, and every waiter wakes:
	 * poll with POLLERR, a blocked call with the error. */
	if (is_tcp(s))
		abort_tcp(fd);
	else
		sf_real_shutdown(fd, SHUT_RDWR);
	SF_STORE(&s->state, SF_STATE_UNCONNECTED);
}
