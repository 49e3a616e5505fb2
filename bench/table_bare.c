/*
 * The yardstick: a bare linear-probing table, 16-byte slots, the key claimed
 * with an 8-byte CAS, the value stored after it.  Keys 0 is reserved, there
 * are no deletes, and a reader may see a key before its value: it is what
 * the fastest design costs without any of the map's guarantees.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "cas128.h"
#include "sharedatomic.h"

struct bare {
	uint64_t mask;
	unsigned shift;
	size_t bytes;
	/* On cache-line boundaries, as the map's slots are (the 24-byte header
	 * used to leave one slot in four split across two lines). */
	struct { uint64_t k, v; } slot[] __attribute__((aligned(64)));
};

static void *create(uint64_t capacity)
{
	unsigned log2 = 8;
	struct bare *b;
	size_t bytes;

	while ((1ull << log2) < 2 * capacity)	/* load 0.5 */
		log2++;
	bytes = sizeof(*b) + (16ull << log2);
	b = bench_shared_alloc(bytes);
	if (b) {
		b->mask = (1ull << log2) - 1;
		b->shift = 64 - log2;
		b->bytes = bytes;
	}
	return b;
}

static void destroy(void *t) { bench_shared_free(t, ((struct bare *)t)->bytes); }
static void prefault(void *t) { bench_shared_prefault(t, ((struct bare *)t)->bytes); }

/* Key k is stored as k + 1 so that 0 can mean empty (k = -1 is unusable). */
static uint64_t *find(struct bare *b, int64_t k, bool claim)
{
	uint64_t want = (uint64_t)k + 1, i = bench_hash(want) >> b->shift, seen;

	for (;; i = (i + 1) & b->mask) {
		seen = __atomic_load_n(&b->slot[i].k, __ATOMIC_ACQUIRE);
		if (seen == want)
			return &b->slot[i].v;
		if (seen == 0) {
			if (!claim)
				return NULL;
			if (__atomic_compare_exchange_n(&b->slot[i].k, &seen, want, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    seen == want)
				return &b->slot[i].v;
		}
	}
}

static bool insert(void *t, int64_t k, int64_t v)
{
	uint64_t *p = find(t, k, true);

	__atomic_store_n(p, (uint64_t)v, __ATOMIC_RELEASE);
	return true;
}

static bool get(void *t, int64_t k, int64_t *v)
{
	uint64_t *p = find(t, k, false);

	if (p)
		*v = (int64_t)__atomic_load_n(p, __ATOMIC_ACQUIRE);
	return p != NULL;
}

static void put(void *t, int64_t k, int64_t v) { insert(t, k, v); }

static void add(void *t, int64_t k, int64_t d)
{
	__atomic_fetch_add(find(t, k, true), (uint64_t)d, __ATOMIC_SEQ_CST);
}

const struct table_impl table_bare = {
	.name = "bare", .note = "reference: no deletes, not linearizable",
	.caps = CAP_MULTI_WRITER | CAP_PROCESSES, .reference = true,
	.create = create, .destroy = destroy, .process_enter = prefault,
	.insert = insert, .get = get, .put = put, .add = add,
};

#ifdef HAVE_CAS128
/*
 * bare16: the same table, but every write is one 16-byte CAS of the whole
 * slot, key and value together, the library's own (src/cas128.h), as every
 * write of the map is.  A reference, not a peer: it tells how much of the
 * map's distance to the bare table its slot format costs by itself (on an
 * Intel Xeon, cmpxchg16b ran 20% slower than the 8-byte CAS and store).
 */
static void *create16(uint64_t capacity)
{
	if (!satomic_cas128_supported()) {
		fprintf(stderr, "bare16: this CPU has no 128-bit CAS\n");
		exit(1);
	}
	return create(capacity);
}

/* Key k's slot, claimed with its value v if new: true if it was new. */
static bool claim16(struct bare *b, int64_t k, int64_t v, uint64_t **slot)
{
	uint64_t want = (uint64_t)k + 1, i = bench_hash(want) >> b->shift, kw, vw;

	for (;; i = (i + 1) & b->mask) {
		*slot = &b->slot[i].k;
		kw = __atomic_load_n(&b->slot[i].k, __ATOMIC_ACQUIRE);
		if (kw == want)
			return false;
		if (kw == 0) {
			vw = 0;
			if (sat_cas128(&b->slot[i], &kw, &vw, want, (uint64_t)v))
				return true;
			if (kw == want)
				return false;
		}
	}
}

/* The slot's value from what it is to f(it, d), with a 16-byte CAS. */
static void update16(uint64_t *slot, int64_t d, bool add)
{
	uint64_t kw = __atomic_load_n(&slot[0], __ATOMIC_ACQUIRE);
	uint64_t vw = __atomic_load_n(&slot[1], __ATOMIC_ACQUIRE);

	while (!sat_cas128(slot, &kw, &vw, kw, add ? vw + (uint64_t)d : (uint64_t)d))
		;
}

static bool insert16(void *t, int64_t k, int64_t v)
{
	uint64_t *slot;

	if (!claim16(t, k, v, &slot))
		update16(slot, v, false);
	return true;
}

static void put16(void *t, int64_t k, int64_t v) { insert16(t, k, v); }

static void add16(void *t, int64_t k, int64_t d)
{
	uint64_t *slot;

	if (!claim16(t, k, d, &slot))
		update16(slot, d, true);
}

const struct table_impl table_bare16 = {
	.name = "bare16", .note = "reference: bare, every write a 16-byte CAS",
	.caps = CAP_MULTI_WRITER | CAP_PROCESSES, .reference = true,
	.create = create16, .destroy = destroy, .process_enter = prefault,
	.insert = insert16, .get = get, .put = put16, .add = add16,
};
#endif
