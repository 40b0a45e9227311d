#include "alloc.h"

#include "sf.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

/* Classes: multiples of 8 bytes up to 256 (socket records and small plans:
 * a record of 136 bytes, which a step of 16 would round to 144, and a
 * one-rule plan of 96 stay under 256 together), then powers of two. Big
 * blocks are rounded to 64 KiB and kept on a list of their own, by size.
 * Blocks are aligned to 8 bytes, which is all the library's structures
 * ask for. */
#define SMALL_STEP 8u
#define SMALL_MAX 256u
#define NSMALL (SMALL_MAX / SMALL_STEP)
#define NPOW 8u /* 512 .. 64 KiB */
#define NCLASSES (NSMALL + NPOW)
#define BIG_UNIT (64u * 1024u)
#define ARENA_SIZE (1u << 20)

struct block {
	struct block *next;
	size_t size; /* big blocks only */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *freelist[NCLASSES];
static struct block *bigfree;
static char *arena_cur, *arena_end;
static size_t footprint;

static unsigned class_of(size_t size, size_t *rounded)
{
	if (size <= SMALL_MAX) {
		unsigned c = (unsigned)((size + SMALL_STEP - 1) / SMALL_STEP);
		if (c == 0)
			c = 1;
		*rounded = c * SMALL_STEP;
		return c - 1;
	}
	size_t s = 512;
	unsigned c = NSMALL;
	while (s < size) {
		s *= 2;
		c++;
	}
	*rounded = s;
	return c;
}

static void *from_system(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	footprint += size;
	return p;
}

static void *carve(size_t size)
{
	if ((size_t)(arena_end - arena_cur) < size) {
		char *a = from_system(ARENA_SIZE);
		if (!a)
			return NULL;
		arena_cur = a;
		arena_end = a + ARENA_SIZE;
	}
	void *p = arena_cur;
	arena_cur += size;
	return p;
}

void *sf_alloc(size_t size)
{
	void *p = NULL;
	/* Memory never handed out before is the system's zeroed pages, and
	 * stays untouched: a big table (peers.c) costs only the pages used. */
	int used = 0;
	pthread_mutex_lock(&lock);
	if (size > BIG_UNIT) {
		size_t want = (size + BIG_UNIT - 1) / BIG_UNIT * BIG_UNIT;
		for (struct block **b = &bigfree; *b; b = &(*b)->next)
			if ((*b)->size == want) {
				p = *b;
				*b = (*b)->next;
				used = 1;
				break;
			}
		if (!p)
			p = from_system(want);
		size = want;
	} else {
		size_t rounded;
		unsigned c = class_of(size, &rounded);
		if (freelist[c]) {
			p = freelist[c];
			freelist[c] = freelist[c]->next;
			used = 1;
		} else {
			p = carve(rounded);
		}
		size = rounded;
	}
	pthread_mutex_unlock(&lock);
	if (p && used)
		memset(p, 0, size);
	return p;
}

void sf_free(void *p, size_t size)
{
	if (!p)
		return;
	struct block *b = p;
	pthread_mutex_lock(&lock);
	if (size > BIG_UNIT) {
		b->size = (size + BIG_UNIT - 1) / BIG_UNIT * BIG_UNIT;
		b->next = bigfree;
		bigfree = b;
	} else {
		size_t rounded;
		unsigned c = class_of(size, &rounded);
		b->next = freelist[c];
		freelist[c] = b;
	}
	pthread_mutex_unlock(&lock);
}

void *sf_pool_get(struct sf_pool *p)
{
	pthread_mutex_lock(&lock);
	char *b = p->free;
	if (b)
		memcpy(&p->free, b + p->link, sizeof p->free);
	pthread_mutex_unlock(&lock);
	return b ? b : sf_alloc(p->size);
}

void sf_pool_put(struct sf_pool *p, void *b)
{
	pthread_mutex_lock(&lock);
	memcpy((char *)b + p->link, &p->free, sizeof p->free);
	p->free = b;
	pthread_mutex_unlock(&lock);
}

size_t sf_alloc_footprint(void)
{
	pthread_mutex_lock(&lock);
	size_t f = footprint;
	pthread_mutex_unlock(&lock);
	return f;
}

void sf_alloc_lock(void)
{
	pthread_mutex_lock(&lock);
}

void sf_alloc_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

void sf_alloc_child_reset(void)
{
	pthread_mutex_init(&lock, NULL);
}
