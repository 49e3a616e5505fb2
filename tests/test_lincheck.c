/*
 * The linearizability checker can fail: hand-made histories, linearizable
 * and not, each with the verdict it must get.  (tests/test_torture.c trusts
 * its silence.)
 */
#include "testutil.h"
#include "lincheck.h"

/* A history of at most 16 records of one key (or one chain). */
struct history {
	struct lc_rec r[16];
	struct lc_rec *p[16];
	size_t n;
};

/* Append: worker w ran op(a, b) from stamp call to ret, answering res/out;
 * ret 0 for a pending operation (of a killed process), returned at 1000. */
static void add(struct history *h, unsigned w, uint64_t call, uint64_t ret,
		enum lc_op op, int64_t a, int64_t b, int res, int64_t out)
{
	struct lc_rec *r = &h->r[h->n];

	memset(r, 0, sizeof(*r));
	r->worker = (uint8_t)w;
	r->call = call;
	r->ret = ret ? ret : 1000;
	r->state = ret ? LC_DONE : LC_PENDING;
	r->op = (uint8_t)op;
	r->a = a;
	r->b = b;
	r->res = res;
	r->out = out;
	h->p[h->n] = r;
	h->n++;
}

static int check(struct history *h)
{
	static const struct lc_value absent = { false, 0 };
	char why[256];
	int err = lc_check_key(h->p, h->n, absent, NULL, why, sizeof(why));

	if (err)
		printf("  (rejected: %s)\n", why);
	return err;
}

START_TEST(test_sequential)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 2, LC_PUT, 5, 0, 0, 0);
	add(&h, 1, 3, 4, LC_GET, 0, 0, 0, 5);
	add(&h, 0, 5, 6, LC_FETCH_ADD, 3, 0, 0, 5);
	add(&h, 1, 7, 8, LC_CAS, 8, -1, 1, 0);
	add(&h, 0, 9, 10, LC_REMOVE, 0, 0, 0, -1);
	add(&h, 1, 11, 12, LC_GET, 0, 0, -ENOENT, 0);
	add(&h, 1, 13, 14, LC_EXCHANGE, 4, 0, 0, 0);
	add(&h, 0, 15, 16, LC_INSERT, 9, 0, -EEXIST, 0);
	ck_assert_int_eq(check(&h), 0);
}
END_TEST

START_TEST(test_stale_read)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 2, LC_PUT, 1, 0, 0, 0);
	add(&h, 0, 3, 4, LC_PUT, 2, 0, 1, 1);
	add(&h, 1, 5, 6, LC_GET, 0, 0, 0, 1);	/* after put(2) returned */
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_concurrent_read)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 2, LC_PUT, 1, 0, 0, 0);
	add(&h, 0, 3, 6, LC_PUT, 2, 0, 1, 1);
	add(&h, 1, 4, 5, LC_GET, 0, 0, 0, 1);	/* overlaps put(2): old is fine */
	add(&h, 2, 4, 7, LC_GET, 0, 0, 0, 2);
	ck_assert_int_eq(check(&h), 0);
}
END_TEST

START_TEST(test_read_then_older_read)
{
	struct history h = { .n = 0 };

	/* Both reads overlap the put, but the second starts after the first
	 * saw the new value: it may not see the old one. */
	add(&h, 0, 1, 2, LC_PUT, 1, 0, 0, 0);
	add(&h, 0, 3, 10, LC_PUT, 2, 0, 1, 1);
	add(&h, 1, 4, 5, LC_GET, 0, 0, 0, 2);
	add(&h, 2, 6, 7, LC_GET, 0, 0, 0, 1);
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_lost_insert)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 2, LC_INSERT, 7, 0, 0, 0);
	add(&h, 1, 3, 4, LC_CONTAINS, 0, 0, 0, 0);
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_two_inserts_win)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 4, LC_INSERT, 7, 0, 0, 0);
	add(&h, 1, 2, 3, LC_INSERT, 8, 0, 0, 0);	/* concurrent, both "won" */
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_fetch_add_twice_from_zero)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 4, LC_FETCH_ADD, 1, 0, 0, 0);
	add(&h, 1, 2, 3, LC_FETCH_ADD, 1, 0, 0, 0);
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_pending_happened)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 0, LC_PUT, 7, 0, 0, 0);	/* killed: pending */
	add(&h, 1, 2, 3, LC_GET, 0, 0, 0, 7);
	add(&h, 1, 4, 5, LC_GET, 0, 0, 0, 7);
	ck_assert_int_eq(check(&h), 0);
}
END_TEST

START_TEST(test_pending_did_not_happen)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 0, LC_PUT, 7, 0, 0, 0);
	add(&h, 1, 2, 3, LC_GET, 0, 0, -ENOENT, 0);
	add(&h, 1, 1001, 1002, LC_GET, 0, 0, -ENOENT, 0);
	ck_assert_int_eq(check(&h), 0);
}
END_TEST

