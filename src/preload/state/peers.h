/* Which connection to a peer this is, in this process (for p= decisions). */
#ifndef SF_PEERS_H
#define SF_PEERS_H

#include <stdint.h>

/* 1 for the first connection to the peer, 2 for the second, ... */
uint32_t sf_peer_next_ordinal(uint64_t peer_hash);

void sf_peers_lock(void);
void sf_peers_unlock(void);
void sf_peers_child_reset(void);

#endif
