#include "peers.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"

/* Open addressing on the peer hash; the table doubles at half full. */
struct slot {
	uint64_t key;       /* 0: empty (a hash of 0 is stored as 1) */
	uint32_t count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *table;
static uint32_t cap, used;

static struct slot *find(struct slot *t, uint32_t n, uint64_t key)
{
	uint32_t i = (uint32_t)(key ^ (key >> 32)) & (n - 1);
	while (t[i].key && t[i].key != key)
		i = (i + 1) & (n - 1);
	return &t[i];
}

static int grow(void)
{
	uint32_t ncap = cap ? cap * 2 : 256;
	struct slot *nt = sf_alloc(ncap * sizeof *nt);
	if (!nt)
		return 0;
	for (uint32_t i = 0; i < cap; i++)
		if (table[i].key)
			*find(nt, ncap, table[i].key) = table[i];
	sf_free(table, cap * sizeof *table);
	table = nt;
	cap = ncap;
	return 1;
}

uint32_t sf_peer_next_ordinal(uint64_t peer_hash)
{
	uint64_t key = peer_hash ? peer_hash : 1;
	uint32_t n = 1;
	pthread_mutex_lock(&lock);
	if ((used + 1) * 2 <= cap || grow()) {
		struct slot *s = find(table, cap, key);
		if (!s->key) {
			s->key = key;
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
