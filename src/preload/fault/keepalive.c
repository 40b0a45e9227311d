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
#include "katimer.h"
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

/* Which option of the timer a setsockopt sets (0: none). */
static int timer_option(int level, int name, enum sf_katimer_opt *opt)
{
	if (level == SOL_SOCKET && name == SO_KEEPALIVE)
		*opt = SF_KA_ON;
	else if (level == IPPROTO_TCP && name == TCP_KEEPIDLE)
		*opt = SF_KA_IDLE;
	else if (level == IPPROTO_TCP && name == TCP_KEEPINTVL)
		*opt = SF_KA_INTVL;
	else if (level == IPPROTO_TCP && name == TCP_KEEPCNT)
		*opt = SF_KA_CNT;
	else if (level == IPPROTO_TCP && name == TCP_USER_TIMEOUT)
		*opt = SF_KA_UT;
	else
		return 0;
	return 1;
}

/* The option as the kernel took it, in the timer's units (seconds become
 * ms). */
static uint32_t kernel_value(int fd, int level, int name)
{
	int v;
	if (!get_int(fd, level, name, &v) || v < 0)
		return 0;
	return level == IPPROTO_TCP && (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL) ? (uint32_t)v * 1000u
										       : (uint32_t)v;
}

/* Start keeping the keepalive of fd, which the kernel has on: the timer
 * takes the kernel's state, then the kernel's keepalive goes off. */
static void start(int fd, struct sf_sock_rare *r, const struct tcp_info *ti, uint64_t now)
{
	struct sf_katimer *k = &r->ka;
	k->idle_ms = kernel_value(fd, IPPROTO_TCP, TCP_KEEPIDLE);
	k->intvl_ms = kernel_value(fd, IPPROTO_TCP, TCP_KEEPINTVL);
	k->cnt = (uint8_t)kernel_value(fd, IPPROTO_TCP, TCP_KEEPCNT);
	k->ut_ms = kernel_value(fd, IPPROTO_TCP, TCP_USER_TIMEOUT);
	/* The kernel counts from the later of the last segment and the last
	 * acknowledgement received. */
	uint64_t since =
		ti->tcpi_last_data_recv < ti->tcpi_last_ack_recv ? ti->tcpi_last_data_recv : ti->tcpi_last_ack_recv;
	since *= SF_NS_PER_MS;
	k->last_rx = now > since ? now - since : 0;
	/* Probes out unanswered: the next firing comes an interval after the
	 * last of them. */
	k->sent = ti->tcpi_probes;
	k->next = k->last_rx + (k->idle_ms + (uint64_t)k->sent * k->intvl_ms) * SF_NS_PER_MS;
	if (k->next < now)
		k->next = now;
	k->on = 1;
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
	*at = sf_katimer_end(&r->ka);
	return r->ka.on ? token : 0;
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
	enum sf_katimer_opt opt;
	if (ret != 0 || !silenced(s) || !timer_option(level, name, &opt))
		return ret;
	int saved = errno;
	struct sf_sock_rare *r = sf_sock_rare_if(s);
	int held = r && SF_LOAD(&r->ka_held);
	struct tcp_info ti;
	/* The value the kernel took, the one the program gets back. */
	uint32_t value = kernel_value(fd, level, name);
	/* A keepalive not kept: the kernel's own, unless it comes on now. */
	if (!held && (opt != SF_KA_ON || !value || !can_keep(fd, s, &ti) || !(r = sf_sock_rare(s)))) {
		errno = saved;
		return ret;
	}
	uint64_t now = sf_now(), at = 0;
	sf_timer_lock();
	if (!held) {
		/* Turned on: the kernel's timer fires TCP_KEEPIDLE from now. */
		start(fd, r, &ti, now);
		r->ka.on = 0;
		r->ka.sent = 0;
	} else if (opt == SF_KA_ON) {
		set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 0);
	}
	sf_katimer_change(&r->ka, opt, value, now);
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
	int on = r->ka.on;
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
	int due = r->ka_held && r->ka.on && sf_katimer_end(&r->ka) <= sf_now();
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
