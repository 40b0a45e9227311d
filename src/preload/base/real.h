/* The real libc functions, resolved once with dlsym(RTLD_NEXT), from calls.def. */
#ifndef SF_REAL_H
#define SF_REAL_H

#include "sf.h"

#include <netdb.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

int sf_sys_dup2(int fd, int fd2);

#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback) typedef ret(*sf_##name##_fn) params;
#define SF_SYM(ret, name, params) typedef ret(*sf_##name##_fn) params;
#include "calls.def"
#undef SF_CALL
#undef SF_SYM

struct sf_reals {
#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback) sf_##name##_fn name;
#define SF_SYM(ret, name, params) sf_##name##_fn name;
#include "calls.def"
#undef SF_CALL
#undef SF_SYM
};
extern SF_HIDDEN struct sf_reals sf_real;

/* dlsym(RTLD_NEXT, name), or NULL when called from inside dlsym itself. */
void *sf_resolve(const char *name);
/* Resolve every symbol now (the constructor, and fork's prepare handler, so
 * that no child ever has to call dlsym). */
void sf_resolve_all(void);

/* sf_real_NAME(args): the real function. The first call resolves it out of
 * line (and, while it cannot be resolved, makes the raw system call), so
 * the inline path is a load, a test and a tail call. */
#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback) \
	__attribute__((noinline, cold)) ret sf_unresolved_##name params;  \
	static inline ret sf_real_##name params                           \
	{                                                                 \
		sf_##name##_fn f = SF_LOAD(&sf_real.name);                \
		if (SF_UNLIKELY(!f))                                      \
			return sf_unresolved_##name args;                 \
		return f args;                                            \
	}
#define SF_SYM(ret, name, params)
#include "calls.def"
#undef SF_CALL
#undef SF_SYM

/* sf_sym_NAME(): the real function pointer, or NULL while unresolvable. */
#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback)
#define SF_SYM(ret, name, params)                              \
	static inline sf_##name##_fn sf_sym_##name(void)       \
	{                                                      \
		sf_##name##_fn f = SF_LOAD(&sf_real.name);     \
		if (SF_UNLIKELY(!f)) {                         \
			f = (sf_##name##_fn)sf_resolve(#name); \
			if (f)                                 \
				SF_STORE(&sf_real.name, f);    \
		}                                              \
		return f;                                      \
	}
#include "calls.def"
#undef SF_CALL
#undef SF_SYM

/* The real setsockopt and getsockname. Their wrappers (calls/relayed.c) are
 * the library's own exported symbols, which a call from inside the library
 * reaches too: there they would look the descriptor up again, and learning
 * a socket asks its name (a descriptor of the relay's, never seen by the
 * table, would learn itself without end). The library calls these. */
static inline int sf_real_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	sf_setsockopt_fn f = sf_sym_setsockopt();
	return f ? f(fd, level, name, val, len) : (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

static inline int sf_real_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	sf_getsockname_fn f = sf_sym_getsockname();
	return f ? f(fd, addr, len) : (int)syscall(SYS_getsockname, fd, addr, len);
}

#endif
