/* Which process the library's state belongs to. A child made by fork runs
 * the fork handlers (init.c); one made without them (_Fork, clone) is known
 * here by its first descriptor-table call. A child that shares the parent's
 * memory (vfork, clone with CLONE_VM) may read the library's state, never
 * change it: its descriptors are not the parent's. */
#ifndef SF_PROC_H
#define SF_PROC_H

#include "sf.h"

/* The pid of the process the library's state belongs to. */
extern SF_HIDDEN int sf_proc_pid;

/* At start: note the pid, and mark a page that every child with memory of
 * its own sees zeroed (MADV_WIPEONFORK). `adopt` is what the fork handler
 * does in a child (entry/init.c), run here for a child made without fork
 * handlers. */
void sf_proc_init(void (*adopt)(void));

/* After fork, in the child: the page and the pid are the child's own. */
void sf_proc_forked(void);

/* 1: this process owns the library's state (the one it started in, or a
 * child with its own copy of memory, adopted here on first sight: its
 * locks, timers and pid made its own). 0: a child sharing the parent's
 * memory, or one the kernel cannot tell apart from it. Off the fast path:
 * a getpid system call. */
int sf_proc_owns_state(void);

#endif
