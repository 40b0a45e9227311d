/* Rules against a call: does a rule's condition set hold? Pure code. */
#ifndef SF_MATCH_H
#define SF_MATCH_H

#include <stdint.h>

#include "addr.h"
#include "rules.h"

/* What a call and its socket look like to the rules. */
struct sf_subject {
	enum sf_op op;
	uint8_t proto;               /* SF_PROTO_* bit; 0 if unknown */
	uint8_t side;                /* SF_SIDE_* bit; 0 if neither or unknown */
	uint8_t state;               /* enum sf_state */
	uint8_t side_known;          /* the side can no longer change */
	struct sf_sockaddr peer;     /* family SF_ADDR_ANY while unknown */
	struct sf_sockaddr local;
	uint64_t num[SF_NUM__COUNT]; /* sent, received, idle, age, uptime */
	uint32_t num_known;          /* bit k: num[k] means something (no age before a connection) */
	const char *exe;
	/* Names this process resolved to the peer's address (host=): NULL-terminated. */
	const char *const *hosts;
};

/* Every condition except when=, p= and limit= holds for this call. */
int sf_rule_matches(const struct sf_rule *r, const struct sf_subject *s);

/* Could the rule ever match a call on this socket, given what is fixed now
 * (proto, exe, and peer/local/side once set)? Used to build the short list of
 * rules each connection checks. Ops and dynamic conditions are not looked at. */
int sf_rule_may_apply(const struct sf_rule *r, const struct sf_subject *s);

#endif
