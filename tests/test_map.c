/*
 * Unit tests of the map in one process: the semantics of every operation
 * with the extreme keys and values, a full table, the iterator, clear,
 * stats, growth and deletes, the integrity check, named maps, and hostile
 * or corrupt memory refused with an error (never a crash).
 * tests/test_map_concurrency.c has the threads, processes and SIGKILLs.
 */
#include <config.h>	/* first: _FILE_OFFSET_BITS for stat and readdir */
#include "sharedatomic.h"
#include "testutil.h"
#include "../src/hash.h"	/* to forge checksums of hostile headers */

#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static const int64_t extremes[] = {
	0, -1, 1, INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1,
	0x5555555555555555ll, -0x5555555555555555ll, 42,
};
#define NEXTREMES (sizeof(extremes) / sizeof(extremes[0]))

static struct satomic_map *new_map(uint64_t capacity, uint64_t max)
{
	struct satomic_map *m = NULL;
	int err = satomic_map_create_anon(capacity, max, 0, &m);

	ck_assert_msg(err == 0, "create_anon: %s", satomic_strerror(err));
	return m;
}

static void assert_sound(struct satomic_map *m)
{
	char report[256];
	int err = satomic_map_check(m, report, sizeof(report));

	ck_assert_msg(err == 0, "check: %s", report);
}

