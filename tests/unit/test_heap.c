/* The timer's heap (heap.h): nodes come out by key, ties in the order
 * their keys were set; a node taken out of the middle or given a new key
 * leaves the rest in order; every node knows its place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>

#include "heap.h"

#define N 1000

struct item {
	struct sf_heap_node node;
	int id;
};

static struct item items[N];

/* Every node is where it says, and no child comes before its parent. */
static void check_shape(const struct sf_heap *h)
{
	for (size_t i = 0; i < h->n; i++) {
		assert_int_equal(h->a[i]->at, i);
		if (i > 0) {
			const struct sf_heap_node *up = h->a[(i - 1) / 2], *x = h->a[i];
			assert_true(up->key < x->key || (up->key == x->key && up->seq < x->seq));
		}
	}
}

/* Take every node out by the minimum: keys never go down, and ties come
 * in the order they were set. Returns how many came out. */
static size_t drain(struct sf_heap *h)
{
	size_t n = 0;
	uint64_t key = 0, seq = 0;
	struct sf_heap_node *x;
	while ((x = sf_heap_min(h)) != NULL) {
		assert_true(n == 0 || x->key > key || (x->key == key && x->seq > seq));
		key = x->key;
		seq = x->seq;
		sf_heap_remove(h, x);
		check_shape(h);
		n++;
	}
	return n;
}

static struct sf_heap fill(unsigned seed, uint64_t keys)
{
	struct sf_heap h = { 0 };
	srand(seed);
	for (int i = 0; i < N; i++) {
		items[i] = (struct item){ .node.key = 1 + (uint64_t)rand() % keys, .id = i };
		assert_true(sf_heap_push(&h, &items[i].node));
	}
	check_shape(&h);
	return h;
}

static void in_order_ties_first_in_first_out(void **state)
{
	(void)state;
	/* Few keys: many ties. */
	struct sf_heap h = fill(1, 10);
	assert_int_equal(drain(&h), N);
	/* Equal keys come out by when they went in. */
	struct item a = { .node.key = 5 }, b = { .node.key = 5 }, c = { .node.key = 5 };
	sf_heap_push(&h, &a.node);
	sf_heap_push(&h, &b.node);
	sf_heap_push(&h, &c.node);
	assert_ptr_equal(sf_heap_min(&h), &a.node);
	sf_heap_remove(&h, &a.node);
	assert_ptr_equal(sf_heap_min(&h), &b.node);
	sf_heap_remove(&h, &b.node);
	assert_ptr_equal(sf_heap_min(&h), &c.node);
	sf_heap_remove(&h, &c.node);
	assert_null(sf_heap_min(&h));
}

static void taken_out_of_the_middle(void **state)
{
	(void)state;
	struct sf_heap h = fill(2, 1000000);
	/* Every third node, wherever it is. */
	for (int i = 0; i < N; i += 3) {
		sf_heap_remove(&h, &items[i].node);
		check_shape(&h);
	}
	assert_int_equal(drain(&h), N - (N + 2) / 3);
}

static void new_keys_sooner_and_later(void **state)
{
	(void)state;
	struct sf_heap h = fill(3, 1000000);
	for (int i = 0; i < N; i++) {
		uint64_t key = 1 + (uint64_t)rand() % 1000000;
		sf_heap_rekey(&h, &items[i].node, key);
		assert_true(items[i].node.key == key);
		check_shape(&h);
	}
	/* The least key now is the one that comes out first. */
	sf_heap_rekey(&h, &items[N - 1].node, 0);
	assert_ptr_equal(sf_heap_min(&h), &items[N - 1].node);
	/* A node set again to a key others have goes after them. */
	sf_heap_rekey(&h, &items[0].node, 0);
	assert_ptr_equal(sf_heap_min(&h), &items[N - 1].node);
	sf_heap_rekey(&h, &items[N - 1].node, 2000000);
	assert_ptr_equal(sf_heap_min(&h), &items[0].node);
	assert_int_equal(drain(&h), N);
}

static int odd_ones(struct sf_heap_node *x, void *arg)
{
	int *dropped = arg;
	struct item *it = (struct item *)x;
	if (it->id % 2 == 0)
		return 1;
	(*dropped)++;
	return 0;
}

static void filtered(void **state)
{
	(void)state;
	struct sf_heap h = fill(4, 1000000);
	int dropped = 0;
	sf_heap_filter(&h, odd_ones, &dropped);
	assert_int_equal(dropped, N / 2);
	assert_int_equal(h.n, N / 2);
	check_shape(&h);
	for (size_t i = 0; i < h.n; i++)
		assert_int_equal(((struct item *)h.a[i])->id % 2, 0);
	assert_int_equal(drain(&h), N / 2);
	/* Pushed again after it was emptied. */
	assert_true(sf_heap_push(&h, &items[1].node));
	assert_ptr_equal(sf_heap_min(&h), &items[1].node);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_ties_first_in_first_out),
		cmocka_unit_test(taken_out_of_the_middle),
		cmocka_unit_test(new_keys_sooner_and_later),
		cmocka_unit_test(filtered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
