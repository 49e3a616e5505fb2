/*
 * Deterministic crash points: a process is killed, or stopped, after each
 * atomic step of an operation, in turn.  Linked against the test-only build of the library
 * in which every atomic step of the map is followed by a crash point
 * (tests/libsharedatomic-crash.la, src/crash.c).
 *
 * For each scenario and each N = 1, 2, ...: a fresh map is set up, a forked
 * child arms the Nth crash point and runs the operation; if it was killed,
 * the parent checks that the map is sound, that every key set up before is
 * intact, that the interrupted operation happened or did not (nothing in
 * between), and that the map finishes the interrupted work (a migration a
 * dead process started is completed by the next user).  The loop ends when
 * the child completes without reaching point N.
 *
 * Stopped instead (SIGSTOP) at point N, the child must block nobody: the
 * parent inserts keys enough to finish any migration under way and to start
 * and finish another, and must never be told to try again; then the child
 * goes on and completes its operation as if nothing happened.
 */
#include "sharedatomic.h"
#include "testutil.h"

#include <signal.h>

void satomic_test_crash_after(long n, int sig);
long satomic_test_crash_points(void);
/* The test build's view of the library's choice of announce store: false
 * takes the SC store that processes without membarrier use. */
extern bool sat_membarrier_registered;
static bool sc_announce;	/* set it false in the parent and the child */

#define KEY_OF(i) ((int64_t)(i) * 0x9e3779b97f4a7c15ll - 3)
#define VALUE_OF(i) (-(int64_t)(i) - 1000)

struct scenario {
	const char *name;
	/* Build the map the operation runs on; returns how many keys
	 * KEY_OF(0 .. n-1) it holds with VALUE_OF values, or -1 when this
	 * map's random hash seed made it unfit (try another map). */
	int64_t (*setup)(struct satomic_map *m);
	uint64_t capacity, max_capacity;
	/* The child's operation; *acked counts what it completed. */
	int (*op)(struct satomic_map *m, int64_t n, uint64_t *acked);
	/* After a kill: what the operation touched is in an allowed state. */
	void (*check_op)(struct satomic_map *m, int64_t n, uint64_t acked);
	long min_points;	/* at least this many crash points */
};

static void assert_sound(struct satomic_map *m, const char *when)
{
	char report[256];
	int err = satomic_map_check(m, report, sizeof(report));

	ck_assert_msg(err == 0, "%s: %s", when, report);
}

static void assert_keys(struct satomic_map *m, int64_t n, int64_t skip)
{
	int64_t i, v;

	for (i = 0; i < n; i++) {
		if (i == skip)
			continue;
		ck_assert_msg(satomic_map_get(m, KEY_OF(i), &v) == 0 && v == VALUE_OF(i),
			      "key %lld lost or changed", (long long)i);
	}
}

static int64_t fill(struct satomic_map *m, int64_t n)
{
	int64_t i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(satomic_map_insert(m, KEY_OF(i), VALUE_OF(i)), 0);
	return n;
}

/* Fill to the table's capacity: a few more inserts migrate (how many
 * depends on when the striped counters are summed). */
static int64_t fill_to_threshold(struct satomic_map *m)
{
	return fill(m, satomic_map_capacity(m));
}

static int64_t setup_small(struct satomic_map *m) { return fill(m, 50); }

/* Full, not yet migrated: the child's inserts migrate.  With some seeds a
 * key lands N/4 slots from home before the threshold, and the setup itself
 * migrates: such a map is no use here. */
static int64_t setup_grow(struct satomic_map *m)
{
	struct satomic_map_stats st;
	int64_t n = fill_to_threshold(m);

	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	return st.migrations == 0 ? n : -1;
}

/* Insert and remove garbage keys (never KEY_OF(0 .. 2^40)): each pair leaves
 * a tombstone.  Stop once `migrations` migrations have happened and the
 * table is one key short of its capacity, so that the next inserts migrate. */
