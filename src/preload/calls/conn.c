/* The calls that make, connect, accept, name, shut, duplicate and close
 * sockets: they keep the records right, and can be faulted like any other. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "dead.h"
#include "deadline.h"
#include "fate.h"
#include "icmp.h"
#include "keepalive.h"
#include "log.h"
#include "decide.h"
#include "peers.h"
#include "proc.h"
#include "reclaim.h"
#include "refuse.h"
#include "relay.h"
#include "timer.h"
#include "usermem.h"
#include "slow.h"

static void track_new(int fd, int domain, int type)
{
	struct sf_sock *s = sf_sock_new(domain, type);
	if (s)
		sf_sock_identify(s, fd);
	sf_sock_install(fd, s ? (uintptr_t)s : SF_FD_NOTSOCK);
	if (s)
		sf_sock_replan(s);
}

/* What every call on an existing socket does first: find its record and let
 * the rules decide. Returns 1 when a rule decided the call. */
static int begin_call(struct sf_call *c)
{
	c->s = sf_lookup(c->fd);
	if (c->s)
		sf_decide(c);
	return c->v.decided;
}

/* Leave with the real result, traced. */
static int finish(struct sf_call *c, long r, int err)
{
	sf_trace(c, r, err);
	return (int)sf_done(r, err);
}

/* The local address the kernel gave the socket (a bind to port 0, an
 * implicit bind by connect or listen). */
static void note_local(struct sf_sock *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int rfd = sf_relay_real_fd(s, fd);
	if (sf_real_getsockname(rfd >= 0 ? rfd : fd, (struct sockaddr *)&ss, &sl) == 0)
		sf_sock_set_local(s, (struct sockaddr *)&ss, sl);
}

/* What a connect that went through made of the socket's record. */
static void note_connect(struct sf_sock *s, const struct sf_call *c, socklen_t len, int fd, uint8_t state)
{
	sf_sock_set_peer(s, c->addr, len);
	sf_sock_connected(s, SF_SIDE_CLIENT, state);
	if (!(s->flags & SF_SOCK_HAS_LOCAL) || s->local.port == 0)
		note_local(s, fd);
}

int sf_slow_socket(int domain, int type, int protocol)
{
	if (!sf_enter())
		return sf_real_socket(domain, type, protocol);
	int e0 = errno;
	struct sf_call c = { .op = SF_OP_socket, .fd = -1, .proto = sf_sock_kind(domain, type) };
	if (c.proto)
		sf_decide(&c);
	if (c.v.decided)
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	errno = e0;
	int fd = sf_real_socket(domain, type, protocol);
	int err = errno;
	if (fd >= 0)
		track_new(fd, domain, type);
	c.fd = fd;
	return finish(&c, fd, err);
}

int sf_slow_socketpair(int domain, int type, int protocol, int sv[2])
{
	if (!sf_enter())
		return sf_real_socketpair(domain, type, protocol, sv);
	int e0 = errno;
	struct sf_call c = { .op = SF_OP_socketpair, .fd = -1, .proto = sf_sock_kind(domain, type) };
	if (c.proto)
		sf_decide(&c);
	if (c.v.decided)
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	errno = e0;
	int r = sf_real_socketpair(domain, type, protocol, sv);
	int err = errno;
	if (r == 0) {
		/* Both ends are unnamed: an address that is only its family. */
		struct sockaddr unnamed = { .sa_family = (sa_family_t)domain };
		for (int i = 0; i < 2; i++) {
			struct sf_sock *s = sf_sock_new(domain, type);
			if (s) {
				sf_sock_identify(s, sv[i]);
				sf_sock_set_peer(s, &unnamed, sizeof unnamed.sa_family);
				sf_sock_set_local(s, &unnamed, sizeof unnamed.sa_family);
				sf_sock_connected(s, 0, SF_STATE_CONNECTED);
			}
			sf_sock_install(sv[i], s ? (uintptr_t)s : SF_FD_NOTSOCK);
			if (s)
				sf_sock_replan(s);
		}
		c.fd = sv[0];
	}
	return finish(&c, r, err);
}

