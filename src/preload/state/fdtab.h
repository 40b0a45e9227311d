/* Descriptor -> socket record, looked up without a lock: one flat array of
 * atomic words, indexed by descriptor. 0: not seen yet; else a record
 * (sock.h; SF_FD_NOTSOCK is a record that stands for "not a socket"). */
#ifndef SF_FDTAB_H
#define SF_FDTAB_H

#include "sf.h"

#include <stdint.h>

#define SF_FD_MAX (1u << 22) /* descriptors from here on are never tracked */

extern SF_HIDDEN uintptr_t *sf_fdtab;
extern SF_HIDDEN unsigned sf_fd_limit; /* entries in the table; 0 until it exists */
extern SF_HIDDEN unsigned sf_fd_high;  /* one more than the highest descriptor ever stored */

/* Reserve the table (at start): as many entries as the process may have
 * descriptors (at most SF_FD_MAX). Pages are only backed once written. */
void sf_fdtab_init(void);

static inline uintptr_t sf_fd_get(int fd)
{
	if ((unsigned)fd >= SF_LOAD(&sf_fd_limit))
		return 0;
	return SF_ACQUIRE(&sf_fdtab[fd]);
}

/* fd's entry, for a descriptor found in the table a moment ago: the
 * table never shrinks, so no bound is checked again. */
static inline uintptr_t sf_fd_get_seen(int fd)
{
	return SF_ACQUIRE(&sf_fdtab[fd]);
}

/* Store v for fd and return what was there. A descriptor beyond the table
 * is not stored: the call returns v itself. */
uintptr_t sf_fd_swap(int fd, uintptr_t v);

#endif
