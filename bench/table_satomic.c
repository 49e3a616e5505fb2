/* libsharedatomic's map, anonymous (shared with forked workers). */
#include <stdlib.h>

#include "sharedatomic.h"
#include "bench.h"

static unsigned map_flags(void)
{
	return bench_hugepages ? SATOMIC_MAP_HUGEPAGES : 0;
}

static void *create(uint64_t capacity)
{
	struct satomic_map *m;

	/* Presized, with room to grow twice: the benchmark's keys fit. */
	return satomic_map_create_anon(capacity, capacity * 4, map_flags(), &m) == 0
		? m : NULL;
}

/* Not presized: starts small and grows online (issue: >= 0.5x presized). */
#define GROW_FROM 1024
static void *create_small(uint64_t capacity)
{
	struct satomic_map *m;

	return satomic_map_create_anon(GROW_FROM, capacity * 4, map_flags(), &m) == 0
		? m : NULL;
}

static void destroy(void *t) { satomic_map_close(t); }
static void prefault(void *t) { (void)satomic_map_prefault(t); }

static bool insert(void *t, int64_t k, int64_t v)
{
	return satomic_map_insert(t, k, v) == 0;
}

static bool get(void *t, int64_t k, int64_t *v)
{
	return satomic_map_get(t, k, v) == 0;
}

static void put(void *t, int64_t k, int64_t v) { satomic_map_put(t, k, v, NULL); }
static bool remove_key(void *t, int64_t k) { return satomic_map_remove(t, k, NULL) == 0; }
static void add(void *t, int64_t k, int64_t d) { satomic_map_fetch_add(t, k, d, NULL); }

static size_t get_many(void *t, const int64_t *k, size_t n, int64_t *v)
{
	int64_t found = satomic_map_get_many(t, k, n, v, NULL);

	return found < 0 ? 0 : (size_t)found;
}

static void put_many(void *t, const int64_t *k, const int64_t *v, size_t n)
{
	(void)satomic_map_put_many(t, k, v, n, NULL);
}

const struct table_impl table_satomic = {
	.name = "satomic", .note = "",
	.caps = CAP_MULTI_WRITER | CAP_PROCESSES | CAP_REMOVE,
	.create = create, .destroy = destroy, .process_enter = prefault,
	.insert = insert, .get = get, .put = put, .remove = remove_key,
	.add = add, .get_many = get_many, .put_many = put_many,
};

/* The same map, created for 1024 keys: what growing online costs. */
const struct table_impl table_satomic_grow = {
	.name = "satomic-grow", .note = "created for 1024 keys, grows online",
	.caps = CAP_MULTI_WRITER | CAP_PROCESSES | CAP_REMOVE, .reference = true,
	.create = create_small, .destroy = destroy, .process_enter = prefault,
	.insert = insert, .get = get, .put = put, .remove = remove_key,
	.add = add, .get_many = get_many, .put_many = put_many,
};