/* A router's ICMP answering a relayed nonblocking TCP connect: it comes
 * after the round trip of the connect's delay rule, while the program waits
 * in poll, not inside the call (sockfault-rules(5), icmp). */
static int icmp_in_flight(const struct sf_call *c)
{
	const struct sf_verdict *v = &c->v;
	return c->defer_delay && c->delay_ns && v->decided && v->action == SF_ACT_ERROR && !v->now &&
	       c->s->proto == SF_PROTO_TCP && v->icmp != SF_ICMP_LOCAL &&
	       (v->err == EHOSTUNREACH || v->err == ENETUNREACH || (v->icmp && v->err == ECONNREFUSED)) &&
	       sf_fd_nonblocking(c->fd);
}

/* Deliver an injected connect error the way the kernel delivers a failed
 * connect: a blocking connect, a unix or UDP socket, or `now`, fail at once;
 * a nonblocking TCP connect says EINPROGRESS and fails later, through
 * poll/epoll/select (writable, POLLERR) and SO_ERROR. */
static int connect_error(struct sf_call *c, int err)
{
	struct sf_sock *s = c->s;
	int tcp_later = c->v.action == SF_ACT_ERROR && !c->v.now && s->proto == SF_PROTO_TCP;
	if (tcp_later && sf_unreach_blocking(c->fd, s, err, c->v.icmp))
		return (int)sf_fail(c, err);
	if (icmp_in_flight(c) && sf_fd_nonblocking(c->fd) &&
	    sf_icmp_connect_later(c->fd, s, err, sf_now() + c->delay_ns)) {
		sf_sock_set_peer(s, c->addr, c->addrlen);
		SF_STORE(&s->state, SF_STATE_CONNECTING);
		return (int)sf_fail(c, EINPROGRESS);
	}
	if (tcp_later && sf_fd_nonblocking(c->fd) && sf_refuse_connect(c->fd, s->family)) {
		sf_sock_set_peer(s, c->addr, c->addrlen);
		SF_STORE(&s->pending_err, (uint16_t)err);
		SF_STORE(&s->state, SF_STATE_CONNECTING);
		sf_sock_all_slow(s);
		return (int)sf_fail(c, EINPROGRESS);
	}
	return (int)sf_fail(c, err);
}

