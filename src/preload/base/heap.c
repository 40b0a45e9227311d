#include "heap.h"

#include <string.h>

#include "alloc.h"

static int before(const struct sf_heap_node *x, const struct sf_heap_node *y)
{
	return x->key < y->key || (x->key == y->key && x->seq < y->seq);
}

static void place(struct sf_heap *h, struct sf_heap_node *x, size_t at)
{
	h->a[at] = x;
	x->at = at;
}

static void sift_up(struct sf_heap *h, struct sf_heap_node *x)
{
	size_t at = x->at;
	while (at > 0) {
		size_t up = (at - 1) / 2;
		if (!before(x, h->a[up]))
			break;
		place(h, h->a[up], at);
		at = up;
	}
	place(h, x, at);
}

static void sift_down(struct sf_heap *h, struct sf_heap_node *x)
{
	size_t at = x->at;
	for (;;) {
		size_t least = 2 * at + 1;
		if (least >= h->n)
			break;
		if (least + 1 < h->n && before(h->a[least + 1], h->a[least]))
			least++;
		if (!before(h->a[least], x))
			break;
		place(h, h->a[least], at);
		at = least;
	}
	place(h, x, at);
}

int sf_heap_push(struct sf_heap *h, struct sf_heap_node *x)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct sf_heap_node **a = sf_alloc(cap * sizeof *a);
		if (!a)
			return 0;
		if (h->n)
			memcpy(a, h->a, h->n * sizeof *a);
		if (h->a)
			sf_free(h->a, h->cap * sizeof *a);
		h->a = a;
		h->cap = cap;
	}
	x->seq = h->seq++;
	x->at = h->n++;
	sift_up(h, x);
	return 1;
}

void sf_heap_remove(struct sf_heap *h, struct sf_heap_node *x)
{
	struct sf_heap_node *last = h->a[--h->n];
	if (last == x)
		return;
	/* The last node takes x's place, then finds its own. */
	last->at = x->at;
	if (last->at > 0 && before(last, h->a[(last->at - 1) / 2]))
		sift_up(h, last);
	else
		sift_down(h, last);
}

void sf_heap_rekey(struct sf_heap *h, struct sf_heap_node *x, uint64_t key)
{
	x->key = key;
	x->seq = h->seq++;
	/* Later than before, or sooner: one of the two moves it. */
	sift_up(h, x);
	sift_down(h, x);
}

void sf_heap_filter(struct sf_heap *h, int (*keep)(struct sf_heap_node *x, void *arg), void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < h->n; i++) {
		struct sf_heap_node *x = h->a[i];
		if (keep(x, arg))
			place(h, x, n++);
	}
	h->n = n;
	/* Floyd's: each parent sifted down, the last first. */
	for (size_t i = n / 2; i-- > 0;)
		sift_down(h, h->a[i]);
}
