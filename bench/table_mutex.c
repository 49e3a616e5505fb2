/* The naive baseline: open addressing behind one process-shared mutex. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "bench.h"

enum { EMPTY, LIVE, TOMB };

/* 32 bytes, aligned: a slot never straddles two cache lines. */
struct slot {
	int64_t k, v;
	uint64_t state;
	uint64_t pad;
};

struct locked {
	pthread_mutex_t lock;
	uint64_t mask;
	unsigned shift;
	size_t bytes;
	struct slot slot[] __attribute__((aligned(32)));
};

_Static_assert(sizeof(struct slot) == 32, "mutex table: 32-byte slots");
_Static_assert(offsetof(struct locked, slot) % 32 == 0, "mutex table: aligned slots");

static void *create(uint64_t capacity)
{
	pthread_mutexattr_t attr;
	struct locked *l;
	unsigned log2 = 8;
	size_t bytes;

	while ((1ull << log2) < 2 * capacity)
		log2++;
	bytes = sizeof(*l) + (sizeof(struct slot) << log2);
	l = bench_shared_alloc(bytes);
	if (l == NULL)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&l->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	l->mask = (1ull << log2) - 1;
	l->shift = 64 - log2;
	l->bytes = bytes;
	return l;
}

static void destroy(void *t)
{
	struct locked *l = t;

	pthread_mutex_destroy(&l->lock);
	bench_shared_free(l, l->bytes);
}

static void prefault(void *t) { bench_shared_prefault(t, ((struct locked *)t)->bytes); }

/* The key's slot, or where to insert it (the first tombstone or empty). */
static uint64_t find(struct locked *l, int64_t k, bool *present)
{
	uint64_t i = bench_hash((uint64_t)k) >> l->shift, spot = UINT64_MAX, n;

	/* Bounded: tombstones are never cleared, the table may hold no EMPTY. */
	for (n = 0; n <= l->mask; n++, i = (i + 1) & l->mask) {
		if (l->slot[i].state == EMPTY)
			break;
		if (l->slot[i].state == LIVE && l->slot[i].k == k) {
			*present = true;
			return i;
		}
		if (l->slot[i].state == TOMB && spot == UINT64_MAX)
			spot = i;
	}
	*present = false;
	return spot == UINT64_MAX ? i : spot;
}

static bool set(void *t, int64_t k, int64_t v, bool replace)
{
	struct locked *l = t;
	bool present;
	uint64_t i;

	pthread_mutex_lock(&l->lock);
	i = find(l, k, &present);
	if (!present || replace) {
		l->slot[i].k = k;
		l->slot[i].v = v;
		l->slot[i].state = LIVE;
	}
	pthread_mutex_unlock(&l->lock);
	return !present;
}

static bool insert(void *t, int64_t k, int64_t v) { return set(t, k, v, false); }
static void put(void *t, int64_t k, int64_t v) { set(t, k, v, true); }

static bool get(void *t, int64_t k, int64_t *v)
{
	struct locked *l = t;
	bool present;
	uint64_t i;

	pthread_mutex_lock(&l->lock);
	i = find(l, k, &present);
	if (present)
		*v = l->slot[i].v;
	pthread_mutex_unlock(&l->lock);
	return present;
}

static bool remove_key(void *t, int64_t k)
{
	struct locked *l = t;
	bool present;
	uint64_t i;

	pthread_mutex_lock(&l->lock);
	i = find(l, k, &present);
	if (present)
		l->slot[i].state = TOMB;
	pthread_mutex_unlock(&l->lock);
	return present;
}

static void add(void *t, int64_t k, int64_t d)
{
	struct locked *l = t;
	bool present;
	uint64_t i;

	pthread_mutex_lock(&l->lock);
	i = find(l, k, &present);
	if (!present) {
		l->slot[i].k = k;
		l->slot[i].v = 0;
		l->slot[i].state = LIVE;
	}
	l->slot[i].v += d;
	pthread_mutex_unlock(&l->lock);
}

const struct table_impl table_mutex = {
	.name = "mutex", .note = "one process-shared pthread mutex",
	.caps = CAP_MULTI_WRITER | CAP_PROCESSES | CAP_REMOVE,
	.create = create, .destroy = destroy, .process_enter = prefault,
	.insert = insert, .get = get, .put = put, .remove = remove_key, .add = add,
};
