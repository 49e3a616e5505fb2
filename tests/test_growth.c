/*
 * Growth and reclamation at scale:
 *  - a map created for 1,000 keys grows to 16M keys under four writer
 *    processes (SATOMIC_TEST_PROCS), and holds exactly what they wrote
 *    (2M keys in `make check`, 16M with SATOMIC_TORTURE=ci or long: the
 *    long tiers);
 *  - two processes churn a fixed-size map through 100 times its capacity
 *    with a bounded live set: never -ENOSPC, and the memory the file system
 *    holds for it stays within the map's fixed reservation however long it
 *    runs (retired areas are given back when reused).
 */
#include "sharedatomic.h"
#include "testutil.h"

#include <sys/stat.h>

static int writers = 4;	/* SATOMIC_TEST_PROCS */
/* 16M keys in the long tiers; 2M in `make check` (still 11 doublings), and
 * always under ThreadSanitizer, whose shadow of four processes' views of a
 * 16M-key map does not fit in memory. */
#define QUICK_TOTAL (2ll << 20)
#if defined(__SANITIZE_THREAD__)
#define LONG_TOTAL QUICK_TOTAL
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LONG_TOTAL QUICK_TOTAL
#endif
#endif
#ifndef LONG_TOTAL
#define LONG_TOTAL (16ll << 20)
#endif
static int64_t TOTAL = QUICK_TOTAL;	/* SATOMIC_TORTURE=ci or long: LONG_TOTAL */

static int64_t key_of(int64_t i) { return i * 0x9e3779b97f4a7c15ll + 1; }
static int64_t value_of(int64_t i) { return ~i; }

static int grow_writer(int w, void *arg)
{
	struct satomic_map *m = arg;
	int64_t i;

	int err;

	for (i = w; i < TOTAL; i += writers)
		if ((err = satomic_map_insert(m, key_of(i), value_of(i))) != 0) {
			printf("writer %d: insert of key %lld: %s\n", w, (long long)i,
			       satomic_strerror(err));
			fflush(stdout);
			return 1;
		}
	return 0;
}

START_TEST(test_grow_from_1000)
{
	enum { CHUNK = 4096 };
	struct satomic_map_stats st;
	struct satomic_map *m;
	int64_t keys[CHUNK], values[CHUNK], i, j;
	bool found[CHUNK];
	char report[256];

	ck_assert_int_eq(satomic_map_create_anon(1000, TOTAL * 2, 0, &m), 0);
	run_children(writers, grow_writer, m);
	ck_assert_int_eq(satomic_map_count(m), TOTAL);
	for (i = 0; i < TOTAL; i += CHUNK) {
		for (j = 0; j < CHUNK; j++)
			keys[j] = key_of(i + j);
		ck_assert_int_eq(satomic_map_get_many(m, keys, CHUNK, values, found), CHUNK);
		for (j = 0; j < CHUNK; j++)
			ck_assert_msg(values[j] == value_of(i + j), "key %lld: %lld",
				      (long long)(i + j), (long long)values[j]);
	}
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_int_eq(satomic_map_check(m, report, sizeof(report)), 0);
	printf("grew from 1,000 to %lld keys: %llu migrations, %llu slots, load "
	       "%.2f, mean probe %.2f\n", (long long)TOTAL,
	       (unsigned long long)st.migrations, (unsigned long long)st.slots,
	       st.load, st.mean_probe);
	ck_assert_uint_ge(st.migrations, 10);
	satomic_map_close(m);
}
END_TEST

#define CAPACITY 20000
#define LIVE 10000
#define CHURN_OPS (100ll * CAPACITY)	/* per process */

struct churn {
	char name[64];
	uint64_t max_allocated;		/* bytes, the largest seen */
};

static uint64_t allocated(const char *name)
{
	struct satomic_region_info info;

	ck_assert_int_eq(satomic_region_info(name, &info), 0);
	return info.allocated;
}

static int churner(int w, void *arg)
{
	struct churn *c = arg;
	struct satomic_map *m;
	int64_t i, base = (int64_t)w << 48;
	uint64_t a;

	if (satomic_map_open(c->name, 0, &m) != 0)
		return 1;
	for (i = 0; i < CHURN_OPS; i++) {
		if (satomic_map_insert(m, base + i, i) != 0)
			return 2;	/* -ENOSPC would end up here */
		if (i >= LIVE / 2 && satomic_map_remove(m, base + i - LIVE / 2, NULL) != 0)
			return 3;
		if (i % 100000 == 0) {
			a = allocated(c->name);
			if (a > __atomic_load_n(&c->max_allocated, __ATOMIC_RELAXED))
				__atomic_store_n(&c->max_allocated, a, __ATOMIC_RELAXED);
		}
	}
	satomic_map_close(m);
	return 0;
}

