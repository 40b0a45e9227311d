/* Freeing what other threads may still be reading: a socket's old plan, the
 * rules replaced by a reload. Sections that read rules or plans are counted;
 * what is replaced meanwhile is retired, and freed at a moment when no
 * section is under way (any reader that could have seen it has finished:
 * it was unpublished before it was retired). */
#ifndef SF_RECLAIM_H
#define SF_RECLAIM_H

#include <stddef.h>

#include "sf.h"

extern SF_HIDDEN unsigned long sf_readers;
extern SF_HIDDEN void *sf_retired;

void sf_reclaim(void);

static inline void sf_read_begin(void)
{
	__atomic_fetch_add(&sf_readers, 1, __ATOMIC_SEQ_CST);
}

static inline void sf_read_end(void)
{
	if (__atomic_sub_fetch(&sf_readers, 1, __ATOMIC_SEQ_CST) == 0 && SF_LOAD(&sf_retired))
		sf_reclaim();
}

/* fork: the child has only the thread that forked, which is not reading:
 * sections other threads were in do not exist there. */
void sf_reclaim_child_reset(void);

/* Free `p` with fn(p, size) once no reader can be using it. */
void sf_retire(void *p, size_t size, void (*fn)(void *p, size_t size));

#endif
