#include "call.h"

#include <stdio.h>

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
