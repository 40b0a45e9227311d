#include "peers.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"

/* Open addressing on the peer hash, in two generations of fixed size: a
 * look-up tries the current table, then the previous one (and carries the
 * count over); when the current table is half full, it becomes the previous
 * one and a cleared table the current. Memory stays at two tables however
 * many peers a process meets, and a peer met again within a generation
 * keeps counting; one not met for a whole generation starts again at 1.
 * Which peers are forgotten depends only on the order in which connections
 * are made, so two runs of the same workload still draw alike. */
#define SLOTS (1u << 15) /* per table: 16 bytes each, 512 KiB */
#define ROTATE_AT (SLOTS / 2)

struct slot {
	uint64_t key; /* 0: empty (a hash of 0 is stored as 1) */
	uint32_t count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *gen[2]; /* current, previous */
static uint32_t used;	    /* in the current table */

static struct slot *find(struct slot *t, uint64_t key)
{
	uint32_t i = (uint32_t)(key ^ (key >> 32)) & (SLOTS - 1);
	while (t[i].key && t[i].key != key)
		i = (i + 1) & (SLOTS - 1);
	return &t[i];
}

static int ready(void)
{
	for (int k = 0; k < 2; k++)
		if (!gen[k] && !(gen[k] = sf_alloc(SLOTS * sizeof(struct slot))))
			return 0;
	return 1;
}

static void rotate(void)
{
	struct slot *old = gen[1];
	memset(old, 0, SLOTS * sizeof *old);
	gen[1] = gen[0];
	gen[0] = old;
	used = 0;
}

uint32_t sf_peer_next_ordinal(uint64_t peer_hash)
{
	uint64_t key = peer_hash ? peer_hash : 1;
	uint32_t n = 1;
	pthread_mutex_lock(&lock);
	if (ready()) {
		struct slot *s = find(gen[0], key);
		if (!s->key) {
			if (used == ROTATE_AT) {
				rotate();
				s = find(gen[0], key);
			}
			struct slot *before = find(gen[1], key);
			s->key = key;
			s->count = before->key ? before->count : 0;
			used++;
		}
		n = ++s->count;
	}
	pthread_mutex_unlock(&lock);
	return n;
}

void sf_peers_lock(void)
{
	pthread_mutex_lock(&lock);
}

void sf_peers_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

void sf_peers_child_reset(void)
{
	pthread_mutex_init(&lock, NULL);
}
