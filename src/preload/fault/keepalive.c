#include "keepalive.h"

#include <errno.h>
#include <linux/sockios.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "actions.h"
#include "clock.h"
#include "ghost.h"
#include "timer.h"
#include "units.h"

unsigned sf_keepalive_watch;

static int get_int(int fd, int level, int name, int *v)
{
	socklen_t l = sizeof *v;
	*v = 0;
	return syscall(SYS_getsockopt, fd, level, name, v, &l) == 0;
}

static void set_int(int fd, int level, int name, int v)
{
	syscall(SYS_setsockopt, fd, level, name, &v, sizeof v);
}

static int silenced(const struct sf_sock *s)
{
	uint8_t d = SF_LOAD(&s->dead);
	return s->proto == SF_PROTO_TCP && (d == SF_DEAD_BLACKHOLE || d == SF_DEAD_TIMEOUT);
}

/* The kernel's keepalive runs in fd's state (tcp_keepalive_timer), and the
 * library can end the connection there without a word: TCP repair mode
 * (CAP_NET_ADMIN), asked without entering it, so that no call of another
 * thread fails meanwhile. Turning it off forgets SO_REUSEADDR: put back. */
static int can_keep(int fd, const struct sf_sock *s, struct tcp_info *ti)
{
	socklen_t l = sizeof *ti;
	if (sf_ghost_may_share(s) || syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, ti, &l) != 0 ||
	    ti->tcpi_state == TCP_CLOSE || ti->tcpi_state == TCP_LISTEN || ti->tcpi_state == TCP_SYN_SENT ||
	    ti->tcpi_state == TCP_SYN_RECV)
		return 0;
	int reuse, off = TCP_REPAIR_OFF_NO_WP;
	get_int(fd, SOL_SOCKET, SO_REUSEADDR, &reuse);
	if (syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off) != 0)
		return 0;
	if (reuse)
		set_int(fd, SOL_SOCKET, SO_REUSEADDR, reuse);
	return 1;
}

/* When the kernel's timer would end the connection, from its next firing
 * ka_next with ka_sent probes sent before it: at each firing it ends it if
 * TCP_KEEPCNT probes are out (with TCP_USER_TIMEOUT: if that long has
 * passed since the last segment received and a probe is out), else it
 * sends one more and fires again TCP_KEEPINTVL later. */
static uint64_t end_at(const struct sf_sock_rare *r)
{
	uint64_t idle = r->ka_idle_ms * SF_NS_PER_MS, intvl = r->ka_intvl_ms * SF_NS_PER_MS;
	uint64_t t = r->ka_next, ut = r->ka_ut_ms * SF_NS_PER_MS, j;
	/* A firing before the idle time has passed only sets the timer again. */
	if (t < r->ka_last_rx + idle)
		t = r->ka_last_rx + idle;
	if (!ut) {
		j = r->ka_sent < r->ka_cnt ? (uint64_t)(r->ka_cnt - r->ka_sent) : 0;
	} else {
		uint64_t since = t - r->ka_last_rx;
		j = since >= ut ? 0 : (ut - since + intvl - 1) / intvl;
		if (!j && !r->ka_sent)
			j = 1;
	}
	return t + j * intvl;
}

/* The model brought to now, before an option changes: the firings up to
 * now that did not end the connection sent their probes. */
static void advance(struct sf_sock_rare *r, uint64_t now)
{
	if (!r->ka_on)
		return;
	uint64_t idle = r->ka_idle_ms * SF_NS_PER_MS, intvl = r->ka_intvl_ms * SF_NS_PER_MS;
	uint64_t t = r->ka_next, end = end_at(r);
	if (t < r->ka_last_rx + idle)
		t = r->ka_last_rx + idle;
	if (now < t)
		return;
	uint64_t k = (now - t) / intvl + 1, before_end = (end - t) / intvl;
	if (k > before_end)
		k = before_end;
	uint64_t sent = r->ka_sent + k;
	r->ka_sent = (uint8_t)(sent > 255 ? 255 : sent);
	r->ka_next = t + k * intvl;
}

/* Read the option name from the kernel into the model. */
static void take_option(int fd, struct sf_sock_rare *r, int name)
{
	int v;
	if (name == TCP_KEEPIDLE && get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v))
		r->ka_idle_ms = (uint32_t)v * 1000u;
	else if (name == TCP_KEEPINTVL && get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v))
		r->ka_intvl_ms = (uint32_t)v * 1000u;
	else if (name == TCP_KEEPCNT && get_int(fd, IPPROTO_TCP, TCP_KEEPCNT, &v))
		r->ka_cnt = (uint8_t)v;
	else if (name == TCP_USER_TIMEOUT && get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v))
		r->ka_ut_ms = (uint32_t)v;
}

/* Start keeping the keepalive of fd, which the kernel has on: the model
 * takes the kernel's state, then the kernel's keepalive goes off. */
