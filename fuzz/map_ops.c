/*
 * Random operation sequences on a small map, each answer compared with a
 * sequential reference map (the linearizability checker's, lc_step in
 * tests/lincheck.c).  The input picks the map's capacity and maximum, then
 * operations on 64 keys (the extremes among them), batches, clear and
 * iteration; the count, the iteration and the integrity scan must agree with
 * the reference; -ENOSPC is allowed only once the maximum is reached.
 */
#include "sharedatomic.h"
#include "fuzz.h"
#include "../tests/lincheck.h"

#include <errno.h>
#include <limits.h>

#define KEYS 64

static int64_t key_of(unsigned i)
{
	static const int64_t special[] = { 0, -1, 1, INT64_MIN, INT64_MAX, 42 };

	return i < 6 ? special[i] : (int64_t)((uint64_t)i * 0x9e3779b97f4a7c15ull);
}

static int64_t value_from(struct input *in)
{
	switch (take(in, 1) % 4) {
	case 0: return (int64_t)take(in, 1) - 128;
	case 1: return (int64_t)take(in, 8);
	case 2: return take(in, 1) & 1 ? INT64_MIN : INT64_MAX;
	default: return 0;
	}
}

static struct lc_value ref[KEYS];
static int64_t ref_count;

/* Run one map operation r on key k through the map; compare with ref. */
static void one_op(struct satomic_map *m, struct lc_rec *r, uint64_t max)
{
	const int64_t k = key_of(r->key);
	struct lc_value *v = &ref[r->key];
	const bool was = v->present;
	int64_t out = 0;

	switch (r->op) {
	case LC_GET:	r->res = satomic_map_get(m, k, &out); break;
	case LC_CONTAINS: r->res = satomic_map_contains(m, k); break;
	case LC_INSERT:	r->res = satomic_map_insert(m, k, r->a); break;
	case LC_PUT:	r->res = satomic_map_put(m, k, r->a, &out); break;
	case LC_REPLACE: r->res = satomic_map_replace(m, k, r->a, &out); break;
	case LC_CAS:	out = r->a; r->res = satomic_map_cas(m, k, &out, r->b); break;
	case LC_REMOVE:	r->res = satomic_map_remove(m, k, &out); break;
	case LC_REMOVE_IF: r->res = satomic_map_remove_if(m, k, r->a); break;
	case LC_EXCHANGE: r->res = satomic_map_exchange(m, k, r->a, &out); break;
	case LC_FETCH_ADD: r->res = satomic_map_fetch_add(m, k, r->a, &out); break;
	default:	r->res = satomic_map_fetch_xor(m, k, r->a, &out); break;
	}
	r->out = out;
	if (r->res == -ENOSPC) {
		struct lc_value after = *v;

		lc_step(r, false, &after);
		REQUIRE(!was && after.present && (uint64_t)ref_count >= max,
			"-ENOSPC with %lld of at most %llu keys", (long long)ref_count,
			(unsigned long long)max);
		return;
	}
	REQUIRE(lc_step(r, true, v), "op %d on key %lld answered %d, %lld",
		r->op, (long long)k, r->res, (long long)r->out);
	ref_count += (int64_t)v->present - (int64_t)was;
}

