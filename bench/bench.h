/*
 * The benchmark's contenders: each hash table behind the same interface, so
 * every contender pays the same call overhead.  Tables that can live in
 * shared memory (CAP_PROCESSES) are also measured from processes.
 */
#ifndef SAT_BENCH_H
#define SAT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CAP_MULTI_WRITER = 1,	/* writers may run concurrently */
	CAP_PROCESSES = 2,	/* works from several processes */
	CAP_REMOVE = 4,		/* supports remove */
};

struct table_impl {
	const char *name;
	const char *note;	/* what the reader should know, or "" */
	unsigned caps;
	bool reference;		/* a yardstick, not a peer users would pick */
	/* capacity: the number of keys it will hold (presize). */
	void *(*create)(uint64_t capacity);
	void (*destroy)(void *t);
	void (*thread_enter)(void *t);	/* optional: per-thread setup */
	void (*thread_exit)(void *t);
	bool (*insert)(void *t, int64_t k, int64_t v);	/* false if present */
	bool (*get)(void *t, int64_t k, int64_t *v);
	void (*put)(void *t, int64_t k, int64_t v);	/* insert or replace */
	bool (*remove)(void *t, int64_t k);
	void (*add)(void *t, int64_t k, int64_t d);	/* absent counts as 0 */
	/* optional: batched lookup, returns the number found */
	size_t (*get_many)(void *t, const int64_t *k, size_t n, int64_t *v);
	/* optional: batched put (insert or replace), in order */
	void (*put_many)(void *t, const int64_t *k, const int64_t *v, size_t n);
	/* optional, tables in shared memory: a worker process's page tables
	 * filled for the table before the clock starts (see measure()) */
	void (*process_enter)(void *t);
};

/* Every implementation compiled in, NULL-terminated. */
extern const struct table_impl *const all_tables[];

extern const struct table_impl table_satomic, table_satomic_grow, table_bare,
	table_bare16,
	table_mutex;
#ifdef HAVE_CK
extern const struct table_impl table_ck;
#endif
#ifdef HAVE_URCU
extern const struct table_impl table_urcu;
#endif
#ifdef HAVE_LIBCUCKOO
extern const struct table_impl table_cuckoo;
#endif
#ifdef HAVE_TBB
extern const struct table_impl table_tbb;
#endif

/* --hugepages: shared memory asks for transparent huge pages (effective
 * where /sys/kernel/mm/transparent_hugepage/shmem_enabled allows). */
extern bool bench_hugepages;
/* Memory shared with forked children (MAP_SHARED | MAP_ANONYMOUS). */
void *bench_shared_alloc(size_t bytes);
/* Its page tables filled in this process (MADV_POPULATE_WRITE). */
void bench_shared_prefault(void *p, size_t bytes);
/* One read of each page (after fork, on some VMs, the first touch of a
 * page costs microseconds though its page table is filled). */
void bench_touch_pages(const void *p, size_t bytes);
void bench_shared_free(void *p, size_t bytes);

/* The benchmarks' key hash (not the map's own): MurmurHash3's finalizer. */
static inline uint64_t bench_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

#endif
