#include "reclaim.h"

#include "alloc.h"

struct retired {
	struct retired *next;
	void *p;
	size_t size;
	void (*fn)(void *p, size_t size);
};

unsigned long sf_readers;
void *sf_retired;

static void push_list(struct retired *first, struct retired *last)
{
	struct retired *head = __atomic_load_n((struct retired **)&sf_retired, __ATOMIC_SEQ_CST);
	do
		last->next = head;
	while (!__atomic_compare_exchange_n((struct retired **)&sf_retired, &head, first, 1, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST));
}

void sf_retire(void *p, size_t size, void (*fn)(void *p, size_t size))
{
	struct retired *r = sf_alloc(sizeof *r);
	if (!r)
		return; /* kept for ever rather than freed early */
	r->p = p;
	r->size = size;
	r->fn = fn;
	push_list(r, r);
}

void sf_reclaim(void)
{
	struct retired *list = __atomic_exchange_n((struct retired **)&sf_retired, NULL, __ATOMIC_SEQ_CST);
	if (!list)
		return;
	if (__atomic_load_n(&sf_readers, __ATOMIC_SEQ_CST) != 0) {
		struct retired *last = list;
		while (last->next)
			last = last->next;
		push_list(list, last);
		return;
	}
	while (list) {
		struct retired *next = list->next;
		list->fn(list->p, list->size);
		sf_free(list, sizeof *list);
		list = next;
	}
}

void sf_reclaim_child_reset(void)
{
	__atomic_store_n(&sf_readers, 0, __ATOMIC_RELAXED);
}