START_TEST(test_churn_memory_is_bounded)
{
	struct churn *c = shared_pages(sizeof(*c));
	struct satomic_map_stats st;
	struct satomic_map *m;
	char report[256];
	size_t reserve;
	uint64_t first;

	snprintf(c->name, sizeof(c->name), "/satomic-test-churn-%ld", (long)getpid());
	satomic_map_unlink(c->name);
	ck_assert_int_eq(satomic_map_create(c->name, CAPACITY, CAPACITY, 0, 0, &m), 0);
	ck_assert_int_eq(satomic_map_footprint(CAPACITY, CAPACITY, &reserve), 0);
	first = allocated(c->name);
	run_children(2, churner, c);
	ck_assert_int_eq(satomic_map_count(m), LIVE);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_int_eq(satomic_map_check(m, report, sizeof(report)), 0);
	printf("churned %lld operations through a %d-key map: %llu migrations; "
	       "allocated %llu KiB at first, at most %llu KiB (reservation %zu KiB)\n",
	       2 * 2 * CHURN_OPS, CAPACITY, (unsigned long long)st.migrations,
	       (unsigned long long)first / 1024,
	       (unsigned long long)c->max_allocated / 1024, reserve / 1024);
	ck_assert_uint_gt(st.migrations, 100);
	/* Bounded by the fixed reservation, whatever the number of operations. */
	ck_assert_uint_le(c->max_allocated, reserve + 4096 * 2);
	ck_assert_uint_le(allocated(c->name), reserve + 4096 * 2);
	satomic_map_close(m);
	satomic_map_unlink(c->name);
	munmap(c, sizeof(*c));
}
END_TEST

/*
 * satomic_map_check while another process grows and reclaims the map, each
 * check through a fresh handle (as satomic map check runs it: its first
 * touches of the tables' pages stretch the scan): never -EUCLEAN on this
 * sound map (-EAGAIN, "kept changing", is allowed).  A lone scan called it
 * broken in about a third of such checks: a key read live in the source
 * just before a migration copied it, then found in the target.
 */
#define STABLE_KEYS 5000

static int migrating_writer(const char *name)
{
	struct satomic_map *m;
	int64_t base = 1000000, k;
	int round;

	if (satomic_map_open(name, 0, &m) != 0)
		return 1;
	for (round = 0; round < 6; round++, base += 50000) {
		for (k = 0; k < 50000; k++)
			if (satomic_map_put(m, base + k, k, NULL) < 0)
				return 2;
		for (k = 0; k < 50000; k++)
			if (satomic_map_remove(m, base + k, NULL) < 0)
				return 3;
	}
	satomic_map_close(m);
	return 0;
}

START_TEST(test_check_while_migrating)
{
	char name[64], report[256];
	struct satomic_map *m, *fresh;
	long checks = 0, busy = 0;
	int64_t k, v;
	pid_t pid;
	int status, r;

	snprintf(name, sizeof(name), "/satomic-test-check-%ld", (long)getpid());
	satomic_map_unlink(name);
	ck_assert_int_eq(satomic_map_create(name, 256, 200000, 0, 0, &m), 0);
	for (k = 0; k < STABLE_KEYS; k++)
		ck_assert_int_eq(satomic_map_put(m, k, 3 * k, NULL), 0);
	pid = test_fork();
	if (pid == 0)
		_exit(migrating_writer(name));
	while (waitpid(pid, &status, WNOHANG) == 0) {
		ck_assert_int_eq(satomic_map_open(name, 0, &fresh), 0);
		r = satomic_map_check(fresh, report, sizeof(report));
		ck_assert_msg(r == 0 || r == -EAGAIN, "check %ld: %d, %s", checks, r,
			      report);
		busy += r == -EAGAIN;
		checks++;
		satomic_map_close(fresh);
		for (k = 0; k < STABLE_KEYS; k += 97) {
			ck_assert_int_eq(satomic_map_get(m, k, &v), 0);
			ck_assert_int_eq(v, 3 * k);
		}
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "writer: status 0x%x", status);
	ck_assert_int_eq(satomic_map_check(m, report, sizeof(report)), 0);
	printf("%ld checks during migrations, none EUCLEAN, %ld EAGAIN\n", checks, busy);
	satomic_map_close(m);
	satomic_map_unlink(name);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("growth");
	TCase *tc = tcase_create("growth");

	skip_unless_map_available();
	writers = test_procs(writers, 1, 64);
	if (getenv("SATOMIC_TORTURE") != NULL &&
	    (strcmp(getenv("SATOMIC_TORTURE"), "ci") == 0 ||
	     strcmp(getenv("SATOMIC_TORTURE"), "long") == 0))
		TOTAL = LONG_TOTAL;
	tcase_add_test(tc, test_grow_from_1000);
	tcase_add_test(tc, test_churn_memory_is_bounded);
	tcase_add_test(tc, test_check_while_migrating);
	tcase_set_timeout(tc, 900);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
