/* The actions of the rules language and what each one means, generated from
 * actions.def: the only place that says it. */
#ifndef SF_ACTIONS_H
#define SF_ACTIONS_H

#include <errno.h>
#include <stddef.h>

#include "ops.h"

/* What follows an action's name. */
enum sf_action_arg {
	SF_ARG_NONE,
	SF_ARG_ERRNO,	 /* required: error ECONNRESET */
	SF_ARG_DURATION, /* optional, 30 s: timeout 5s */
	SF_ARG_DELAY,	 /* required, with an optional jitter: delay 200ms~50ms */
	SF_ARG_SIZE,	 /* required, 1 or more bytes: short 1 */
	SF_ARG_BITS,	 /* optional, 1 or more bits: corrupt 3 */
	SF_ARG_RATE,	 /* required, bytes per second: throttle 64KiB/s */
	SF_ARG_CHANCE,	 /* required, a probability below 1: lossy 0.1 */
};

enum sf_action_effect { SF_DECIDES, SF_SHAPES };
enum sf_action_fit { SF_FIT_ANY, SF_FIT_STREAM, SF_FIT_DGRAM };
enum sf_action_kill { SF_KILL_NEVER, SF_KILL_ALWAYS, SF_KILL_STICKY };

/* The operations an action applies to. */
enum sf_action_scope { SF_SCOPE_ALL, SF_SCOPE_IO, SF_SCOPE_RX, SF_SCOPE_CONNECT_IO };

/* In the err and dead_err columns: the errno the rule names (error E). */
#define SF_ERR_OF_RULE (-1)

/* Connections an action has ended for good: every later call gets what the
 * kernel would give for such a connection (sockfault-rules(5)). */
enum sf_dead {
	SF_DEAD_NONE,
	SF_DEAD_EOF,	   /* the peer "closed": receives give 0 */
	SF_DEAD_HANGUP,	   /* eof, and sends fail with EPIPE; the peer got a FIN */
	SF_DEAD_RESET,	   /* aborted: the peer got an RST */
	SF_DEAD_BLACKHOLE, /* silence both ways, for ever */
	SF_DEAD_TIMEOUT,   /* silence until the deadline, then TIMEDOUT */
	SF_DEAD_TIMEDOUT,  /* ETIMEDOUT to everything; the peer got an RST */
	SF_DEAD_ERROR,	   /* a sticky error: dead_err to every data call */
	SF_DEAD_ABORTED,   /* reset at a time: the kernel holds the RST's state */
};
#define SF_DEAD__COUNT (SF_DEAD_ABORTED + 1)

/* A dead state as `sockfault ctl conns` and `ctl watch` name it: what the
 * program sees, so a reset at a time is a reset too. */
const char *sf_dead_name(enum sf_dead d);

enum sf_action {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, not_connect, not_tx, err, kill, dead, dead_err) \
	SF_ACT_##NAME,
#include "actions.def"
#undef SF_ACTION
	SF_ACT__COUNT
};

/* The words, NULL-terminated (for suggestions). */
extern const char *const sf_action_names[SF_ACT__COUNT + 1];

/* The generated columns, as switches the compiler folds: some are read on
 * every call. */
static inline enum sf_action_arg sf_action_arg(enum sf_action a)
{
	switch (a) {
#define SF_ACTION(NAME, name, arg, ...) \
	case SF_ACT_##NAME:             \
		return arg;
#include "actions.def"
#undef SF_ACTION
	default:
		return SF_ARG_NONE;
	}
}

/* A shaping action changes the call and lets later rules run; every
 * other action decides the call (the effect column). */
static inline int sf_action_shapes(enum sf_action a)
{
	switch (a) {
#define SF_ACTION(NAME, name, arg, effect, ...) \
	case SF_ACT_##NAME:                     \
		return effect == SF_SHAPES;
#include "actions.def"
#undef SF_ACTION
	default:
		return 0;
	}
}

/* Whether the action can happen on a socket of this kind; where it cannot,
 * a rule with it does not apply. */
static inline int sf_action_fits(enum sf_action a, int stream)
{
	switch (a) {
#define SF_ACTION(NAME, name, arg, effect, fits, ...) \
	case SF_ACT_##NAME:                           \
		return fits == SF_FIT_ANY || (fits == SF_FIT_STREAM) == !!stream;
#include "actions.def"
#undef SF_ACTION
	default:
		return 0;
	}
}

/* The action ends the connection (the kill column: some always, error
 * only when made sticky). */
static inline int sf_action_kills(enum sf_action a, int sticky)
{
	switch (a) {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, not_connect, not_tx, err, kill, ...) \
	case SF_ACT_##NAME:                                                                          \
		return kill == SF_KILL_ALWAYS || (kill == SF_KILL_STICKY && sticky);
#include "actions.def"
#undef SF_ACTION
	default:
		return 0;
	}
}

/* The errno of the call the action decides (0: none of its own); rule_err
 * is the rule's errno, for error E. */
static inline int sf_action_errno(enum sf_action a, int rule_err)
{
	switch (a) {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, not_connect, not_tx, err, ...) \
	case SF_ACT_##NAME:                                                                    \
		return err == SF_ERR_OF_RULE ? rule_err : err;
#include "actions.def"
#undef SF_ACTION
	default:
		return 0;
	}
}

/* The dead state the action leaves a connection it ends in, and the error
 * later calls get. */
static inline enum sf_dead sf_action_dead(enum sf_action a)
{
	switch (a) {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, not_connect, not_tx, err, kill, dead, ...) \
	case SF_ACT_##NAME:                                                                                \
		return dead;
#include "actions.def"
#undef SF_ACTION
	default:
		return SF_DEAD_NONE;
	}
}

static inline int sf_action_dead_errno(enum sf_action a, int rule_err)
{
	switch (a) {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, not_connect, not_tx, err, kill, dead, dead_err) \
	case SF_ACT_##NAME:                                                                                     \
		return dead_err == SF_ERR_OF_RULE ? rule_err : dead_err;
#include "actions.def"
#undef SF_ACTION
	default:
		return 0;
	}
}

/* The operations the action applies to, and the same in words. */
sf_opmask sf_action_ops(enum sf_action a);
const char *sf_action_scope_text(enum sf_action a);

/* Advice added when a rule names, outside the action's scope, a connect or
 * a sending call (excluded: the operations named that it cannot apply to). */
const char *sf_action_scope_hint(enum sf_action a, sf_opmask excluded);

/* Why a rule for the other kind of socket cannot apply: "needs a stream
 * socket, and proto=udp has none (...)"; NULL if proto= leaves a socket it
 * fits (protos: the SF_PROTO_* bits of proto=). */
size_t sf_action_misfit(char *buf, size_t cap, enum sf_action a, unsigned protos);

/* The word a hint shows for its argument: "E" for error E, "" when it
 * takes none or may go without. */
const char *sf_action_placeholder(enum sf_action a);

/* "error E, reset, ..., throttle RATE" and "error reset ... throttle": the
 * hints of the parser, in the table's order. */
size_t sf_action_syntax_list(char *buf, size_t cap);
size_t sf_action_word_list(char *buf, size_t cap);

#endif
