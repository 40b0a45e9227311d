/* Rules against a call: does a rule's condition set hold? Pure code. */
#ifndef SF_MATCH_H
#define SF_MATCH_H

#include <stdint.h>

#include "addr.h"
#include "rules.h"

/* What a call and its socket look like to the rules. */
struct sf_subject {
	enum sf_op op;
	uint8_t proto;		 /* SF_PROTO_* bit; 0 if unknown */
	uint8_t side;		 /* SF_SIDE_* bit; 0 if neither or unknown */
	uint8_t state;		 /* enum sf_state */
	uint8_t side_known;	 /* the side can no longer change */
	struct sf_sockaddr peer; /* family SF_ADDR_ANY while unknown */
	struct sf_sockaddr local;
	uint64_t num[SF_NUM__COUNT]; /* sent, received, idle, age, uptime */
	uint32_t num_known;	     /* bit k: num[k] means something (no age before a connection) */
	const char *exe;
	const char *exe_also; /* a second name exe= matches (NULL: none) */
	/* Names this process resolved to the peer's address (host=): NULL-terminated. */
	const char *const *hosts;
};

/* Every condition except when=, p= and limit= holds for this call. */
int sf_rule_matches(const struct sf_rule *r, const struct sf_subject *s);

/* The conditions fixed for a connection: proto, exe, peer, local, host, side.
 * With unknown_holds, what the subject does not know yet (no peer before
 * connect) counts as holding: "could this rule ever apply to this socket?" */
int sf_rule_statics_hold(const struct sf_rule *r, const struct sf_subject *s, int unknown_holds);

/* The conditions that change from call to call: op, state, and the numbers. */
int sf_rule_dynamics_hold(const struct sf_rule *r, const struct sf_subject *s);

#endif
