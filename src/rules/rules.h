/* A parsed rules file: what each rule matches and what it does. */
#ifndef SF_RULES_H
#define SF_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ops.h"
#include "when.h"

enum sf_action {
	SF_ACT_ERROR,
	SF_ACT_RESET,
	SF_ACT_EOF,
	SF_ACT_HANGUP,
	SF_ACT_BLACKHOLE,
	SF_ACT_TIMEOUT,
	SF_ACT_DELAY,
	SF_ACT_SHORT,
	SF_ACT_DROP,
	SF_ACT_CORRUPT,
	SF_ACT_THROTTLE,
	SF_ACT__COUNT
};

extern const char *const sf_action_names[SF_ACT__COUNT + 1];

/* delay, throttle and corrupt shape the call and let later rules run;
 * every other action decides the call. */
static inline int sf_action_shapes(enum sf_action a)
{
	return a == SF_ACT_DELAY || a == SF_ACT_THROTTLE || a == SF_ACT_CORRUPT;
}

/* Socket kinds (proto=), sides (side=) and states (state=), as bit sets. */
#define SF_PROTO_TCP  0x1u
#define SF_PROTO_UDP  0x2u
#define SF_PROTO_UNIX 0x4u
#define SF_PROTO_ALL  0x7u

#define SF_SIDE_CLIENT 0x1u
#define SF_SIDE_SERVER 0x2u
#define SF_SIDE_ALL    0x3u

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
enum sf_num {
	SF_NUM_SENT,
	SF_NUM_RECEIVED,
	SF_NUM_IDLE,
	SF_NUM_AGE,
	SF_NUM_UPTIME,
	SF_NUM__COUNT
};
extern const char *const sf_num_names[SF_NUM__COUNT];

/* A numeric condition is the closed interval [lo, hi]; absent is [0, MAX]. */
struct sf_range {
	uint64_t lo, hi;
	uint8_t lo_strict, hi_strict;  /* written as > or <: print lo-1 / hi+1 */
};

enum sf_per { SF_PER_CONN, SF_PER_PROCESS };

/* Which conditions a rule names (for printing and for the engine's plans). */
#define SF_HAS_PEER    (1u << 0)
#define SF_HAS_LOCAL   (1u << 1)
#define SF_HAS_PROTO   (1u << 2)
#define SF_HAS_SIDE    (1u << 3)
#define SF_HAS_STATE   (1u << 4)
#define SF_HAS_WHEN    (1u << 5)
#define SF_HAS_PER     (1u << 6)
#define SF_HAS_P       (1u << 7)
#define SF_HAS_HOST    (1u << 8)
#define SF_HAS_EXE     (1u << 9)
#define SF_HAS_LIMIT   (1u << 10)
#define SF_HAS_NUM(k)  (1u << (11 + (k)))

/* p= as a threshold on 53 random bits: the call fires when bits < p_scaled. */
#define SF_P_ONE (1ull << 53)

struct sf_rule {
	char *name;
	unsigned line;          /* first physical line of the rule */
	unsigned index;         /* position in the rule set */
	uint64_t name_hash;     /* identifies the rule in p= decisions */
	sf_opmask ops;          /* the operations as written (groups expanded) */
	uint32_t has;           /* SF_HAS_* */
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
	char *p_text;           /* p= as written, for printing */
	struct sf_range num[SF_NUM__COUNT];
	uint64_t limit;         /* 0: no limit */

	enum sf_action action;
	int err;                /* error: the errno */
	uint64_t dur_ns;        /* delay, timeout */
	uint64_t jitter_ns;     /* delay D~J */
	uint64_t count;         /* short N, corrupt N */
	uint64_t rate;          /* throttle, bytes per second */
	uint8_t sticky, now, quiet;
	uint8_t icmp;           /* error on connect: a router's ICMP answered the SYN */
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
