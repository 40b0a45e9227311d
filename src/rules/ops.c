#include "ops.h"

#include <stdio.h>
#include <string.h>

const char *const sf_op_names[SF_OP__COUNT] = {
#define SF_OP(name, cls) #name,
#include "ops.def"
#undef SF_OP
};

const enum sf_op_class sf_op_classes[SF_OP__COUNT] = {
#define SF_OP(name, cls) cls,
#include "ops.def"
#undef SF_OP
};

const char *const sf_op_words[] = {
#define SF_OP(name, cls) #name,
#include "ops.def"
#undef SF_OP
	"tx", "rx", "io", "*", NULL
};

sf_opmask sf_ops_of_class(enum sf_op_class cls)
{
	sf_opmask m = 0;
	for (int i = 0; i < SF_OP__COUNT; i++)
		if (sf_op_classes[i] == cls)
			m |= SF_OPBIT(i);
	return m;
}

static int word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(s, w, len) == 0;
}

sf_opmask sf_ops_lookup(const char *name, size_t len)
{
	if (word_is(name, len, "tx"))
		return SF_OPS_TX;
	if (word_is(name, len, "rx"))
		return SF_OPS_RX;
	if (word_is(name, len, "io"))
		return SF_OPS_IO;
	if (word_is(name, len, "*"))
		return SF_OPS_ALL;
	for (int i = 0; i < SF_OP__COUNT; i++)
		if (word_is(name, len, sf_op_names[i]))
			return SF_OPBIT(i);
	return 0;
}

size_t sf_ops_format(char *buf, size_t cap, sf_opmask m)
{
	static const char *const groups[] = { "io", "tx", "rx" };
	const sf_opmask masks[] = { SF_OPS_IO, SF_OPS_TX, SF_OPS_RX };
	size_t len = 0;
	if (m == SF_OPS_ALL)
		return (size_t)snprintf(buf, cap, "*");
	buf[0] = '\0';
	for (int g = 0; g < 3; g++)
		if ((m & masks[g]) == masks[g]) {
			len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? "," : "",
						groups[g]);
			m &= ~masks[g];
		}
	for (int i = 0; i < SF_OP__COUNT; i++)
		if (m & SF_OPBIT(i))
			len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", len ? "," : "",
						sf_op_names[i]);
	return len;
}