int sf_slow_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!sf_enter())
		return sf_real_connect(fd, addr, len);
	int e0 = errno;
	struct sf_sock *s = sf_lookup(fd);
	if (!s) {
		errno = e0;
		int r = sf_real_connect(fd, addr, len);
		return (int)sf_done(r, errno);
	}
	/* The address, copied before the rules read it (usermem.h); one the
	 * kernel will refuse goes to it untouched. */
	struct sockaddr_storage own;
	if (!addr || len < (socklen_t)sizeof(sa_family_t) || len > (socklen_t)sizeof own ||
	    !sf_user_copy(&own, addr, len)) {
		errno = e0;
		int r = sf_real_connect(fd, addr, len);
		return (int)sf_done(r, errno);
	}
	struct sf_call c = { .op = SF_OP_connect, .fd = fd, .s = s, .addr = (struct sockaddr *)&own, .addrlen = len };
	long ret;
	int err;
	enum sf_fate f = sf_fate_dead(&c, 0, &ret, &err);
	if (f == SF_FATE_UNTRACKED) {
		errno = e0;
		int r = sf_real_connect(fd, addr, len);
		return (int)sf_done(r, errno);
	}
	s = c.s;
	if (f == SF_FATE_ANSWERED)
		return finish(&c, ret, err);
	/* A connect again while a router's ICMP is on its way: the kernel's
	 * socket is still connecting (EALREADY). Once it has come, the
	 * kernel's answer after a failed connect (icmp.h), once the timer
	 * thread has brought it whole: its wake-up may come first. */
	sf_icmp_settle(s);
	const struct sf_sock_rare *rare = sf_sock_rare_if(s);
	uint16_t icmp = rare ? SF_LOAD(&rare->icmp_err) : 0;
	if (icmp == SF_ICMP_ARRIVED)
		return finish(&c, -1, sf_icmp_connect_again(fd, s));
	if (icmp) {
		errno = e0;
		int r = sf_real_connect(fd, addr, len);
		return finish(&c, r, errno);
	}
	/* A relayed connection's next connect asks how its real one went. */
	int rerr;
	if (SF_LOAD(&sf_relay_count) && sf_relay_connect_state(s, fd, 0, &rerr))
		return finish(&c, rerr ? -1 : 0, rerr ? rerr : e0);
	/* Each attempt is a connection to that peer: p= decides by which one
	 * (a refused attempt and its retry on a new socket are two). */
	struct sf_sockaddr target;
	char pathbuf[SF_UNIX_PATH_ROOM];
	sf_sockaddr_view(c.addr, len, &target, pathbuf, sizeof pathbuf);
	uint64_t target_hash = sf_peer_hash(&target);
	if (!(s->flags & SF_SOCK_HAS_PEER) || s->peer_hash != target_hash || !s->conn_ordinal)
		s->conn_ordinal = sf_peer_next_ordinal(target_hash);
	/* A connect after a failed one never leaves the host (the kernel says
	 * ECONNABORTED): past the rules, as for a dead connection. */
	int failed = s->proto == SF_PROTO_TCP && (s->flags & SF_SOCK_HAS_PEER) &&
		     SF_LOAD(&s->state) != SF_STATE_CONNECTED && !SF_LOAD(&s->pending_err) && sf_connect_failed(fd);
	/* A TCP connection a delay rule can touch is relayed from its connect
	 * on (relay.h): its delays then hold back its data, not the calls. */
	int relay = f == SF_FATE_ALIVE && !failed && SF_LOAD(&s->state) == SF_STATE_UNCONNECTED &&
		    sf_relay_wanted(s, &target);
	int nonblock = relay && sf_fd_nonblocking(fd);
	c.defer_delay = (uint8_t)relay;
	/* A dead connection is past the rules. Silence (blackhole,
	 * timeout) ends the connection now: the real connect then never
	 * completes. */
	if (f == SF_FATE_ALIVE && !failed)
		f = sf_fate_rules(&c, 0, &ret, &err);
	/* A blocking connect waits out its round trip, as a failing one does
	 * (but for a router's ICMP, which comes while the program polls). */
	if (relay && c.delay_ns && (c.v.decided || !nonblock) && !icmp_in_flight(&c))
		sf_sleep_ns(c.delay_ns);
	if (f == SF_FATE_ANSWERED)
		return finish(&c, ret, err);
	if (f == SF_FATE_FAILED)
		return connect_error(&c, err);
	int was_connecting = s->proto == SF_PROTO_TCP && SF_LOAD(&s->state) == SF_STATE_CONNECTING;
	errno = e0;
	int r = sf_real_connect(fd, addr, len);
	/* A success leaves errno as libc left it. */
	int left = errno;
	err = left;
	r = (int)sf_fate_after(s, fd, SF_OP_connect, r, &err);
	/* Once adopted, the relay's thread reads the record (a reload replans
	 * the link): what the connect made of it is written before. */
	int adopted = 0;
	if (relay && (r == 0 || err == EINPROGRESS) && own.ss_family != AF_UNSPEC) {
		note_connect(s, &c, len, fd, r == 0 && !nonblock ? SF_STATE_CONNECTED : SF_STATE_CONNECTING);
		adopted = sf_relay_adopt(fd, s, nonblock ? sf_now() + c.delay_ns : 0, 0);
	}
	if (adopted && nonblock) {
		/* Under way until the relay sees it done and its delay over. */
		r = -1;
		err = EINPROGRESS;
	} else if (relay && nonblock && !c.v.decided && c.delay_ns) {
		/* Not relayed after all: the delay waits in the call. */
		sf_sleep_ns(c.delay_ns);
	}
	if ((failed || (was_connecting && err != EALREADY && err != EISCONN && err != EINTR)) && r < 0 &&
	    err != EINPROGRESS) {
		/* The kernel has made the socket unconnected again (a failed
		 * connect's error or ECONNABORTED, told to a second connect, an
		 * event loop's completion check included): the next connect is
		 * a new attempt, which the rules decide. */
		s->flags &= (uint8_t)~SF_SOCK_HAS_PEER;
		SF_STORE(&s->state, SF_STATE_UNCONNECTED);
	} else if (own.ss_family == AF_UNSPEC && r == 0) {
		/* A datagram socket dissolving its association. */
		s->flags &= (uint8_t)~SF_SOCK_HAS_PEER;
		SF_STORE(&s->state, SF_STATE_UNCONNECTED);
		sf_sock_replan(s);
	} else if (r == 0 || err == EINPROGRESS) {
		if (!adopted)
			note_connect(s, &c, len, fd, r == 0 ? SF_STATE_CONNECTED : SF_STATE_CONNECTING);
		sf_sock_replan(s);
		sf_deadline_arm(fd, s);
	}
	return finish(&c, r < 0 ? -1 : r, r < 0 ? err : left);
}

