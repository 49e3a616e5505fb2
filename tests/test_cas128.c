/*
 * Unit tests of the 128-bit operations.
 *
 * With a 128-bit CAS: semantics, bad arguments, and contention from threads
 * and from forked processes on MAP_SHARED memory, where every value written
 * keeps hi == 3 * lo so a torn read or a lost update shows.
 * Without one (or with --expect-unsupported, which tests/no-cas128.sh runs on
 * an emulated CPU lacking cmpxchg16b): every function returns -ENOTSUP and
 * leaves memory alone.
 */
#include "sharedatomic.h"
#include "testutil.h"

#include <pthread.h>

static struct satomic_u128 u128(uint64_t lo, uint64_t hi)
{
	struct satomic_u128 v = { lo, hi };
	return v;
}

#define ck_assert_u128_eq(v, L, H) do { \
	ck_assert_uint_eq((v).lo, (L)); ck_assert_uint_eq((v).hi, (H)); } while (0)

START_TEST(test_unsupported)
{
	struct satomic_u128 obj = u128(5, 6), e = u128(5, 6), out = u128(1, 1);

	ck_assert(!satomic_cas128_supported());
	ck_assert_int_eq(satomic_is_lock_free(16), 0);
	ck_assert_int_eq(satomic_cas_u128(&obj, &e, u128(7, 8)), -ENOTSUP);
	ck_assert_int_eq(satomic_cas_u128_explicit(&obj, &e, u128(7, 8), 5, 5), -ENOTSUP);
	ck_assert_int_eq(satomic_load_u128(&obj, &out), -ENOTSUP);
	ck_assert_int_eq(satomic_load_u128_explicit(&obj, &out, 2), -ENOTSUP);
	ck_assert_int_eq(satomic_store_u128(&obj, u128(9, 9)), -ENOTSUP);
	ck_assert_int_eq(satomic_store_u128_explicit(&obj, u128(9, 9), 3), -ENOTSUP);
	ck_assert_int_eq(satomic_exchange_u128(&obj, u128(9, 9), &out), -ENOTSUP);
	ck_assert_int_eq(satomic_exchange_u128_explicit(&obj, u128(9, 9), &out, 4), -ENOTSUP);
	ck_assert_u128_eq(obj, 5, 6);	/* untouched */
	ck_assert_u128_eq(e, 5, 6);
	ck_assert_u128_eq(out, 1, 1);
}
END_TEST

START_TEST(test_semantics)
{
	struct satomic_u128 obj = u128(0, 0), e, out;
	int o;

	ck_assert(satomic_cas128_supported());
	ck_assert_int_eq(satomic_is_lock_free(16), 1);
	ck_assert_int_eq(satomic_store_u128(&obj, u128(UINT64_MAX, 1)), 0);
	ck_assert_u128_eq(obj, UINT64_MAX, 1);
	ck_assert_int_eq(satomic_load_u128(&obj, &out), 0);
	ck_assert_u128_eq(out, UINT64_MAX, 1);
	ck_assert_int_eq(satomic_exchange_u128(&obj, u128(2, UINT64_MAX), &out), 0);
	ck_assert_u128_eq(out, UINT64_MAX, 1);
	ck_assert_u128_eq(obj, 2, UINT64_MAX);

	/* Success, then failure on each half alone: the value seen comes back. */
	e = u128(2, UINT64_MAX);
	ck_assert_int_eq(satomic_cas_u128(&obj, &e, u128(3, 4)), 1);
	ck_assert_u128_eq(obj, 3, 4);
	e = u128(3, 5);
	ck_assert_int_eq(satomic_cas_u128(&obj, &e, u128(0, 0)), 0);
	ck_assert_u128_eq(e, 3, 4);
	ck_assert_u128_eq(obj, 3, 4);
	e = u128(4, 4);
	ck_assert_int_eq(satomic_cas_u128(&obj, &e, u128(0, 0)), 0);
	ck_assert_u128_eq(e, 3, 4);

	/* A load of zero, and an exchange with no place for the old value. */
	ck_assert_int_eq(satomic_exchange_u128(&obj, u128(0, 0), NULL), 0);
	ck_assert_int_eq(satomic_load_u128(&obj, &out), 0);
	ck_assert_u128_eq(out, 0, 0);

	for (o = SATOMIC_RELAXED; o <= SATOMIC_SEQ_CST + 1; o++) {
		ck_assert_int_eq(satomic_store_u128_explicit(&obj, u128(o, o + 1), o), 0);
		ck_assert_int_eq(satomic_load_u128_explicit(&obj, &out, o), 0);
		ck_assert_u128_eq(out, (uint64_t)o, (uint64_t)o + 1);
		ck_assert_int_eq(satomic_exchange_u128_explicit(&obj, u128(7, 7), &out, o), 0);
		ck_assert_u128_eq(out, (uint64_t)o, (uint64_t)o + 1);
		e = u128(7, 7);
		ck_assert_int_eq(satomic_cas_u128_explicit(&obj, &e, u128(8, 8), o, o), 1);
		ck_assert_int_eq(satomic_cas_u128_explicit(&obj, &e, u128(9, 9), o, o), 0);
		ck_assert_u128_eq(e, 8, 8);
	}
}
END_TEST

