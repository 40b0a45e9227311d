/* The library's own allocator: mmap-backed size classes behind one lock.
 * Not malloc, because wrappers run inside signal handlers and inside other
 * libraries' malloc, and because records must stay readable memory after
 * they are freed (a thread racing a close reads a recycled record, never an
 * unmapped page): memory is never returned to the system. */
#ifndef SF_ALLOC_H
#define SF_ALLOC_H

#include <stddef.h>

/* Zeroed memory of at least `size` bytes, aligned to 8, or NULL. */
void *sf_alloc(size_t size);
/* Give back a block of the size it was allocated with. */
void sf_free(void *p, size_t size);

/* A pool of blocks of one kind that are never handed to another kind: a
 * thread may still read a block that was just given back (it raced the
 * block's release), and must find the same kind of block there, live or
 * free. The link of the free list is kept at `link` bytes into the block,
 * so that the fields such a reader relies on stay as they were left. */
struct sf_pool {
	size_t size;
	size_t link;
	void *free;
};
/* A block of the pool, or NULL: zeroed when new, as it was left when it
 * comes back (the caller sets it up, with atomic stores for the fields a
 * racing reader may look at). */
void *sf_pool_get(struct sf_pool *p);
void sf_pool_put(struct sf_pool *p, void *b);

/* Bytes obtained from the system so far (for the memory benchmark). */
size_t sf_alloc_footprint(void);

/* fork: hold the lock across fork, then release (parent) or reset (child). */
void sf_alloc_lock(void);
void sf_alloc_unlock(void);
void sf_alloc_child_reset(void);

#endif
