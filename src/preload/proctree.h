/* This process's place in the run's tree (sockfault-rules(5), "Process
 * trees"): read from SOCKFAULT_TREE at start, counted at each fork, vfork
 * and posix_spawn, and handed to every program started with exec. */
#ifndef SF_PROCTREE_H
#define SF_PROCTREE_H

#include <stdint.h>

#include "tree.h"

/* At start: the identity the environment gives, or "1". */
void sf_proctree_init(void);

/* The draws' key for this process. */
uint64_t sf_proctree_key(void);

/* The calling process's identity (a vfork child's own, not its parent's). */
void sf_proctree_text(char out[SF_TREE_MAX]);

/* fork: the parent numbers the child (prepare handler), the child takes
 * that place (child handler). */
void sf_proctree_before_fork(void);
void sf_proctree_child(void);

#endif
