#include "conditions.h"

#include <stdio.h>

const char *const sf_key_names[SF_KEY__COUNT + 2] = {
#define SF_COND(NAME, name, value, needs, plan, tracks) #name,
#include "conditions.def"
#undef SF_COND
	"once",
	NULL,
};

static const enum sf_cond_value values[SF_KEY__COUNT] = {
#define SF_COND(NAME, name, value, needs, plan, tracks) value,
#include "conditions.def"
#undef SF_COND
};

static const enum sf_cond_needs needs_of[SF_KEY__COUNT] = {
#define SF_COND(NAME, name, value, needs, plan, tracks) needs,
#include "conditions.def"
#undef SF_COND
};

static const enum sf_cond_plan plans[SF_KEY__COUNT] = {
#define SF_COND(NAME, name, value, needs, plan, tracks) plan,
#include "conditions.def"
#undef SF_COND
};

enum sf_cond_value sf_cond_value(enum sf_key k)
{
	return values[k];
}

enum sf_cond_plan sf_cond_plan(enum sf_key k)
{
	return plans[k];
}

int sf_cond_compares(enum sf_key k)
{
	return values[k] == SF_VAL_BYTES || values[k] == SF_VAL_DURATION;
}

int sf_cond_is_list(enum sf_key k)
{
	return values[k] == SF_VAL_ADDRS || values[k] == SF_VAL_WORDS || values[k] == SF_VAL_NAMES;
}

sf_opmask sf_cond_ops(enum sf_key k)
{
	sf_opmask create = sf_ops_of_class(SF_CLASS_CREATE);
	sf_opmask no_peer = create | SF_OPBIT(SF_OP_bind) | SF_OPBIT(SF_OP_listen);
	switch (needs_of[k]) {
	case SF_NEEDS_PEER:
		return SF_OPS_ALL & ~no_peer;
	case SF_NEEDS_ADDRESS:
	case SF_NEEDS_STATE:
		return SF_OPS_ALL & ~create;
	case SF_NEEDS_CONNECTION:
	case SF_NEEDS_SIDE:
		return SF_OPS_ALL & ~(no_peer | sf_ops_of_class(SF_CLASS_ACCEPT));
	case SF_NEEDS_NOTHING:
		break;
	}
	return SF_OPS_ALL;
}

const char *sf_cond_reason(enum sf_key k)
{
	switch (needs_of[k]) {
	case SF_NEEDS_PEER:
		return "it has no peer";
	case SF_NEEDS_ADDRESS:
		return "a socket being created has no address";
	case SF_NEEDS_STATE:
		return "a socket being created has no state yet";
	case SF_NEEDS_SIDE:
		return "it is not called on a connection (side= is the connection's)";
	case SF_NEEDS_CONNECTION:
	case SF_NEEDS_NOTHING:
		break;
	}
	return "it is not called on a connection";
}

static size_t words(char *buf, size_t cap, int compares_only)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int k = 0; sf_key_names[k]; k++) {
		if (compares_only && (k == SF_KEY__COUNT || !sf_cond_compares((enum sf_key)k)))
			continue;
		len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? " " : "", sf_key_names[k]);
	}
	return len;
}

size_t sf_cond_word_list(char *buf, size_t cap)
{
	return words(buf, cap, 0);
}

size_t sf_cond_compare_list(char *buf, size_t cap)
{
	return words(buf, cap, 1);
}
