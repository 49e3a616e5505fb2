/*
 * libsharedatomic: a lock-free int64_t -> int64_t hash map in shared memory.
 * See satomic_map_create(3), satomic_map_get(3) and sharedatomic(7).
 *
 * Any int64_t is a valid key and a valid value (0, -1, INT64_MIN and
 * INT64_MAX included).  Every operation is linearizable and lock-free: a
 * process stopped or killed at any instruction never blocks the others,
 * never corrupts the map and never undoes a completed operation; its own
 * operation in flight either happened or did not.  The map grows online and
 * reclaims deleted slots, cooperatively: every thread and process that uses
 * it helps.  It needs a 128-bit CAS (satomic_cas128_supported()); without
 * one every function fails with -ENOTSUP.
 *
 * Results: 0 (or a documented non-negative value) on success, a negative
 * errno value on failure; satomic_strerror() describes it.
 */
#ifndef SHAREDATOMIC_MAP_H
#define SHAREDATOMIC_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sharedatomic/region.h>

#ifdef __cplusplus
extern "C" {
#endif

struct satomic_map;
struct satomic_map_iter;

/* Flags for create and open. */
#define SATOMIC_MAP_MLOCK     SATOMIC_REGION_MLOCK
#define SATOMIC_MAP_HUGEPAGES SATOMIC_REGION_HUGEPAGES
#define SATOMIC_MAP_FOREIGN_OK SATOMIC_REGION_FOREIGN_OK

/*
 * Sizing.  `capacity` is a hint: the number of keys the map holds before it
 * first grows.  `max_capacity` is exact: the keys it always has room for,
 * churn included, and the most it holds but for inserts racing for the last
 * places, one key each (0: a default of 64 times capacity, at least 2^20);
 * a new key beyond it fails with -ENOSPC.
 */
int satomic_map_footprint(uint64_t capacity, uint64_t max_capacity,
			  size_t *bytes);

/* In place, on caller memory of at least satomic_map_footprint() bytes. */
int satomic_map_init(void *mem, size_t size, uint64_t capacity,
		     uint64_t max_capacity, struct satomic_map **out);
int satomic_map_attach(void *mem, size_t size, struct satomic_map **out);
int satomic_map_detach(struct satomic_map *map);

/* Fill this process's page tables for the map's memory now, not at first
 * touch (after open, attach or fork). */
int satomic_map_prefault(struct satomic_map *map);

/* Named, on a shared-memory region ("/name", see satomic_region_create). */
int satomic_map_create(const char *name, uint64_t capacity,
		       uint64_t max_capacity, unsigned int mode,
		       unsigned int flags, struct satomic_map **out);
int satomic_map_open(const char *name, unsigned int flags,
		     struct satomic_map **out);
int satomic_map_close(struct satomic_map *map);
int satomic_map_unlink(const char *name);

/* Unnamed, shared with the children this process forks. */
int satomic_map_create_anon(uint64_t capacity, uint64_t max_capacity,
			    unsigned int flags, struct satomic_map **out);

/* Operations on one key. */
int satomic_map_get(struct satomic_map *map, int64_t key, int64_t *value);
int satomic_map_contains(struct satomic_map *map, int64_t key);
int satomic_map_insert(struct satomic_map *map, int64_t key, int64_t value);
int satomic_map_put(struct satomic_map *map, int64_t key, int64_t value,
		    int64_t *old);
int satomic_map_replace(struct satomic_map *map, int64_t key, int64_t value,
			int64_t *old);
int satomic_map_cas(struct satomic_map *map, int64_t key, int64_t *expected,
		    int64_t desired);
int satomic_map_remove(struct satomic_map *map, int64_t key, int64_t *old);
int satomic_map_remove_if(struct satomic_map *map, int64_t key,
			  int64_t expected);
int satomic_map_exchange(struct satomic_map *map, int64_t key, int64_t value,
			 int64_t *old);
int satomic_map_fetch_add(struct satomic_map *map, int64_t key, int64_t delta,
			  int64_t *old);
int satomic_map_fetch_sub(struct satomic_map *map, int64_t key, int64_t delta,
			  int64_t *old);
int satomic_map_fetch_and(struct satomic_map *map, int64_t key, int64_t mask,
			  int64_t *old);
int satomic_map_fetch_or(struct satomic_map *map, int64_t key, int64_t mask,
			 int64_t *old);
int satomic_map_fetch_xor(struct satomic_map *map, int64_t key, int64_t mask,
			  int64_t *old);

/* Batches: the slots of the next keys are prefetched while one is probed. */
int64_t satomic_map_get_many(struct satomic_map *map, const int64_t *keys,
			     size_t n, int64_t *values, bool *found);
int satomic_map_put_many(struct satomic_map *map, const int64_t *keys,
			 const int64_t *values, size_t n, size_t *done);

/* The whole map. */
int64_t satomic_map_count(struct satomic_map *map);
int64_t satomic_map_capacity(struct satomic_map *map);
int satomic_map_clear(struct satomic_map *map);

/* A weakly consistent iterator (see satomic_map_iter_begin(3)). */
int satomic_map_iter_begin(struct satomic_map *map,
			   struct satomic_map_iter **iter);
int satomic_map_iter_next(struct satomic_map_iter *iter, int64_t *key,
			  int64_t *value);
void satomic_map_iter_end(struct satomic_map_iter *iter);

struct satomic_map_stats {
	uint64_t count;		/* live keys (striped counter) */
	uint64_t capacity;	/* keys before the next growth (<= max_capacity) */
	uint64_t max_capacity;	/* keys it always has room for, and holds at most */
	uint64_t slots;		/* slots of the current table */
	uint64_t live;		/* live slots seen by the scan */
	uint64_t tombstones;	/* deleted slots awaiting reclamation */
	uint64_t max_probe;	/* longest distance of a key from its home */
	double mean_probe;	/* mean distance, live keys */
	double load;		/* (live + tombstones) / slots */
	uint64_t generation;	/* tables so far: 1 + completed migrations */
	uint64_t migrations;	/* migrations completed */
	int migrating;		/* 1 while a migration runs */
	uint64_t bytes_reserved; /* its footprint: header, registry, areas */
	uint64_t reserved[8];
};
int satomic_map_stats(struct satomic_map *map, struct satomic_map_stats *stats);

/*
 * Integrity scan: every key within reach of its home, no key twice, probe
 * chains unbroken, states and counters consistent.  0 if sound, -EUCLEAN if
 * not, with a description of the first problem in `report` (may be NULL).
 */
int satomic_map_check(struct satomic_map *map, char *report,
		      size_t report_size);

#ifdef __cplusplus
}
#endif

#endif /* SHAREDATOMIC_MAP_H */
