/*
 * Concurrency Kit's ck_ht in direct mode (keys and values are the words
 * themselves).  It allows one writer at a time (SPMC): the benchmark runs it
 * with a single writer and says so.  Keys 0 and ~0 are reserved by ck_ht
 * (bench_map.c's keys avoid them).  Its default hash is MurmurHash64A over
 * the key's bytes behind two calls; we give it, as its documentation invites
 * (ck_ht_init's hash callback), the mixing hash every contender uses here,
 * MurmurHash3's 64-bit finalizer, computed inline.
 */
#include <stdlib.h>
#include <string.h>
#include <ck_ht.h>

#include "bench.h"

static void *ck_malloc_cb(size_t n) { return malloc(n); }
static void ck_free_cb(void *p, size_t n, bool defer) { (void)n; (void)defer; free(p); }
static void *ck_realloc_cb(void *p, size_t o, size_t n, bool defer)
{
	(void)o; (void)defer;
	return realloc(p, n);
}
static struct ck_malloc allocator = { ck_malloc_cb, ck_realloc_cb, ck_free_cb };

/* What ck_ht calls when it must hash a key itself (when it grows). */
static void hash_cb(ck_ht_hash_t *h, const void *key, size_t len, uint64_t seed)
{
	uintptr_t k;

	(void)len, (void)seed;
	memcpy(&k, key, sizeof(k));
	h->value = bench_hash((uint64_t)k);
}

/* ck_ht_hash_direct(), without its two calls: the same value. */
static inline void hash_direct(ck_ht_hash_t *h, int64_t k)
{
	h->value = bench_hash((uint64_t)k);
}

static void *create(uint64_t capacity)
{
	ck_ht_t *ht = malloc(sizeof(*ht));

	if (ht && !ck_ht_init(ht, CK_HT_MODE_DIRECT, hash_cb, &allocator,
			      capacity * 2, 6602834)) {
		free(ht);
		ht = NULL;
	}
	return ht;
}

static void destroy(void *t)
{
	ck_ht_destroy(t);
	free(t);
}

static bool insert(void *t, int64_t k, int64_t v)
{
	ck_ht_entry_t e;
	ck_ht_hash_t h;

	hash_direct(&h, k);
	ck_ht_entry_set_direct(&e, h, (uintptr_t)k, (uintptr_t)v);
	return ck_ht_put_spmc(t, h, &e);
}

static bool get(void *t, int64_t k, int64_t *v)
{
	ck_ht_entry_t e;
	ck_ht_hash_t h;

	hash_direct(&h, k);
	ck_ht_entry_key_set_direct(&e, (uintptr_t)k);
	if (!ck_ht_get_spmc(t, h, &e))
		return false;
	*v = (int64_t)ck_ht_entry_value_direct(&e);
	return true;
}

static void put(void *t, int64_t k, int64_t v)
{
	ck_ht_entry_t e;
	ck_ht_hash_t h;

	hash_direct(&h, k);
	ck_ht_entry_set_direct(&e, h, (uintptr_t)k, (uintptr_t)v);
	ck_ht_set_spmc(t, h, &e);
}

static bool remove_key(void *t, int64_t k)
{
	ck_ht_entry_t e;
	ck_ht_hash_t h;

	hash_direct(&h, k);
	ck_ht_entry_key_set_direct(&e, (uintptr_t)k);
	return ck_ht_remove_spmc(t, h, &e);
}

static void add(void *t, int64_t k, int64_t d)
{
	int64_t v = 0;

	get(t, k, &v);		/* one writer: no race with another add */
	put(t, k, v + d);
}

const struct table_impl table_ck = {
	.name = "ck_ht", .note = "single writer (SPMC)",
	.caps = CAP_REMOVE,
	.create = create, .destroy = destroy,
	.insert = insert, .get = get, .put = put, .remove = remove_key, .add = add,
};