static void tombstones_until(struct satomic_map *m, uint64_t migrations)
{
	static int64_t garbage = 1ll << 40;
	struct satomic_map_stats st;

	for (;;) {
		ck_assert_int_eq(satomic_map_stats(m, &st), 0);
		if (st.migrations >= migrations && st.live + st.tombstones + 2 >= st.capacity)
			return;
		ck_assert_int_eq(satomic_map_insert(m, KEY_OF(garbage), 0), 0);
		ck_assert_int_eq(satomic_map_remove(m, KEY_OF(garbage), NULL), 0);
		garbage++;
	}
}

/* A fixed map full of tombstones: the next inserts migrate to a table of
 * the same size, dropping them. */
static int64_t setup_tombstones(struct satomic_map *m)
{
	int64_t n = fill(m, 40);

	tombstones_until(m, 0);
	return n;
}

/* Same-size migrations until all four areas have held a table: the next
 * migration must take back and zero a retired area. */
static int64_t setup_reuse(struct satomic_map *m)
{
	int64_t n = fill(m, 40);

	tombstones_until(m, 4);
	return n;
}

/* Insert keys n, n + 1, ..., acknowledging each: enough to make the map
 * migrate whatever the counters' slack. */
#define RUN 40

static int op_insert(struct satomic_map *m, int64_t n, uint64_t *acked)
{
	int64_t i;
	int err;

	for (i = n; i < n + RUN; i++) {
		err = satomic_map_insert(m, KEY_OF(i), VALUE_OF(i));
		if (err)
			return err;
		__atomic_store_n(acked, (uint64_t)(i - n + 1), __ATOMIC_SEQ_CST);
	}
	return 0;
}

/* Acknowledged keys are there; the one in flight may be; none after it. */
static void check_insert(struct satomic_map *m, int64_t n, uint64_t acked)
{
	int64_t i, v;
	int r;

	for (i = n; i < n + RUN; i++) {
		r = satomic_map_get(m, KEY_OF(i), &v);
		if (i < n + (int64_t)acked)
			ck_assert_msg(r == 0 && v == VALUE_OF(i),
				      "acknowledged insert of %lld lost", (long long)i);
		else if (i == n + (int64_t)acked)
			ck_assert_msg(r == -ENOENT || (r == 0 && v == VALUE_OF(i)),
				      "half an insert: r %d, value %lld", r, (long long)v);
		else
			ck_assert_msg(r == -ENOENT, "key %lld inserted by nobody",
				      (long long)i);
	}
}

/* Put keys n, n + 1, ... in one put_many (its fast path puts a batch's
 * keys inside one announcement), acknowledged once it returns. */
static int op_put_many(struct satomic_map *m, int64_t n, uint64_t *acked)
{
	int64_t keys[RUN], values[RUN];
	size_t done;
	int i, err;

	for (i = 0; i < RUN; i++) {
		keys[i] = KEY_OF(n + i);
		values[i] = VALUE_OF(n + i);
	}
	err = satomic_map_put_many(m, keys, values, RUN, &done);
	if (err == 0)
		__atomic_store_n(acked, (uint64_t)done, __ATOMIC_SEQ_CST);
	return err;
}

/* Keys are put in order: those there, with their values, are a prefix of
 * the run (the key in flight may be there or not, none after it); all of
 * them once acknowledged. */
static void check_put_many(struct satomic_map *m, int64_t n, uint64_t acked)
{
	bool gap = false;
	int64_t i, v;
	int r;

	for (i = n; i < n + RUN; i++) {
		r = satomic_map_get(m, KEY_OF(i), &v);
		ck_assert_msg(r == -ENOENT || (r == 0 && v == VALUE_OF(i)),
			      "put_many of %lld: r %d, value %lld", (long long)i, r,
			      (long long)v);
		if (r == 0)
			ck_assert_msg(!gap, "put_many out of order: %lld there after a "
				      "key that is not", (long long)i);
		else
			ck_assert_msg(acked == 0, "acknowledged put_many lost %lld",
				      (long long)i);
		gap |= r != 0;
	}
}

