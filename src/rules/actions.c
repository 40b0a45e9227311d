#include "actions.h"

#include <stdio.h>

#include "rules.h"

const char *const sf_action_names[SF_ACT__COUNT + 1] = {
#define SF_ACTION(NAME, name, ...) #name,
#include "actions.def"
#undef SF_ACTION
	NULL,
};

static const enum sf_action_scope scopes[SF_ACT__COUNT] = {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, ...) scope,
#include "actions.def"
#undef SF_ACTION
};

static const struct {
	sf_opmask ops;
	const char *text;
} scope_info[] = {
	[SF_SCOPE_ALL] = { SF_OPS_ALL, "every call" },
	[SF_SCOPE_IO] = { SF_OPS_IO, "data calls (tx, rx)" },
	[SF_SCOPE_RX] = { SF_OPS_RX, "receiving calls (rx)" },
	[SF_SCOPE_CONNECT_IO] = { SF_OPS_IO | SF_OPBIT(SF_OP_connect), "connect and data calls (tx, rx)" },
};

const char *sf_dead_name(enum sf_dead d)
{
	static const char *const names[SF_DEAD__COUNT] = {
		[SF_DEAD_NONE] = "no",
		[SF_DEAD_EOF] = "eof",
		[SF_DEAD_HANGUP] = "hangup",
		[SF_DEAD_RESET] = "reset",
		[SF_DEAD_BLACKHOLE] = "blackhole",
		[SF_DEAD_TIMEOUT] = "timeout",
		[SF_DEAD_TIMEDOUT] = "timedout",
		[SF_DEAD_ERROR] = "error",
		[SF_DEAD_ABORTED] = "reset",
	};
	return (unsigned)d < SF_DEAD__COUNT ? names[d] : "?";
}

sf_opmask sf_action_ops(enum sf_action a)
{
	return scope_info[scopes[a]].ops;
}

const char *sf_action_scope_text(enum sf_action a)
{
	return scope_info[scopes[a]].text;
}

static const char *const not_connect_hints[SF_ACT__COUNT] = {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, not_connect, ...) not_connect,
#include "actions.def"
#undef SF_ACTION
};

static const char *const not_tx_hints[SF_ACT__COUNT] = {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, scope, not_connect, not_tx, ...) not_tx,
#include "actions.def"
#undef SF_ACTION
};

const char *sf_action_scope_hint(enum sf_action a, sf_opmask excluded)
{
	if ((excluded & SF_OPBIT(SF_OP_connect)) && *not_connect_hints[a])
		return not_connect_hints[a];
	if (excluded & SF_OPS_TX)
		return not_tx_hints[a];
	return "";
}

static const enum sf_action_fit fits_of[SF_ACT__COUNT] = {
#define SF_ACTION(NAME, name, arg, effect, fits, ...) fits,
#include "actions.def"
#undef SF_ACTION
};

static const char *const misfits[SF_ACT__COUNT] = {
#define SF_ACTION(NAME, name, arg, effect, fits, misfit, ...) misfit,
#include "actions.def"
#undef SF_ACTION
};

size_t sf_action_misfit(char *buf, size_t cap, enum sf_action a, unsigned protos)
{
	/* unix sockets come in both kinds: only tcp or udp alone can misfit. */
	if (fits_of[a] == SF_FIT_STREAM && !(protos & (SF_PROTO_TCP | SF_PROTO_UNIX)))
		return (size_t)snprintf(buf, cap, "%s needs a stream socket, and proto=udp has none%s",
					sf_action_names[a], misfits[a]);
	if (fits_of[a] == SF_FIT_DGRAM && !(protos & (SF_PROTO_UDP | SF_PROTO_UNIX)))
		return (size_t)snprintf(buf, cap, "%s loses datagrams, and proto=tcp has none%s", sf_action_names[a],
					misfits[a]);
	return 0;
}

const char *sf_action_placeholder(enum sf_action a)
{
	switch (sf_action_arg(a)) {
	case SF_ARG_ERRNO:
		return "E";
	case SF_ARG_DELAY:
		return "D";
	case SF_ARG_SIZE:
		return "N";
	case SF_ARG_RATE:
		return "RATE";
	case SF_ARG_CHANCE:
		return "P";
	case SF_ARG_NONE:
	case SF_ARG_DURATION:
	case SF_ARG_BITS:
		break;
	}
	return "";
}

size_t sf_action_syntax_list(char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int a = 0; a < SF_ACT__COUNT; a++) {
		const char *ph = sf_action_placeholder((enum sf_action)a);
		len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s%s%s", a ? ", " : "",
					sf_action_names[a], *ph ? " " : "", ph);
	}
	return len;
}

size_t sf_action_word_list(char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int a = 0; a < SF_ACT__COUNT; a++)
		len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", a ? " " : "", sf_action_names[a]);
	return len;
}
