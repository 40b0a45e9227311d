#include "fdtab.h"

#include <stddef.h>
#include <sys/mman.h>
#include <sys/resource.h>

uintptr_t *sf_fdtab;
unsigned sf_fd_limit;
unsigned sf_fd_high;

void sf_fdtab_init(void)
{
	if (SF_LOAD(&sf_fd_limit))
		return;
	struct rlimit rl;
	size_t n = SF_FD_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n)
		n = (size_t)rl.rlim_max;
	/* Reading an untouched page maps the shared zero page, so a lookup of
	 * a descriptor never seen costs no memory; NORESERVE keeps the
	 * reservation out of the commit charge. */
	void *t = mmap(NULL, n * sizeof(uintptr_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (t == MAP_FAILED)
		return;
	sf_fdtab = t;
	SF_RELEASE(&sf_fd_limit, (unsigned)n);
}

uintptr_t sf_fd_swap(int fd, uintptr_t v)
{
	if ((unsigned)fd >= SF_LOAD(&sf_fd_limit))
		return v;
	unsigned high = SF_LOAD(&sf_fd_high);
	while ((unsigned)fd >= high && !__atomic_compare_exchange_n(&sf_fd_high, &high, (unsigned)fd + 1, 1,
								    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return __atomic_exchange_n(&sf_fdtab[fd], v, __ATOMIC_ACQ_REL);
}
