#include "real.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>

struct sf_reals sf_real;
SF_TLS struct sf_thread sf_self;

int sf_sys_dup2(int fd, int fd2)
{
#ifdef SYS_dup2
	return (int)syscall(SYS_dup2, fd, fd2);
#else
	/* dup3 refuses equal descriptors; dup2 returns the descriptor if open. */
	if (fd == fd2)
		return (int)syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : fd;
	return (int)syscall(SYS_dup3, fd, fd2, 0);
#endif
}

void *sf_resolve(const char *name)
{
	/* Only names configure found are ever looked up, so dlsym does not fail
	 * (a failing dlsym allocates its error message). A malloc replacement
	 * that dlsym calls and that calls back into us lands here with
	 * `resolving` set, and gets the raw system call instead. */
	if (sf_self.resolving)
		return NULL;
	int saved = errno;
	sf_self.resolving = 1;
	void *p = dlsym(RTLD_NEXT, name);
	sf_self.resolving = 0;
	errno = saved;
	return p;
}

#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback) \
	ret sf_unresolved_##name params                                   \
	{                                                                 \
		sf_##name##_fn f = (sf_##name##_fn)sf_resolve(#name);     \
		if (!f)                                                   \
			return (ret)(fallback);                           \
		SF_STORE(&sf_real.name, f);                               \
		return f args;                                            \
	}
#define SF_SYM(ret, name, params)
#include "calls.def"
#undef SF_CALL
#undef SF_SYM

void sf_resolve_all(void)
{
#define SF_CALL(ret, name, params, args, fd, op, dest, destlen, fallback) \
	if (!SF_LOAD(&sf_real.name))                                      \
		SF_STORE(&sf_real.name, (sf_##name##_fn)sf_resolve(#name));
#define SF_SYM(ret, name, params) SF_CALL(ret, name, params, (), -1, none, NULL, 0, 0)
#include "calls.def"
#undef SF_CALL
#undef SF_SYM
}