static void batch(struct satomic_map *m, struct input *in, bool put, uint64_t max)
{
	int64_t keys[8], values[8];
	bool found[8];
	size_t n = take(in, 1) % 9, i, done = 0;
	int64_t got = 0;
	int err = 0;

	for (i = 0; i < n; i++) {
		unsigned k = (unsigned)(take(in, 1) % KEYS);

		keys[i] = key_of(k);
		values[i] = value_from(in);
	}
	if (put) {
		err = satomic_map_put_many(m, keys, values, n, &done);
		REQUIRE(err == 0 || err == -ENOSPC, "put_many: %d", err);
		REQUIRE(done <= n && (err != 0 || done == n), "put_many done %zu of %zu", done, n);
	} else {
		got = satomic_map_get_many(m, keys, n, values, found);
		REQUIRE(got >= 0, "get_many: %lld", (long long)got);
	}
	for (i = 0; i < n; i++) {
		unsigned k;

		for (k = 0; key_of(k) != keys[i]; k++)
			;
		if (put) {
			if (i < done) {
				ref_count += !ref[k].present;
				ref[k] = (struct lc_value){ true, values[i] };
			}
		} else {
			REQUIRE(found[i] == ref[k].present &&
				(!found[i] || values[i] == ref[k].value),
				"get_many of key %lld", (long long)keys[i]);
			got -= found[i];
		}
	}
	REQUIRE(got == 0, "get_many counted wrong");
	if (err == -ENOSPC) {
		unsigned k;

		for (k = 0; key_of(k) != keys[done]; k++)
			;
		REQUIRE(!ref[k].present && (uint64_t)ref_count >= max,
			"put_many: -ENOSPC with %lld of at most %llu keys",
			(long long)ref_count, (unsigned long long)max);
	}
}

static void compare_all(struct satomic_map *m)
{
	struct satomic_map_iter *it;
	bool seen[KEYS] = { false };
	int64_t k, v, n = 0;
	unsigned i;
	int err;
	char report[256];

	REQUIRE(satomic_map_count(m) == ref_count, "count %lld, reference %lld",
		(long long)satomic_map_count(m), (long long)ref_count);
	REQUIRE(satomic_map_iter_begin(m, &it) == 0, "iter_begin");
	while ((err = satomic_map_iter_next(it, &k, &v)) == 1) {
		for (i = 0; i < KEYS && key_of(i) != k; i++)
			;
		REQUIRE(i < KEYS && ref[i].present && ref[i].value == v && !seen[i],
			"iteration returned %lld = %lld", (long long)k, (long long)v);
		seen[i] = true;
		n++;
	}
	satomic_map_iter_end(it);
	REQUIRE(err == 0 && n == ref_count, "iteration: %d, %lld keys", err, (long long)n);
	REQUIRE(satomic_map_check(m, report, sizeof(report)) == 0, "check: %s", report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint64_t capacity = 1 + take(&in, 1) % 200;
	uint64_t max = take(&in, 1) & 1 ? capacity : 0;
	struct satomic_map *m;
	int err = satomic_map_create_anon(capacity, max, 0, &m);

	REQUIRE(err == 0, "create_anon(%llu, %llu): %d", (unsigned long long)capacity,
		(unsigned long long)max, err);
	if (max == 0)
		max = UINT64_MAX;	/* grows as far as it needs here */
	memset(ref, 0, sizeof(ref));
	ref_count = 0;
	while (in.left > 0) {
		struct lc_rec r;
		unsigned what = (unsigned)take(&in, 1);

		memset(&r, 0, sizeof(r));
		if (what % 16 == 12) {
			batch(m, &in, what & 16, max);
			continue;
		}
		if (what % 16 == 13) {
			REQUIRE(satomic_map_clear(m) == 0, "clear");
			memset(ref, 0, sizeof(ref));
			ref_count = 0;
			continue;
		}
		if (what % 16 == 14) {
			compare_all(m);
			continue;
		}
		r.op = (uint8_t)(what % 16 % LC_MAP_OPS);
		if (r.op == LC_PUT_BLIND)
			r.op = LC_PUT;
		r.key = (uint32_t)(take(&in, 1) % KEYS);
		r.a = value_from(&in);
		r.b = value_from(&in);
		/* Mostly the value that is there, so that cas and remove_if
		 * succeed now and then. */
		if ((r.op == LC_CAS || r.op == LC_REMOVE_IF) && (what & 32))
			r.a = ref[r.key].value;
		one_op(m, &r, max);
	}
	compare_all(m);
	satomic_map_close(m);
	return 0;
}