START_TEST(test_extreme_keys_and_values)
{
	struct satomic_map *m = new_map(100, 0);
	int64_t v;
	size_t i, j;

	for (i = 0; i < NEXTREMES; i++)
		for (j = 0; j < NEXTREMES; j++) {
			int64_t key = extremes[i], value = extremes[j];

			ck_assert_int_eq(satomic_map_contains(m, key), 0);
			ck_assert_int_eq(satomic_map_get(m, key, &v), -ENOENT);
			ck_assert_int_eq(satomic_map_insert(m, key, value), 0);
			ck_assert_int_eq(satomic_map_insert(m, key, ~value), -EEXIST);
			ck_assert_int_eq(satomic_map_contains(m, key), 1);
			ck_assert_int_eq(satomic_map_get(m, key, &v), 0);
			ck_assert_int_eq(v, value);
			ck_assert_int_eq(satomic_map_count(m), 1);
			ck_assert_int_eq(satomic_map_remove(m, key, &v), 0);
			ck_assert_int_eq(v, value);
			ck_assert_int_eq(satomic_map_count(m), 0);
		}
	/* All of them at once, each with another's value. */
	for (i = 0; i < NEXTREMES; i++)
		ck_assert_int_eq(satomic_map_insert(m, extremes[i],
					extremes[NEXTREMES - 1 - i]), 0);
	for (i = 0; i < NEXTREMES; i++) {
		ck_assert_int_eq(satomic_map_get(m, extremes[i], &v), 0);
		ck_assert_int_eq(v, extremes[NEXTREMES - 1 - i]);
	}
	ck_assert_int_eq(satomic_map_count(m), NEXTREMES);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_operations)
{
	struct satomic_map *m = new_map(100, 0);
	int64_t v, e;

	/* put: insert (0), then replace (1) reporting the old value. */
	v = 99;
	ck_assert_int_eq(satomic_map_put(m, INT64_MIN, 5, &v), 0);
	ck_assert_int_eq(v, 99);	/* untouched when nothing was there */
	ck_assert_int_eq(satomic_map_put(m, INT64_MIN, 6, &v), 1);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(satomic_map_put(m, INT64_MIN, 7, NULL), 1);

	/* replace: only if present. */
	ck_assert_int_eq(satomic_map_replace(m, 0, 1, &v), -ENOENT);
	ck_assert_int_eq(satomic_map_contains(m, 0), 0);
	ck_assert_int_eq(satomic_map_replace(m, INT64_MIN, 8, &v), 0);
	ck_assert_int_eq(v, 7);

	/* cas: swapped, mismatch (reports the value), absent. */
	e = 8;
	ck_assert_int_eq(satomic_map_cas(m, INT64_MIN, &e, INT64_MAX), 1);
	e = 8;
	ck_assert_int_eq(satomic_map_cas(m, INT64_MIN, &e, 0), 0);
	ck_assert_int_eq(e, INT64_MAX);
	ck_assert_int_eq(satomic_map_cas(m, -7, &e, 0), -ENOENT);
	ck_assert_int_eq(satomic_map_cas(m, INT64_MIN, NULL, 0), -EINVAL);

	/* remove_if: only on a match; absent is -ENOENT. */
	ck_assert_int_eq(satomic_map_remove_if(m, INT64_MIN, 3), 0);
	ck_assert_int_eq(satomic_map_remove_if(m, INT64_MIN, INT64_MAX), 1);
	ck_assert_int_eq(satomic_map_remove_if(m, INT64_MIN, INT64_MAX), -ENOENT);
	ck_assert_int_eq(satomic_map_remove(m, INT64_MIN, &v), -ENOENT);

	/* exchange and the fetch-ops: absent counts as 0 and is inserted. */
	ck_assert_int_eq(satomic_map_exchange(m, -1, 10, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(satomic_map_exchange(m, -1, 11, &v), 0);
	ck_assert_int_eq(v, 10);
	ck_assert_int_eq(satomic_map_fetch_add(m, 1, 5, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(satomic_map_fetch_add(m, 1, 5, &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(satomic_map_fetch_sub(m, 1, 20, &v), 0);
	ck_assert_int_eq(v, 10);
	ck_assert_int_eq(satomic_map_get(m, 1, &v), 0);
	ck_assert_int_eq(v, -10);
	ck_assert_int_eq(satomic_map_fetch_or(m, 2, 0x0f, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(satomic_map_fetch_and(m, 2, 0x3c, &v), 0);
	ck_assert_int_eq(v, 0x0f);
	ck_assert_int_eq(satomic_map_fetch_xor(m, 2, 0xff, &v), 0);
	ck_assert_int_eq(v, 0x0c);
	ck_assert_int_eq(satomic_map_get(m, 2, &v), 0);
	ck_assert_int_eq(v, 0xf3);
	ck_assert_int_eq(satomic_map_fetch_and(m, 3, -1, &v), 0);	/* 0 & x */
	ck_assert_int_eq(satomic_map_get(m, 3, &v), 0);
	ck_assert_int_eq(v, 0);

	/* Wraparound, two's complement, no undefined behaviour. */
	ck_assert_int_eq(satomic_map_put(m, 4, INT64_MAX, NULL), 0);
	ck_assert_int_eq(satomic_map_fetch_add(m, 4, 1, &v), 0);
	ck_assert_int_eq(satomic_map_get(m, 4, &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
	ck_assert_int_eq(satomic_map_fetch_sub(m, 4, 1, NULL), 0);
	ck_assert_int_eq(satomic_map_get(m, 4, &v), 0);
	ck_assert_int_eq(v, INT64_MAX);

	/* A removed key comes back in the same slot, with its new value. */
	ck_assert_int_eq(satomic_map_remove(m, 4, NULL), 0);
	ck_assert_int_eq(satomic_map_fetch_add(m, 4, 3, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(satomic_map_count(m), 5);	/* -1, 1, 2, 3, 4 */
	assert_sound(m);

	/* NULL map. */
	ck_assert_int_eq(satomic_map_get(NULL, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_insert(NULL, 1, 1), -EINVAL);
	ck_assert_int_eq(satomic_map_count(NULL), -EINVAL);
	satomic_map_close(m);
}
END_TEST

/*
 * What each operation writes through its pointers, and returns, as
 * satomic_map_get(3) promises: nothing is written where the page says
 * "unchanged", absent keys are told apart from errors.
 */
START_TEST(test_pointer_contracts)
{
	struct satomic_map *m = new_map(100, 0);
	int64_t v, e;

	/* get: absent leaves *value alone; NULL value is fine. */
	v = 77;
	ck_assert_int_eq(satomic_map_get(m, 5, &v), -ENOENT);
	ck_assert_int_eq(v, 77);
	ck_assert_int_eq(satomic_map_get(m, 5, NULL), -ENOENT);
	ck_assert_int_eq(satomic_map_contains(m, 5), 0);

	/* insert of a present key: -EEXIST, the value stays. */
	ck_assert_int_eq(satomic_map_insert(m, 5, 50), 0);
	ck_assert_int_eq(satomic_map_insert(m, 5, 51), -EEXIST);
	ck_assert_int_eq(satomic_map_get(m, 5, NULL), 0);
	ck_assert_int_eq(satomic_map_get(m, 5, &v), 0);
	ck_assert_int_eq(v, 50);
	ck_assert_int_eq(satomic_map_contains(m, 5), 1);

	/* put: inserting leaves *old alone and returns 0; replacing stores
	 * the value replaced and returns 1. */
	v = 77;
	ck_assert_int_eq(satomic_map_put(m, 6, 60, &v), 0);
	ck_assert_int_eq(v, 77);
	ck_assert_int_eq(satomic_map_put(m, 6, 61, &v), 1);
	ck_assert_int_eq(v, 60);

	/* replace: *old is the value replaced; absent: -ENOENT, *old alone,
	 * nothing inserted. */
	ck_assert_int_eq(satomic_map_replace(m, 6, 62, &v), 0);
	ck_assert_int_eq(v, 61);
	ck_assert_int_eq(satomic_map_get(m, 6, &v), 0);
	ck_assert_int_eq(v, 62);
	v = 77;
	ck_assert_int_eq(satomic_map_replace(m, 7, 70, &v), -ENOENT);
	ck_assert_int_eq(v, 77);
	ck_assert_int_eq(satomic_map_contains(m, 7), 0);
	ck_assert_int_eq(satomic_map_replace(m, 6, 63, NULL), 0);

	/* cas: success leaves *expected alone; mismatch stores what it found;
	 * absent: -ENOENT, *expected alone, nothing inserted. */
	e = 63;
	ck_assert_int_eq(satomic_map_cas(m, 6, &e, 64), 1);
	ck_assert_int_eq(e, 63);
	ck_assert_int_eq(satomic_map_cas(m, 6, &e, 65), 0);
	ck_assert_int_eq(e, 64);
	ck_assert_int_eq(satomic_map_get(m, 6, &v), 0);
	ck_assert_int_eq(v, 64);
	e = 0;	/* what an absent key would count as elsewhere */
	ck_assert_int_eq(satomic_map_cas(m, 7, &e, 70), -ENOENT);
	ck_assert_int_eq(e, 0);
	e = 123;
	ck_assert_int_eq(satomic_map_cas(m, 7, &e, 70), -ENOENT);
	ck_assert_int_eq(e, 123);
	ck_assert_int_eq(satomic_map_contains(m, 7), 0);
	ck_assert_int_eq(satomic_map_cas(m, 6, NULL, 0), -EINVAL);

	/* remove: *old is the last value; absent: -ENOENT, *old alone. */
	ck_assert_int_eq(satomic_map_remove(m, 6, &v), 0);
	ck_assert_int_eq(v, 64);
	v = 77;
	ck_assert_int_eq(satomic_map_remove(m, 6, &v), -ENOENT);
	ck_assert_int_eq(v, 77);
	ck_assert_int_eq(satomic_map_remove(m, 6, NULL), -ENOENT);

	/* remove_if: 0 on a mismatch (the key stays), 1 removed, -ENOENT. */
	ck_assert_int_eq(satomic_map_remove_if(m, 5, 49), 0);
	ck_assert_int_eq(satomic_map_get(m, 5, &v), 0);
	ck_assert_int_eq(v, 50);
	ck_assert_int_eq(satomic_map_remove_if(m, 5, 50), 1);
	ck_assert_int_eq(satomic_map_contains(m, 5), 0);
	ck_assert_int_eq(satomic_map_remove_if(m, 5, 50), -ENOENT);

	/* exchange and fetch-ops on absent keys: return 0, *old = 0 (whatever
	 * it held), the key inserted with 0 combined with the argument. */
	{
		static const struct {
			int (*op)(struct satomic_map *, int64_t, int64_t, int64_t *);
			int64_t arg, stored;
		} ops[] = {
			{ satomic_map_exchange, -9, -9 },
			{ satomic_map_fetch_add, 9, 9 },
			{ satomic_map_fetch_sub, 9, -9 },
			{ satomic_map_fetch_and, -1, 0 },
			{ satomic_map_fetch_or, 0x30, 0x30 },
			{ satomic_map_fetch_xor, INT64_MIN, INT64_MIN },
		};
		size_t i;

		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			int64_t key = 1000 + (int64_t)i;

			v = 77;
			ck_assert_int_eq(ops[i].op(m, key, ops[i].arg, &v), 0);
			ck_assert_int_eq(v, 0);
			ck_assert_int_eq(satomic_map_get(m, key, &v), 0);
			ck_assert_int_eq(v, ops[i].stored);
			/* present: the value before, still 0 returned */
			ck_assert_int_eq(ops[i].op(m, key, ops[i].arg, &v), 0);
			ck_assert_int_eq(v, ops[i].stored);
			ck_assert_int_eq(ops[i].op(m, key + 100, ops[i].arg, NULL), 0);
		}
	}
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/* get_many and put_many as satomic_map_get(3) describes them. */
START_TEST(test_batch_contracts)
{
	struct satomic_map *m = new_map(100, 0), *small = new_map(64, 64);
	enum { N = 40, BIG = 100000 };
	int64_t keys[N], values[N], got[N], v;
	int64_t *bigk = malloc(BIG * sizeof(int64_t));
	bool found[N];
	size_t i, done;
	int err;

	for (i = 0; i < N; i++) {
		keys[i] = (int64_t)i * 7 - 20;
		values[i] = (int64_t)i * 1000;
	}
	/* put_many: 0 on success (not a count), done may be NULL. */
	ck_assert_int_eq(satomic_map_put_many(m, keys, values, N / 2, NULL), 0);
	done = 999;
	ck_assert_int_eq(satomic_map_put_many(m, keys, values, N / 2, &done), 0);
	ck_assert_uint_eq(done, N / 2);	/* all replaced: still 0, done = n */
	ck_assert_int_eq(satomic_map_count(m), N / 2);
	done = 999;
	ck_assert_int_eq(satomic_map_put_many(m, NULL, NULL, 0, &done), 0);
	ck_assert_uint_eq(done, 0);
	done = 999;
	ck_assert_int_eq(satomic_map_put_many(m, NULL, values, 1, &done), -EINVAL);
	ck_assert_uint_eq(done, 0);

	/* get_many: found[i] for every key; values[i] only for present
	 * keys, absent ones keep what the caller put there. */
	for (i = 0; i < N; i++) {
		got[i] = -12345;
		found[i] = i % 2;	/* garbage that must be overwritten */
	}
	ck_assert_int_eq(satomic_map_get_many(m, keys, N, got, found), N / 2);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(found[i], i < N / 2);
		ck_assert_int_eq(got[i], i < N / 2 ? values[i] : -12345);
	}
	ck_assert_int_eq(satomic_map_get_many(m, keys, N, NULL, NULL), N / 2);
	ck_assert_int_eq(satomic_map_get_many(m, keys, N, got, NULL), N / 2);
	ck_assert_int_eq(satomic_map_get_many(m, keys, N, NULL, found), N / 2);

	/* put_many stops at the first error: keys[0..done-1] are in, the
	 * rest were not tried. */
	for (i = 0; i < BIG; i++)
		bigk[i] = (int64_t)i * 7919;
	done = 999;
	err = satomic_map_put_many(small, bigk, bigk, BIG, &done);
	ck_assert_int_lt(err, 0);
	ck_assert_uint_lt(done, BIG);
	ck_assert_int_eq(satomic_map_count(small), (int64_t)done);
	for (i = 0; i < done; i++) {
		ck_assert_int_eq(satomic_map_get(small, bigk[i], &v), 0);
		ck_assert_int_eq(v, bigk[i]);
	}
	for (i = done; i < BIG; i += 97)
		ck_assert_int_eq(satomic_map_contains(small, bigk[i]), 0);
	ck_assert_int_eq(satomic_map_contains(small, bigk[done]), 0);
	free(bigk);
	satomic_map_close(small);
	satomic_map_close(m);
}
END_TEST

/* A NULL handle is -EINVAL everywhere, and nothing is written. */
START_TEST(test_null_handles)
{
	struct satomic_map *m = new_map(10, 0);
	struct satomic_map_iter *it = (struct satomic_map_iter *)&it;
	struct satomic_map_stats st, before;
	int64_t k = 1, v = 77, e = 78;
	bool f = true;
	size_t done = 999;
	char report[16] = "x";

	ck_assert_int_eq(satomic_map_get(NULL, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_contains(NULL, 1), -EINVAL);
	ck_assert_int_eq(satomic_map_insert(NULL, 1, 1), -EINVAL);
	ck_assert_int_eq(satomic_map_put(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_replace(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_cas(NULL, 1, &e, 1), -EINVAL);
	ck_assert_int_eq(satomic_map_remove(NULL, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_remove_if(NULL, 1, 1), -EINVAL);
	ck_assert_int_eq(satomic_map_exchange(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_fetch_add(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_fetch_sub(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_fetch_and(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_fetch_or(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(satomic_map_fetch_xor(NULL, 1, 1, &v), -EINVAL);
	ck_assert_int_eq(v, 77);
	ck_assert_int_eq(e, 78);
	ck_assert_int_eq(satomic_map_get_many(NULL, &k, 1, &v, &f), -EINVAL);
	ck_assert_int_eq(satomic_map_get_many(NULL, NULL, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(v, 77);
	ck_assert_int_eq(f, true);
	ck_assert_int_eq(satomic_map_put_many(NULL, &k, &v, 1, &done), -EINVAL);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(satomic_map_count(NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_capacity(NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_clear(NULL), -EINVAL);

	/* The iterator: *iter untouched on failure, iter_end(NULL) a no-op,
	 * and *key / *value written only when a key is returned. */
	ck_assert_int_eq(satomic_map_iter_begin(NULL, &it), -EINVAL);
	ck_assert_ptr_eq(it, (struct satomic_map_iter *)&it);
	ck_assert_int_eq(satomic_map_iter_begin(m, NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_iter_next(NULL, &k, &v), -EINVAL);
	satomic_map_iter_end(NULL);
	ck_assert_int_eq(satomic_map_insert(m, 3, 4), 0);
	ck_assert_int_eq(satomic_map_iter_begin(m, &it), 0);
	ck_assert_int_eq(satomic_map_iter_next(it, &k, &v), 1);
	ck_assert_int_eq(k, 3);
	ck_assert_int_eq(v, 4);
	k = v = 77;
	ck_assert_int_eq(satomic_map_iter_next(it, &k, &v), 0);
	ck_assert_int_eq(k, 77);
	ck_assert_int_eq(v, 77);
	satomic_map_iter_end(it);

	/* stats and check. */
	memset(&st, 0x5a, sizeof(st));
	before = st;
	ck_assert_int_eq(satomic_map_stats(NULL, &st), -EINVAL);
	ck_assert(memcmp(&st, &before, sizeof(st)) == 0);
	ck_assert_int_eq(satomic_map_check(NULL, report, sizeof(report)), -EINVAL);
	ck_assert_int_eq(satomic_map_check(NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(satomic_map_check(m, NULL, 0), 0);

	/* Handles. */
	ck_assert_int_eq(satomic_map_close(NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_detach(NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_prefault(NULL), -EINVAL);
	satomic_map_close(m);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The memory-ordering contract (satomic_map_get(3), Memory ordering): a
 * value seen through the map carries every store its writer made before the
 * update.  Two processes; bounded by a deadline, not by luck, and quick on
 * one CPU (taskset -c 0): every wait yields.
 */
#define ORDER_ROUNDS 2000
#define ORDER_WORDS 16
#define ORDER_DEADLINE_NS 20000000000ll	/* a hang is a failure, not a wait */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

struct publish {
	struct satomic_map *m;
	int64_t start;
	int64_t failed;	/* set by a child that failed: the other stops */
	int64_t data[ORDER_WORDS];	/* plain stores and loads only */
};

enum { KEY_SEQ = -3, KEY_ACK = INT64_MIN, KEY_OTHER = 12 };
#define ORDER_METHODS 5
#define GATE(r) (1000000 + (r))	/* present until round r, if r % 5 == 4 */

/* Round r's value of key KEY_SEQ as reader method r % 5 sees it: through
 * get, get_many, an iteration, fetch_add's *old, or the removal of the
 * round's gate key (seen absent: the round is published). */
static int observe(struct satomic_map *m, int64_t r, int64_t *seen)
{
	const int64_t keys[3] = { KEY_OTHER, KEY_SEQ, KEY_ACK };
	int64_t vals[3] = { 0, 0, 0 }, k, v;
	bool found[3];
	struct satomic_map_iter *it;
	int err;

	*seen = 0;
	switch (r % ORDER_METHODS) {
	case 0:
		err = satomic_map_get(m, KEY_SEQ, seen);
		return err == -ENOENT ? 0 : err;
	case 1:
		if (satomic_map_get_many(m, keys, 3, vals, found) < 0)
			return -1;
		*seen = found[1] ? vals[1] : 0;
		return 0;
	case 2:
		if ((err = satomic_map_iter_begin(m, &it)) != 0)
			return err;
		while ((err = satomic_map_iter_next(it, &k, &v)) == 1)
			if (k == KEY_SEQ)
				*seen = v;
		satomic_map_iter_end(it);
		return err;
	case 3:	/* an update's *old acquires too */
		return satomic_map_fetch_add(m, KEY_SEQ, 0, seen);
	default:	/* so does a lookup that finds a key removed */
		err = satomic_map_contains(m, GATE(r));
		*seen = err == 0 ? r : 0;
		return err < 0 ? err : 0;
	}
}

/* Wait until key reads at least want; its value in *got.  Nonzero on an
 * error or a timeout. */
static int wait_for(struct publish *p, int64_t key, int64_t want, int64_t r,
		    int64_t *got)
{
	unsigned long spins = 0;
	int err;

	for (;;) {
		if (key == KEY_SEQ)
			err = observe(p->m, r, got);
		else if ((err = satomic_map_get(p->m, key, got)) == -ENOENT)
			*got = 0, err = 0;
		if (err)
			return 10;
		if (*got >= want)
			return 0;
		if (satomic_load_i64(&p->failed))
			return 12;
		if (++spins % 256 == 0 && now_ns() - p->start > ORDER_DEADLINE_NS)
			return 11;
		if (spins % 32 == 0)	/* poll hot, but let a peer on this CPU run */
			sched_yield();
	}
}

static int publish_round(int i, struct publish *p, int64_t r);

static int publish_child(int i, void *arg)
{
	struct publish *p = arg;
	int64_t r;
	int err;

	for (r = 1; r <= ORDER_ROUNDS; r++)
		if ((err = publish_round(i, p, r)) != 0) {
			satomic_store_i64(&p->failed, 1);
			return err;
		}
	return 0;
}

static int publish_round(int i, struct publish *p, int64_t r)
{
	int64_t got;
	int j;

	if (i == 0) {	/* the writer */
		if (wait_for(p, KEY_ACK, r - 1, r, &got))
			return 1;
		for (j = 0; j < ORDER_WORDS; j++)
			p->data[j] = r * 1000 + j;
		if (r % ORDER_METHODS == 4 && satomic_map_remove(p->m, GATE(r), NULL))
			return 2;
		if (satomic_map_put(p->m, KEY_SEQ, r, NULL) < 0)
			return 2;
		if (r % 64 == 0 &&	/* other keys move, too */
		    satomic_map_fetch_add(p->m, KEY_OTHER, 1, NULL) < 0)
			return 3;
		return 0;
	}
	/* the reader */
	if (wait_for(p, KEY_SEQ, r, r, &got))
		return 4;
	if (got != r) {
		fprintf(stderr, "round %lld: saw %lld\n", (long long)r,
			(long long)got);
		return 5;
	}
	for (j = 0; j < ORDER_WORDS; j++)
		if (p->data[j] != r * 1000 + j) {
			fprintf(stderr, "round %lld, method %lld: data[%d] = %lld, "
				"not %lld\n", (long long)r, (long long)(r % ORDER_METHODS), j,
				(long long)p->data[j], (long long)(r * 1000 + j));
			return 6;
		}
	return satomic_map_put(p->m, KEY_ACK, r, NULL) < 0 ? 7 : 0;
}

START_TEST(test_publish_through_the_map)
{
	struct publish *p = shared_pages(sizeof(*p));
	int64_t v;

	p->m = new_map(16, 0);
	for (v = 4; v <= ORDER_ROUNDS; v += ORDER_METHODS)
		ck_assert_int_eq(satomic_map_insert(p->m, GATE(v), 1), 0);
	p->start = now_ns();
	run_children(2, publish_child, p);
	ck_assert_int_eq(satomic_map_count(p->m), 3);	/* seq, ack, other */
	ck_assert_int_eq(satomic_map_get(p->m, KEY_ACK, &v), 0);
	ck_assert_int_eq(v, ORDER_ROUNDS);
	satomic_map_close(p->m);
	munmap(p, sizeof(*p));
}
END_TEST

/*
 * One total order (store buffering): each of two processes puts its own key
 * then gets the other's.  Release/acquire alone would let both miss the
 * other's put; sequentially consistent operations never do.
 */
struct total_order {
	struct satomic_map *m;
	int64_t start;
	uint64_t arrived;	/* a barrier per round, by satomic_fetch_add_u64 */
	int64_t failed;	/* set by a child that failed: the other stops */
	int64_t seen[2][ORDER_ROUNDS + 1];
};

static int total_order_child(int i, void *arg)
{
	struct total_order *t = arg;
	unsigned long spins = 0;
	int64_t r, v;
	int err;

	for (r = 1; r <= ORDER_ROUNDS; r++) {
		satomic_fetch_add_u64(&t->arrived, 1);
		while (satomic_load_u64(&t->arrived) < (uint64_t)(2 * r)) {
			if (satomic_load_i64(&t->failed))
				return 1;
			if (++spins % 256 == 0 &&
			    now_ns() - t->start > ORDER_DEADLINE_NS)
				return 2;
			if (spins % 16 == 0)
				sched_yield();
		}
		err = satomic_map_put(t->m, 100 + i, r, NULL);
		if (err >= 0)
			err = satomic_map_get(t->m, 100 + (1 - i), &v);
		if (err == -ENOENT)
			v = 0, err = 0;
		if (err < 0) {
			satomic_store_i64(&t->failed, 1);
			return 3;
		}
		t->seen[i][r] = v;
	}
	return 0;
}

START_TEST(test_one_total_order)
{
	struct total_order *t = shared_pages(sizeof(*t));
	int64_t r;

	t->m = new_map(16, 0);
	t->start = now_ns();
	run_children(2, total_order_child, t);
	for (r = 1; r <= ORDER_ROUNDS; r++) {
		ck_assert_msg(t->seen[0][r] == r || t->seen[1][r] == r,
			      "round %lld: both missed the other's put (%lld, %lld)",
			      (long long)r, (long long)t->seen[0][r],
			      (long long)t->seen[1][r]);
		ck_assert_int_ge(t->seen[0][r], r - 1);
		ck_assert_int_ge(t->seen[1][r], r - 1);
	}
	satomic_map_close(t->m);
	munmap(t, sizeof(*t));
}
END_TEST

START_TEST(test_full_table)
{
	/* A fixed map (max == capacity) fills up: -ENOSPC, and nothing lost. */
	struct satomic_map *m = new_map(1000, 1000);
	int64_t key, inserted = 0, v;
	int err = 0;

	ck_assert_int_ge(satomic_map_capacity(m), 1000);
	for (key = 0; key < 100000; key++) {
		err = satomic_map_insert(m, key * 7919, key);
		if (err)
			break;
		inserted++;
	}
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_int_ge(inserted, 1000);
	ck_assert_int_eq(satomic_map_count(m), inserted);
	for (key = 0; key < inserted; key++) {
		ck_assert_int_eq(satomic_map_get(m, key * 7919, &v), 0);
		ck_assert_int_eq(v, key);
	}
	/* Updates of present keys still work when full; inserts do not. */
	ck_assert_int_eq(satomic_map_fetch_add(m, 0, 1, NULL), 0);
	ck_assert_int_eq(satomic_map_insert(m, -5, 1), -ENOSPC);
	ck_assert_int_eq(satomic_map_fetch_add(m, -5, 1, NULL), -ENOSPC);
	/* Room comes back after removals (tombstones are reclaimed). */
	for (key = 0; key < inserted / 2; key++)
		ck_assert_int_eq(satomic_map_remove(m, key * 7919, NULL), 0);
	ck_assert_int_eq(satomic_map_insert(m, -5, 1), 0);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/*
 * max_capacity is exact: that many keys fit, churn included, and not one
 * more; removing one makes room for one (issue 16.2-4).
 */
static void fill_to_max(struct satomic_map *m, int64_t max, int64_t base)
{
	int64_t k;

	for (k = 0; k < max; k++)
		ck_assert_msg(satomic_map_insert(m, base + k, k) == 0,
			      "insert %lld of max_capacity %lld", (long long)k,
			      (long long)max);
	ck_assert_int_eq(satomic_map_count(m), max);
}

START_TEST(test_max_capacity_is_exact)
{
	static const int64_t maxes[] = { 1, 4, 190, 191, 3000, 5000 };
	struct satomic_map_stats st;
	int64_t max = maxes[_i], v;
	struct satomic_map *m = new_map(max < 100 ? (uint64_t)max : 100,
					(uint64_t)max);

	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_eq(st.max_capacity, (uint64_t)max);
	ck_assert_uint_le(st.capacity, (uint64_t)max);
	ck_assert_int_le(satomic_map_capacity(m), max);
	fill_to_max(m, max, 1000000);
	/* Full: no new key, by any operation; present keys still change. */
	ck_assert_int_eq(satomic_map_insert(m, -1, 0), -ENOSPC);
	ck_assert_int_eq(satomic_map_put(m, -1, 0, NULL), -ENOSPC);
	ck_assert_int_eq(satomic_map_fetch_add(m, -1, 1, NULL), -ENOSPC);
	ck_assert_int_eq(satomic_map_exchange(m, -1, 1, NULL), -ENOSPC);
	ck_assert_int_eq(satomic_map_put(m, 1000000, 5, &v), 1);
	ck_assert_int_eq(satomic_map_fetch_add(m, 1000000, 1, &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(satomic_map_count(m), max);
	/* One removed, one place: a removed key comes back, then no more. */
	ck_assert_int_eq(satomic_map_remove(m, 1000000, NULL), 0);
	ck_assert_int_eq(satomic_map_insert(m, -1, 0), 0);
	ck_assert_int_eq(satomic_map_insert(m, 1000000, 0), -ENOSPC);
	ck_assert_int_eq(satomic_map_remove(m, -1, NULL), 0);
	ck_assert_int_eq(satomic_map_insert(m, 1000000, 0), 0);
	ck_assert_int_eq(satomic_map_insert(m, -1, 0), -ENOSPC);
	ck_assert_int_eq(satomic_map_count(m), max);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_eq(st.count, (uint64_t)max);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/* Churn at max_capacity less one key (and at max_capacity exactly, one
 * removal ahead of each insert) never fills the map, however long. */
START_TEST(test_churn_at_max_capacity)
{
	const int64_t max = 5000, ops = 40 * max;
	struct satomic_map *m = new_map(100, (uint64_t)max);
	struct satomic_map_stats st;
	int64_t k, live;

	for (live = max - 10; live <= max; live += 10) {
		for (k = 0; k < live; k++)
			ck_assert_int_eq(satomic_map_insert(m, k, k), 0);
		for (k = live; k < live + ops; k++) {
			ck_assert_int_eq(satomic_map_remove(m, k - live, NULL), 0);
			ck_assert_msg(satomic_map_insert(m, k, k) == 0,
				      "churn at %lld keys: insert %lld of %lld failed",
				      (long long)live, (long long)(k - live),
				      (long long)ops);
		}
		ck_assert_int_eq(satomic_map_count(m), live);
		ck_assert_int_eq(satomic_map_insert(m, -1, 0), live < max ? 0 : -ENOSPC);
		ck_assert_int_eq(satomic_map_clear(m), 0);
	}
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_gt(st.migrations, 20);
	ck_assert_uint_le(st.slots, 8192);	/* 5000 keys and an eighth */
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/* The default maximum: 64 x capacity, at least 2^20 keys. */
START_TEST(test_default_max_capacity)
{
	struct satomic_map *m = new_map(100, 0);
	struct satomic_map_stats st;

	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_eq(st.max_capacity, 1u << 20);
	satomic_map_close(m);
	m = new_map(100000, 0);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_eq(st.max_capacity, 6400000);
	satomic_map_close(m);
}
END_TEST

/*
 * The largest table holds max_capacity keys and an eighth more, and a map
 * created with max_capacity = capacity starts in it (satomic_map_create(3)),
 * also where capacity keys alone would fit the table below: about one size
 * in nine, several of these, which used to start there.  The largest
 * table's slots, from the footprint: four areas of 8 KiB of control and 16
 * bytes a slot, after the header page and the 32 KiB registry.
 */
START_TEST(test_exact_max_starts_largest)
{
	static const uint64_t sizes[] = {
		171, 190, 200, 342, 380, 1366, 1520, 1600, 6074, 48560, 100000,
	};
	struct satomic_map_stats st;
	struct satomic_map *m;
	size_t i, bytes, largest;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(satomic_map_footprint(sizes[i], sizes[i], &bytes), 0);
		largest = ((bytes - 4096 - 32768) / 4 - 8192) / 16;
		ck_assert_uint_ge(largest * 3 / 4, sizes[i] + sizes[i] / 8);
		m = new_map(sizes[i], sizes[i]);
		ck_assert_int_eq(satomic_map_stats(m, &st), 0);
		ck_assert_msg(st.slots == largest, "capacity = max_capacity = %llu: "
			      "%llu slots, the largest table has %zu",
			      (unsigned long long)sizes[i],
			      (unsigned long long)st.slots, largest);
		satomic_map_close(m);
	}
}
END_TEST

/*
 * An iterator belongs to the process that began it: in a forked child,
 * satomic_map_iter_next fails with -EPERM and satomic_map_iter_end only
 * frees it, so the parent's table stays pinned through the growths after
 * (a child that released the parent's registry slot let them reuse it).
 */
/* An iterator whose registry claim another process rewrote: the map's
 * memory is corrupt (-EUCLEAN), not an iterator of another process's. */
START_TEST(test_iterator_claim_rewritten)
{
	size_t size = 0, i;
	unsigned char *mem;
	struct satomic_map *m;
	struct satomic_map_iter *it;
	uint64_t *owner;
	int64_t k, v;

	ck_assert_int_eq(satomic_map_footprint(10, 100, &size), 0);
	mem = shared_pages(size);
	ck_assert_int_eq(satomic_map_init(mem, size, 10, 100, &m), 0);
	ck_assert_int_eq(satomic_map_insert(m, 1, 2), 0);
	ck_assert_int_eq(satomic_map_iter_begin(m, &it), 0);
	/* The registry: 512 slots of 64 bytes after the header page, each
	 * beginning with its owner word. */
	for (i = 0; i < 512; i++) {
		owner = (uint64_t *)(mem + 4096 + 64 * i);
		*owner ^= *owner > 1 ? 1u << 20 : 0;
	}
	ck_assert_int_eq(satomic_map_iter_next(it, &k, &v), -EUCLEAN);
	for (i = 0; i < 512; i++) {
		owner = (uint64_t *)(mem + 4096 + 64 * i);
		*owner ^= *owner > 1 ? 1u << 20 : 0;
	}
	ck_assert_int_eq(satomic_map_iter_next(it, &k, &v), 1);
	ck_assert(k == 1 && v == 2);
	satomic_map_iter_end(it);
	ck_assert_int_eq(satomic_map_detach(m), 0);
	munmap(mem, size);
}
END_TEST

START_TEST(test_iterator_across_fork)
{
	enum { FIRST = 40, MORE = 20000 };
	struct satomic_map *m = new_map(64, 0);
	struct satomic_map_iter *it;
	bool seen[FIRST] = { false };
	int64_t i, k, v;
	int status, r;
	pid_t pid;

	for (i = 0; i < FIRST; i++)
		ck_assert_int_eq(satomic_map_insert(m, i, -i), 0);
	ck_assert_int_eq(satomic_map_iter_begin(m, &it), 0);
	ck_assert_int_eq(satomic_map_iter_next(it, &k, &v), 1);
	ck_assert(k >= 0 && k < FIRST && v == -k);
	seen[k] = true;
	pid = test_fork();
	if (pid == 0) {
		r = satomic_map_iter_next(it, &k, &v);
		satomic_map_iter_end(it);
		_exit(r == -EPERM ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_ptr_nonnull(strstr(satomic_strerror(-EPERM), "iterator"));

	for (i = FIRST; i < MORE; i++)	/* migrations: areas come round */
		ck_assert_int_eq(satomic_map_insert(m, i, -i), 0);
	while ((r = satomic_map_iter_next(it, &k, &v)) == 1) {
		ck_assert(k >= 0 && k < MORE && v == -k);
		if (k < FIRST) {	/* present throughout: exactly once */
			ck_assert(!seen[k]);
			seen[k] = true;
		}
	}
	ck_assert_int_eq(r, 0);
	for (i = 0; i < FIRST; i++)
		ck_assert(seen[i]);
	satomic_map_iter_end(it);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/*
 * Iterators pin areas (satomic_map_iter_begin(3)): with one open at each
 * of several growths, this process's own, no area is left for the next
 * table, and the insert that needs it fails with -EAGAIN (after its wait,
 * satomic_map_get(3)); once they end, the map grows again.
 */
START_TEST(test_iterators_pin_areas)
{
	struct satomic_map *m = new_map(1, 0);
	struct satomic_map_iter *it[4];
	struct satomic_map_stats st;
	int n = 0, r = 0, i;
	int64_t k = 0;

	while (r == 0 && n < 4) {
		ck_assert_int_eq(satomic_map_iter_begin(m, &it[n]), 0);
		n++;
		ck_assert_int_eq(satomic_map_stats(m, &st), 0);
		while (r == 0 && (uint64_t)k < 2 * st.slots)	/* a growth */
			if ((r = satomic_map_insert(m, k, k)) == 0)
				k++;
	}
	ck_assert_int_eq(r, -EAGAIN);
	ck_assert_int_le(n, 3);	/* current table, target, and these */
	for (i = 0; i < n; i++)
		satomic_map_iter_end(it[i]);
	ck_assert_int_eq(satomic_map_insert(m, k, k), 0);
	for (i = 0; i <= k; i += 97)	/* nothing lost */
		ck_assert_int_eq(satomic_map_get(m, i, NULL), 0);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/* The state letter of process pid (field 3 of /proc/PID/stat), or '?'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* The registry slot that process pid owns in the map at mem, or -1: 512
 * slots of 64 bytes after the header page, each beginning with its owner
 * word, pid << 32 | start time. */
static int slot_of(const unsigned char *mem, pid_t pid)
{
	int i;

	for (i = 0; i < 512; i++)
		if (*(const volatile uint64_t *)(mem + 4096 + 64 * i) >> 32 == (uint64_t)pid)
			return i;
	return -1;
}

struct holder { struct satomic_map *m; int ready; };

/* A thread that takes a registry slot and keeps it until it is killed. */
static void *hold_slot(void *arg)
{
	struct holder *h = arg;

	if (satomic_map_insert(h->m, -1, 1) == 0)
		(void)!write(h->ready, "r", 1);
	for (;;)
		pause();
	return NULL;	/* (never: for the compiler) */
}

/*
 * A process that ended is dead while it is a zombie that its parent has
 * not reaped (sharedatomic(7)): with the registry full but for two slots,
 * children that insert and exit without closing, left unreaped, still find
 * slots (theirs stayed taken, and every update anywhere failed with
 * -EAGAIN once 512 had ended so); a process whose main thread alone ended,
 * state Z as well, keeps its other thread's slot.
 */
START_TEST(test_zombies_free_registry)
{
	enum { CHILDREN = 8, SLOTS = 512 };
	/* Static: the children exit holding them, and valgrind would call a
	 * heap array that only the stack points to lost. */
	static struct satomic_map_iter *it[SLOTS];
	pid_t kids[CHILDREN], leader;
	size_t size = 0;
	unsigned char *mem;
	struct satomic_map *m;
	static struct holder h;	/* not on the stack its main thread leaves */
	int ready[2], i, n = 0, status, tries;
	siginfo_t info;
	char c;

	ck_assert_int_eq(satomic_map_footprint(1000, 2000, &size), 0);
	mem = shared_pages(size);
	ck_assert_int_eq(satomic_map_init(mem, size, 1000, 2000, &m), 0);
	ck_assert_int_eq(pipe(ready), 0);
	leader = test_fork();
	if (leader == 0) {
		pthread_t t;

		h = (struct holder){ m, ready[1] };
		if (pthread_create(&t, NULL, hold_slot, &h) != 0)
			_exit(1);
		pthread_exit(NULL);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);	/* its slot taken */
	for (tries = 0; proc_state(leader) != 'Z' && tries < 2000; tries++)
		usleep(1000);	/* until its main thread has ended */
	if (proc_state(leader) != 'Z')	/* an emulator's threads, say */
		printf("SKIP (part): a process without its main thread is no Z here\n");

	while (n < SLOTS && satomic_map_iter_begin(m, &it[n]) == 0)
		n++;	/* the registry full, */
	ck_assert_int_ge(n, 2);
	satomic_map_iter_end(it[--n]);	/* but for two slots */
	satomic_map_iter_end(it[--n]);
	for (i = 0; i < CHILDREN; i++) {
		kids[i] = test_fork();
		if (kids[i] == 0)
			_exit(satomic_map_insert(m, i, i) == 0 ? 0 : 1);
		memset(&info, 0, sizeof(info));
		ck_assert_int_eq(waitid(P_PID, (id_t)kids[i], &info, WEXITED | WNOWAIT), 0);
		ck_assert_msg(info.si_code == CLD_EXITED && info.si_status == 0,
			      "child %d of %d, unreaped: insert failed (status %d)",
			      i, CHILDREN, info.si_status);
	}
	ck_assert_int_eq(satomic_map_insert(m, CHILDREN, 1), 0);
	ck_assert_int_ge(slot_of(mem, leader), 0);	/* still its own */
	ck_assert_int_eq(satomic_map_get(m, -1, NULL), 0);
	while (n > 0)
		satomic_map_iter_end(it[--n]);

	/* Killed: a sanitizer's own thread may outlive the holder's. */
	ck_assert_int_eq(kill(leader, SIGKILL), 0);
	ck_assert_int_eq(waitpid(leader, &status, 0), leader);
	for (i = 0; i < CHILDREN; i++)
		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
	close(ready[0]);
	assert_sound(m);
	ck_assert_int_eq(satomic_map_count(m), CHILDREN + 2);
	ck_assert_int_eq(satomic_map_detach(m), 0);
	munmap(mem, size);
}
END_TEST

/*
 * Iterators of processes SIGKILLed and not yet reaped pin nothing: the map
 * grows past them (it waited 2 s and failed with -EAGAIN, as it must for
 * stopped processes, test_iterators_pin_areas).
 */
START_TEST(test_killed_iterators_unpin)
{
	enum { KIDS = 4 };
	struct satomic_map *m = new_map(1, 0);
	struct satomic_map_stats st;
	pid_t kids[KIDS];
	siginfo_t info;
	int64_t k = 0;
	int n, p[2], status;
	char c;

	for (n = 0; n < KIDS; n++) {
		ck_assert_int_eq(pipe(p), 0);
		kids[n] = test_fork();
		if (kids[n] == 0) {
			struct satomic_map_iter *it;

			if (satomic_map_iter_begin(m, &it) != 0)
				_exit(1);
			(void)!write(p[1], "i", 1);
			for (;;)
				pause();
		}
		close(p[1]);
		ck_assert_int_eq(read(p[0], &c, 1), 1);	/* it pins this table */
		close(p[0]);
		ck_assert_int_eq(kill(kids[n], SIGKILL), 0);
		ck_assert_int_eq(waitid(P_PID, (id_t)kids[n], &info, WEXITED | WNOWAIT), 0);
		ck_assert_int_eq(satomic_map_stats(m, &st), 0);
		for (; (uint64_t)k < 2 * st.slots; k++)	/* a growth */
			ck_assert_int_eq(satomic_map_insert(m, k, k), 0);
	}
	for (n = 0; n < KIDS; n++)
		ck_assert_int_eq(waitpid(kids[n], &status, 0), kids[n]);
	ck_assert_int_eq(satomic_map_count(m), k);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/* 512 threads and iterators at once: the next one, iterator or thread
 * that has not used the map yet, gets -EAGAIN at once for an update; a
 * lookup needs no slot (satomic_map_get(3)). */
START_TEST(test_registry_full)
{
	struct satomic_map *m = new_map(100, 0);
	struct satomic_map_iter **it = calloc(600, sizeof(*it));
	int n = 0, i;

	ck_assert_ptr_nonnull(it);
	while (n < 600 && satomic_map_iter_begin(m, &it[n]) == 0)
		n++;
	ck_assert_int_eq(n, 512);
	ck_assert_int_eq(satomic_map_iter_begin(m, &it[n]), -EAGAIN);
	ck_assert_int_eq(satomic_map_insert(m, 1, 1), -EAGAIN);	/* no slot */
	{	/* check fails too, and its report says why */
		char report[256] = "unwritten";

		ck_assert_int_eq(satomic_map_check(m, report, sizeof(report)), -EAGAIN);
		ck_assert_str_eq(report, satomic_strerror(-EAGAIN));
	}
	{	/* lookups need none */
		int64_t k = 1, v;
		bool found = true;

		ck_assert_int_eq(satomic_map_get(m, 1, &v), -ENOENT);
		ck_assert_int_eq(satomic_map_contains(m, 1), 0);
		ck_assert_int_eq(satomic_map_get_many(m, &k, 1, &v, &found), 0);
		ck_assert(!found);
	}
	satomic_map_iter_end(it[--n]);
	ck_assert_int_eq(satomic_map_insert(m, 1, 1), 0);
	for (i = 0; i < n; i++)
		satomic_map_iter_end(it[i]);
	free(it);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_iterator_and_clear)
{
	struct satomic_map *m = new_map(10, 0);
	struct satomic_map_iter *it;
	const int64_t n = 5000;
	bool *seen = calloc((size_t)n, sizeof(bool));
	int64_t k, v, count = 0;
	int r;

	for (k = 0; k < n; k++)
		ck_assert_int_eq(satomic_map_insert(m, k - n / 2, k * k), 0);
	ck_assert_int_eq(satomic_map_remove(m, 0, NULL), 0);
	ck_assert_int_eq(satomic_map_iter_begin(m, &it), 0);
	while ((r = satomic_map_iter_next(it, &k, &v)) == 1) {
		int64_t i = k + n / 2;

		ck_assert_int_ge(i, 0);
		ck_assert_int_lt(i, n);
		ck_assert_msg(!seen[i], "key %lld twice", (long long)k);
		seen[i] = true;
		ck_assert_int_eq(v, i * i);
		count++;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(satomic_map_iter_next(it, &k, &v), 0);	/* stays done */
	satomic_map_iter_end(it);
	ck_assert_int_eq(count, n - 1);
	ck_assert(!seen[n / 2]);	/* the removed key */

	ck_assert_int_eq(satomic_map_clear(m), 0);
	ck_assert_int_eq(satomic_map_count(m), 0);
	ck_assert_int_eq(satomic_map_get(m, 1, &v), -ENOENT);
	ck_assert_int_eq(satomic_map_iter_begin(m, &it), 0);
	ck_assert_int_eq(satomic_map_iter_next(it, &k, &v), 0);
	satomic_map_iter_end(it);
	assert_sound(m);
	free(seen);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_stats)
{
	struct satomic_map *m = new_map(1000, 0);
	struct satomic_map_stats st;
	int64_t k;

	for (k = 0; k < 800; k++)
		ck_assert_int_eq(satomic_map_insert(m, k, k), 0);
	for (k = 0; k < 100; k++)
		ck_assert_int_eq(satomic_map_remove(m, k, NULL), 0);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_eq(st.count, 700);
	ck_assert_uint_eq(st.live, 700);
	ck_assert_uint_eq(st.tombstones, 100);
	ck_assert_uint_ge(st.capacity, 1000);
	ck_assert_uint_ge(st.max_capacity, st.capacity);
	ck_assert_uint_ge(st.slots, st.capacity);
	ck_assert(st.load > 0.0 && st.load <= 0.75);
	ck_assert(st.mean_probe >= 0.0 && st.mean_probe <= (double)st.max_probe);
	ck_assert_uint_lt(st.max_probe, st.slots / 4);
	ck_assert_uint_eq(st.generation, 1);
	ck_assert_int_eq(st.migrating, 0);
	ck_assert_int_eq(satomic_map_stats(m, NULL), -EINVAL);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_growth)
{
	/* From a tiny hint to 200,000 keys: grows online, loses nothing. */
	struct satomic_map *m = new_map(1, 0);
	struct satomic_map_stats st;
	const int64_t n = 200000;
	int64_t k, v;

	for (k = 0; k < n; k++)
		ck_assert_int_eq(satomic_map_insert(m, k * 0x9e3779b97f4a7c15ll, k), 0);
	ck_assert_int_eq(satomic_map_count(m), n);
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(satomic_map_get(m, k * 0x9e3779b97f4a7c15ll, &v), 0);
		ck_assert_int_eq(v, k);
	}
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_gt(st.migrations, 5);
	ck_assert_uint_ge(st.capacity, (uint64_t)n);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_churn_is_bounded)
{
	/* A fixed-size map with a bounded live set survives 100 x capacity
	 * inserts and removes: tombstones are reclaimed by migration. */
	struct satomic_map *m = new_map(1000, 1000);
	struct satomic_map_stats st;
	const int64_t live = 500, ops = 100 * 1000;
	int64_t k, v;

	for (k = 0; k < ops; k++) {
		ck_assert_int_eq(satomic_map_insert(m, k, k), 0);
		if (k >= live)
			ck_assert_int_eq(satomic_map_remove(m, k - live, &v), 0);
	}
	ck_assert_int_eq(satomic_map_count(m), live);
	for (k = ops - live; k < ops; k++)
		ck_assert_int_eq(satomic_map_contains(m, k), 1);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_gt(st.migrations, 10);
	ck_assert_uint_le(st.slots, 2048);	/* never grew */
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/*
 * get_many over removed keys (a key's own tombstone sends the fast probe to
 * the general path), re-inserted and never-inserted ones, in every batch
 * length around the internal batch of 16: each key's answer as
 * satomic_map_get's, absent keys' values untouched.
 */
START_TEST(test_batches_past_tombstones)
{
	enum { KEYS = 3000, ASKED = 3500, SENTINEL = -777 };
	struct satomic_map *m = new_map(4096, 0);
	struct satomic_map_stats st;
	int64_t *keys = malloc(ASKED * sizeof(int64_t));
	int64_t *got = malloc(ASKED * sizeof(int64_t)), v;
	bool *found = malloc(ASKED);
	size_t i, len, base;
	int64_t hits, want_hits;

	ck_assert_ptr_nonnull(keys);
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(found);
	for (i = 0; i < ASKED; i++)	/* the last 500 never inserted */
		keys[i] = (int64_t)(i * 0x9e3779b97f4a7c15ull);
	for (i = 0; i < KEYS; i++)
		ck_assert_int_eq(satomic_map_insert(m, keys[i], (int64_t)i - 1000), 0);
	for (i = 0; i < KEYS; i += 3)
		ck_assert_int_eq(satomic_map_remove(m, keys[i], NULL), 0);
	for (i = 0; i < KEYS; i += 6)	/* some back */
		ck_assert_int_eq(satomic_map_insert(m, keys[i], (int64_t)i), 0);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_gt(st.tombstones, 0);	/* else this tests nothing new */

	for (len = 1; len <= 40; len++) {
		for (base = 0; base + len <= ASKED; base += len) {
			for (i = 0; i < len; i++) {
				got[i] = SENTINEL;
				found[i] = i & 1;
			}
			hits = satomic_map_get_many(m, keys + base, len, got, found);
			want_hits = 0;
			for (i = 0; i < len; i++) {
				int r = satomic_map_get(m, keys[base + i], &v);

				want_hits += r == 0;
				ck_assert_int_eq(found[i], r == 0);
				ck_assert_int_eq(got[i], r == 0 ? v : SENTINEL);
			}
			ck_assert_int_eq(hits, want_hits);
			ck_assert_int_eq(satomic_map_get_many(m, keys + base, len,
							      NULL, NULL), want_hits);
		}
	}
	free(keys);
	free(got);
	free(found);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_batches)
{
	struct satomic_map *m = new_map(100, 0);
	int64_t keys[300], values[300], got[300];
	bool found[300];
	size_t i, done = 0;

	for (i = 0; i < 300; i++) {
		keys[i] = (int64_t)(i * 1000003) - 150;
		values[i] = -(int64_t)i;
	}
	ck_assert_int_eq(satomic_map_put_many(m, keys, values, 200, &done), 0);
	ck_assert_uint_eq(done, 200);
	ck_assert_int_eq(satomic_map_get_many(m, keys, 300, got, found), 200);
	for (i = 0; i < 300; i++) {
		ck_assert_int_eq(found[i], i < 200);
		if (i < 200)
			ck_assert_int_eq(got[i], values[i]);
	}
	ck_assert_int_eq(satomic_map_get_many(m, keys, 0, NULL, NULL), 0);
	ck_assert_int_eq(satomic_map_get_many(m, NULL, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_put_many(m, keys, NULL, 1, &done), -EINVAL);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_named)
{
	char name[64];
	struct satomic_map *a, *b;
	int64_t v;

	snprintf(name, sizeof(name), "/satomic-test-map-%ld", (long)getpid());
	satomic_map_unlink(name);
	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0, 0, &a), 0);
	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0, 0, &b), -EEXIST);
	ck_assert_int_eq(satomic_map_open(name, 0, &b), 0);
	ck_assert_int_eq(satomic_map_insert(a, 7, 8), 0);
	ck_assert_int_eq(satomic_map_get(b, 7, &v), 0);
	ck_assert_int_eq(v, 8);
	ck_assert_int_eq(satomic_map_close(b), 0);
	ck_assert_int_eq(satomic_map_close(a), 0);
	/* A region that is not a map is refused, and the other way round. */
	{
		struct satomic_region *r;

		ck_assert_int_eq(satomic_region_open(name, 0, &r), -EINVAL);
		ck_assert_int_eq(satomic_map_unlink(name), 0);
		ck_assert_int_eq(satomic_region_create(name, 65536, 0, 0, &r), 0);
		ck_assert_int_eq(satomic_map_open(name, 0, &a), -EINVAL);
		satomic_region_close(r);
	}
	ck_assert_int_eq(satomic_region_unlink(name), 0);
	ck_assert_int_eq(satomic_map_open(name, 0, &a), -ENOENT);
	ck_assert_int_eq(satomic_map_create("bad", 1, 0, 0, 0, &a), -EINVAL);
	ck_assert_int_eq(satomic_map_create(name, 10, 5, 0, 0, &a), -EINVAL);
	ck_assert_int_eq(satomic_map_create(name, UINT64_MAX, 0, 0, 0, &a), -EINVAL);
	ck_assert_int_eq(satomic_map_open(name, 0, &a), -ENOENT);	/* nothing left */
}
END_TEST

/* A FIFO planted under a map's name: refused with -ENODEV, never a hang. */
START_TEST(test_named_fifo)
{
	char name[64], path[PATH_MAX];
	struct satomic_map *m = NULL;

	alarm(10);
	snprintf(name, sizeof(name), "/satomic-test-mapfifo-%ld", (long)getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0666), 0);
	ck_assert_int_eq(satomic_map_open(name, 0, &m), -ENODEV);
	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0, 0, &m), -EEXIST);
	ck_assert_ptr_null(m);
	unlink(path);
	/* A directory: -EISDIR, and left in place. */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(satomic_map_open(name, 0, &m), -EISDIR);
	ck_assert_int_eq(satomic_map_unlink(name), -EISDIR);
	ck_assert_int_eq(rmdir(path), 0);
	alarm(0);
}
END_TEST

/*
 * A map that another user made (mode 0666) is refused with -EPERM, so the
 * create-then-open pattern of satomic_map_create(3) cannot be fed values by
 * a squatter; SATOMIC_MAP_FOREIGN_OK accepts it.  Needs root (fchown).
 */
START_TEST(test_named_foreign_owner)
{
	char name[64], path[PATH_MAX];
	struct satomic_map *m = NULL, *mine;
	int64_t v;
	int fd;

	if (geteuid() != 0) {
		printf("SKIP (part): test_named_foreign_owner needs root to chown a segment\n");
		return;
	}
	snprintf(name, sizeof(name), "/satomic-test-mapforeign-%ld", (long)getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	unlink(path);
	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0666, 0, &m), 0);
	ck_assert_int_eq(satomic_map_insert(m, 1, 666), 0);
	satomic_map_close(m);
	m = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchown(fd, 65534, 65534), 0);
	close(fd);

	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0, 0, &mine), -EEXIST);
	ck_assert_int_eq(satomic_map_open(name, 0, &m), -EPERM);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(satomic_map_open(name, SATOMIC_MAP_FOREIGN_OK, &m), 0);
	ck_assert_int_eq(satomic_map_get(m, 1, &v), 0);
	ck_assert_int_eq(v, 666);
	satomic_map_close(m);
	ck_assert_int_eq(satomic_map_unlink(name), 0);
}
END_TEST

/*
 * A peer with write access truncates a named map (the hazard that
 * sharedatomic(7) states): opening it afterwards is refused with -EINVAL,
 * whatever the new size, and a process that had it mapped dies of SIGBUS
 * at its next access, which the library cannot prevent.
 */
START_TEST(test_named_truncated)
{
	char name[64], path[PATH_MAX], c = 0;
	struct satomic_map *m = NULL;
	struct stat st;
	off_t sizes[5];
	int ready[2], go[2];
	pid_t pid;
	int status;
	size_t i;

	snprintf(name, sizeof(name), "/satomic-test-maptrunc-%ld", (long)getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	unlink(path);
	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0, 0, &m), 0);
	ck_assert_int_eq(satomic_map_insert(m, 1, 2), 0);
	satomic_map_close(m);
	ck_assert_int_eq(stat(path, &st), 0);
	sizes[0] = st.st_size + 4096;	/* a page long: no map's size either */
	sizes[1] = st.st_size - 4096;	/* a page short */
	sizes[2] = 4096 + 100;		/* the region header and a bit */
	sizes[3] = 64;			/* less than a header */
	sizes[4] = 0;

	/* The process that holds it: attached before the truncation, it dies
	 * of SIGBUS at its next access after. */
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid = test_fork();
	if (pid == 0) {
		struct satomic_map *held;
		int64_t v;

		die_of_sigbus();
		if (satomic_map_open(name, 0, &held) != 0 ||
		    write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		(void)satomic_map_get(held, 1, &v);
		_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		m = NULL;
		ck_assert_int_eq(truncate(path, sizes[i]), 0);
		ck_assert_msg(satomic_map_open(name, 0, &m) == -EINVAL,
			      "map resized to %lld opened", (long long)sizes[i]);
		ck_assert_ptr_null(m);
	}
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
		      "access after truncation: status 0x%x, not SIGBUS", status);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	unlink(path);
}
END_TEST

struct map_fd_case {
	int which;
	const char *name, *existing;
	struct satomic_map *m;
};

static int map_fd_op(void *arg)
{
	struct map_fd_case *c = arg;

	c->m = NULL;
	switch (c->which) {
	case 0: return satomic_map_create(c->name, 100, 0, 0, 0, &c->m);
	case 1: return satomic_map_open(c->existing, 0, &c->m);
	default: return satomic_map_create_anon(100, 0, 0, &c->m);
	}
}

static void map_fd_cleanup(void *arg, int err)
{
	struct map_fd_case *c = arg;

	if (err == 0 && c->m)
		satomic_map_close(c->m);
	if (c->which == 0)
		satomic_map_unlink(c->name);
}

/* Out of file descriptors: -EMFILE, not -ENOMEM, and no descriptor leaked. */
START_TEST(test_named_out_of_fds)
{
	static const char *const what[] = { "map_create", "map_open", "map_create_anon" };
	static const int needs[] = { 3, 2, 1 };	/* as for regions */
	char name[64], existing[64];
	struct map_fd_case c = { .name = name, .existing = existing };
	struct satomic_map *m;
	int i;

	snprintf(name, sizeof(name), "/satomic-test-mapfds-%ld", (long)getpid());
	snprintf(existing, sizeof(existing), "/satomic-test-mapfds-old-%ld", (long)getpid());
	satomic_map_unlink(name);
	satomic_map_unlink(existing);
	ck_assert_int_eq(satomic_map_create(existing, 100, 0, 0, 0, &m), 0);
	satomic_map_close(m);
	for (i = 0; i < 3; i++) {
		c.which = i;
		with_few_fds(what[i], 4, needs[i], map_fd_op, map_fd_cleanup, &c);
	}
	ck_assert_int_eq(satomic_map_open(name, 0, &m), -ENOENT);	/* none left */
	ck_assert_int_eq(satomic_map_unlink(existing), 0);
}
END_TEST

/*
 * A map whose reservation does not fit this process's address space (here
 * RLIMIT_AS, lowered in a child) is -EFBIG, as for a region, not -ENOMEM;
 * nothing is left behind.
 */
START_TEST(test_named_too_large)
{
	char name[64];
	struct satomic_map *m;
	struct rlimit rl;
	unsigned long pages = 0;
	size_t bytes;
	FILE *f;
	pid_t pid;
	int status;

	/* The limit: what this process maps now, plus 4 GiB. */
	f = under_valgrind() ? NULL : fopen("/proc/self/statm", "r");
	if (f == NULL || fscanf(f, "%lu", &pages) != 1 ||
	    (rlim_t)pages * 4096 > (rlim_t)64 << 30) {
		/* No /proc, or a sanitizer's shadow memory: a limit would
		 * starve it before the map; valgrind's mmap says EINVAL. */
		printf("SKIP (part): test_named_too_large: address space unknown or "
		       "large, or valgrind\n");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
				    ((rlim_t)4 << 30);
	snprintf(name, sizeof(name), "/satomic-test-mapbig-%ld", (long)getpid());
	satomic_map_unlink(name);
	ck_assert_int_eq(satomic_map_footprint(100, 1ull << 30, &bytes), 0);
	ck_assert_uint_gt(bytes, rl.rlim_cur);
	pid = test_fork();
	if (pid == 0) {
		int e1, e2;

		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(3);
		e1 = satomic_map_create(name, 100, 1ull << 30, 0, 0, &m);
		e2 = satomic_map_create_anon(100, 1ull << 30, 0, &m);
		if (e1 != -EFBIG || e2 != -EFBIG) {
			fprintf(stderr, "too large a map: %d, %d, not -EFBIG\n", e1, e2);
			_exit(1);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status 0x%x (see the output)", status);
	ck_assert_int_eq(satomic_map_open(name, 0, &m), -ENOENT);
}
END_TEST

/*
 * satomic_map_unlink removes a map's segment, even one shrunk by a peer,
 * and nothing else: a plain region, a foreign file, a segment shrunk below
 * its header, a FIFO are refused and left in place.
 */
START_TEST(test_unlink_only_maps)
{
	char name[64], path[PATH_MAX];
	struct satomic_region *r;
	struct satomic_map *m;
	struct stat st;
	int fd;

	alarm(10);
	snprintf(name, sizeof(name), "/satomic-test-mapunlink-%ld", (long)getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	unlink(path);

	ck_assert_int_eq(satomic_region_create(name, 4096, 0, 0, &r), 0);
	satomic_region_close(r);
	ck_assert_int_eq(satomic_map_unlink(name), -EINVAL);
	ck_assert_int_eq(stat(path, &st), 0);		/* left in place */
	ck_assert_int_eq(satomic_region_unlink(name), 0);

	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);	/* foreign */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	ck_assert_int_eq(pwrite(fd, "SATOMRGN", 8, 0), 8);
	close(fd);
	ck_assert_int_eq(satomic_map_unlink(name), -EINVAL);
	ck_assert_int_eq(stat(path, &st), 0);
	unlink(path);

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(satomic_map_unlink(name), -ENODEV);
	ck_assert_int_eq(stat(path, &st), 0);
	unlink(path);

	/* A map shrunk a page short (its header intact) is still a map's. */
	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0, 0, &m), 0);
	satomic_map_close(m);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(truncate(path, st.st_size - 4096), 0);
	ck_assert_int_eq(satomic_map_unlink(name), 0);
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(satomic_map_unlink(name), -ENOENT);

	/* Shrunk below its header: no longer recognizable, left in place. */
	ck_assert_int_eq(satomic_map_create(name, 100, 0, 0, 0, &m), 0);
	satomic_map_close(m);
	ck_assert_int_eq(truncate(path, 64), 0);
	ck_assert_int_eq(satomic_map_unlink(name), -EINVAL);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(satomic_region_unlink(name), 0);
	ck_assert_int_eq(satomic_map_unlink("bad"), -EINVAL);
	alarm(0);
}
END_TEST

START_TEST(test_in_place)
{
	size_t size = 0;
	void *mem;
	struct satomic_map *m, *again;
	int64_t v;

	ck_assert_int_eq(satomic_map_footprint(100, 1000, &size), 0);
	ck_assert_uint_gt(size, 0);
	ck_assert_int_eq(satomic_map_footprint(100, 10, &size), -EINVAL);
	ck_assert_int_eq(satomic_map_footprint(100, 1000, NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_footprint(100, 1000, &size), 0);
	mem = shared_pages(size);
	memset(mem, 0xa5, size);	/* caller memory need not be zero */
	ck_assert_int_eq(satomic_map_init(mem, size - 1, 100, 1000, &m), -EINVAL);
	ck_assert_int_eq(satomic_map_init((char *)mem + 8, size - 64, 100, 1000, &m), -EINVAL);
	ck_assert_int_eq(satomic_map_init(mem, size, 100, 1000, &m), 0);
	for (v = 0; v < 900; v++)	/* grows past the hint, into dirty areas */
		ck_assert_int_eq(satomic_map_insert(m, v, -v), 0);
	ck_assert_int_eq(satomic_map_attach(mem, size, &again), 0);
	ck_assert_int_eq(satomic_map_get(again, 899, &v), 0);
	ck_assert_int_eq(v, -899);
	assert_sound(again);
	ck_assert_int_eq(satomic_map_detach(again), 0);
	ck_assert_int_eq(satomic_map_detach(m), 0);
	munmap(mem, size);
}
END_TEST

/* Page faults (minor) this process has taken so far. */
static long faults_so_far(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/*
 * The faults a fresh child takes reading every key of m, after prefaulting
 * it if asked: a forked child shares the map, not its page tables.
 */
static long faults_of_first_pass(struct satomic_map *m, int64_t keys, bool prefault)
{
	long *got = shared_pages(sizeof(long));
	pid_t pid = test_fork();
	int status;

	if (pid == 0) {
		long before;
		int64_t k, v, sum = 0;

		if (prefault && satomic_map_prefault(m) != 0)
			_exit(1);
		before = faults_so_far();
		for (k = 0; k < keys; k++)
			if (satomic_map_get(m, k, &v) == 0)
				sum += v == k;
		*got = faults_so_far() - before;
		_exit(sum == keys ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child: status %d", status);
	return *got;
}

/* Whether MADV_POPULATE_WRITE fills page tables here (qemu-user ignores it). */
static bool populate_works(void)
{
	const size_t pages = 256, page = (size_t)sysconf(_SC_PAGESIZE);
	volatile char *p = shared_pages(pages * page);
	bool filled = false;
	long before = 0, faults = 0;
	size_t i;

#ifdef MADV_POPULATE_WRITE
	filled = madvise((void *)p, pages * page, MADV_POPULATE_WRITE) == 0;
#endif
	if (filled) {
		before = faults_so_far();
		for (i = 0; i < pages; i++)
			p[i * page] = 1;
		faults = faults_so_far() - before;
	}
	munmap((void *)p, pages * page);
	return filled && faults < (long)pages / 4;
}

START_TEST(test_prefault)
{
	const int64_t keys = 400000;	/* a table of 16 MiB: 4096 pages */
	struct satomic_map *m = new_map((uint64_t)keys, 0);
	long cold, warm;
	int64_t k, v;

	ck_assert_int_eq(satomic_map_prefault(NULL), -EINVAL);
	ck_assert_int_eq(satomic_map_prefault(m), 0);	/* on an empty map */
	for (k = 0; k < keys; k++)
		ck_assert_int_eq(satomic_map_insert(m, k, k), 0);
	ck_assert_int_eq(satomic_map_prefault(m), 0);	/* changes nothing */
	ck_assert_int_eq(satomic_map_count(m), keys);
	ck_assert_int_eq(satomic_map_get(m, keys - 1, &v), 0);
	ck_assert_int_eq(v, keys - 1);
	assert_sound(m);

	cold = faults_of_first_pass(m, keys, false);
	warm = faults_of_first_pass(m, keys, true);
	/* Read faults map up to 16 pages each (fault_around_bytes). */
	ck_assert_msg(cold >= 64, "a cold pass took only %ld faults", cold);
	if (under_valgrind())	/* it counts valgrind's own faults too */
		printf("SKIP (part): test_prefault's fault counts, under valgrind: "
		       "%ld prefaulted, %ld cold (natively 0 and 257)\n", warm, cold);
	else if (populate_works())
		ck_assert_msg(warm < cold / 8, "prefaulted: %ld faults, cold: %ld",
			      warm, cold);
	else
		printf("test_prefault: page tables are not populated here "
		       "(an emulator?): %ld faults prefaulted, %ld cold\n", warm, cold);
	satomic_map_close(m);
}
END_TEST

/*
 * Chains that wrap at the table's end.  Keys forged from the map's seed
 * (header offset 16: keys hash as mix(key ^ seed)) to have their home in
 * the last of the first table's 256 slots land there, then in slots 0 and
 * 1; lookups must follow them across the end, through satomic_map_get's
 * inline second slot and the probe after it, hits, misses and tombstones
 * alike.
 */
START_TEST(test_wrapping_chain)
{
	size_t size = 0;
	unsigned char *mem;
	struct satomic_map *m;
	uint64_t seed, *slots;
	int64_t key[5], v;
	int i;

	ck_assert_int_eq(satomic_map_footprint(10, 100, &size), 0);
	mem = shared_pages(size);
	ck_assert_int_eq(satomic_map_init(mem, size, 10, 100, &m), 0);
	memcpy(&seed, mem + 16, sizeof(seed));
	for (i = 0; i < 5; i++)	/* home 255 of 2^8: the top 8 bits of the hash */
		key[i] = (int64_t)(sat_unmix(0xffull << 56 | (uint64_t)(i + 1)) ^ seed);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(satomic_map_insert(m, key[i], 100 + i), 0);
	/* As the layout puts them (test_check_finds_damage): 255, 0, 1, 2. */
	slots = (uint64_t *)(mem + 4096 + 32768 + 8192);
	ck_assert(slots[2 * 255] != 0 && slots[0] != 0 && slots[2] != 0 &&
		  slots[4] != 0 && slots[6] == 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(satomic_map_get(m, key[i], &v), 0);
		ck_assert_int_eq(v, 100 + i);
	}
	ck_assert_int_eq(satomic_map_get(m, key[4], &v), -ENOENT);
	/* A tombstone in the second slot (0), then in the home slot. */
	ck_assert_int_eq(satomic_map_remove(m, key[1], NULL), 0);
	ck_assert_int_eq(satomic_map_get(m, key[1], &v), -ENOENT);
	ck_assert_int_eq(satomic_map_get(m, key[2], &v), 0);
	ck_assert_int_eq(v, 102);
	ck_assert_int_eq(satomic_map_remove(m, key[0], NULL), 0);
	ck_assert_int_eq(satomic_map_get(m, key[3], &v), 0);
	ck_assert_int_eq(v, 103);
	ck_assert_int_eq(satomic_map_get(m, key[4], &v), -ENOENT);
	ck_assert_int_eq(satomic_map_insert(m, key[1], 201), 0);	/* revived */
	ck_assert_int_eq(satomic_map_get(m, key[1], &v), 0);
	ck_assert_int_eq(v, 201);
	assert_sound(m);
	ck_assert_int_eq(satomic_map_detach(m), 0);
	munmap(mem, size);
}
END_TEST

/*
 * Keys chosen to collide, by someone who read the seed (sharedatomic(7),
 * SECURITY CONSIDERATIONS): `top` bits of their hashes alike.  65 keys
 * sharing the first table's home (8 bits) overflow its reach of 64 slots;
 * an insert used to copy the table at the same size, which rebuilt the
 * chain, for ever.  The map grows instead.  Keys alike in 40 bits collide
 * in every table: the largest one's chain fills, and the insert that finds
 * it full fails with ENOSPC, below max_capacity and at once; nothing is
 * lost and the map stays sound.
 */
static int64_t colliding_key(uint64_t seed, unsigned top, uint64_t i)
{
	uint64_t low = ((uint64_t)1 << (64 - top)) - 1;	/* the bits that vary */
	/* i times an odd number: distinct below 2^(64 - top). */
	uint64_t h = (0x5a5a5a5a5a5a5a5aull & ~low) | ((i + 1) * 0x9e3779b97f4a7c15ull & low);

	return (int64_t)(sat_unmix(h) ^ seed);
}

/* Insert forged keys 0, 1, ... (value = index) up to n; the index of the
 * first refused (n if none), and the error. */
static uint64_t insert_colliding(struct satomic_map *m, uint64_t seed,
				 unsigned top, uint64_t from, uint64_t n, int *err)
{
	uint64_t i;
	int64_t k, got;

	*err = 0;
	for (i = from; i < n; i++) {
		k = colliding_key(seed, top, i);
		if ((*err = satomic_map_insert(m, k, (int64_t)i)) != 0)
			break;
		/* At once: the insert may have left the growth it started
		 * running. */
		ck_assert_int_eq(satomic_map_get(m, k, &got), 0);
		ck_assert_int_eq(got, (int64_t)i);
	}
	return i;
}

START_TEST(test_colliding_keys)
{
	struct satomic_map_stats st;
	size_t size = 0;
	unsigned char *mem;
	struct satomic_map *m;
	uint64_t seed, i, j, n;
	int64_t got;
	int r;

	ck_assert_int_eq(satomic_map_footprint(10, 3000, &size), 0);
	mem = shared_pages(size);
	/* Alike in 8 bits: the map grows past the collisions. */
	ck_assert_int_eq(satomic_map_init(mem, size, 10, 3000, &m), 0);
	memcpy(&seed, mem + 16, sizeof(seed));
	ck_assert_uint_eq(insert_colliding(m, seed, 8, 0, 1000, &r), 1000);
	ck_assert_int_eq(satomic_map_detach(m), 0);

	/* Alike in 40 bits: one chain in every table; the largest one's
	 * (8192 slots, reach 2048) fills, and then ENOSPC, at once. */
	memset(mem, 0, size);
	ck_assert_int_eq(satomic_map_init(mem, size, 10, 3000, &m), 0);
	memcpy(&seed, mem + 16, sizeof(seed));
	n = insert_colliding(m, seed, 40, 0, 3000, &r);
	ck_assert_int_eq(r, -ENOSPC);
	ck_assert_uint_eq(n, 2048);
	/* A tombstone in the full chain: the next new key goes in, by a
	 * copy of the same size, and the one after is refused.  New keys
	 * waited for that copy, so it finished: no key is left frozen in a
	 * migration that could not end (six new keys crowded the copy's
	 * target, their gets said ENOENT and updates of the frozen keys
	 * failed with ENOSPC for ever). */
	ck_assert_int_eq(satomic_map_remove(m, colliding_key(seed, 40, 0), NULL), 0);
	ck_assert_uint_eq(insert_colliding(m, seed, 40, n, n + 6, &r), n + 1);
	ck_assert_int_eq(r, -ENOSPC);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert(!st.migrating);
	ck_assert_int_eq(satomic_map_count(m), (int64_t)n);
	for (j = 1; j <= n; j++) {
		ck_assert_int_eq(satomic_map_get(m, colliding_key(seed, 40, j), &got), 0);
		ck_assert_int_eq(got, (int64_t)j);
		ck_assert_int_eq(satomic_map_put(m, colliding_key(seed, 40, j),
						 (int64_t)j, NULL), 1);
	}
	/* Keys whose home is elsewhere (a sixteenth of the way in, far
	 * from the chain at 0x5a5...) still go in. */
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(satomic_map_insert(m, (int64_t)(sat_unmix(1ull << 60 | i) ^
								 seed), 1), 0);
	assert_sound(m);
	ck_assert_int_eq(satomic_map_detach(m), 0);
	munmap(mem, size);
}
END_TEST

/* Forge a header field (with or without a valid checksum) and attach. */
static int attach_forged(void *mem, size_t size, size_t offset, uint64_t value,
			 bool fix_checksum)
{
	struct satomic_map *m;
	int err;

	memcpy((char *)mem + offset, &value, sizeof(value));
	if (fix_checksum) {
		uint64_t sum = sat_checksum(mem, 0x78);	/* bytes before it */
		memcpy((char *)mem + 0x78, &sum, sizeof(sum));
	}
	err = satomic_map_attach(mem, size, &m);
	if (err == 0)
		satomic_map_detach(m);
	return err;
}

/*
 * satomic_map_create(3): the map uses the first footprint bytes of its
 * memory and never the rest, whatever size says; attach takes any size
 * that covers the footprint, and refuses one that does not.
 */
/*
 * A thread that opens and closes maps keeps no memory for the closed ones:
 * its registrations with closed handles are dropped when it next looks one
 * up (they were kept until the thread exited).
 */
START_TEST(test_closed_handles_leave_nothing)
{
	struct satomic_map *m;
	size_t at100 = 0;
	int i;

	for (i = 0; i < 3000; i++) {
		ck_assert_int_eq(satomic_map_create_anon(16, 0, 0, &m), 0);
		ck_assert_int_eq(satomic_map_insert(m, i, i), 0);
		ck_assert_int_eq(satomic_map_close(m), 0);
		if (i == 100)
			at100 = mallinfo2().uordblks;
	}
	/* A registration is over 200 bytes: 2900 kept would be 580 KB. */
	ck_assert_uint_lt(mallinfo2().uordblks, at100 + 64 * 1024);
}
END_TEST

START_TEST(test_attach_sizes)
{
	const uint64_t max = 3000;
	size_t fp = 0, i;
	unsigned char *mem;
	struct satomic_map *m, *again;
	struct satomic_map_stats st;
	int64_t k, v;

	ck_assert_int_eq(satomic_map_footprint(100, max, &fp), 0);
	mem = shared_pages(3 * fp);
	memset(mem + fp, 0xab, 2 * fp);
	ck_assert_int_eq(satomic_map_init(mem, 2 * fp, 100, max, &m), 0);
	ck_assert_int_eq(satomic_map_attach(mem, fp - 64, &again), -EINVAL);
	ck_assert_int_eq(satomic_map_attach(mem, fp / 2, &again), -EINVAL);
	ck_assert_int_eq(satomic_map_attach(mem, 3 * fp, &again), 0);
	/* bytes_reserved is the map's memory, whatever size each handle gave. */
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_eq(st.bytes_reserved, fp);
	ck_assert_int_eq(satomic_map_stats(again, &st), 0);
	ck_assert_uint_eq(st.bytes_reserved, fp);
	satomic_map_detach(again);
	ck_assert_int_eq(satomic_map_attach(mem, fp, &again), 0);
	/* Grown to max_capacity, through several migrations, and emptied. */
	for (k = 0; k < (int64_t)max; k++)
		ck_assert_int_eq(satomic_map_insert(m, k, -k), 0);
	ck_assert_int_eq(satomic_map_insert(m, -1, 0), -ENOSPC);
	for (k = 0; k < (int64_t)max; k++) {
		ck_assert_int_eq(satomic_map_get(again, k, &v), 0);
		ck_assert_int_eq(v, -k);
		ck_assert_int_eq(satomic_map_remove(again, k, NULL), 0);
	}
	ck_assert_int_eq(satomic_map_clear(m), 0);
	for (i = fp; i < 3 * fp; i++)
		ck_assert_msg(mem[i] == 0xab, "byte %zu past the footprint %zu written",
			      i, fp);
	satomic_map_detach(again);
	satomic_map_detach(m);
	munmap(mem, 3 * fp);
}
END_TEST

/* One operation, by a thread that has never used the map (its first
 * registration meets the damage): op 0 insert, 1 put, 2 remove, 3
 * fetch_add, 4 put_many, 5 get_many, 6 get, 7 iter_begin. */
struct first_op {
	struct satomic_map *m;
	int op, r;
};

static void *run_first_op(void *arg)
{
	struct first_op *f = arg;
	int64_t k = 5, v = 1, out;
	bool found;
	size_t done;
	struct satomic_map_iter *it;

	switch (f->op) {
	case 0: f->r = satomic_map_insert(f->m, k, v); break;
	case 1: f->r = satomic_map_put(f->m, k, v, &out); break;
	case 2: f->r = satomic_map_remove(f->m, k, &out); break;
	case 3: f->r = satomic_map_fetch_add(f->m, k, v, &out); break;
	case 4: f->r = satomic_map_put_many(f->m, &k, &v, 1, &done); break;
	case 5: f->r = (int)satomic_map_get_many(f->m, &k, 1, &out, &found); break;
	case 6: f->r = satomic_map_get(f->m, k, &out); break;
	default: f->r = satomic_map_iter_begin(f->m, &it); break;
	}
	return NULL;
}

static int first_op_in_new_thread(struct satomic_map *m, int op)
{
	struct first_op f = { m, op, 1 };
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, run_first_op, &f), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	return f.r;
}

START_TEST(test_hostile_memory)
{
	size_t size = 0, i, off;
	unsigned char *mem, *good;
	struct satomic_map *m;
	int64_t v;
	/* The immutable fields of the header, by offset. */
	static const size_t fields[] = { 0, 8, 12, 24, 28, 32, 36, 40, 48, 56, 64 };
	static const uint64_t values[] = { 0, 1, 63, 64, 1ull << 40, UINT64_MAX };

	ck_assert_int_eq(satomic_map_footprint(100, 1000, &size), 0);
	mem = shared_pages(size);
	good = malloc(4096);
	ck_assert_int_eq(satomic_map_init(mem, size, 100, 1000, &m), 0);
	satomic_map_insert(m, 1, 1);
	satomic_map_detach(m);
	memcpy(good, mem, 4096);

	/* Each field forged to each absurd value: refused with a checksum
	 * that matches, and again without. */
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		for (off = 0; off < sizeof(values) / sizeof(values[0]); off++) {
			uint64_t orig;

			memcpy(&orig, good + fields[i], sizeof(orig));
			if (orig == values[off])
				continue;
			memcpy(mem, good, 4096);
			ck_assert_msg(attach_forged(mem, size, fields[i], values[off], true) == -EINVAL,
				      "field %zu = %llu accepted", fields[i],
				      (unsigned long long)values[off]);
			memcpy(mem, good, 4096);
			ck_assert_int_eq(attach_forged(mem, size, fields[i], values[off], false), -EINVAL);
		}
	memcpy(mem, good, 4096);
	/* Too small a size for what the header says. */
	ck_assert_int_eq(satomic_map_attach(mem, size / 2, &m), -EINVAL);
	ck_assert_int_eq(satomic_map_attach(mem, 100, &m), -EINVAL);
	ck_assert_int_eq(satomic_map_attach(NULL, size, &m), -EINVAL);
	/* Random bytes. */
	srandom(7);
	for (i = 0; i < 500; i++) {
		for (off = 0; off < 4096; off++)
			mem[off] = (unsigned char)random();
		if (i % 2)
			memcpy(mem, "SATOMMAP", 8);
		ck_assert_int_eq(satomic_map_attach(mem, size, &m), -EINVAL);
	}
	/* A sane header whose state word is garbage: attach refuses it, and a
	 * handle attached before the damage gets -EUCLEAN, not a crash. */
	memcpy(mem, good, 4096);
	ck_assert_int_eq(satomic_map_attach(mem, size, &m), 0);
	memset(mem + 128, 0xff, 8);	/* the state word */
	ck_assert_int_eq(satomic_map_get(m, 1, &v), -EUCLEAN);
	ck_assert_int_eq(satomic_map_insert(m, 2, 2), -EUCLEAN);
	ck_assert_int_eq(satomic_map_count(m), -EUCLEAN);
	ck_assert_int_eq(satomic_map_check(m, NULL, 0), -EUCLEAN);
	/* Every operation of a thread that first uses the map after the
	 * damage, the state word 0 (a fresh thread's empty view has word 0)
	 * or all ones: -EUCLEAN, not a crash. */
	for (i = 0; i < 2; i++) {
		int op;

		memset(mem + 128, i ? 0xff : 0, 8);
		for (op = 0; op < 8; op++)
			ck_assert_msg(first_op_in_new_thread(m, op) == -EUCLEAN,
				      "op %d, state word %s", op, i ? "~0" : "0");
	}
	satomic_map_detach(m);
	ck_assert_int_eq(satomic_map_attach(mem, size, &m), -EINVAL);
	/* State words that name no migration but an area or a size the header
	 * does not allow (bits 0-5 log2, 6-9 area, 10 migrating): refused
	 * every time; a lookup must not take one as its guess. */
	{
		static const uint64_t bad_low[] = { 63, 7, 0, 41, 4u << 6 | 8, 15u << 6 | 8 };
		uint64_t state;

		memcpy(mem, good, 4096);
		ck_assert_int_eq(satomic_map_attach(mem, size, &m), 0);
		memcpy(&state, mem + 128, sizeof(state));
		for (i = 0; i < sizeof(bad_low) / sizeof(bad_low[0]); i++) {
			uint64_t bad = (state & ~(uint64_t)0x7ff) | bad_low[i];

			memcpy(mem + 128, &bad, sizeof(bad));
			ck_assert_int_eq(satomic_map_get(m, 1, &v), -EUCLEAN);
			ck_assert_int_eq(satomic_map_get(m, 1, &v), -EUCLEAN);
			ck_assert_int_eq(satomic_map_contains(m, 3), -EUCLEAN);
		}
		memcpy(mem + 128, &state, sizeof(state));
		ck_assert_int_eq(satomic_map_get(m, 1, &v), 0);
		ck_assert_int_eq(v, 1);
		satomic_map_detach(m);
	}
	free(good);
	munmap(mem, size);
}
END_TEST

START_TEST(test_check_finds_damage)
{
	/* The integrity scan notices a duplicated key, a broken chain, a
	 * frozen slot outside a migration and an empty slot with a value. */
	size_t size = 0;
	unsigned char *mem;
	struct satomic_map *m;
	char report[256];
	uint64_t *slots;
	size_t i, first = 0, nslots = 256;

	ck_assert_int_eq(satomic_map_footprint(10, 100, &size), 0);
	mem = shared_pages(size);
	ck_assert_int_eq(satomic_map_init(mem, size, 10, 100, &m), 0);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(satomic_map_insert(m, (int64_t)i, (int64_t)i), 0);
	assert_sound(m);
	/* The first area's slots follow its 8 KiB control block; the areas
	 * start after the header page and the 32 KiB registry. */
	slots = (uint64_t *)(mem + 4096 + 32768 + 8192);
	while (first < nslots && slots[2 * first] == 0)
		first++;
	ck_assert_uint_lt(first, nslots);
	/* Copy a key into the next empty slot after it: a duplicate or a
	 * broken chain, either way not sound. */
	for (i = first + 1; i < nslots && slots[2 * i] != 0; i++)
		;
	ck_assert_uint_lt(i, nslots);
	slots[2 * i] = slots[2 * first];
	ck_assert_int_eq(satomic_map_check(m, report, sizeof(report)), -EUCLEAN);
	ck_assert_msg(strstr(report, "twice") || strstr(report, "cut off"),
		      "report: %s", report);
	slots[2 * i] = 0;
	assert_sound(m);
	slots[2 * i] = 0x7;	/* a FROZEN slot outside a migration */
	ck_assert_int_eq(satomic_map_check(m, report, sizeof(report)), -EUCLEAN);
	slots[2 * i] = 0;
	/* An EMPTY slot with a value: what the operations call -EUCLEAN
	 * (satomic_map_get(3) sends the user to the scan), found by it. */
	slots[2 * i + 1] = 5;
	ck_assert_int_eq(satomic_map_check(m, report, sizeof(report)), -EUCLEAN);
	ck_assert_msg(strstr(report, "empty slot with value 5"), "report: %s", report);
	{
		/* A key forged to have its home there (header offset 16: the
		 * seed; 256 slots: the home is the hash's top 8 bits).  An
		 * update that would take the slot fails; a lookup reads only
		 * the key word and answers absent (satomic_map_stats(3)). */
		uint64_t seed;
		int64_t k, v = 0;

		memcpy(&seed, mem + 16, sizeof(seed));
		k = (int64_t)(sat_unmix((uint64_t)i << 56 | 0x1234) ^ seed);
		ck_assert_int_eq(satomic_map_get(m, k, &v), -ENOENT);
		ck_assert_int_eq(satomic_map_insert(m, k, 1), -EUCLEAN);
		ck_assert_int_eq(satomic_map_put(m, k, 1, NULL), -EUCLEAN);
		ck_assert_uint_eq(slots[2 * i], 0);	/* nothing written */
	}
	slots[2 * i + 1] = 0;
	assert_sound(m);
	satomic_map_detach(m);
	munmap(mem, size);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("map");

	skip_unless_map_available();
	tcase_add_test(tc, test_extreme_keys_and_values);
	tcase_add_test(tc, test_operations);
	tcase_add_test(tc, test_pointer_contracts);
	tcase_add_test(tc, test_batch_contracts);
	tcase_add_test(tc, test_null_handles);
	tcase_add_test(tc, test_publish_through_the_map);
	tcase_add_test(tc, test_one_total_order);
	tcase_add_test(tc, test_full_table);
	tcase_add_loop_test(tc, test_max_capacity_is_exact, 0, 6);
	tcase_add_test(tc, test_churn_at_max_capacity);
	tcase_add_test(tc, test_default_max_capacity);
	tcase_add_test(tc, test_iterator_and_clear);
	tcase_add_test(tc, test_iterator_across_fork);
	tcase_add_test(tc, test_iterator_claim_rewritten);
	tcase_add_test(tc, test_iterators_pin_areas);
	tcase_add_test(tc, test_registry_full);
	tcase_add_test(tc, test_zombies_free_registry);
	tcase_add_test(tc, test_exact_max_starts_largest);
	tcase_add_test(tc, test_killed_iterators_unpin);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_churn_is_bounded);
	tcase_add_test(tc, test_batches);
	tcase_add_test(tc, test_batches_past_tombstones);
	tcase_add_test(tc, test_named);
	tcase_add_test(tc, test_named_fifo);
	tcase_add_test(tc, test_named_foreign_owner);
	tcase_add_test(tc, test_named_truncated);
	tcase_add_test(tc, test_named_out_of_fds);
	tcase_add_test(tc, test_named_too_large);
	tcase_add_test(tc, test_unlink_only_maps);
	tcase_add_test(tc, test_in_place);
	tcase_add_test(tc, test_prefault);
	tcase_add_test(tc, test_wrapping_chain);
	tcase_add_test(tc, test_colliding_keys);
	tcase_add_test(tc, test_closed_handles_leave_nothing);
	tcase_add_test(tc, test_attach_sizes);
	tcase_add_test(tc, test_hostile_memory);
	tcase_add_test(tc, test_check_finds_damage);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