static int op_add(struct satomic_map *m, int64_t n, uint64_t *acked)
{
	(void)n; (void)acked;
	return satomic_map_fetch_add(m, KEY_OF(0), 5, NULL);
}

static void check_add(struct satomic_map *m, int64_t n, uint64_t acked)
{
	int64_t v;

	(void)n; (void)acked;
	ck_assert_int_eq(satomic_map_get(m, KEY_OF(0), &v), 0);
	ck_assert_msg(v == VALUE_OF(0) || v == VALUE_OF(0) + 5, "torn: %lld", (long long)v);
}

static int op_remove(struct satomic_map *m, int64_t n, uint64_t *acked)
{
	(void)n; (void)acked;
	return satomic_map_remove(m, KEY_OF(1), NULL);
}

static void check_remove(struct satomic_map *m, int64_t n, uint64_t acked)
{
	int64_t v;
	int r = satomic_map_get(m, KEY_OF(1), &v);

	(void)n; (void)acked;
	ck_assert(r == -ENOENT || (r == 0 && v == VALUE_OF(1)));
}

/*
 * Leave m migrating a table of two chunks or more (512 slots and up), as a
 * process killed in the middle of a migration does: a child inserts keys
 * -1000 - j (value j, j = 0, 1, ...), each insert armed to kill it at its
 * 20th atomic step.  Only an insert that starts a migration gets that far:
 * a new key waits for the migration to end, and copying 512 slots takes
 * hundreds of steps, so the key killed was never inserted.  A migration
 * killed in a smaller table is finished here (an iterator settles it) and
 * the children go on.  How many keys they inserted.
 */
static int64_t leave_migrating(struct satomic_map *m)
{
	int64_t *done = shared_pages(4096), own;
	struct satomic_map_stats st;
	struct satomic_map_iter *it;
	int status;
	pid_t pid;

	for (;;) {
		satomic_test_crash_after(0, SIGKILL);
		pid = test_fork();
		if (pid == 0) {
			for (;; (*done)++) {
				satomic_test_crash_after(20, SIGKILL);
				if (satomic_map_insert(m, -1000 - *done, *done) != 0)
					_exit(3);
			}
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "inserting child: 0x%x", status);
		ck_assert_int_eq(satomic_map_stats(m, &st), 0);
		if (st.migrating && st.slots >= 512)
			break;
		if (st.migrating) {
			ck_assert_int_eq(satomic_map_iter_begin(m, &it), 0);
			satomic_map_iter_end(it);
		}
		ck_assert_msg(*done < 1000000, "no migration of 512 slots or more");
	}
	own = *done;
	munmap(done, 4096);
	return own;
}

/* How many keys an iteration of m returns. */
static int64_t keys_iterated(struct satomic_map *m)
{
	struct satomic_map_iter *it;
	int64_t n = 0, k, v;
	int r;

	ck_assert_int_eq(satomic_map_iter_begin(m, &it), 0);
	while ((r = satomic_map_iter_next(it, &k, &v)) == 1)
		n++;
	ck_assert_int_eq(r, 0);
	satomic_map_iter_end(it);
	return n;
}

/* Left migrating a table of two chunks or more: the setup's keys, and the
 * children's (leave_migrating). */
static int64_t setup_migrating(struct satomic_map *m)
{
	int64_t n = fill(m, 40);

	(void)leave_migrating(m);
	return n;
}

/* Prefaulting changes nothing, whenever it is killed or stopped. */
static int op_prefault(struct satomic_map *m, int64_t n, uint64_t *acked)
{
	(void)n; (void)acked;
	return satomic_map_prefault(m);
}