static void start(int fd, struct sf_sock_rare *r, const struct tcp_info *ti, uint64_t now)
{
	take_option(fd, r, TCP_KEEPIDLE);
	take_option(fd, r, TCP_KEEPINTVL);
	take_option(fd, r, TCP_KEEPCNT);
	take_option(fd, r, TCP_USER_TIMEOUT);
	/* The kernel counts from the later of the last segment and the last
	 * acknowledgement received. */
	uint64_t since =
		ti->tcpi_last_data_recv < ti->tcpi_last_ack_recv ? ti->tcpi_last_data_recv : ti->tcpi_last_ack_recv;
	since *= SF_NS_PER_MS;
	r->ka_last_rx = now > since ? now - since : 0;
	/* Probes out unanswered: the next firing comes an interval after the
	 * last of them. */
	r->ka_sent = ti->tcpi_probes;
	r->ka_next = r->ka_last_rx + (r->ka_idle_ms + (uint64_t)r->ka_sent * r->ka_intvl_ms) * SF_NS_PER_MS;
	if (r->ka_next < now)
		r->ka_next = now;
	r->ka_on = 1;
	SF_STORE(&r->ka_held, 1);
	set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 0);
}

/* After a change under the timer's lock: the token of the end to schedule
 * (its time in *at), or 0 with none (the keepalive off). */
static uint16_t next_token(struct sf_sock_rare *r, uint64_t *at)
{
	uint16_t token = (uint16_t)(SF_LOAD(&r->ka_token) + 1);
	if (!token)
		token = 1; /* 0 says "never scheduled" (deadline.c) */
	SF_STORE(&r->ka_token, token);
	*at = end_at(r);
	return r->ka_on ? token : 0;
}

void sf_keepalive_silenced(int fd, struct sf_sock *s)
{
	int saved = errno, on;
	struct tcp_info ti;
	SF_STORE(&sf_keepalive_watch, 1);
	struct sf_sock_rare *r;
	if (s->proto != SF_PROTO_TCP || !get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &on) || !on || !can_keep(fd, s, &ti) ||
	    !(r = sf_sock_rare(s))) {
		errno = saved;
		return;
	}
	uint64_t at = 0;
	sf_timer_lock();
	start(fd, r, &ti, sf_now());
	uint16_t token = next_token(r, &at);
	sf_timer_unlock();
	sf_timer_schedule_keepalive(fd, s, token, at);
	errno = saved;
}

int sf_keepalive_setsockopt(int fd, struct sf_sock *s, int level, int name, const void *val, socklen_t len)
{
	int ret = (int)syscall(SYS_setsockopt, fd, level, name, val, len);
	if (ret != 0 || !silenced(s))
		return ret;
	int saved = errno, on = 0;
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	int held = r && SF_LOAD(&r->ka_held);
	int keepalive = level == SOL_SOCKET && name == SO_KEEPALIVE;
	struct tcp_info ti;
	/* A keepalive not kept: the kernel's own, unless it comes on now. */
	if (!held && (!keepalive || !get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &on) || !on || !can_keep(fd, s, &ti) ||
		      !(r = sf_sock_rare(s)))) {
		errno = saved;
		return ret;
	}
	uint64_t now = sf_now(), at = 0;
	sf_timer_lock();
	if (!held) {
		/* Turned on: the kernel's timer fires TCP_KEEPIDLE from now. */
		start(fd, r, &ti, now);
		r->ka_next = now + r->ka_idle_ms * SF_NS_PER_MS;
		r->ka_sent = 0;
	} else if (keepalive) {
		get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &on);
		set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 0);
		advance(r, now);
		if (on && !r->ka_on)
			r->ka_next = now + r->ka_idle_ms * SF_NS_PER_MS;
		r->ka_on = (uint8_t)(on != 0);
	} else {
		advance(r, now);
		take_option(fd, r, name);
		/* A new idle time sets the timer again from the last segment. */
		if (name == TCP_KEEPIDLE) {
			uint64_t t = r->ka_last_rx + r->ka_idle_ms * SF_NS_PER_MS;
			r->ka_next = t > now ? t : now;
		}
	}
	uint16_t token = next_token(r, &at);
	sf_timer_unlock();
	if (token)
		sf_timer_schedule_keepalive(fd, s, token, at);
	errno = saved;
	return ret;
}

int sf_keepalive_kept_on(const struct sf_sock *s)
{
	const struct sf_sock_rare *r = sf_sock_rare_if(s);
	if (!r || !SF_LOAD(&r->ka_held))
		return 0;
	sf_timer_lock();
	int on = r->ka_on;
	sf_timer_unlock();
	return on;
}

int sf_keepalive_due(int fd, struct sf_sock *s)
{
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	struct tcp_info ti;
	socklen_t l = sizeof ti;
	int queued = 0;
	if (!r || !silenced(s))
		return 0;
	sf_timer_lock();
	int due = r->ka_held && r->ka_on && end_at(r) <= sf_now();
	sf_timer_unlock();
	/* Data in flight or waiting to go: "alive without keepalive", the
	 * kernel's own timers end the connection (without an RST). */
	if (!due || syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &l) != 0 || ti.tcpi_state == TCP_CLOSE ||
	    syscall(SYS_ioctl, fd, SIOCOUTQ, &queued) != 0 || queued > 0)
		return 0;
	SF_STORE(&r->ka_ending, 1);
	return 1;
}

void sf_keepalive_ended(struct sf_sock *s)
{
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	if (r)
		SF_RELEASE(&r->ka_ending, 0);
}

void sf_keepalive_settle(const struct sf_sock *s)
{
	const struct sf_sock_rare *r = sf_sock_rare_if(s);
	/* Bounded: the timer thread has a few system calls left to make. */
	for (int i = 0; r && i < 100000 && SF_ACQUIRE(&r->ka_ending); i++)
		sched_yield();
}
