/*
 * liburcu's lock-free resizable hash table (cds_lfht), memb flavor: readers
 * inside urcu read-side critical sections, one malloc'ed node per key,
 * removed nodes freed after a grace period.
 */
#include <stdlib.h>
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "bench.h"

struct node {
	struct cds_lfht_node lfht;
	int64_t key;
	int64_t value;
	struct rcu_head rcu;
};

static void free_node(struct rcu_head *head)
{
	free(caa_container_of(head, struct node, rcu));
}

static void *create(uint64_t capacity)
{
	unsigned long buckets = 1;

	while (buckets < capacity)
		buckets <<= 1;
	return cds_lfht_new_flavor(buckets, buckets, 0,
				   CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				   &urcu_memb_flavor, NULL);
}

static void destroy(void *t)
{
	struct cds_lfht_iter it;
	struct node *n;

	urcu_memb_register_thread();
	urcu_memb_read_lock();
	cds_lfht_for_each_entry(t, &it, n, lfht)
		if (cds_lfht_del(t, &n->lfht) == 0)
			urcu_memb_call_rcu(&n->rcu, free_node);
	urcu_memb_read_unlock();
	urcu_memb_unregister_thread();
	/* Resizes are queued as RCU callbacks that use the table: let them
	 * (and the frees) run before it goes. */
	urcu_memb_barrier();
	cds_lfht_destroy(t, NULL);
}

static void enter(void *t) { (void)t; urcu_memb_register_thread(); }
static void leave(void *t) { (void)t; urcu_memb_unregister_thread(); }

static int match(struct cds_lfht_node *ht_node, const void *key)
{
	return caa_container_of(ht_node, struct node, lfht)->key == *(const int64_t *)key;
}

static struct node *lookup(void *t, int64_t k)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(t, bench_hash((uint64_t)k), match, &k, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct node, lfht) : NULL;
}

static bool get(void *t, int64_t k, int64_t *v)
{
	struct node *n;

	urcu_memb_read_lock();
	n = lookup(t, k);
	if (n)
		*v = uatomic_read(&n->value);
	urcu_memb_read_unlock();
	return n != NULL;
}

/* Insert k unless present; the node in the table for k either way. */
static struct node *add_unique(void *t, int64_t k, int64_t v, bool *added)
{
	struct node *n = malloc(sizeof(*n)), *there;
	struct cds_lfht_node *got;

	cds_lfht_node_init(&n->lfht);
	n->key = k;
	n->value = v;
	got = cds_lfht_add_unique(t, bench_hash((uint64_t)k), match, &k, &n->lfht);
	there = caa_container_of(got, struct node, lfht);
	*added = there == n;
	if (!*added)
		free(n);
	return there;
}

static bool insert(void *t, int64_t k, int64_t v)
{
	bool added;

	urcu_memb_read_lock();
	add_unique(t, k, v, &added);
	urcu_memb_read_unlock();
	return added;
}

static void put(void *t, int64_t k, int64_t v)
{
	bool added;
	struct node *n;

	urcu_memb_read_lock();
	n = add_unique(t, k, v, &added);
	if (!added)
		uatomic_set(&n->value, v);
	urcu_memb_read_unlock();
}

static bool remove_key(void *t, int64_t k)
{
	struct node *n;
	bool removed = false;

	urcu_memb_read_lock();
	n = lookup(t, k);
	if (n && cds_lfht_del(t, &n->lfht) == 0) {
		urcu_memb_call_rcu(&n->rcu, free_node);
		removed = true;
	}
	urcu_memb_read_unlock();
	return removed;
}

static void add(void *t, int64_t k, int64_t d)
{
	bool added;
	struct node *n;

	urcu_memb_read_lock();
	n = add_unique(t, k, d, &added);
	if (!added)
		uatomic_add(&n->value, d);
	urcu_memb_read_unlock();
}

const struct table_impl table_urcu = {
	.name = "urcu_lfht", .note = "",
	.caps = CAP_MULTI_WRITER | CAP_REMOVE,
	.create = create, .destroy = destroy,
	.thread_enter = enter, .thread_exit = leave,
	.insert = insert, .get = get, .put = put, .remove = remove_key, .add = add,
};
