/* Operation names, groups and classes of the rules language. */
#ifndef SF_OPS_H
#define SF_OPS_H

#include <stdint.h>
#include <stddef.h>

enum sf_op_class {
	SF_CLASS_CREATE, /* a new socket out of nothing */
	SF_CLASS_CONNECT,
	SF_CLASS_ACCEPT,
	SF_CLASS_SETUP,	  /* bind, listen, shutdown */
	SF_CLASS_RELEASE, /* close */
	SF_CLASS_DUP,	  /* a second descriptor for the same socket */
	SF_CLASS_TX,
	SF_CLASS_RX,
	SF_CLASS_QUERY, /* getsockopt(SO_ERROR), getpeername */
};

enum sf_op {
#define SF_OP(name, cls) SF_OP_##name,
#include "ops.def"
#undef SF_OP
	SF_OP__COUNT
};

typedef uint32_t sf_opmask;
#define SF_OPBIT(op) ((sf_opmask)1u << (op))

_Static_assert(SF_OP__COUNT <= 32, "sf_opmask holds one bit per operation");

extern const char *const sf_op_names[SF_OP__COUNT];
extern const enum sf_op_class sf_op_classes[SF_OP__COUNT];

/* The operations of one class. */
sf_opmask sf_ops_of_class(enum sf_op_class cls);

/* Masks of the groups, as constants: the wrappers test them on every call. */
enum {
	SF_OPS_TX_ = 0
#define SF_OP(name, cls) | ((cls) == SF_CLASS_TX ? (1 << SF_OP_##name) : 0)
#include "ops.def"
#undef SF_OP
	,
	SF_OPS_RX_ = 0
#define SF_OP(name, cls) | ((cls) == SF_CLASS_RX ? (1 << SF_OP_##name) : 0)
#include "ops.def"
#undef SF_OP
};
#define SF_OPS_TX ((sf_opmask)SF_OPS_TX_)
#define SF_OPS_RX ((sf_opmask)SF_OPS_RX_)
#define SF_OPS_IO (SF_OPS_TX | SF_OPS_RX)
#define SF_OPS_ALL ((sf_opmask)((1ull << SF_OP__COUNT) - 1))

/* An operation or group name (`send`, `tx`, `*`) to its mask; 0 if unknown. */
sf_opmask sf_ops_lookup(const char *name, size_t len);

/* `tx`, `connect,rx`, `*`: groups where the whole group is present. */
size_t sf_ops_format(char *buf, size_t cap, sf_opmask m);

/* Every accepted name, for suggestions: NULL-terminated. */
extern const char *const sf_op_words[];

#endif
