#include "fate.h"

#include <errno.h>

#include "dead.h"
#include "lookup.h"
#include "stash.h"

enum sf_fate sf_fate_dead_slow(struct sf_call *c, int flags, long *ret, int *err)
{
	if (!sf_sock_is(c->s, c->fd)) {
		/* Not the dead connection any more: what the number is now. */
		c->s = sf_lookup(c->fd);
		return c->s ? SF_FATE_ALIVE : SF_FATE_UNTRACKED;
	}
	if ((SF_OPS_RX & SF_OPBIT(c->op)) && sf_stash_left(c->s))
		return SF_FATE_STASHED;
	switch (sf_dead_answer(c, flags, ret, err)) {
	case 0:
		return SF_FATE_DEAD;
	case SF_DEAD_PRETEND_SENT:
		return SF_FATE_PRETEND_SENT;
	default:
		return SF_FATE_ANSWERED;
	}
}

enum sf_fate sf_fate_verdict(struct sf_call *c, int flags, long *ret, int *err)
{
	struct sf_verdict *v = &c->v;
	int tx = (SF_OPS_TX & SF_OPBIT(c->op)) != 0;
	if (v->ends) {
		switch (sf_dead_begin(c, flags, ret, err)) {
		case 0:
			return SF_FATE_RUN;
		case SF_DEAD_PRETEND_SENT:
			return SF_FATE_PRETEND_SENT;
		default:
			return SF_FATE_ANSWERED;
		}
	}
	/* On a data call only an error fails it; drop and short shape it. */
	if (SF_OPS_IO & SF_OPBIT(c->op)) {
		if (v->action != SF_ACT_ERROR)
			return v->action == SF_ACT_DROP && tx ? SF_FATE_PRETEND_SENT : SF_FATE_RUN;
		*err = v->err;
	} else {
		*err = sf_verdict_errno(c);
	}
	if (*err == EPIPE && tx && (c->s->flags & SF_SOCK_STREAM))
		sf_raise_sigpipe(c->op, flags);
	return SF_FATE_FAILED;
}

long sf_fate_after_slow(struct sf_sock *s, int fd, enum sf_op op, long r, int *err)
{
	if (!sf_sock_is(s, fd))
		return r;
	if (r < 0)
		*err = sf_pending_error(s, *err);
	int fixed = sf_dead_fixup(s, fd, op, r, *err);
	if (fixed != *err) {
		*err = fixed;
		return -1;
	}
	return r;
}

int sf_pending_kernel_error(const struct sf_sock *s, int err)
{
	/* The refuser's RST (refuse.h), or a router's ICMP arriving (icmp.h:
	 * the abandoned connect's ECONNRESET). */
	return err == ECONNREFUSED || (err == ECONNRESET && SF_LOAD(&s->state) == SF_STATE_CONNECTING);
}

int sf_pending_error(struct sf_sock *s, int err)
{
	uint16_t pending = SF_LOAD(&s->pending_err);
	if (!pending || !sf_pending_kernel_error(s, err))
		return err;
	SF_STORE(&s->pending_err, 0);
	SF_STORE(&s->state, SF_STATE_UNCONNECTED);
	sf_sock_replan(s);
	return pending;
}
