/* The condition keys of the rules language and what each one means,
 * generated from conditions.def: the only place that says it. */
#ifndef SF_CONDITIONS_H
#define SF_CONDITIONS_H

#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* What follows a key. */
enum sf_cond_value {
	SF_VAL_ADDRS,	 /* addresses and patterns, comma-separated */
	SF_VAL_WORDS,	 /* a set of the key's words, comma-separated */
	SF_VAL_WORD,	 /* one of the key's words */
	SF_VAL_WHEN,	 /* call numbers: 3, 3-5, 3+, every 10 */
	SF_VAL_CHANCE,	 /* a probability, 0 to 1 */
	SF_VAL_BYTES,	 /* a size, compared (= > >= < <=) */
	SF_VAL_DURATION, /* a duration, compared */
	SF_VAL_NAMES,	 /* names or patterns, comma-separated */
	SF_VAL_NAME,	 /* one name or pattern */
	SF_VAL_COUNT,	 /* a whole number, 1 or more */
};

/* What the call or the socket must have for the condition to be known. */
enum sf_cond_needs {
	SF_NEEDS_NOTHING,
	SF_NEEDS_PEER,	     /* a peer: not a socket being made, bound, listening */
	SF_NEEDS_ADDRESS,    /* an address of its own: not a socket being made */
	SF_NEEDS_STATE,	     /* a state: not a socket being made */
	SF_NEEDS_CONNECTION, /* a connection: not before one, nor accepting one */
	SF_NEEDS_SIDE,	     /* the same, for the connection's side */
};

/* How a socket's plan settles the condition. */
enum sf_cond_plan {
	SF_PLAN_PROGRAM,  /* once for the program */
	SF_PLAN_SOCKET,	  /* once for the socket */
	SF_PLAN_PER_DEST, /* once for a stream; per destination on a datagram socket */
	SF_PLAN_STATE,	  /* per call: the socket's state */
	SF_PLAN_MEASURE,  /* per call: a measure (bytes, times) */
	SF_PLAN_COUNT,	  /* per call: counting calls or firings */
	SF_PLAN_DRAW,	  /* per call: a draw */
};

enum sf_key {
#define SF_COND(NAME, name, value, needs, plan, tracks) SF_KEY_##NAME,
#include "conditions.def"
#undef SF_COND
	SF_KEY__COUNT
};

_Static_assert(SF_KEY__COUNT <= 32, "a rule's has holds one bit per key");

/* Which conditions a rule names (struct sf_rule's has), one bit per key. */
enum {
#define SF_COND(NAME, name, value, needs, plan, tracks) SF_HAS_##NAME = 1u << SF_KEY_##NAME,
#include "conditions.def"
#undef SF_COND
};

/* Masks of has bits: the keys a plan settles one way, the keys needing a peer. */
enum {
	SF_HAS_PER_DEST_ = 0u
#define SF_COND(NAME, name, value, needs, plan, tracks) | ((plan) == SF_PLAN_PER_DEST ? SF_HAS_##NAME : 0u)
#include "conditions.def"
#undef SF_COND
	,
	SF_HAS_MEASURE_ = 0u
#define SF_COND(NAME, name, value, needs, plan, tracks) | ((plan) == SF_PLAN_MEASURE ? SF_HAS_##NAME : 0u)
#include "conditions.def"
#undef SF_COND
	,
	SF_HAS_NEEDS_PEER_ = 0u
#define SF_COND(NAME, name, value, needs, plan, tracks) | ((needs) == SF_NEEDS_PEER ? SF_HAS_##NAME : 0u)
#include "conditions.def"
#undef SF_COND
};
/* A rule about the peer: on a datagram socket, checked per destination. */
#define SF_HAS_PER_DEST ((uint32_t)SF_HAS_PER_DEST_)
/* A rule about a measure (bytes, times): checked on every call. */
#define SF_HAS_MEASURE ((uint32_t)SF_HAS_MEASURE_)
/* A rule about who the peer is: accept must learn it. */
#define SF_HAS_NEEDS_PEER ((uint32_t)SF_HAS_NEEDS_PEER_)

/* The words, NULL-terminated, with "once" (limit=1) before the NULL: the
 * parser's key table and its suggestions. */
extern const char *const sf_key_names[SF_KEY__COUNT + 2];

enum sf_cond_value sf_cond_value(enum sf_key k);
enum sf_cond_plan sf_cond_plan(enum sf_key k);

/* The key compares (> >= < <=), not only '='. */
int sf_cond_compares(enum sf_key k);
/* The key takes several values in one condition (comma-separated). */
int sf_cond_is_list(enum sf_key k);

/* The operations on which the key can be known, and why not on others. */
sf_opmask sf_cond_ops(enum sf_key k);
const char *sf_cond_reason(enum sf_key k);

/* The data calls whose bookkeeping the conditions in `has` read. */
static inline sf_opmask sf_conds_track(uint32_t has)
{
	sf_opmask m = 0;
#define SF_COND(NAME, name, value, needs, plan, tracks) \
	if (has & SF_HAS_##NAME)                        \
		m |= (tracks);
#include "conditions.def"
#undef SF_COND
	return m;
}

/* "peer local ... limit once" and "sent received ...": the parser's hints,
 * in the table's order. */
size_t sf_cond_word_list(char *buf, size_t cap);
size_t sf_cond_compare_list(char *buf, size_t cap);

#endif
