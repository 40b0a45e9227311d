#include "dead.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "active.h"
#include "clock.h"
#include "icmp.h"
#include "keepalive.h"
#include "real.h"
#include "log.h"
#include "lookup.h"
#include "mute.h"
#include "relay.h"
#include "settings.h"
#include "stash.h"
#include "timer.h"

static int is_tcp(const struct sf_sock *s)
{
	return s->proto == SF_PROTO_TCP;
}

/* An option of the kernel's socket fd itself (for a relayed connection,
 * the real socket: kernel_fd), past the library's own setsockopt, which
 * would take a number of the relay's for one of the program's. */
static int kernel_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

/* Every segment that arrives for the socket is dropped before TCP or UDP
 * sees it: nothing is acknowledged, nothing becomes readable, and the
 * kernel's own blocking, SO_RCVTIMEO and poll behave as on a dead link.
 * A kernel may refuse a filter to a process without privileges (some
 * refuse it on TCP sockets): then what the peer sends still arrives, which
 * the log says once (sockfault-rules(5), blackhole). */
static int attach_drop_filter(int fd)
{
	static int told;
	int e = errno;
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &drop };
	int r = kernel_setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
	if (r < 0 && !__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
		sf_log_problem(errno == EPERM ? "the kernel refuses this process a socket filter (EPERM): on a "
						"silenced connection what the peer sends still arrives"
					      : "the kernel refused a socket filter: on a silenced connection what "
						"the peer sends still arrives");
	errno = e;
	return r;
}

/* Abort a TCP connection: connect(AF_UNSPEC) runs the kernel's disconnect,
 * which sends an RST to an established peer and wakes every waiter. */
static void abort_tcp(int fd)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	sf_real_connect(fd, &unspec, sizeof unspec);
}

/* The kernel's socket of the connection fd names: the real one where it
 * is relayed (relay.h), else fd itself. */