static void check_prefault(struct satomic_map *m, int64_t n, uint64_t acked)
{
	(void)acked;
	ck_assert_int_eq(satomic_map_contains(m, KEY_OF(n)), 0);
}

#define GROWS 4	/* scenarios[GROWS]: an insert that grows the map */
#define PREFAULTS 8	/* scenarios[PREFAULTS ..]: prefault, the last ones */
static const struct scenario scenarios[] = {
	{ "insert", setup_small, 100, 100, op_insert, check_insert, 3 },
	{ "fetch_add", setup_small, 100, 100, op_add, check_add, 2 },
	{ "remove", setup_small, 100, 100, op_remove, check_remove, 2 },
	{ "put_many", setup_small, 100, 100, op_put_many, check_put_many, 3 },
	{ "insert that grows the map", setup_grow, 100, 100000, op_insert, check_insert, 300 },
	{ "put_many that grows the map", setup_grow, 100, 100000, op_put_many,
	  check_put_many, 300 },
	{ "insert that reuses an area", setup_reuse, 100, 100, op_insert, check_insert, 100 },
	{ "insert that drops tombstones", setup_tombstones, 100, 100, op_insert,
	  check_insert, 100 },
	{ "prefault", setup_small, 100, 100, op_prefault, check_prefault, 2 },
	{ "prefault during a migration", setup_migrating, 100, 100000, op_prefault,
	  check_prefault, 2 },
};

/* The key of the setup the operation changes, or -1. */
static int64_t touched(const struct scenario *s)
{
	return s->op == op_add ? 0 : s->op == op_remove ? 1 : -1;
}

/* While the child is stopped: churn (put a key, remove the one put
 * SURVIVORS before) until the map has completed a migration, or two if
 * one was under way.  Keys -1000 - i, the last SURVIVORS of them stay. */
#define SURVIVORS 8

static int64_t survivors_while_stopped(struct satomic_map *m)
{
	struct satomic_map_stats st0, st;
	int64_t i, v;

	ck_assert_int_eq(satomic_map_stats(m, &st0), 0);
	for (i = 0;; i++) {
		ck_assert_msg(satomic_map_put(m, -1000 - i, i, NULL) >= 0,
			      "put %lld while a process is stopped", (long long)i);
		if (i >= SURVIVORS)
			ck_assert_int_eq(satomic_map_remove(m, -1000 - i + SURVIVORS, &v), 0);
		ck_assert_int_eq(satomic_map_stats(m, &st), 0);
		if (st.migrations >= st0.migrations + 1 + (uint64_t)st0.migrating &&
		    i >= SURVIVORS)
			return i + 1;
		ck_assert_msg(i < 100000, "no migration completes while one is stopped");
	}
}

static void assert_survivors(struct satomic_map *m, int64_t n)
{
	int64_t i, v;

	for (i = 0; i < n; i++)
		if (i < n - SURVIVORS)
			ck_assert_int_eq(satomic_map_contains(m, -1000 - i), 0);
		else
			ck_assert(satomic_map_get(m, -1000 - i, &v) == 0 && v == i);
}

/* A fresh map set up for s, and a child running s's operation that gets
 * `sig` after its n-th atomic step. */
static pid_t start_at_point(const struct scenario *s, long n, int sig,
			    uint64_t *acked, struct satomic_map **m, int64_t *keys)
{
	pid_t pid;

	do {
		ck_assert_int_eq(satomic_map_create_anon(s->capacity, s->max_capacity,
							 0, m), 0);
		*keys = s->setup(*m);
		if (*keys < 0)
			satomic_map_close(*m);
	} while (*keys < 0);
	*acked = 0;
	satomic_test_crash_after(0, SIGKILL);
	pid = test_fork();
	if (pid == 0) {
		if (sc_announce)	/* (fork registered the child again) */
			sat_membarrier_registered = false;
		satomic_test_crash_after(n, sig);
		_exit(s->op(*m, *keys, acked) < 0 ? 2 : 0);
	}
	return pid;
}