/* Any rule for accept that needs to know who is being accepted? */
static int accept_needs_peer(struct sf_sock *s)
{
	int needs = 0;
	sf_read_begin();
	struct sf_active *a = sf_active_get();
	struct sf_plan *plan = SF_ACQUIRE(&s->plan);
	for (uint32_t i = 0; a && plan && plan->gen == a->gen && i < plan->n; i++) {
		const struct sf_rule *r = &a->rs.rules[plan->e[i].rule];
		if ((r->ops & (SF_OPBIT(SF_OP_accept) | SF_OPBIT(SF_OP_accept4))) && (r->has & SF_HAS_NEEDS_PEER))
			needs = 1;
	}
	sf_read_end();
	return needs;
}

static int do_accept(enum sf_op op, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (op == SF_OP_accept)
		return sf_real_accept(fd, addr, len);
#ifdef HAVE_ACCEPT4
	return sf_real_accept4(fd, addr, len, flags);
#else
	return -1;
#endif
}

static int slow_accept(enum sf_op op, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (!sf_enter())
		return do_accept(op, fd, addr, len, flags);
	int e0 = errno;
	struct sf_sock *ls = sf_lookup(fd);
	if (!ls) {
		errno = e0;
		int r = do_accept(op, fd, addr, len, flags);
		return (int)sf_done(r, errno);
	}
	if (!sf_sock_current(ls, SF_LOAD(&sf_gen)))
		sf_sock_replan(ls);
	struct sf_call c = { .op = op, .fd = fd, .s = ls };
	/* Rules that name the peer are decided once accept has returned: the
	 * connection is then aborted (the client sees a reset), as when a
	 * server drops a connection it has just taken. Others are decided
	 * before, and the connection stays queued, as with EMFILE. */
	int after = accept_needs_peer(ls);
	if (!after) {
		sf_decide(&c);
		if (c.v.decided)
			return (int)sf_fail(&c, sf_verdict_errno(&c));
	}
	/* The program's own buffers go to the kernel, which checks them; the
	 * library learns the peer with a getpeername of its own. */
	errno = e0;
	int nfd = do_accept(op, fd, addr, len, flags);
	int err = errno;
	if (nfd < 0) {
		sf_trace(&c, nfd, err);
		return (int)sf_done(-1, err);
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (sf_real_getpeername(nfd, (struct sockaddr *)&ss, &sl) < 0)
		sl = 0;
	struct sf_sock *ns = sf_sock_new(ls->family, (ls->flags & SF_SOCK_STREAM) ? SOCK_STREAM : SOCK_DGRAM);
	if (ns) {
		sf_sock_identify(ns, nfd);
		sf_sock_set_peer(ns, (struct sockaddr *)&ss, sl);
		note_local(ns, nfd);
		sf_sock_connected(ns, SF_SIDE_SERVER, SF_STATE_CONNECTED);
	}
	sf_sock_install(nfd, ns ? (uintptr_t)ns : SF_FD_NOTSOCK);
	if (ns) {
		sf_sock_replan(ns);
		sf_deadline_arm(nfd, ns);
	}
	if (after) {
		c.addr = (struct sockaddr *)&ss;
		c.addrlen = sl;
		sf_decide(&c);
		if (c.v.decided) {
			struct linger abort_now = { 1, 0 };
			sf_real_setsockopt(nfd, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now);
			sf_sock_install(nfd, 0);
			sf_real_close(nfd);
			return (int)sf_fail(&c, sf_verdict_errno(&c));
		}
	}
	if (ns && sf_relay_wanted(ns, NULL))
		sf_relay_adopt(nfd, ns, 0, 1);
	return finish(&c, nfd, err);
}

int sf_slow_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return slow_accept(SF_OP_accept, fd, addr, len, 0);
}