START_TEST(test_bad_arguments)
{
	_Alignas(16) unsigned char buf[48];
	struct satomic_u128 *odd = (struct satomic_u128 *)(buf + 8);
	struct satomic_u128 e = u128(0, 0), out;

	memset(buf, 0xab, sizeof(buf));
	ck_assert_int_eq(satomic_cas_u128(odd, &e, u128(1, 1)), -EINVAL);
	ck_assert_int_eq(satomic_load_u128(odd, &out), -EINVAL);
	ck_assert_int_eq(satomic_store_u128(odd, e), -EINVAL);
	ck_assert_int_eq(satomic_exchange_u128(odd, e, &out), -EINVAL);
	ck_assert_int_eq(satomic_cas_u128(NULL, &e, e), -EINVAL);
	ck_assert_int_eq(satomic_cas_u128((struct satomic_u128 *)buf, NULL, e), -EINVAL);
	ck_assert_int_eq(satomic_load_u128((struct satomic_u128 *)buf, NULL), -EINVAL);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0xab);
}
END_TEST

/* Contention: each round adds (1, 3) with a CAS loop; hi == 3 * lo always. */
#define WORKERS 4
#define ROUNDS 50000

static int increment(int w, void *arg)
{
	struct satomic_u128 *c = arg, seen, e;
	int k;

	(void)w;
	for (k = 0; k < ROUNDS; k++) {
		if (satomic_load_u128(c, &seen) != 0 || seen.hi != 3 * seen.lo)
			return 1;	/* torn */
		e = seen;
		while (satomic_cas_u128(c, &e, u128(e.lo + 1, e.hi + 3)) != 1)
			if (e.hi != 3 * e.lo)
				return 2;
	}
	return 0;
}

static void *thread_main(void *arg)
{
	return (void *)(intptr_t)increment(0, arg);
}

START_TEST(test_contention_threads)
{
	struct satomic_u128 c = u128(0, 0);
	pthread_t t[WORKERS];
	void *rc;
	int w;

	for (w = 0; w < WORKERS; w++)
		ck_assert_int_eq(pthread_create(&t[w], NULL, thread_main, &c), 0);
	for (w = 0; w < WORKERS; w++) {
		ck_assert_int_eq(pthread_join(t[w], &rc), 0);
		ck_assert_ptr_null(rc);
	}
	ck_assert_u128_eq(c, (uint64_t)WORKERS * ROUNDS, 3ull * WORKERS * ROUNDS);
}
END_TEST

START_TEST(test_contention_processes)
{
	struct satomic_u128 *c = shared_pages(4096);

	run_children(WORKERS, increment, c);
	ck_assert_u128_eq(*c, (uint64_t)WORKERS * ROUNDS, 3ull * WORKERS * ROUNDS);
	munmap(c, 4096);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("cas128");
	TCase *tc = tcase_create("cas128");
	bool expect_unsupported = argc > 1 &&
		strcmp(argv[1], "--expect-unsupported") == 0;

	suite_add_tcase(s, tc);
	if (expect_unsupported || !satomic_cas128_supported()) {
		tcase_add_test(tc, test_unsupported);
		if (run_suite(s) != EXIT_SUCCESS)
			return EXIT_FAILURE;
		if (expect_unsupported)
			return EXIT_SUCCESS;
		printf("SKIP: this CPU has no 128-bit CAS; checked only that the "
		       "u128 functions fail with -ENOTSUP\n");
		return 77;
	}
	tcase_add_test(tc, test_semantics);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_contention_threads);
	tcase_add_test(tc, test_contention_processes);
	tcase_set_timeout(tc, 300);
	return run_suite(s);
}