static void run_scenario(const struct scenario *s, int sig)
{
	uint64_t *acked = shared_pages(4096);
	struct satomic_map_stats st;
	long n, points = 0;
	int status;

	for (n = 1;; n++) {
		struct satomic_map *m;
		int64_t keys;
		pid_t pid;

		pid = start_at_point(s, n, sig, acked, &m, &keys);
		ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
		if (WIFSTOPPED(status)) {
			int64_t put = survivors_while_stopped(m);

			kill(pid, SIGCONT);
			ck_assert_int_eq(waitpid(pid, &status, 0), pid);
			ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				      "%s: stopped at %ld, the child then failed: 0x%x",
				      s->name, n, status);
			points++;
			s->check_op(m, keys, *acked);
			ck_assert((s->op != op_insert && s->op != op_put_many) ||
				  *acked == RUN);
			assert_keys(m, keys, touched(s));
			assert_survivors(m, put);
			assert_sound(m, s->name);
			satomic_map_close(m);
			continue;
		}
		if (WIFEXITED(status)) {	/* completed before point n */
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			s->check_op(m, keys, *acked);
			assert_sound(m, s->name);
			ck_assert_int_eq(satomic_map_stats(m, &st), 0);
			printf("%s: completed after %ld %s, %llu migrations\n", s->name,
			       points, sig == SIGKILL ? "kills" : "stops",
			       (unsigned long long)st.migrations);
			satomic_map_close(m);
			break;
		}
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "%s: child status 0x%x", s->name, status);
		points++;
		/* Killed after step n: all as before but for the operation. */
		assert_sound(m, s->name);
		assert_keys(m, keys, touched(s));
		s->check_op(m, keys, *acked);
		/* The survivors finish whatever was under way, and go on. */
		ck_assert_int_ge(satomic_map_put(m, -1, 7, NULL), 0);
		ck_assert_int_ge(satomic_map_put(m, -2, 8, NULL), 0);
		ck_assert_int_ge(satomic_map_fetch_add(m, -1, 1, NULL), 0);
		assert_keys(m, keys, touched(s));
		s->check_op(m, keys, *acked);
		assert_sound(m, s->name);
		satomic_map_close(m);
	}
	munmap(acked, 4096);
	printf("%s: %s at each of %ld crash points\n", s->name,
	       sig == SIGKILL ? "killed" : "stopped", points);
	ck_assert_msg(points >= s->min_points, "%s: only %ld crash points (want >= %ld)",
		      s->name, points, s->min_points);
}

START_TEST(test_crash_points)
{
	run_scenario(&scenarios[_i], SIGKILL);
}
END_TEST

START_TEST(test_stop_points)
{
	run_scenario(&scenarios[_i], SIGSTOP);
}
END_TEST

/* The same, every process announcing with the SC store (no membarrier):
 * the other branch of update_fast's entry and of reg_announce. */
START_TEST(test_stop_points_sc_announce)
{
	sc_announce = true;
	sat_membarrier_registered = false;
	run_scenario(&scenarios[_i], SIGSTOP);
}
END_TEST

/*
 * A late copy must not bring a removed key back.  The child's insert grows
 * the map (a table of one chunk into one of two), and stops at step n:
 * perhaps just after freezing a key in the old table, before copying it.
 * Meanwhile the parent removes every key of the setup, so that the table
 * the child would copy into holds the key's tombstone, and then either
 * drives two more migrations, or leaves that table half migrated, as a
 * process killed in its migration would (leave_migrating).  The key's
 * tombstone may then be
 * frozen while the chain's end after it is not.  Then the child goes on:
 * its inserts must all be there, and no removed key.
 */
