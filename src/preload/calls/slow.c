/* Failing, accounting and the quick lane's way out, for every call. */
#include "slow.h"

#include "clock.h"
#include "deadline.h"
#include "fate.h"

long sf_fail(struct sf_call *c, int err)
{
	sf_trace(c, -1, err);
	return sf_done(-1, err);
}

void sf_account(struct sf_sock *s, int tx, long r, size_t moved)
{
	if (r < 0)
		return;
	if (tx)
		SF_ADD(&s->sent, moved);
	else
		SF_ADD(&s->received, moved);
	if (SF_LOAD(&s->track_idle))
		SF_STORE(&s->t_last_io, sf_now());
	if (SF_UNLIKELY(SF_LOAD(&s->state) == SF_STATE_CONNECTING)) {
		if (!s->t_connected)
			s->t_connected = sf_now();
		SF_STORE(&s->state, SF_STATE_CONNECTED);
		sf_sock_replan(s);
		sf_deadline_arm(-1, s);
	}
}

long sf_quick_leave(int fd, int tx, long r, enum sf_op op)
{
	struct sf_sock *s = sf_self.held[0]; /* sf_quick_enter's */
	/* The connection may have died while the call was in the kernel
	 * (another thread's reset, the timeout's deadline). A socket with a
	 * pending error never takes the quick lane. */
	if (SF_UNLIKELY(SF_LOAD(&s->dead)) && r <= 0) {
		int err = r < 0 ? errno : 0, before = err;
		r = sf_fate_after_slow(s, fd, op, r, &err);
		if (err != before)
			errno = err;
	}
	sf_account(s, tx, r, r > 0 ? (size_t)r : 0);
	sf_leave();
	return r;
}
