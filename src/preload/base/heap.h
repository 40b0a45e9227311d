/* A min-heap of nodes by a 64-bit key, each node knowing its place, so
 * that one is taken out or given a new key in O(log n): the deadlines of
 * the library's timer, of which a program with many connections keeps one
 * or more each. Keys that tie come out in the order they were
 * set. Not locked: the caller's lock keeps it. */
#ifndef SF_HEAP_H
#define SF_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct sf_heap_node {
	uint64_t key;
	uint64_t seq; /* when the key was set: ties go first in, first out */
	size_t at;    /* its place in the heap's array */
};

struct sf_heap {
	struct sf_heap_node **a; /* from sf_alloc, grown by doubling */
	size_t n, cap;
	uint64_t seq;
};

/* Put x in with its key: 1, or 0 when the array could not grow. */
int sf_heap_push(struct sf_heap *h, struct sf_heap_node *x);

/* The node with the least key, or NULL. */
static inline struct sf_heap_node *sf_heap_min(const struct sf_heap *h)
{
	return h->n ? h->a[0] : NULL;
}

/* Take x (in the heap) out. */
void sf_heap_remove(struct sf_heap *h, struct sf_heap_node *x);

/* Give x (in the heap) a new key, as if put in again now. */
void sf_heap_rekey(struct sf_heap *h, struct sf_heap_node *x, uint64_t key);

/* Keep the nodes for which keep(node, arg) says 1; keep may dispose of a
 * node it says 0 to (it is out of the heap by then). O(n). */
void sf_heap_filter(struct sf_heap *h, int (*keep)(struct sf_heap_node *x, void *arg), void *arg);

#endif
