/* Failing, accounting and the quick lane's way out, for every call. */
#include "slow.h"

#include "clock.h"
#include "deadline.h"
#include "fate.h"
#include "lane.h"

long sf_fail(struct sf_call *c, int err)
{
	sf_trace(c, -1, err);
	return sf_done(-1, err);
}

void sf_account_connected(struct sf_sock *s)
{
	if (!s->t_connected)
		s->t_connected = sf_now();
	SF_STORE(&s->state, SF_STATE_CONNECTED);
	sf_sock_replan(s);
	sf_deadline_arm(-1, s);
}

void sf_account(struct sf_sock *s, int tx, long r, size_t moved)
{
	sf_account_inline(s, tx, r, moved);
}

/* The connection died while the call was in the kernel (another thread's
 * reset, the timeout's deadline): its answer replaces the kernel's. A
 * socket with a pending error never takes the quick lane. */
long sf_quick_dead(struct sf_sock *s, int fd, long r, enum sf_op op)
{
	int err = r < 0 ? errno : 0, before = err;
	r = sf_fate_after_slow(s, fd, op, r, &err);
	if (err != before)
		errno = err;
	return r;
}

long sf_quick_leave_rare(long r, int tx, enum sf_op op)
{
	struct sf_sock *s = sf_self.held[0];
	if (SF_LOAD(&s->dead) && r <= 0)
		r = sf_quick_dead(s, sf_self.lane_fd, r, op);
	sf_account_inline(s, tx, r, r > 0 ? (size_t)r : 0);
	sf_quick_release(s);
	return r;
}

/* The bytes are counted; the time they moved needs the kernel's clock. */
long sf_quick_leave_clock(long r)
{
	struct sf_sock *s = sf_self.held[0];
	SF_STORE(&s->t_last_io, sf_now());
	sf_quick_release(s);
	return r;
}

/* The call's reference was the record's last (its descriptors were closed
 * meanwhile). */
long sf_quick_leave_free(long r)
{
	sf_sock_free(sf_self.held[0]);
	return sf_quick_leave_reclaim(r);
}

long sf_quick_leave_reclaim(long r)
{
	if (SF_LOAD(&sf_retired) && !SF_LOAD(&sf_readers))
		sf_reclaim();
	sf_depth_down();
	return r;
}

void sf_quick_drop(void)
{
	sf_quick_release(sf_self.held[0]);
}