static int64_t two_migrations(struct satomic_map *m)
{
	struct satomic_map_stats st0, st;
	int64_t i;

	ck_assert_int_eq(satomic_map_stats(m, &st0), 0);
	for (i = 0;; i++) {
		ck_assert_int_eq(satomic_map_insert(m, -1000 - i, i), 0);
		ck_assert_int_eq(satomic_map_remove(m, -1000 - i, NULL), 0);
		ck_assert_int_eq(satomic_map_stats(m, &st), 0);
		if (st.migrations >= st0.migrations + 2 + (uint64_t)st0.migrating)
			return 0;	/* keys of its own left in the map */
		ck_assert_msg(i < 1000000, "no migration completes while one is stopped");
	}
}

/* Leave a migration of a table of two chunks or more running, as a
 * process killed in it does (leave_migrating).  The keys stay: removing
 * one would help the migration on. */
static int64_t half_a_migration(struct satomic_map *m)
{
	return leave_migrating(m);
}

static int64_t (*const while_stopped[])(struct satomic_map *m) = {
	two_migrations, half_a_migration,
};

START_TEST(test_no_resurrection_by_a_late_copy)
{
	uint64_t *acked = shared_pages(4096);
	long n, points = 0;

	for (n = 1;; n++) {
		struct satomic_map *m;
		int64_t keys, i, own, v;
		pid_t pid;
		int status;

		pid = start_at_point(&scenarios[GROWS], n, SIGSTOP, acked, &m, &keys);
		ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
		if (WIFEXITED(status)) {	/* completed before point n */
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			satomic_map_close(m);
			break;
		}
		ck_assert(WIFSTOPPED(status));
		for (i = 0; i < keys; i++)
			ck_assert_int_eq(satomic_map_remove(m, KEY_OF(i), NULL), 0);
		own = while_stopped[_i](m);
		kill(pid, SIGCONT);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "stopped at %ld, the child then failed: 0x%x", n, status);
		points++;
		check_insert(m, keys, *acked);
		ck_assert_int_eq(*acked, RUN);
		for (i = 0; i < keys; i++)
			ck_assert_msg(satomic_map_contains(m, KEY_OF(i)) == 0,
				      "stopped at %ld: removed key %lld is back", n,
				      (long long)i);
		for (i = 0; i < own; i++)
			ck_assert(satomic_map_get(m, -1000 - i, &v) == 0 && v == i);
		/* Exactly those keys (counted by iteration: the striped
		 * count may be a key off after leave_migrating's kill). */
		ck_assert_int_eq(keys_iterated(m), RUN + own);
		assert_sound(m, "late copy");
		satomic_map_close(m);
	}
	munmap(acked, 4096);
	printf("late copies (%s): stopped at each of %ld crash points, no key came back\n",
	       _i ? "half a migration" : "two migrations", points);
	ck_assert_int_ge(points, 300);
}
END_TEST

/*
 * Value-returning operations on a key that is removed while they are
 * stopped.  The child runs one operation on KEY_OF(1) and is stopped at its
 * n-th step (its reads of a slot too, where a key word is read before the
 * value beside it); meanwhile the parent removes the key and churns until
 * a migration completes (which turns the key's tombstone into a keyless
 * slot whose value is 0).  Whatever the child then reports must be one of
 * the two linearizations: before the removal (it saw VALUE_OF(1)) or after
 * it (the key absent); never a value that no operation wrote.
 */
enum vop {
	V_GET, V_CAS_MISS, V_CAS_HIT, V_REMOVE_IF_MISS, V_REMOVE_IF_HIT, V_PUT,
	V_REPLACE, V_EXCHANGE, V_FETCH_ADD, V_REMOVE, V_INSERT, V_OPS
};
static const char *const vop_name[V_OPS] = {
	"get", "cas (mismatch)", "cas (match)", "remove_if (mismatch)",
	"remove_if (match)", "put", "replace", "exchange", "fetch_add",
	"remove", "insert",
};
#define NEW_VALUE 777
#define MISS_VALUE 12345

struct vresult {
	int r;
	int64_t out;	/* *value, *old or *expected as the operation left it */
};

