/* A parsed rules file: what each rule matches and what it does. */
#ifndef SF_RULES_H
#define SF_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "addr.h"
#include "conditions.h"
#include "ops.h"
#include "when.h"

/* Socket kinds (proto=), sides (side=) and states (state=), as bit sets. */
#define SF_PROTO_TCP 0x1u
#define SF_PROTO_UDP 0x2u
#define SF_PROTO_UNIX 0x4u
#define SF_PROTO_ALL 0x7u
/* The words of proto=, in bit order, NULL-terminated. */
extern const char *const sf_proto_names[4];

#define SF_SIDE_CLIENT 0x1u
#define SF_SIDE_SERVER 0x2u
#define SF_SIDE_ALL 0x3u
extern const char *const sf_side_names[3];

enum sf_state {
	SF_STATE_UNCONNECTED,
	SF_STATE_CONNECTING,
	SF_STATE_CONNECTED,
	SF_STATE_LISTENING,
	SF_STATE_SHUTDOWN,
	SF_STATE__COUNT
};
#define SF_STATE_ALL ((1u << SF_STATE__COUNT) - 1)
extern const char *const sf_state_names[SF_STATE__COUNT + 1];

/* The numeric conditions: bytes, and times in nanoseconds. */
enum sf_num { SF_NUM_SENT, SF_NUM_RECEIVED, SF_NUM_IDLE, SF_NUM_AGE, SF_NUM_UPTIME, SF_NUM__COUNT };
/* Their names: the keys' (sf_key_names), from sent on. */
extern const char *const *const sf_num_names;

/* A numeric condition is the closed interval [lo, hi]; absent is [0, MAX]. */
struct sf_range {
	uint64_t lo, hi;
	uint8_t lo_strict, hi_strict; /* written as > or <: print lo-1 / hi+1 */
};

enum sf_per { SF_PER_CONN, SF_PER_PROCESS };

/* Which ICMP answered a connect's SYN (sockfault-rules(5), icmp): none
 * written, a router on the way (icmp: a hard error after the round trip),
 * or the host's own firewall, answering within the connect call
 * (icmp=local: the kernel's soft error, reported at the SYN's
 * retransmission). */
enum sf_icmp { SF_ICMP_NONE, SF_ICMP_ROUTER, SF_ICMP_LOCAL };
extern const char *const sf_per_names[3];

/* The has bit of the numeric condition k (SF_HAS_* for the others: conditions.h). */
#define SF_HAS_NUM(k) (1u << (SF_KEY_SENT + (k)))
_Static_assert(SF_KEY_SENT + SF_NUM_RECEIVED == SF_KEY_RECEIVED && SF_KEY_SENT + SF_NUM_IDLE == SF_KEY_IDLE &&
		       SF_KEY_SENT + SF_NUM_AGE == SF_KEY_AGE && SF_KEY_SENT + SF_NUM_UPTIME == SF_KEY_UPTIME,
	       "the numeric keys are in the order of enum sf_num");

/* p= as a threshold on 53 random bits: the call fires when bits < p_scaled. */
#define SF_P_ONE (1ull << 53)

struct sf_rule {
	char *name;
	unsigned line;	    /* first physical line of the rule */
	unsigned index;	    /* position in the rule set */
	uint64_t name_hash; /* identifies the rule in p= decisions */
	sf_opmask ops;	    /* the operations as written (groups expanded) */
	uint32_t has;	    /* SF_HAS_* */
	uint8_t protos, sides, states;
	uint8_t per;
	struct sf_addrpat *peers;
	unsigned npeers;
	struct sf_addrpat *locals;
	unsigned nlocals;
	char **hosts;
	unsigned nhosts;
	char *exe;
	struct sf_when when;
	uint64_t p_scaled;
	char *p_text; /* p= as written, for printing */
	struct sf_range num[SF_NUM__COUNT];
	uint64_t limit; /* 0: no limit */

	enum sf_action action;
	int err;	    /* error: the errno */
	uint64_t dur_ns;    /* delay, timeout */
	uint64_t jitter_ns; /* delay D~J */
	uint64_t count;	    /* short N, corrupt N */
	uint64_t rate;	    /* throttle, bytes per second */
	uint64_t loss;	    /* lossy P, scaled as p= (SF_P_ONE) */
	char *loss_text;    /* lossy's P as written, for printing */
	uint8_t sticky, now, quiet;
	uint8_t icmp; /* error on connect: an ICMP answered the SYN (enum sf_icmp) */
};

struct sf_ruleset {
	struct sf_rule *rules;
	unsigned n, cap;
};

/* The rule's trigger is a time (a lower bound on idle= or age=) and its
 * action ends or silences a connection that receives: it fires at that
 * time, whether or not the program calls (sockfault-rules(5), idle, age). */
static inline int sf_rule_timed(const struct sf_rule *r)
{
	int act = r->action == SF_ACT_RESET || r->action == SF_ACT_EOF || r->action == SF_ACT_HANGUP ||
		  r->action == SF_ACT_BLACKHOLE || r->action == SF_ACT_TIMEOUT;
	return act && (r->ops & SF_OPS_RX) && (r->num[SF_NUM_IDLE].lo > 0 || r->num[SF_NUM_AGE].lo > 0);
}

void sf_rule_free(struct sf_rule *r);
void sf_ruleset_free(struct sf_ruleset *rs);

#endif
