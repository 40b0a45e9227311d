/* Descriptor -> socket record, looked up without a lock: a two-level array of
 * atomic words. 0: not seen yet; SF_FD_NOTSOCK: not a socket; else a record. */
#ifndef SF_FDTAB_H
#define SF_FDTAB_H

#include "sf.h"

#include <stdint.h>

#define SF_FD_CHUNK_BITS 10
#define SF_FD_CHUNK      (1u << SF_FD_CHUNK_BITS)
#define SF_FD_MAX        (1u << 22) /* descriptors above this are never tracked */
#define SF_FD_NOTSOCK    ((uintptr_t)1)

extern uintptr_t *sf_fdtab[SF_FD_MAX / SF_FD_CHUNK];

static inline uintptr_t sf_fd_get(int fd)
{
	if ((unsigned)fd >= SF_FD_MAX)
		return 0;
	uintptr_t *chunk = SF_ACQUIRE(&sf_fdtab[(unsigned)fd >> SF_FD_CHUNK_BITS]);
	if (!chunk)
		return 0;
	return SF_ACQUIRE(&chunk[(unsigned)fd & (SF_FD_CHUNK - 1)]);
}

/* Store v for fd and return what was there. Fails (returns v unchanged, does
 * nothing) only for descriptors above SF_FD_MAX or when memory runs out. */
uintptr_t sf_fd_swap(int fd, uintptr_t v);

/* Call fn for every record in the table (fork's child handler). */
void sf_fd_each(void (*fn)(int fd, uintptr_t v, void *arg), void *arg);

#endif
