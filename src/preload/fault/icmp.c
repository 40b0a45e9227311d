#include "icmp.h"

#include <errno.h>
#include <linux/filter.h>
#include <sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "real.h"
#include "enter.h"
#include "lookup.h"
#include "proc.h"
#include "refuse.h"
#include "settings.h"
#include "timer.h"

int sf_icmp_udp(const struct sf_sock *s, const void *dest, int err)
{
	/* An unconnected socket is not told of ICMP errors (without
	 * IP_RECVERR): only a connected one, for its own peer. */
	return err == ECONNREFUSED && s->proto == SF_PROTO_UDP && !dest && (s->flags & SF_SOCK_HAS_PEER) &&
	       (s->family == AF_INET || s->family == AF_INET6);
}

/* A port of addr's address that nothing is bound to: one the kernel just
 * gave a socket of ours, closed again. */
static int closed_port(struct sockaddr_storage *addr, socklen_t len)
{
	int probe = sf_real_socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return 0;
	struct sockaddr_storage a = *addr;
	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
	socklen_t l = len;
	int ok = sf_real_bind(probe, (struct sockaddr *)&a, len) == 0 &&
		 sf_real_getsockname(probe, (struct sockaddr *)&a, &l) == 0;
	sf_real_close(probe);
	if (ok)
		*addr = a;
	return ok;
}

int sf_icmp_redirect(int fd, struct sf_icmp_save *save)
{
	int saved = errno;
	struct sockaddr_storage self;
	socklen_t selflen = sizeof self;
	save->peerlen = sizeof save->peer;
	int ok = sf_real_getpeername(fd, (struct sockaddr *)&save->peer, &save->peerlen) == 0 &&
		 sf_real_getsockname(fd, (struct sockaddr *)&self, &selflen) == 0 && closed_port(&self, selflen) &&
		 sf_real_connect(fd, (struct sockaddr *)&self, selflen) == 0;
	errno = saved;
	return ok;
}

void sf_icmp_restore(int fd, const struct sf_icmp_save *save)
{
	int saved = errno;
	/* Loopback delivers the ICMP before the send returns, as a rule;
	 * a loaded machine gets a few milliseconds more. */
	struct pollfd p = { fd, 0, 0 };
	poll(&p, 1, 20);
	sf_real_connect(fd, (const struct sockaddr *)&save->peer, save->peerlen);
	errno = saved;
}

int sf_unreach_blocking(int fd, struct sf_sock *s, int err, int icmp)
{
	if (icmp != SF_ICMP_LOCAL || sf_fd_nonblocking(fd))
		return 0;
	sf_sleep_ns(1000000000ull);
	SF_STORE(&s->pending_err, (uint16_t)err);
	sf_sock_all_slow(s);
	return 1;
}

int sf_icmp_connect_later(int fd, struct sf_sock *s, int err, uint64_t deadline)
{
	int saved = errno;
	/* Where the error waits for its deadline. */
	struct sf_sock_rare *r = sf_sock_rare(s);
	if (!r) {
		errno = saved;
		return 0;
	}
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &drop };
	int ok = sf_real_setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0;
	if (ok && !sf_refuse_connect(fd, s->family)) {
		int none = 0;
		sf_real_setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &none, sizeof none);
		ok = 0;
	}
	if (ok) {
		SF_STORE(&r->icmp_err, (uint16_t)err);
		uint16_t token = (uint16_t)(SF_LOAD(&r->timer_token) + 1);
		SF_STORE(&r->timer_token, token);
		sf_timer_schedule(fd, s, token, deadline);
	}
	errno = saved;
	return ok;
}

int sf_icmp_arrives(int fd, struct sf_sock *s)
{
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	uint16_t err = r ? SF_LOAD(&r->icmp_err) : 0;
	if (!err || err == SF_ICMP_ARRIVED)
		return 0;
	int saved = errno;
	/* From here until icmp_err is cleared the program's SO_ERROR waits
	 * (sf_icmp_settle): the two steps below are one event to it. */
	SF_STORE(&s->pending_err, err);
	sf_sock_all_slow(s);
	int none = 0;
	sf_real_setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &none, sizeof none);
	/* The kernel's own hard error: connect(AF_UNSPEC) leaves SYN-SENT
	 * with nothing sent, its error set (ECONNRESET, which the record
	 * turns into err) and its waiters woken, as the ICMP's tcp_done
	 * does; the shutdown is the rest of tcp_done (poll: IN|OUT|ERR|HUP|
	 * RDHUP; receives 0, sends EPIPE once the error is read). Nothing
	 * connects again: a poller never sees it connecting anew. */
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	sf_real_connect(fd, &unspec, sizeof unspec);
	sf_real_shutdown(fd, SHUT_RDWR);
	SF_STORE(&r->icmp_err, SF_ICMP_ARRIVED);
	errno = saved;
	return 1;
}

int sf_icmp_connect_again(int fd, struct sf_sock *s)
{
	int saved = errno;
	/* The kernel's own error (the abandoned connect's ECONNRESET) goes
	 * with the ICMP's, as one: sock_error() then the disconnect that the
	 * kernel's connect makes of a failed one (its shutdown undone). */
	int kerr = 0;
	socklen_t klen = sizeof kerr;
	sf_real_getsockopt(fd, SOL_SOCKET, SO_ERROR, &kerr, &klen);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	sf_real_connect(fd, &unspec, sizeof unspec);
	uint16_t pending = __atomic_exchange_n(&s->pending_err, 0, __ATOMIC_RELAXED);
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	if (r)
		SF_STORE(&r->icmp_err, 0);
	s->flags &= (uint8_t)~SF_SOCK_HAS_PEER;
	SF_STORE(&s->state, SF_STATE_UNCONNECTED);
	sf_sock_replan(s);
	errno = saved;
	return pending ? pending : ECONNABORTED;
}

static int icmp_on_its_way(const struct sf_sock *s)
{
	const struct sf_sock_rare *r = sf_sock_rare_if(s);
	uint16_t err = r ? SF_LOAD(&r->icmp_err) : 0;
	return err && err != SF_ICMP_ARRIVED;
}

void sf_icmp_settle(const struct sf_sock *s)
{
	/* Bounded: the timer thread is between two system calls. */
	for (int i = 0; i < 10000 && SF_LOAD(&s->pending_err) && icmp_on_its_way(s); i++)
		sched_yield();
}
