#include "fdtab.h"

#include <stddef.h>
#include <sys/mman.h>

uintptr_t *sf_fdtab[SF_FD_MAX / SF_FD_CHUNK];

static uintptr_t *chunk_for(unsigned fd)
{
	uintptr_t **slot = &sf_fdtab[fd >> SF_FD_CHUNK_BITS];
	uintptr_t *chunk = SF_ACQUIRE(slot);
	if (chunk)
		return chunk;
	/* mmap, not malloc: this runs inside wrappers, maybe in a signal handler. */
	void *fresh = mmap(NULL, SF_FD_CHUNK * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fresh == MAP_FAILED)
		return NULL;
	uintptr_t *expected = NULL;
	if (__atomic_compare_exchange_n(slot, &expected, (uintptr_t *)fresh, 0, __ATOMIC_ACQ_REL,
	                                __ATOMIC_ACQUIRE))
		return fresh;
	munmap(fresh, SF_FD_CHUNK * sizeof(uintptr_t));
	return expected;
}

uintptr_t sf_fd_swap(int fd, uintptr_t v)
{
	if ((unsigned)fd >= SF_FD_MAX)
		return v;
	uintptr_t *chunk = chunk_for((unsigned)fd);
	if (!chunk)
		return v;
	return __atomic_exchange_n(&chunk[(unsigned)fd & (SF_FD_CHUNK - 1)], v, __ATOMIC_ACQ_REL);
}

void sf_fd_each(void (*fn)(int fd, uintptr_t v, void *arg), void *arg)
{
	for (unsigned c = 0; c < SF_FD_MAX / SF_FD_CHUNK; c++) {
		uintptr_t *chunk = SF_ACQUIRE(&sf_fdtab[c]);
		if (!chunk)
			continue;
		for (unsigned i = 0; i < SF_FD_CHUNK; i++) {
			uintptr_t v = SF_ACQUIRE(&chunk[i]);
			if (v > SF_FD_NOTSOCK)
				fn((int)(c * SF_FD_CHUNK + i), v, arg);
		}
	}
}