#ifdef HAVE_ACCEPT4
int sf_slow_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return slow_accept(SF_OP_accept4, fd, addr, len, flags);
}
#endif

/* bind, listen, shutdown: decide, run, and note what changed. */
int sf_slow_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!sf_enter())
		return sf_real_bind(fd, addr, len);
	int e0 = errno;
	struct sockaddr_storage own;
	if (!addr || len < (socklen_t)sizeof(sa_family_t) || len > (socklen_t)sizeof own ||
	    !sf_user_copy(&own, addr, len)) {
		errno = e0;
		int r = sf_real_bind(fd, addr, len);
		return (int)sf_done(r, errno);
	}
	struct sf_call c = { .op = SF_OP_bind, .fd = fd, .addr = (struct sockaddr *)&own, .addrlen = len };
	if (begin_call(&c))
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	errno = e0;
	int r = sf_real_bind(fd, addr, len);
	int err = errno;
	if (r == 0 && c.s) {
		note_local(c.s, fd);
		sf_sock_replan(c.s);
	}
	return finish(&c, r, err);
}

int sf_slow_listen(int fd, int backlog)
{
	if (!sf_enter())
		return sf_real_listen(fd, backlog);
	int e0 = errno;
	struct sf_call c = { .op = SF_OP_listen, .fd = fd };
	if (begin_call(&c))
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	errno = e0;
	int r = sf_real_listen(fd, backlog);
	int err = errno;
	if (r == 0 && c.s) {
		SF_STORE(&c.s->state, SF_STATE_LISTENING);
		if (!(c.s->flags & SF_SOCK_HAS_LOCAL) || c.s->local.port == 0)
			note_local(c.s, fd);
		sf_sock_replan(c.s);
	}
	return finish(&c, r, err);
}

int sf_slow_shutdown(int fd, int how)
{
	if (!sf_enter())
		return sf_real_shutdown(fd, how);
	int e0 = errno;
	struct sf_call c = { .op = SF_OP_shutdown, .fd = fd };
	if (begin_call(&c))
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	errno = e0;
	int r = sf_real_shutdown(fd, how);
	int err = errno;
	if (r == 0 && c.s) {
		if (how == SHUT_RD || how == SHUT_RDWR)
			c.s->flags |= SF_SOCK_SHUT_RD;
		if (how == SHUT_WR || how == SHUT_RDWR)
			c.s->flags |= SF_SOCK_SHUT_WR;
		SF_STORE(&c.s->state, SF_STATE_SHUTDOWN);
	}
	return finish(&c, r, err);
}

