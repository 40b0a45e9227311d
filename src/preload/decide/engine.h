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

/* The quick lane's way in (calls/slow.h SF_OPS_QUICK): counts the call and
 * enters the library (1), or does neither (0); never touches errno. `dest`
 * is the call's destination, SF_DEST_UNKNOWN when the wrapper cannot tell. */
#define SF_DEST_UNKNOWN ((const struct sockaddr *)1)
int sf_quick_enter(int fd, enum sf_op op, const struct sockaddr *dest, socklen_t destlen);

#endif
