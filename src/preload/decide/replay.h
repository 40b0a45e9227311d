/* SOCKFAULT_REPLAY: inject exactly the faults of a recorded JSON log. A fault
 * is known by its process (its place in the tree), its rule, its connection
 * (peer, and which connection to that peer it was) and the rule's call
 * index on it; p= and the seed are not consulted. */
#ifndef SF_REPLAY_H
#define SF_REPLAY_H

#include "sf.h"

#include <stdint.h>

/* Read the log. Problems go to report(); returns their number. */
unsigned sf_replay_load(const char *path, void (*report)(void *ctx, const char *msg), void *ctx);

/* Replaying at all? */
extern SF_HIDDEN int sf_replaying;

/* Did the recorded run fire this rule at this call (in this process)? */
struct sf_call;
int sf_replay_fired(const struct sf_call *c, const char *rule, uint64_t conn, uint64_t call);

#endif
