/*
 * callgrind-ops: one kind of operation, many times, on the map or on the
 * bare table (bench/table_bare.c), for bench/callgrind.sh to count the
 * instructions each costs.
 *
 *   callgrind-ops satomic|bare|null OP [KEYS]
 *
 * OP is one of get-hit get-miss insert put remove fetch_add get_many
 * put_many.  The table is created for KEYS keys (default 131072: both
 * tables then sit at load 0.5 in 2^18 slots) and prefaulted, filled with
 * KEYS keys unless OP is insert, and then run_ops() does OP once on each of
 * KEYS keys.  callgrind counts only inside run_ops() (--toggle-collect), and
 * the table "null", whose operations return at once, gives the loop's own
 * cost, which callgrind.sh subtracts.  Every table is called through the
 * same struct table_impl, so each pays the same call.
 *
 * Deterministic: the keys are fixed, and so is the map's seed (getrandom,
 * which the library calls once per map for it, is this program's own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "sharedatomic.h"
#include "bench.h"

bool bench_hugepages;

void *bench_shared_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void bench_shared_prefault(void *p, size_t bytes)
{
	volatile unsigned char *c = p;
	size_t i;

	for (i = 0; i < bytes; i += 4096)
		c[i] = c[i];
}

void bench_shared_free(void *p, size_t bytes) { munmap(p, bytes); }

/* The map's seed, fixed so that its probe lengths repeat from run to run. */
ssize_t getrandom(void *buf, size_t len, unsigned flags);
ssize_t getrandom(void *buf, size_t len, unsigned flags)
{
	(void)flags;
	memset(buf, 0x5a, len);
	return (ssize_t)len;
}

static void *null_create(uint64_t capacity) { (void)capacity; return (void *)1; }
static void null_destroy(void *t) { (void)t; }
static bool null_insert(void *t, int64_t k, int64_t v) { (void)t; (void)k; (void)v; return true; }
static bool null_get(void *t, int64_t k, int64_t *v) { (void)t; (void)k; *v = 0; return true; }
static void null_put(void *t, int64_t k, int64_t v) { (void)t; (void)k; (void)v; }
static bool null_remove(void *t, int64_t k) { (void)t; (void)k; return true; }
static size_t null_get_many(void *t, const int64_t *k, size_t n, int64_t *v)
{
	(void)t; (void)k; (void)v;
	return n;
}
static void null_put_many(void *t, const int64_t *k, const int64_t *v, size_t n)
{
	(void)t; (void)k; (void)v; (void)n;
}

static const struct table_impl table_null = {
	.name = "null", .create = null_create, .destroy = null_destroy,
	.insert = null_insert, .get = null_get, .put = null_put,
	.remove = null_remove, .add = null_put, .get_many = null_get_many,
	.put_many = null_put_many,
};

/* The table's put_many, else its put key by key. */
static void put_many(const struct table_impl *impl, void *t, const int64_t *k,
		     const int64_t *v, size_t n)
{
	size_t j;

	if (impl->put_many) {
		impl->put_many(t, k, v, n);
		return;
	}
	for (j = 0; j < n; j++)
		impl->put(t, k[j], v[j]);
}

/* Key j of the table: spread out, never 0 or -1 (the bare table's). */
static int64_t key_of(uint64_t j) { return (int64_t)(j * 2654435761ull + 1); }

#define BATCH 64

static __attribute__((noinline)) uint64_t
run_ops(const struct table_impl *impl, void *t, const char *op, uint64_t keys)
{
	int64_t k[BATCH], v[BATCH], out = 0;
	uint64_t j, b, sum = 0, miss = strcmp(op, "get-miss") == 0 ? keys : 0;

	if (strcmp(op, "get_many") == 0 || strcmp(op, "put_many") == 0) {
		for (j = 0; j < keys; j += BATCH) {
			for (b = 0; b < BATCH; b++) {
				k[b] = key_of(j + b);
				v[b] = (int64_t)(j + b);
			}
			if (op[0] == 'g')
				sum += impl->get_many(t, k, BATCH, v);
			else
				put_many(impl, t, k, v, BATCH);
		}
		return sum;
	}
	for (j = 0; j < keys; j++) {
		int64_t key = key_of(j + miss);

		switch (op[0]) {
		case 'g': sum += impl->get(t, key, &out); sum += (uint64_t)out; break;
		case 'i': sum += impl->insert(t, key, (int64_t)j); break;
		case 'p': impl->put(t, key, (int64_t)j); break;
		case 'r': sum += impl->remove(t, key); break;
		case 'f': impl->add(t, key, 1); break;
		}
	}
	return sum;
}

int main(int argc, char **argv)
{
	const struct table_impl *impl;
	uint64_t keys = argc > 3 ? strtoull(argv[3], NULL, 0) : 131072, j;
	const char *op;
	void *t;

	if (argc < 3) {
		fprintf(stderr, "usage: callgrind-ops satomic|bare|null OP [KEYS]\n");
		return 2;
	}
	impl = strcmp(argv[1], "satomic") == 0 ? &table_satomic
	       : strcmp(argv[1], "bare") == 0 ? &table_bare
	       : strcmp(argv[1], "null") == 0 ? &table_null : NULL;
	op = argv[2];
	if (impl == NULL || keys % BATCH != 0) {
		fprintf(stderr, "callgrind-ops: no table %s, or KEYS not a multiple of %d\n",
			argv[1], BATCH);
		return 2;
	}
	if ((op[0] == 'r' && impl->remove == NULL) ||
	    (strcmp(op, "get_many") == 0 && impl->get_many == NULL))
		return 77;	/* the table has no such operation */
	t = impl->create(keys);
	if (t == NULL) {
		fprintf(stderr, "callgrind-ops: cannot create %s\n", impl->name);
		return 1;
	}
	if (impl->process_enter)
		impl->process_enter(t);
	if (strcmp(op, "insert") != 0)
		for (j = 0; j < keys; j++)
			impl->insert(t, key_of(j), (int64_t)j);
	printf("%llu\n", (unsigned long long)run_ops(impl, t, op, keys));
	impl->destroy(t);
	return 0;
}
