#include "call.h"

#include <stdio.h>

#include "active.h"

size_t sf_call_peer(const struct sf_call *c, char *buf, size_t cap)
{
	struct sf_sockaddr v;
	char pathbuf[SF_UNIX_PATH_ROOM];
	if (c->addr && c->op != SF_OP_bind) {
		sf_sockaddr_view(c->addr, c->addrlen, &v, pathbuf, sizeof pathbuf);
		return sf_sockaddr_format(buf, cap, &v);
	}
	if (c->s && (c->s->flags & SF_SOCK_HAS_PEER)) {
		sf_sock_addr_view(c->s, 1, &v);
		return sf_sockaddr_format(buf, cap, &v);
	}
	return (size_t)snprintf(buf, cap, "-");
}

int sf_call_accepted(const struct sf_call *c)
{
	if (c->op == SF_OP_accept || c->op == SF_OP_accept4)
		return c->addr != NULL;
	return !c->addr && c->s && c->s->side == SF_SIDE_SERVER && (c->s->flags & SF_SOCK_HAS_PEER);
}

/* Does the verdict end the connection? On a connect, only silence does
 * (blackhole, timeout): the other actions fail the attempt. On a data
 * call, every action that kills; a sticky error only on a connected stream,
 * whose poll, SO_ERROR and other direction must agree with it. The other
 * calls are failed, never end a connection. */
int sf_verdict_ends(const struct sf_call *c)
{
	const struct sf_verdict *v = &c->v;
	const struct sf_sock *s = c->s;
	if (!s)
		return 0;
	if (c->op == SF_OP_connect)
		return v->action == SF_ACT_BLACKHOLE || v->action == SF_ACT_TIMEOUT;
	if (!(SF_OPS_IO & SF_OPBIT(c->op)))
		return 0;
	if (v->action == SF_ACT_ERROR)
		return v->sticky && (s->flags & SF_SOCK_STREAM) && SF_LOAD(&s->state) == SF_STATE_CONNECTED;
	return sf_action_kills(v->action, 0);
}