int sf_slow_close(int fd)
{
	if (!sf_enter())
		return sf_real_close(fd);
	int e0 = errno;
	if (!sf_proc_owns_state()) {
		errno = e0;
		int r = sf_real_close(fd);
		return (int)sf_done(r, errno);
	}
	struct sf_sock *s = sf_sock_get(fd);
	uintptr_t v = s ? (uintptr_t)s : sf_fd_get(fd);
	struct sf_call c = { .op = SF_OP_close, .fd = fd, .s = s };
	struct sf_ghost_plan ghost;
	int haunt = 0;
	if (s)
		sf_decide(&c);
	sf_log_fd_lost(fd);
	sf_refuse_fd_lost(fd);
	sf_relay_fd_range_lost((unsigned)fd, (unsigned)fd);
	sf_ghost_fd_range_lost((unsigned)fd, (unsigned)fd);
	/* Forget first: a descriptor number reused by another thread right
	 * after the real close must not inherit this record (the record itself
	 * stays held until the call leaves: the trace line still needs it). A
	 * "not a socket" entry is forgotten too, so that a socket that gets the
	 * number is learned, wherever it comes from. */
	if (s)
		sf_timer_closing(s, 1);
	if (v)
		sf_sock_install(fd, 0);
	if (s && SF_LOAD(&s->dead))
		haunt = sf_dead_closing(fd, s, &ghost);
	if (s)
		sf_deadline_closed(s);
	errno = e0;
	/* An injected error too: Linux releases the descriptor whatever close
	 * reports, so the real close runs and the rule's errno is its answer. */
	int r = sf_real_close(fd);
	int err = errno;
	if (haunt)
		sf_ghost_raise(&ghost);
	if (s)
		sf_timer_closing(s, 0);
	if (c.v.decided) {
		r = -1;
		err = sf_verdict_errno(&c);
	}
	if (s)
		sf_trace(&c, r, err);
	return (int)sf_done(r, err);
}

/* dup, dup2, dup3, fcntl(F_DUPFD*): the new descriptor shares the record. */
static int after_dup(struct sf_call *c, int nfd, int err)
{
	if (nfd >= 0) {
		uintptr_t v = c->s ? (uintptr_t)c->s : sf_fd_get(c->fd) == SF_FD_NOTSOCK ? SF_FD_NOTSOCK : 0;
		sf_sock_install(nfd, v);
	}
	return finish(c, nfd, err);
}

int sf_slow_dup(int fd)
{
	if (!sf_enter())
		return sf_real_dup(fd);
	int e0 = errno;
	if (!sf_proc_owns_state()) {
		errno = e0;
		int r = sf_real_dup(fd);
		return (int)sf_done(r, errno);
	}
	struct sf_call c = { .op = SF_OP_dup, .fd = fd };
	if (begin_call(&c))
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	errno = e0;
	int nfd = sf_real_dup(fd);
	return after_dup(&c, nfd, errno);
}

static int slow_dup23(enum sf_op op, int fd, int fd2, int flags)
{
	int e0 = errno;
	int own = sf_proc_owns_state();
	struct sf_call c = { .op = op, .fd = fd };
	if (fd != fd2 && own && begin_call(&c))
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	if (fd != fd2 && own) {
		/* dup2 onto 2 makes the program's new stderr, not a closed one. */
		if (fd2 != 2)
			sf_log_fd_lost(fd2);
		sf_refuse_fd_lost(fd2);
		sf_ghost_fd_range_lost((unsigned)fd2, (unsigned)fd2);
	}
	errno = e0;
#ifdef HAVE_DUP3
	int nfd = op == SF_OP_dup3 ? sf_real_dup3(fd, fd2, flags) : sf_real_dup2(fd, fd2);
#else
	int nfd = sf_real_dup2(fd, fd2);
#endif
	int err = errno;
	if (fd == fd2 || !own)
		return finish(&c, nfd, err);
	return after_dup(&c, nfd, err);
}

