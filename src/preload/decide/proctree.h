/* This process's place in the run's tree (sockfault-rules(5), "Process
 * trees"): read from SOCKFAULT_TREE at start, counted at each fork, vfork
 * and posix_spawn, and handed to every program started (spawn.c). */
#ifndef SF_PROCTREE_H
#define SF_PROCTREE_H

#include "sf.h"

#include <stdint.h>

#include "tree.h"

#define SF_TREE_VAR "SOCKFAULT_TREE"

/* At start: the identity the environment gives, or "1". */
void sf_proctree_init(void);

/* The draws' key for this process (inline: the quick lane compares it on
 * every call of a p= rule, decide/quick.h). */
extern SF_HIDDEN uint64_t sf_proctree_self_key;
static inline uint64_t sf_proctree_key(void)
{
	return sf_proctree_self_key;
}

/* The calling process's identity (a vfork child's own, not its parent's). */
void sf_proctree_text(char out[SF_TREE_MAX]);

/* The value SOCKFAULT_TREE is to have for a program the caller execs now:
 * its own place and count (an exec in place), or a vfork child's place.
 * 0 for a child the library did not see being made (a raw clone). */
int sf_proctree_exec_value(char out[SF_TREE_MAX]);
/* posix_spawn: number a child and give its place. */
void sf_proctree_new_child(char out[SF_TREE_MAX]);
/* The value this program was started with ("" if none). */
const char *sf_proctree_given(void);

/* fork: the parent numbers the child (prepare handler), the child takes
 * that place (child handler). */
void sf_proctree_before_fork(void);
void sf_proctree_child(void);

#endif