START_TEST(test_pending_undone)
{
	struct history h = { .n = 0 };

	/* Seen, then gone with no remove: a pending write cannot be undone. */
	add(&h, 0, 1, 0, LC_PUT, 7, 0, 0, 0);
	add(&h, 1, 2, 3, LC_GET, 0, 0, 0, 7);
	add(&h, 1, 4, 5, LC_GET, 0, 0, -ENOENT, 0);
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_pending_after_death)
{
	struct history h = { .n = 0 };

	/* Absent after the killed process was reaped, then present: too late. */
	add(&h, 0, 1, 0, LC_PUT, 7, 0, 0, 0);
	add(&h, 1, 1001, 1002, LC_GET, 0, 0, -ENOENT, 0);
	add(&h, 1, 1003, 1004, LC_GET, 0, 0, 0, 7);
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_torn_value)
{
	struct history h = { .n = 0 };

	add(&h, 0, 1, 2, LC_PUT, 0x0000000100000002ll, 0, 0, 0);
	add(&h, 1, 3, 6, LC_PUT, 0x0000000300000004ll, 0, 1, 0x0000000100000002ll);
	add(&h, 2, 4, 5, LC_GET, 0, 0, 0, 0x0000000100000004ll);
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

START_TEST(test_malformed)
{
	struct history h = { .n = 0 };

	add(&h, 0, 5, 2, LC_GET, 0, 0, -ENOENT, 0);	/* returns before its call */
	ck_assert_int_eq(check(&h), -1);
}
END_TEST

/* A CAS on a chain from a to b (new value b unique). */
static void chain_cas(struct history *h, unsigned w, int64_t a, int64_t b, int res,
		 bool pending)
{
	add(h, w, 1, pending ? 0 : 2, LC_CHAIN, a, b, res, 0);
	h->r[h->n - 1].key = 0;
}

static int check_chain(struct history *h, uint64_t final)
{
	char why[256];
	int err = lc_check_chain(h->p, h->n, 0, 0, final, 0, why, sizeof(why));

	if (err)
		printf("  (rejected: %s)\n", why);
	return err;
}

START_TEST(test_chain)
{
	struct history h = { .n = 0 };

	chain_cas(&h, 0, 0, 10, 1, false);
	chain_cas(&h, 1, 0, 20, 0, false);	/* lost the race */
	chain_cas(&h, 1, 10, 21, 1, false);
	chain_cas(&h, 0, 21, 11, 0, true);	/* pending: happened (11 was seen) */
	chain_cas(&h, 2, 11, 30, 1, false);
	chain_cas(&h, 2, 30, 31, 0, true);	/* pending: did not happen */
	ck_assert_int_eq(check_chain(&h, 30), 0);
}
END_TEST

/* Two threads of one killed process, both pending from the same value: the
 * second one's new value was seen, so it is the one that happened. */
START_TEST(test_chain_two_pending)
{
	struct history h = { .n = 0 };

	chain_cas(&h, 0, 0, 10, 1, false);
	chain_cas(&h, 0, 10, 20, 0, true);	/* did not happen */
	chain_cas(&h, 1, 10, 30, 0, true);	/* happened: 30 was seen */
	chain_cas(&h, 2, 30, 40, 1, false);
	ck_assert_int_eq(check_chain(&h, 40), 0);
	chain_cas(&h, 3, 20, 50, 1, false);	/* but 20 was seen too */
	ck_assert_int_eq(check_chain(&h, 40), -1);
}
END_TEST

START_TEST(test_chain_two_winners)
{
	struct history h = { .n = 0 };

	chain_cas(&h, 0, 0, 10, 1, false);
	chain_cas(&h, 1, 0, 20, 1, false);
	chain_cas(&h, 1, 10, 21, 1, false);
	ck_assert_int_eq(check_chain(&h, 21), -1);
}
END_TEST

START_TEST(test_chain_broken)
{
	struct history h = { .n = 0 };

	chain_cas(&h, 0, 0, 10, 1, false);
	chain_cas(&h, 1, 12, 20, 1, false);	/* from a value nobody wrote */
	ck_assert_int_eq(check_chain(&h, 20), -1);
}
END_TEST

START_TEST(test_chain_wrong_end)
{
	struct history h = { .n = 0 };

	chain_cas(&h, 0, 0, 10, 1, false);
	chain_cas(&h, 1, 10, 20, 1, false);
	ck_assert_int_eq(check_chain(&h, 10), -1);	/* the last CAS lost */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lincheck");
	TCase *tc = tcase_create("lincheck");

	tcase_add_test(tc, test_sequential);
	tcase_add_test(tc, test_stale_read);
	tcase_add_test(tc, test_concurrent_read);
	tcase_add_test(tc, test_read_then_older_read);
	tcase_add_test(tc, test_lost_insert);
	tcase_add_test(tc, test_two_inserts_win);
	tcase_add_test(tc, test_fetch_add_twice_from_zero);
	tcase_add_test(tc, test_pending_happened);
	tcase_add_test(tc, test_pending_did_not_happen);
	tcase_add_test(tc, test_pending_undone);
	tcase_add_test(tc, test_pending_after_death);
	tcase_add_test(tc, test_torn_value);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_chain_two_pending);
	tcase_add_test(tc, test_chain_two_winners);
	tcase_add_test(tc, test_chain_broken);
	tcase_add_test(tc, test_chain_wrong_end);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