static int kernel_fd(const struct sf_sock *s, int fd)
{
	int k = sf_relay_real_fd(s, fd);
	return k >= 0 ? k : fd;
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

/* An ending on a relayed connection: silence keeps the pair, so that what
 * came before stays readable and poll says so, and silences the real socket
 * under it (silence); every other ending makes the program's numbers the
 * real socket first (relay.h), the connection marked dead (how, err) before,
 * for a receive the hand-back wakes asks again and must find it so. */
static void relay_ending(struct sf_sock *s, int fd, enum sf_action a, enum sf_dead how, int err)
{
	if (a == SF_ACT_BLACKHOLE || a == SF_ACT_TIMEOUT || sf_relay_real_fd(s, fd) < 0)
		return;
	die(s, how, err);
	sf_relay_hand_back(s, fd);
}

/* The first call (or SO_ERROR) to learn a dead connection's error takes
 * it, as the kernel's pending error is taken once: 1 for that one. */
static int take_told(struct sf_sock *s)
{
	return !(__atomic_fetch_or(&s->flags, SF_SOCK_ERR_TOLD, __ATOMIC_RELAXED) & SF_SOCK_ERR_TOLD);
}

static int was_told(const struct sf_sock *s)
{
	return (SF_LOAD(&s->flags) & SF_SOCK_ERR_TOLD) != 0;
}

/* A call tells the program its connection has timed out (take_told):
 * after the keepalive's end (sf_dead_keepalive_expired), once the kernel's
 * socket has its final state, and the kernel's own pending error from it
 * taken, as the kernel's ETIMEDOUT would be. */
static int tell_timedout(struct sf_sock *s, int fd)
{
	if (is_tcp(s)) {
		sf_keepalive_settle(s);
		consume_kernel_error(kernel_fd(s, fd));
	}
	return ETIMEDOUT;
}

/* TCP_USER_TIMEOUT: how long sent data may stay unacknowledged before the
 * kernel gives up on the connection with ETIMEDOUT (its own, exact timing,
 * readiness and SIGPIPE after). */
static void kernel_timeout_after(int fd, uint64_t ns)
{
	unsigned ms = (unsigned)((ns + 999999) / 1000000);
	kernel_setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
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

/* A unix stream socket has no filter hook on its receive path: silence is
 * kept by hand. Incoming data is discarded; a blocking receive waits for
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
			*err = take_told(c->s) ? ETIMEDOUT : 0;
			return *err ? -1 : 0;
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

/* From now on nothing arrives; what arrived before (data, the peer's FIN)
 * stays readable, as on a link that goes dead. A TCP socket's sends go to
 * the kernel, which fills its buffer and runs its own timers as on a dead
 * link (nothing is acknowledged) without sending anything new (mute.c); a
 * `timeout` sets those timers to its duration. */
static void silence(int fd, struct sf_sock *s, const struct sf_verdict *r)
{
	int timeout = r->action == SF_ACT_TIMEOUT;
	enum sf_dead dead = sf_action_dead(r->action);
	int k = kernel_fd(s, fd);
	if (s->proto != SF_PROTO_UNIX)
		attach_drop_filter(k);
	/* Sends held back are timed by the window probes, whose clock starts
	 * at the first probe: the kernel's timeout is shortened by that. */
	uint64_t late = is_tcp(s) ? sf_mute_sends(k, timeout ? r->dur_ns : 0) : 0;
	/* The program's keepalive would end the connection with an RST that
	 * the dead link loses: the library keeps it (keepalive.h), with the
	 * program's TCP_USER_TIMEOUT, before the timeout's own replaces it. */
	if (is_tcp(s) && k == fd)
		sf_keepalive_silenced(k, s);
	if (timeout && is_tcp(s))
		kernel_timeout_after(k, r->dur_ns > late ? r->dur_ns - late : r->dur_ns);
	die(s, dead, sf_action_dead_errno(r->action, r->err));
	struct sf_sock_rare *rare = timeout ? sf_sock_rare(s) : NULL;
	if (rare) {
		uint16_t token = (uint16_t)(SF_LOAD(&rare->timer_token) + 1);
		SF_STORE(&rare->timer_token, token);
		sf_timer_schedule(fd, s, token, sf_now() + r->dur_ns);
	}
}

void sf_dead_at_time(int fd, struct sf_sock *s, const struct sf_verdict *v)
{
	relay_ending(s, fd, v->action,
		     v->action == SF_ACT_RESET && is_tcp(s) ? SF_DEAD_ABORTED : sf_action_dead(v->action),
		     sf_action_dead_errno(v->action, v->err));
	switch (v->action) {
	case SF_ACT_RESET:
		if (!is_tcp(s)) {
			/* No RST: the next data call learns it once, then EOF. */
			SF_STORE(&s->pending_err, ECONNRESET);
			die(s, SF_DEAD_RESET, ECONNRESET);
			sf_real_shutdown(fd, SHUT_RDWR);
			return;
		}
		/* As an RST that comes in: the data queued before it is read
		 * first (the abort would throw it away: it is kept aside), the
		 * kernel's pending error stays for the next call (ECONNRESET),
		 * and both directions are shut, so that poll says
		 * IN|OUT|ERR|HUP|RDHUP and sends then fail with EPIPE. */
		sf_stash_take(fd, s);
		die(s, SF_DEAD_ABORTED, ECONNRESET);
		abort_tcp(fd);
		sf_real_shutdown(fd, SHUT_RDWR);
		return;
	case SF_ACT_EOF:
		die(s, SF_DEAD_EOF, 0);
		sf_real_shutdown(fd, SHUT_RD);
		return;
	case SF_ACT_HANGUP:
		/* The peer's FIN is in (SHUT_RD sends nothing); see sf_dead_begin. */
		die(s, SF_DEAD_HANGUP, EPIPE);
		sf_real_shutdown(fd, is_tcp(s) ? SHUT_RD : SHUT_RDWR);
		return;
	case SF_ACT_BLACKHOLE:
	case SF_ACT_TIMEOUT:
		silence(fd, s, v);
		return;
	default:
		return;
	}
}

int sf_dead_begin(struct sf_call *c, int flags, long *ret, int *err)
{
	struct sf_sock *s = c->s;
	const struct sf_verdict *r = &c->v;
	int tx = is_tx(c->op);
	/* The state each action leaves and its error: actions.def. */
	enum sf_dead dead = sf_action_dead(r->action);
	int dead_err = sf_action_dead_errno(r->action, r->err);
	relay_ending(s, c->fd, r->action, dead, dead_err);
	switch (r->action) {
	case SF_ACT_RESET:
		die(s, dead, dead_err);
		if (is_tcp(s)) {
			abort_tcp(c->fd);
			consume_kernel_error(c->fd);
		} else {
			sf_real_shutdown(c->fd, SHUT_RDWR);
		}
		*ret = -1;
		*err = dead_err;
		return 1;
	case SF_ACT_EOF:
		die(s, dead, dead_err);
		sf_real_shutdown(c->fd, SHUT_RD);
		*ret = 0;
		*err = 0;
		return 1;
	case SF_ACT_HANGUP:
		die(s, dead, dead_err);
		if (!is_tcp(s)) {
			/* A unix peer that closed is known gone at once: EPIPE. */
			sf_real_shutdown(c->fd, SHUT_RDWR);
			if (tx)
				return 0; /* the kernel answers: EPIPE, and SIGPIPE unless MSG_NOSIGNAL */
			*ret = 0;
			*err = 0;
			return 1;
		}
		/* The peer closed: its FIN is in (receives give 0, nothing goes
		 * out: SHUT_RD sends nothing), and the peer's kernel will answer
		 * the next data with an RST (sf_dead_answer). */
		sf_real_shutdown(c->fd, SHUT_RD);
		return sf_dead_answer(c, flags, ret, err);
	case SF_ACT_BLACKHOLE:
	case SF_ACT_TIMEOUT:
		silence(c->fd, s, r);
		return sf_dead_answer(c, flags, ret, err);
	case SF_ACT_ERROR:
		/* A sticky error on a connection: the connection is gone for the
		 * program, silently for the peer (as when a firewall dropped it);
		 * SHUT_RD makes poll report it so an event loop comes to read. */
		die(s, dead, dead_err);
		sf_real_shutdown(c->fd, SHUT_RD);
		*ret = -1;
		*err = dead_err;
		if (r->err == EPIPE && tx && (s->flags & SF_SOCK_STREAM))
			sf_raise_sigpipe(c->op, flags);
		return 1;
	default:
		return 0;
	}
}

/* Answers: *ret, *err, and 1. */
static int answer(long r, int e, long *ret, int *err)
{
	*ret = r;
	*err = e;
	return 1;
}

/* A send the library fails with EPIPE raises SIGPIPE, as the kernel's does. */
static int epipe(struct sf_call *c, int flags, long *ret, int *err)
{
	sf_raise_sigpipe(c->op, flags);
	return answer(-1, EPIPE, ret, err);
}

int sf_dead_answer(struct sf_call *c, int flags, long *ret, int *err)
{
	struct sf_sock *s = c->s;
	enum sf_dead d = (enum sf_dead)SF_LOAD(&s->dead);
	int tx = is_tx(c->op), rx = is_rx(c->op);
	int connect = c->op == SF_OP_connect, peername = c->op == SF_OP_getpeername;
	switch (d) {
	case SF_DEAD_NONE:
		return 0;
	case SF_DEAD_EOF:
		return rx ? answer(0, 0, ret, err) : 0;
	case SF_DEAD_HANGUP:
		if (rx)
			return answer(0, 0, ret, err);
		if (connect)
			return answer(-1, EISCONN, ret, err);
		if (!is_tcp(s))
			return 0; /* sends: the kernel gives EPIPE (and SIGPIPE) itself */
		/* The first send after the peer's close still goes out (and is
		 * lost: the peer's kernel answers it with an RST); from then on
		 * the connection is reset: EPIPE, and no peer name. */
		if (tx)
			return take_told(s) ? SF_DEAD_PRETEND_SENT : epipe(c, flags, ret, err);
		if (peername && was_told(s))
			return answer(-1, ENOTCONN, ret, err);
		return 0;
	case SF_DEAD_RESET:
		if ((tx || rx) && SF_LOAD(&s->pending_err) == ECONNRESET &&
		    __atomic_exchange_n(&s->pending_err, 0, __ATOMIC_RELAXED) == ECONNRESET)
			/* Reset outside any call (sockfault ctl fire): the program's
			 * next data call learns it once, as from its peer's RST. */
			return answer(-1, ECONNRESET, ret, err);
		if (rx)
			return answer(0, 0, ret, err);
		/* A TCP socket after an abort would connect again; one that was
		 * reset by its peer is still "connected". */
		if (connect)
			return answer(-1, EISCONN, ret, err);
		/* The kernel agrees for TCP; a unix socket after shutdown would
		 * still name its peer. */
		if (peername)
			return answer(-1, ENOTCONN, ret, err);
		return 0; /* sends: the kernel gives EPIPE (and SIGPIPE) itself */
	case SF_DEAD_BLACKHOLE:
	case SF_DEAD_TIMEOUT:
		/* TCP: the kernel, with nothing coming in, answers everything. */
		if (is_tcp(s))
			return 0;
		if (tx && SF_LOAD(&s->state) != SF_STATE_CONNECTING)
			return SF_DEAD_PRETEND_SENT; /* datagrams lost on the way */
		if (rx && s->proto == SF_PROTO_UNIX) {
			*ret = hold_rx(c, flags, err);
			return 1;
		}
		/* A unix connect is never in progress: the nearest thing the
		 * kernel has is a full backlog. */
		if (connect && s->proto == SF_PROTO_UNIX)
			return answer(-1, EAGAIN, ret, err);
		return 0;
	case SF_DEAD_TIMEDOUT:
		/* ETIMEDOUT once (a call or SO_ERROR takes it), then what the
		 * kernel gives on a connection it has timed out. */
		if ((tx || rx || connect) && take_told(s))
			return answer(-1, tell_timedout(s, c->fd), ret, err);
		if (peername)
			return answer(-1, ENOTCONN, ret, err);
		if (tx)
			return epipe(c, flags, ret, err);
		if (rx)
			return s->t_connected ? answer(0, 0, ret, err) : answer(-1, ENOTCONN, ret, err);
		if (connect)
			return answer(-1, s->t_connected ? EISCONN : ECONNABORTED, ret, err);
		return 0;
	case SF_DEAD_ABORTED:
		/* The kernel answers as after an RST: ECONNRESET once (a call
		 * or SO_ERROR takes it), then receives 0, sends EPIPE and
		 * SIGPIPE, getpeername ENOTCONN; the stashed data is read
		 * before (io.c). Its socket would connect again: it is not. */
		return connect ? answer(-1, EISCONN, ret, err) : 0;
	case SF_DEAD_ERROR:
		if (tx || rx) {
			*ret = -1;
			*err = SF_LOAD(&s->dead_err);
			if (*err == EPIPE && tx && (s->flags & SF_SOCK_STREAM))
				sf_raise_sigpipe(c->op, flags);
			return 1;
		}
		if (peername)
			return answer(-1, ENOTCONN, ret, err);
		return 0;
	}
	return 0;
}

/* A receive woke with 0 on a silenced connection: the peer's FIN that
 * arrived before the silence (the connection is then in CLOSE_WAIT), or a
 * deadline's SHUT_RD, this process's or another's that shares the socket
 * (a forked child). */
static int woken_by_deadline(const struct sf_sock *s, int fd)
{
	if (!is_tcp(s))
		return 1;
	struct tcp_info ti;
	socklen_t l = sizeof ti;
	return sf_real_getsockopt(kernel_fd(s, fd), IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 &&
	       ti.tcpi_state == TCP_ESTABLISHED;
}

int sf_dead_fixup(struct sf_sock *s, int fd, enum sf_op op, long ret, int err)
{
	enum sf_dead d = (enum sf_dead)SF_LOAD(&s->dead);
	int data = is_tx(op) || is_rx(op) || op == SF_OP_connect;
	if (!data)
		return err;
	if ((d == SF_DEAD_BLACKHOLE || d == SF_DEAD_TIMEOUT) && ret < 0 && err == ETIMEDOUT && is_tcp(s))
		/* The kernel ended the silenced connection itself: it is gone
		 * from the kernel's tables, so a ghost stands in for it. */
		sf_ghost_for_ended(fd, s);
	if (d == SF_DEAD_TIMEOUT && ret < 0 && err == ETIMEDOUT) {
		/* The kernel's own timers ran out first (sent data went
		 * unacknowledged, or a connect was never answered): its error
		 * is the one the program gets, once. */
		die(s, SF_DEAD_TIMEDOUT, ETIMEDOUT);
		take_told(s);
		return err;
	}
	if (d == SF_DEAD_TIMEOUT &&
	    ((ret < 0 && s->proto == SF_PROTO_UNIX && (err == ECONNRESET || err == EPIPE || err == ENOTCONN)) ||
	     (is_rx(op) && ret == 0 && woken_by_deadline(s, fd)))) {
		/* Another process's deadline (a forked child shares the socket). */
		die(s, SF_DEAD_TIMEDOUT, ETIMEDOUT);
		return take_told(s) ? ETIMEDOUT : err;
	}
	if (d == SF_DEAD_TIMEDOUT && is_rx(op) && ret == 0 && take_told(s))
		return tell_timedout(s, fd); /* woken by a deadline (sf_dead_timeout_expired, the keepalive's) */
	if (d == SF_DEAD_TIMEDOUT && ret < 0 && err != EAGAIN && err != EINTR && take_told(s))
		return tell_timedout(s, fd);
	if (d == SF_DEAD_ABORTED && ret < 0 && is_rx(op) && err == EPIPE) {
		/* A receive that was waiting when the reset came: the kernel
		 * tells a waiter woken by a disconnect EPIPE and keeps its
		 * ECONNRESET pending; an RST that comes in gives the waiter
		 * that ECONNRESET. */
		consume_kernel_error(fd);
		return ECONNRESET;
	}
	if (d == SF_DEAD_RESET && ret < 0 && is_rx(op) && (err == ENOTCONN || err == ECONNRESET || err == EPIPE))
		return ECONNRESET;
	return err;
}

int sf_dead_so_error(struct sf_sock *s, int fd, int kernel_error)
{
	enum sf_dead d = (enum sf_dead)SF_LOAD(&s->dead);
	if ((d == SF_DEAD_BLACKHOLE || d == SF_DEAD_TIMEOUT || d == SF_DEAD_TIMEDOUT) && kernel_error == ETIMEDOUT &&
	    is_tcp(s))
		sf_ghost_for_ended(fd, s); /* as in sf_dead_fixup */
	if (d == SF_DEAD_TIMEOUT && kernel_error == ETIMEDOUT) {
		/* The kernel timed the connection out itself; its error is taken now. */
		die(s, SF_DEAD_TIMEDOUT, ETIMEDOUT);
		take_told(s);
		return kernel_error;
	}
	if (d == SF_DEAD_TIMEDOUT || d == SF_DEAD_ERROR)
		/* Given once, like the kernel's own pending error. */
		return take_told(s) ? SF_LOAD(&s->dead_err) : 0;
	if (d == SF_DEAD_RESET)
		return 0; /* the program already saw ECONNRESET */
	return kernel_error;
}

/* Another descriptor of this process still refers to s (a dup). */
static int shared(const struct sf_sock *s)
{
	unsigned high = SF_LOAD(&sf_fd_high);
	for (unsigned i = 0; i < high; i++)
		if (sf_fd_get((int)i) == (uintptr_t)s)
			return 1;
	return 0;
}

int sf_dead_closing(int fd, struct sf_sock *s, struct sf_ghost_plan *ghost)
{
	enum sf_dead d = (enum sf_dead)SF_LOAD(&s->dead);
	if (!is_tcp(s) ||
	    (d != SF_DEAD_BLACKHOLE && d != SF_DEAD_TIMEOUT && d != SF_DEAD_TIMEDOUT && d != SF_DEAD_ERROR) ||
	    shared(s) || sf_ghost_may_share(s))
		return 0;
	/* The close's FIN (or the RST for unread data) would reach the peer
	 * where the real dead link loses it. In repair mode the kernel closes
	 * a socket without a word (what checkpointing uses); it takes
	 * CAP_NET_ADMIN: without it, the FIN goes (sockfault-rules(5),
	 * blackhole); nor for a socket another process may hold. Then a ghost
	 * stands in for the connection (ghost.h), so that what the peer sends
	 * later is not answered with an RST. */
	int on = 1;
	int k = kernel_fd(s, fd);
	if (kernel_setsockopt(k, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) != 0)
		return 0;
	int planned = sf_ghost_plan_of(k, s, ghost);
	/* A relayed connection's real socket goes now, without a word, so
	 * that the ghost finds its place free (relay.h). */
	sf_relay_quiet(s, fd);
	return planned;
}

void sf_dead_timeout_expired(int fd, struct sf_sock *s)
{
	if (sf_icmp_arrives(fd, s))
		return;
	if (SF_LOAD(&s->dead) != SF_DEAD_TIMEOUT)
		return;
	die(s, SF_DEAD_TIMEDOUT, ETIMEDOUT);
	if (is_tcp(s)) {
		/* The deadline comes without a word to the peer: receives
		 * under way wake (SHUT_RD sends nothing) and take ETIMEDOUT; a
		 * send held up by unacknowledged data gets the kernel's own
		 * ETIMEDOUT (kernel_timeout_after). */
		sf_real_shutdown(fd, SHUT_RD);
	} else {
		/* A unix socket has no silent way to end: its peer reads EOF. */
		sf_real_shutdown(fd, SHUT_RDWR);
	}
	SF_STORE(&s->state, SF_STATE_UNCONNECTED);
}

/* Ends a TCP connection as the kernel's keepalive would, without its RST:
 * in repair mode the kernel's disconnect sends nothing and wakes every
 * waiter (its pending error is ECONNABORTED, which tell_timedout takes);
 * then both directions shut, so that the socket polls as one the kernel
 * timed out (IN|OUT|ERR|HUP|RDHUP, ERR until the error is taken). Without
 * repair mode, as the timeout's deadline does (SHUT_RD, sends nothing). */
static void quiet_end(int fd)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP, reuse = 0;
	socklen_t l = sizeof reuse;
	sf_real_getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &l);
	if (kernel_setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) != 0) {
		sf_real_shutdown(fd, SHUT_RD);
		return;
	}
	abort_tcp(fd);
	sf_real_shutdown(fd, SHUT_RDWR);
	kernel_setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off);
	if (reuse)
		kernel_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
}

void sf_dead_keepalive_expired(int fd, struct sf_sock *s)
{
	if (!sf_keepalive_due(fd, s))
		return;
	/* The kernel's socket leaves its tables: a ghost stands in for it at
	 * once (ghost.h), on the addresses taken before. */
	struct sf_ghost_plan ghost;
	int haunt = !sf_ghost_may_share(s) && sf_ghost_plan_of(fd, s, &ghost);
	/* The data that came before is read first, as after the kernel's end. */
	sf_stash_take(fd, s);
	die(s, SF_DEAD_TIMEDOUT, ETIMEDOUT);
	SF_STORE(&s->state, SF_STATE_UNCONNECTED);
	quiet_end(fd);
	sf_keepalive_ended(s);
	if (haunt)
		sf_ghost_raise(&ghost);
}