static void run_vop(struct satomic_map *m, enum vop op, struct vresult *res)
{
	int64_t k = KEY_OF(1), out = MISS_VALUE;
	int r = -1;

	switch (op) {
	case V_GET: r = satomic_map_get(m, k, &out); break;
	case V_CAS_MISS: r = satomic_map_cas(m, k, &out, NEW_VALUE); break;
	case V_CAS_HIT: out = VALUE_OF(1); r = satomic_map_cas(m, k, &out, NEW_VALUE); break;
	case V_REMOVE_IF_MISS: r = satomic_map_remove_if(m, k, MISS_VALUE); break;
	case V_REMOVE_IF_HIT: r = satomic_map_remove_if(m, k, VALUE_OF(1)); break;
	case V_PUT: r = satomic_map_put(m, k, NEW_VALUE, &out); break;
	case V_REPLACE: r = satomic_map_replace(m, k, NEW_VALUE, &out); break;
	case V_EXCHANGE: r = satomic_map_exchange(m, k, NEW_VALUE, &out); break;
	case V_FETCH_ADD: r = satomic_map_fetch_add(m, k, 5, &out); break;
	case V_REMOVE: r = satomic_map_remove(m, k, &out); break;
	case V_INSERT: r = satomic_map_insert(m, k, NEW_VALUE); break;
	case V_OPS: break;
	}
	res->out = out;
	__atomic_store_n(&res->r, r, __ATOMIC_SEQ_CST);
}

/*
 * Whether the child's result and the final state agree with one order of
 * the two operations.  removed: what the parent's remove returned (its
 * error, and the old value in *removed_old); end: the key's final value,
 * or -ENOENT.
 */
static void check_vop(enum vop op, const struct vresult *c, int removed,
		      int64_t removed_old, int end, int64_t end_value, long n)
{
	const int64_t before = VALUE_OF(1);
	/* The child first: it saw `before`; the parent removed what it left. */
	bool child_first = false, parent_first = false;
	int64_t left = before;	/* what the child left, when it went first */
	bool child_removes = false;	/* so the parent finds nothing to remove */

	switch (op) {
	case V_GET:
		child_first = c->r == 0 && c->out == before;
		parent_first = c->r == -ENOENT;
		break;
	case V_CAS_MISS:
		child_first = c->r == 0 && c->out == before;
		parent_first = c->r == -ENOENT && c->out == MISS_VALUE;
		break;
	case V_CAS_HIT:
		child_first = c->r == 1;
		left = NEW_VALUE;
		parent_first = c->r == -ENOENT && c->out == before;
		break;
	case V_REMOVE_IF_MISS:
		child_first = c->r == 0;
		parent_first = c->r == -ENOENT;
		break;
	case V_REMOVE_IF_HIT:
		child_first = c->r == 1;
		parent_first = c->r == -ENOENT;
		child_removes = true;
		break;
	case V_PUT:
		child_first = c->r == 1 && c->out == before;
		left = NEW_VALUE;
		parent_first = c->r == 0 && end == 0 && end_value == NEW_VALUE;
		break;
	case V_REPLACE:
		child_first = c->r == 0 && c->out == before;
		left = NEW_VALUE;
		parent_first = c->r == -ENOENT;
		break;
	case V_EXCHANGE:
		child_first = c->r == 0 && c->out == before;
		left = NEW_VALUE;
		parent_first = c->r == 0 && c->out == 0 && end == 0 &&
			       end_value == NEW_VALUE;
		break;
	case V_FETCH_ADD:
		child_first = c->r == 0 && c->out == before;
		left = before + 5;
		parent_first = c->r == 0 && c->out == 0 && end == 0 && end_value == 5;
		break;
	case V_REMOVE:
		child_first = c->r == 0 && c->out == before;
		parent_first = c->r == -ENOENT;
		child_removes = true;
		break;
	case V_INSERT:
		child_first = c->r == -EEXIST;
		parent_first = c->r == 0 && end == 0 && end_value == NEW_VALUE;
		break;
	case V_OPS:
		break;
	}
	if (child_removes && child_first) {
		ck_assert_msg(removed == -ENOENT && end == -ENOENT,
			      "%s stopped at %ld: removed %d, end %d",
			      vop_name[op], n, removed, end);
		return;
	}
	ck_assert_msg(child_first || parent_first,
		      "%s stopped at %ld: a result of no order: r %d, out %lld",
		      vop_name[op], n, c->r, (long long)c->out);
	if (child_first)
		ck_assert_msg(removed == 0 && removed_old == left && end == -ENOENT,
			      "%s stopped at %ld went first, yet the remove got %d, "
			      "%lld and the key ends %d", vop_name[op], n, removed,
			      (long long)removed_old, end);
	else
		ck_assert_msg(removed == 0 && removed_old == before,
			      "%s stopped at %ld went second, yet the remove got %d, %lld",
			      vop_name[op], n, removed, (long long)removed_old);
}

