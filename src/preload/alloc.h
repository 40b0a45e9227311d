/* The library's own allocator: mmap-backed size classes behind one lock.
 * Not malloc, because wrappers run inside signal handlers and inside other
 * libraries' malloc, and because records must stay readable memory after
 * they are freed (a thread racing a close reads a recycled record, never an
 * unmapped page): memory is never returned to the system. */
#ifndef SF_ALLOC_H
#define SF_ALLOC_H

#include <stddef.h>

/* Zeroed memory of at least `size` bytes, or NULL. */
void *sf_alloc(size_t size);
/* Give back a block of the size it was allocated with. */
void sf_free(void *p, size_t size);

/* Bytes obtained from the system so far (for the memory benchmark). */
size_t sf_alloc_footprint(void);

/* fork: hold the lock across fork, then release (parent) or reset (child). */
void sf_alloc_lock(void);
void sf_alloc_unlock(void);
void sf_alloc_child_reset(void);

#endif