int sf_slow_dup2(int fd, int fd2)
{
	if (!sf_enter())
		return sf_real_dup2(fd, fd2);
	return slow_dup23(SF_OP_dup2, fd, fd2, 0);
}

#ifdef HAVE_DUP3
int sf_slow_dup3(int fd, int fd2, int flags)
{
	if (!sf_enter())
		return sf_real_dup3(fd, fd2, flags);
	return slow_dup23(SF_OP_dup3, fd, fd2, flags);
}
#endif

int sf_slow_fcntl_dup(int fd, int cmd, int arg)
{
	if (!sf_enter())
		return (int)syscall(SYS_fcntl, fd, cmd, arg);
	int e0 = errno;
	int own = sf_proc_owns_state();
	struct sf_call c = { .op = SF_OP_fcntl, .fd = fd };
	if (own && begin_call(&c))
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	errno = e0;
	sf_fcntl_fn f = sf_sym_fcntl();
	int nfd = f ? f(fd, cmd, arg) : (int)syscall(SYS_fcntl, fd, cmd, arg);
	if (!own)
		return finish(&c, nfd, errno);
	return after_dup(&c, nfd, errno);
}

static void forget_rights(const struct msghdr *m)
{
	if (!m->msg_control || m->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR((struct msghdr *)m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS || h->cmsg_len < CMSG_LEN(0))
			continue;
		size_t n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *data = CMSG_DATA(h);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, data + i * sizeof fd, sizeof fd);
			if (sf_fd_get(fd) && sf_proc_owns_state())
				sf_sock_install(fd, 0);
		}
	}
}

void sf_rights_received(enum sf_op op, long r, uintptr_t p)
{
	/* The kernel has just written these headers: they are readable. */
	int saved = errno;
	if (op == SF_OP_recvmsg && p)
		forget_rights((const struct msghdr *)p);
#ifdef HAVE_RECVMMSG
	if (op == SF_OP_recvmmsg && p)
		for (long i = 0; i < r; i++)
			forget_rights(&((const struct mmsghdr *)p)[i].msg_hdr);
#endif
	errno = saved;
}

void sf_forget_range(unsigned lo, unsigned hi)
{
	/* A vfork child's close_range (every Python subprocess) closed the
	 * child's descriptors, not the parent's. */
	if (!sf_proc_owns_state())
		return;
	/* The library's own descriptors are not in the table. */
	sf_log_fd_range_lost(lo, hi);
	sf_refuse_fd_range_lost(lo, hi);
	sf_relay_fd_range_lost(lo, hi);
	sf_ghost_fd_range_lost(lo, hi);
	unsigned high = SF_LOAD(&sf_fd_high);
	if (hi >= high)
		hi = high ? high - 1 : 0;
	for (unsigned fd = lo; fd <= hi && lo < high; fd++) {
		sf_log_fd_lost((int)fd);
		sf_refuse_fd_lost((int)fd);
		if (sf_fd_get((int)fd))
			sf_sock_install((int)fd, 0);
	}
}

/* getsockopt(SO_ERROR) and getpeername: where a pending connect shows its
 * outcome, so they must agree with what the library injected. */
static void connect_settled(struct sf_sock *s, int fd)
{
	if (SF_LOAD(&s->state) != SF_STATE_CONNECTING)
		return;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (sf_real_getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (!s->t_connected)
			s->t_connected = sf_now();
		SF_STORE(&s->state, SF_STATE_CONNECTED);
		sf_sock_replan(s);
		sf_deadline_arm(fd, s);
	}
}