START_TEST(test_value_while_removed)
{
	struct vresult *res = shared_pages(4096);
	long n, points = 0;

	for (n = 1;; n++) {
		struct satomic_map *m;
		int64_t removed_old = 0, end_value = 0;
		int status, removed, end;
		pid_t pid;

		ck_assert_int_eq(satomic_map_create_anon(100, 100, 0, &m), 0);
		setup_small(m);
		res->r = INT32_MIN;
		satomic_test_crash_after(0, SIGKILL);
		pid = test_fork();
		if (pid == 0) {
			satomic_test_crash_after(n, SIGSTOP);
			run_vop(m, (enum vop)_i, res);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
		if (WIFEXITED(status)) {	/* completed before point n */
			ck_assert_int_eq(WEXITSTATUS(status), 0);
			satomic_map_close(m);
			break;
		}
		ck_assert(WIFSTOPPED(status));
		removed = satomic_map_remove(m, KEY_OF(1), &removed_old);
		(void)survivors_while_stopped(m);
		kill(pid, SIGCONT);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "%s: stopped at %ld, the child then failed: 0x%x",
			      vop_name[_i], n, status);
		end = satomic_map_get(m, KEY_OF(1), &end_value);
		check_vop((enum vop)_i, res, removed, removed_old, end, end_value, n);
		assert_keys(m, 50, 1);
		assert_sound(m, vop_name[_i]);
		points++;
		satomic_map_close(m);
	}
	munmap(res, 4096);
	printf("%s while its key is removed: stopped at each of %ld points\n",
	       vop_name[_i], points);
	ck_assert_int_ge(points, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crash points");
	TCase *tc = tcase_create("crash points");

	const int all = (int)(sizeof(scenarios) / sizeof(scenarios[0]));
	/* make check: the short scenarios (a few points each); the long tiers
	 * (SATOMIC_TORTURE=ci or long) add those that migrate, with hundreds
	 * of points each, and the late copies. */
	const bool quick = getenv("SATOMIC_TORTURE") == NULL;

	skip_unless_map_available();
	tcase_add_loop_test(tc, test_crash_points, 0, quick ? GROWS : all);
	tcase_add_loop_test(tc, test_stop_points, 0, quick ? GROWS : all);
	tcase_add_loop_test(tc, test_stop_points_sc_announce, 0, GROWS);
	if (quick) {
		tcase_add_loop_test(tc, test_crash_points, PREFAULTS, all);
		tcase_add_loop_test(tc, test_stop_points, PREFAULTS, all);
	} else {
		tcase_add_loop_test(tc, test_no_resurrection_by_a_late_copy, 0,
				    (int)(sizeof(while_stopped) / sizeof(while_stopped[0])));
	}
	tcase_add_loop_test(tc, test_value_while_removed, 0, V_OPS);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
