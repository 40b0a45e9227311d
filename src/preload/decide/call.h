/* A call as the deciding sees it: the operation, the socket, its own
 * address, and the verdict the rules give it. */
#ifndef SF_CALL_H
#define SF_CALL_H

#include "sf.h"

#include <sys/socket.h>

#include "active.h"
#include "rules.h"
#include "sock.h"

/* What the deciding rule said, copied: rules may be replaced (reload) as
 * soon as the decision is made, so nothing outside sf_decide points at one. */
struct sf_verdict {
	uint8_t decided; /* a rule decided the call */
	uint8_t action;	 /* enum sf_action */
	uint8_t sticky, now;
	uint8_t ends;	 /* the call ends the connection (sf_verdict_ends) */
	uint8_t icmp;	 /* error on connect: from an ICMP (enum sf_icmp) */
	int err;	 /* error: the errno */
	uint64_t dur_ns; /* timeout: the silence before the end */
};

struct sf_call {
	enum sf_op op;
	int fd;
	struct sf_sock *s;	     /* the socket's record; NULL for socket()/socketpair() */
	const struct sockaddr *addr; /* the call's own address: connect, sendto, bind */
	socklen_t addrlen;
	uint8_t proto; /* for calls without a record: the kind being made */
	uint8_t timed; /* no call: a time trigger's deadline (only timed rules) */

	/* The verdict. */
	struct sf_verdict v;   /* v.decided == 0: the call goes on */
	uint64_t short_len;    /* a `short` rule's limit (0: none) */
	uint64_t throttle;     /* bytes per second (0: none); the slowest rule wins */
	uint64_t corrupt_bits; /* bits to flip in the data moved (0: none) */
	uint64_t corrupt_draw; /* seeds the positions of those bits */
	/* delay: set defer_delay and the delays are not slept but left in
	 * delay_ns (a relayed connection delays its data, not its calls). */
	uint8_t defer_delay;
	uint64_t delay_ns;
};

/* The peer a call is about, as the log writes it ("-" when unknown). */
size_t sf_call_peer(const struct sf_call *c, char *buf, size_t cap);

/* The call is about a connection the program accepted (or is accepting):
 * its draws and its replay leave the client's port out. */
int sf_call_accepted(const struct sf_call *c);

/* Does the verdict end the connection? On a connect, only silence does
 * (blackhole, timeout): the other actions fail the attempt. On a data
 * call, every action that kills; a sticky error only on a connected stream,
 * whose poll, SO_ERROR and other direction must agree with it. The other
 * calls are failed, never end a connection. Said when the rule decides,
 * into the verdict (v.ends; dead.h sf_dead_begin makes it so). */
static inline int sf_verdict_ends(const struct sf_call *c)
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

#endif