int sf_slow_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (!sf_enter())
		return sf_real_getsockopt(fd, level, name, val, len);
	int e0 = errno;
	if (SF_LOAD(&sf_relay_count)) {
		/* A relayed connection: every option is the real socket's, and
		 * SO_ERROR tells how its connect went. */
		struct sf_sock *rs = sf_lookup(fd);
		int rfd = rs ? sf_relay_real_fd(rs, fd) : -1;
		if (rfd >= 0) {
			errno = e0;
			int r = sf_real_getsockopt(rfd, level, name, val, len);
			int err = errno, e;
			if (r == 0 && level == SOL_SOCKET && name == SO_ERROR && val && len &&
			    *len >= (socklen_t)sizeof(int)) {
				if (sf_relay_connect_state(rs, fd, 1, &e) != SF_RELAY_UP)
					*(int *)val = e;
				else if (SF_LOAD(&rs->dead))
					/* Silenced in place (a timeout's error once). */
					*(int *)val = sf_dead_so_error(rs, rfd, *(int *)val);
			}
			return (int)sf_done(r, err);
		}
	}
	if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
		/* A silenced connection's keepalive kept by the library
		 * (keepalive.h): what the program set, not the kernel's off. */
		struct sf_sock *ks = sf_lookup(fd);
		errno = e0;
		int r = sf_real_getsockopt(fd, level, name, val, len);
		int err = errno;
		if (r == 0 && ks && val && len && *len >= (socklen_t)sizeof(int) && sf_keepalive_kept_on(ks))
			*(int *)val = 1;
		return (int)sf_done(r, err);
	}
	struct sf_sock *s = level == SOL_SOCKET && name == SO_ERROR ? sf_lookup(fd) : NULL;
	if (!s) {
		errno = e0;
		int r = sf_real_getsockopt(fd, level, name, val, len);
		return (int)sf_done(r, errno);
	}
	struct sf_call c = { .op = SF_OP_getsockopt, .fd = fd, .s = s };
	sf_decide(&c);
	if (c.v.decided)
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	sf_icmp_settle(s);
	errno = e0;
	int r = sf_real_getsockopt(fd, level, name, val, len);
	int err = errno;
	if (r == 0 && val && len && *len >= (socklen_t)sizeof(int) &&
	    (!(SF_LOAD(&s->dead) || SF_LOAD(&s->pending_err)) || sf_sock_is(s, fd))) {
		int *so_error = val;
		uint16_t pending = SF_LOAD(&s->pending_err);
		if (SF_LOAD(&s->dead)) {
			*so_error = sf_dead_so_error(s, fd, *so_error);
		} else if (pending && (sf_pending_kernel_error(s, *so_error) || *so_error == 0)) {
			*so_error = sf_pending_error(s, ECONNREFUSED);
		} else if (*so_error == 0) {
			connect_settled(s, fd);
		} else if (SF_LOAD(&s->state) == SF_STATE_CONNECTING) {
			SF_STORE(&s->state, SF_STATE_UNCONNECTED);
		}
	}
	return finish(&c, r, err);
}

int sf_slow_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!sf_enter())
		return sf_real_getpeername(fd, addr, len);
	int e0 = errno;
	struct sf_sock *s = sf_lookup(fd);
	struct sf_call c = { .op = SF_OP_getpeername, .fd = fd, .s = s };
	long ret;
	int derr;
	if (s && SF_LOAD(&s->dead) && !sf_sock_is(s, fd))
		s = c.s = NULL; /* the number is something else now: libc answers */
	if (s && sf_dead_answer(&c, 0, &ret, &derr)) {
		return finish(&c, ret, derr);
	}
	if (s)
		sf_decide(&c);
	if (c.v.decided)
		return (int)sf_fail(&c, sf_verdict_errno(&c));
	/* A relayed connection: the real socket's peer, once the program may
	 * know its connect is done. */
	int rfd = s ? sf_relay_real_fd(s, fd) : -1;
	if (rfd >= 0 && sf_relay_connect_state(s, fd, 2, &derr) == SF_RELAY_CONNECTING)
		return (int)sf_fail(&c, ENOTCONN);
	errno = e0;
	int r = sf_real_getpeername(rfd >= 0 ? rfd : fd, addr, len);
	int err = errno;
	if (r == 0 && s)
		connect_settled(s, rfd >= 0 ? rfd : fd);
	return finish(&c, r, err);
}
