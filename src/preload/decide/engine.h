/* Deciding a call: the rules in order, against the call and its socket. */
#ifndef SF_ENGINE_H
#define SF_ENGINE_H

#include "sf.h"

#include <sys/socket.h>

#include "call.h"
#include "rules.h"
#include "sock.h"

/* Evaluate the rules for the call, sleep the delays of the rules that fired
 * and shape it, and fill in the verdict (with what it does to the
 * connection: v.ends). A record planned for other rules is planned again
 * first; every firing is logged once the rules have been read. */
void sf_decide(struct sf_call *c);

/* The errno a deciding rule makes the call fail with (0: it does not fail). */
int sf_verdict_errno(const struct sf_call *c);

#endif
