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

void sf_quick_drop(void)
{
	sf_quick_release(sf_self.held[0]);
}
