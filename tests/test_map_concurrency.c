/*
 * The map under concurrency, with exact final states:
 *  - threads, and processes forked on an anonymous map (4 of each, or
 *    SATOMIC_TEST_PROCS, also the racers when more than 6), inserting disjoint
 *    keys, removing some, and bumping shared counters while the map grows;
 *  - processes started separately (exec of tests/helper) that attach by name;
 *  - many processes inserting the same keys: exactly one wins each;
 *  - get_many while another process grows the map through many
 *    migrations: keys present throughout are found with their values,
 *    keys never inserted are absent and their values left as they were;
 *  - processes churning a map at max_capacity, each removing one of its
 *    keys before it inserts the next: never -ENOSPC, since the map then
 *    holds less than max_capacity (a count that summed its two tables in
 *    turn during a migration, or used and dead counters together, said
 *    -ENOSPC in every run);
 *  - writers SIGKILLed at random moments, hundreds of times, while the map
 *    grows and churns: every acknowledged write is there, with its exact
 *    value, nothing else is, and the map passes its integrity scan and keeps
 *    working.
 */
#include "sharedatomic.h"
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#define MAX_WORKERS 32
static int procs = 4;	/* SATOMIC_TEST_PROCS: workers of the disjoint tests */
#define PER_WORKER 20000

/* A value no other key has, so a torn or misplaced value shows. */
static int64_t value_of(int64_t key)
{
	return (int64_t)((uint64_t)key * 0x9e3779b97f4a7c15ull ^ 0x5bd1e995u);
}

static void assert_sound(struct satomic_map *m)
{
	char report[256];
	int err = satomic_map_check(m, report, sizeof(report));

	ck_assert_msg(err == 0, "check: %s", report);
}

/* Worker w: insert its keys, remove its odd ones, bump the counters. */
static int disjoint_worker(int w, void *arg)
{
	struct satomic_map *m = arg;
	int64_t k, key;

	for (k = 0; k < PER_WORKER; k++) {
		key = (int64_t)w * PER_WORKER + k;
		if (satomic_map_insert(m, key, value_of(key)) != 0 ||
		    satomic_map_fetch_add(m, -1, 1, NULL) != 0 ||
		    satomic_map_fetch_sub(m, INT64_MIN, 2, NULL) != 0)
			return 1;
	}
	for (k = 1; k < PER_WORKER; k += 2) {
		int64_t old;

		key = (int64_t)w * PER_WORKER + k;
		if (satomic_map_remove(m, key, &old) != 0 || old != value_of(key))
			return 2;
	}
	return 0;
}

static void check_disjoint(struct satomic_map *m, int workers)
{
	int64_t key, v;

	for (key = 0; key < (int64_t)workers * PER_WORKER; key++) {
		if (key % 2) {
			ck_assert_int_eq(satomic_map_contains(m, key), 0);
		} else {
			ck_assert_int_eq(satomic_map_get(m, key, &v), 0);
			ck_assert_int_eq(v, value_of(key));
		}
	}
	ck_assert_int_eq(satomic_map_get(m, -1, &v), 0);
	ck_assert_int_eq(v, (int64_t)workers * PER_WORKER);
	ck_assert_int_eq(satomic_map_get(m, INT64_MIN, &v), 0);
	ck_assert_int_eq(v, -2 * (int64_t)workers * PER_WORKER);
	ck_assert_int_eq(satomic_map_count(m), (int64_t)workers * PER_WORKER / 2 + 2);
	assert_sound(m);
}

static void *thread_main(void *arg)
{
	void **a = arg;

	return (void *)(intptr_t)disjoint_worker((int)(intptr_t)a[0], a[1]);
}

/* Run fn in n threads, each given { its number, m }; each must return NULL. */
static void run_threads(int n, void *(*fn)(void *), struct satomic_map *m)
{
	pthread_t t[MAX_WORKERS];
	void *args[MAX_WORKERS][2], *rc;
	int w;

	ck_assert_int_le(n, MAX_WORKERS);
	for (w = 0; w < n; w++) {
		args[w][0] = (void *)(intptr_t)w;
		args[w][1] = m;
		ck_assert_int_eq(pthread_create(&t[w], NULL, fn, args[w]), 0);
	}
	for (w = 0; w < n; w++) {
		ck_assert_int_eq(pthread_join(t[w], &rc), 0);
		ck_assert_ptr_null(rc);
	}
}

START_TEST(test_threads)
{
	struct satomic_map *m;

	ck_assert_int_eq(satomic_map_create_anon(16, 0, 0, &m), 0);	/* grows */
	run_threads(procs, thread_main, m);
	check_disjoint(m, procs);
	satomic_map_close(m);
}
END_TEST

/*
 * Counting: a table of 4096 slots has 4 stripes; the participants 0 and 1
 * count in their own (plain stores), all others share the other two
 * (atomic adds).  Eight threads remove and insert their keys again and
 * again, and the count must come out exact: a stripe miscounted, an undo
 * in the wrong stripe or with the wrong kind of add shows.  (Two writers of
 * one stripe with plain stores lose an update only when they meet within
 * a few cycles; on 2 cores that is too rare for a test to see: the owners
 * are unique by construction, see table_pick_stripe.)
 */
#define COUNTERS_THREADS 8
#define COUNTERS_KEYS 200
#define COUNTERS_ROUNDS 50

static void *counters_thread(void *arg)
{
	void **a = arg;
	struct satomic_map *m = a[1];
	int64_t base = (int64_t)(intptr_t)a[0] * COUNTERS_KEYS, k;
	int round;

	for (round = 0; round < COUNTERS_ROUNDS; round++) {
		for (k = 0; k < COUNTERS_KEYS; k++)
			if (satomic_map_insert(m, base + k, k) != 0)
				return (void *)1;
		for (k = round == COUNTERS_ROUNDS - 1; k < COUNTERS_KEYS; k += 1 +
		     (round == COUNTERS_ROUNDS - 1))
			if (satomic_map_remove(m, base + k, NULL) != 0)
				return (void *)2;
	}
	return NULL;
}

START_TEST(test_counters_own_and_shared)
{
	struct satomic_map *m;

	ck_assert_int_eq(satomic_map_create_anon(COUNTERS_THREADS * COUNTERS_KEYS,
						 0, 0, &m), 0);
	run_threads(COUNTERS_THREADS, counters_thread, m);
	/* The last round removed the odd keys only. */
	ck_assert_int_eq(satomic_map_count(m), COUNTERS_THREADS * COUNTERS_KEYS / 2);
	ck_assert_int_eq(satomic_map_capacity(m), 3 * 4096 / 4 - 4 * 8);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

START_TEST(test_processes)
{
	struct satomic_map *m;

	ck_assert_int_eq(satomic_map_create_anon(16, 0, 0, &m), 0);
	run_children(procs, disjoint_worker, m);
	check_disjoint(m, procs);
	satomic_map_close(m);
}
END_TEST

/* Grow the map from the small one the test made: keys 1000 and on. */
enum { GROW_PRESENT = 1000, GROW_MORE = 200000, GROW_ABSENT = -1 };

static int grow_worker(int w, void *arg)
{
	struct satomic_map *m = arg;
	int64_t k;

	(void)w;
	for (k = GROW_PRESENT; k < GROW_PRESENT + GROW_MORE; k++)
		if (satomic_map_insert(m, k, value_of(k)) != 0)
			return 1;
	return 0;
}

START_TEST(test_get_many_while_growing)
{
	enum { N = 40 };
	struct satomic_map *m;
	struct satomic_map_stats st;
	int64_t keys[N], values[N], k, hits;
	bool found[N];
	pid_t pid;
	int status, i, rounds = 0;

	ck_assert_int_eq(satomic_map_create_anon(16, 0, 0, &m), 0);
	for (k = 0; k < GROW_PRESENT; k++)
		ck_assert_int_eq(satomic_map_insert(m, k, value_of(k)), 0);
	pid = test_fork();
	if (pid == 0)
		_exit(grow_worker(0, m));
	do {	/* even keys present throughout, odd ones never inserted */
		for (i = 0; i < N; i++) {
			keys[i] = i % 2 ? GROW_ABSENT - (rounds + i) % 5000
				: (int64_t)((rounds * 7 + i) % GROW_PRESENT);
			values[i] = 12345;
		}
		hits = satomic_map_get_many(m, keys, N, values, found);
		ck_assert_int_eq(hits, N / 2);
		for (i = 0; i < N; i++) {
			ck_assert_int_eq(found[i], i % 2 == 0);
			ck_assert_int_eq(values[i], i % 2 ? 12345 : value_of(keys[i]));
		}
		rounds++;
	} while (waitpid(pid, &status, WNOHANG) == 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(satomic_map_stats(m, &st), 0);
	ck_assert_uint_ge(st.migrations, 8);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/*
 * satomic_map_get_many looks its keys up in order.  A writer repeats
 * put(A, i), put(B, i), remove(B), so B present means B == A, and A only
 * grows; a reader's get_many of B, A, B, A... must never see A below a
 * value it saw before it, nor B again with a value it saw removed.  (The
 * tombstones of B send lookups to the general path; deciding those after
 * the batch read B present, absent, present again.)
 */
enum { ORDER_A = 1, ORDER_B = 2, ORDER_ROUNDS = 200000 };

static void check_in_order(const int64_t *values, const bool *found, int n)
{
	int64_t lo = 0, last_b = 0, gone = 0;	/* values start at 1 */
	int i;

	for (i = 0; i < n; i++) {
		if (i % 2) {	/* A: never removed, only grows */
			ck_assert_msg(found[i] || lo == 0, "A absent after %lld", (long long)lo);
			if (found[i])
				ck_assert_int_ge(values[i], lo);
		} else if (found[i]) {	/* B == A when present */
			ck_assert_int_ge(values[i], lo);
			ck_assert_msg(values[i] > gone, "B = %lld again after it was removed",
				      (long long)values[i]);
			last_b = values[i];
		} else {
			gone = last_b;	/* the B seen last is removed now */
		}
		if (found[i] && values[i] > lo)
			lo = values[i];
	}
}

START_TEST(test_get_many_in_order)
{
	enum { N = 8 };
	const int64_t keys[N] = { ORDER_B, ORDER_A, ORDER_B, ORDER_A,
				  ORDER_B, ORDER_A, ORDER_B, ORDER_A };
	struct satomic_map *m;
	int64_t values[N], i;
	bool found[N];
	pid_t pid;
	int status;

	ck_assert_int_eq(satomic_map_create_anon(16, 0, 0, &m), 0);
	pid = test_fork();
	if (pid == 0) {
		for (i = 1; i <= ORDER_ROUNDS; i++)
			if (satomic_map_put(m, ORDER_A, i, NULL) < 0 ||
			    satomic_map_put(m, ORDER_B, i, NULL) < 0 ||
			    satomic_map_remove(m, ORDER_B, NULL) != 0)
				_exit(1);
		_exit(0);
	}
	do {
		ck_assert_int_ge(satomic_map_get_many(m, keys, N, values, found), 0);
		check_in_order(values, found, N);
	} while (waitpid(pid, &status, WNOHANG) == 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	satomic_map_close(m);
}
END_TEST

/* A map at max_capacity: worker w owns a quarter of the keys; it removes
 * its oldest before each new insert, so every insert has room. */
enum { CHURN_MAX = 4000, CHURN_ROUNDS = 100000 };

static int churn_worker(int w, void *arg)
{
	struct satomic_map *m = arg;
	const int64_t per = CHURN_MAX / 4;
	int64_t oldest = (int64_t)w << 40, next = oldest, i;
	int r;

	for (i = 0; i < per; i++)
		if (satomic_map_insert(m, next++, w) != 0)
			return 1;
	for (i = 0; i < CHURN_ROUNDS; i++) {
		if (satomic_map_remove(m, oldest++, NULL) != 0)
			return 2;
		if ((r = satomic_map_insert(m, next++, w)) != 0) {
			fprintf(stderr, "worker %d, round %lld: insert: %s (count %lld)\n",
				w, (long long)i, satomic_strerror(r),
				(long long)satomic_map_count(m));
			return 3;
		}
	}
	return 0;
}

START_TEST(test_churn_at_max_capacity)
{
	struct satomic_map *m;

	ck_assert_int_eq(satomic_map_create_anon(CHURN_MAX, CHURN_MAX, 0, &m), 0);
	run_children(4, churn_worker, m);
	ck_assert_int_eq(satomic_map_count(m), CHURN_MAX);
	ck_assert_int_eq(satomic_map_insert(m, -1, 0), -ENOSPC);
	assert_sound(m);
	satomic_map_close(m);
}
END_TEST

/*
 * A handle closed by one thread while another, which used it before, works
 * on two other maps in turn: each turn walks that thread's registrations
 * past the closed one's (reg_find), which reg_detach marks closed meanwhile
 * and the walk then frees (a data race before the serial was atomic: the
 * TSan tier runs this).
 */
static struct satomic_map *closing[3];
static volatile int closing_used;

static void *use_then_others(void *arg)
{
	int64_t i;

	(void)arg;
	if (satomic_map_put(closing[0], 1, 1, NULL) != 0)
		return (void *)1;
	__atomic_store_n(&closing_used, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 20000; i++)
		if (satomic_map_put(closing[1 + i % 2], i, i, NULL) < 0)
			return (void *)2;
	return NULL;
}

START_TEST(test_close_while_another_thread_walks)
{
	pthread_t t;
	void *rc;
	int i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(satomic_map_create_anon(64, 0, 0, &closing[i]), 0);
	closing_used = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, use_then_others, NULL), 0);
	while (!__atomic_load_n(&closing_used, __ATOMIC_ACQUIRE))
		sched_yield();
	ck_assert_int_eq(satomic_map_close(closing[0]), 0);
	ck_assert_int_eq(pthread_join(t, &rc), 0);
	ck_assert_ptr_null(rc);
	ck_assert_int_eq(satomic_map_count(closing[1]), 10000);
	satomic_map_close(closing[1]);
	satomic_map_close(closing[2]);
}
END_TEST

/*
 * Inserts racing for a map's last places: satomic_map_create(3) lets each
 * racer exceed max_capacity by one key, no more, and the map keeps room
 * for all max_capacity.  Four processes insert 3000 new keys each into a
 * map of max_capacity 5000; the keys that went in are counted.
 */
enum { LAST_MAX = 5000, LAST_EACH = 3000, LAST_RACERS = 4 };

static int last_places_worker(int w, void *arg)
{
	struct satomic_map *m = arg;
	int64_t i;
	int r;

	for (i = 0; i < LAST_EACH; i++)
		if ((r = satomic_map_insert(m, (int64_t)w << 32 | i, w)) != 0 &&
		    r != -ENOSPC)
			return 1;
	return 0;
}

START_TEST(test_racing_for_the_last_places)
{
	struct satomic_map *m;
	int trial;

	for (trial = 0; trial < 5; trial++) {
		ck_assert_int_eq(satomic_map_create_anon(10, LAST_MAX, 0, &m), 0);
		run_children(LAST_RACERS, last_places_worker, m);
		ck_assert_int_ge(satomic_map_count(m), LAST_MAX);
		ck_assert_int_le(satomic_map_count(m), LAST_MAX + LAST_RACERS);
		assert_sound(m);
		satomic_map_close(m);
	}
}
END_TEST

/* Begin iterators on m until the registry is full; end them; how many. */
static int registry_room(struct satomic_map *m)
{
	struct satomic_map_iter *it[600];
	int n = 0, i;

	while (n < 600 && satomic_map_iter_begin(m, &it[n]) == 0)
		n++;
	for (i = 0; i < n; i++)
		satomic_map_iter_end(it[i]);
	return n;
}

/*
 * A process whose first use of the library had too few descriptors left to
 * read /proc has an owner id without a start time: it keeps its registry
 * slot while it lives, judged by its pid (the first process to find the
 * registry full took it as dead and reclaimed it, and both then announced
 * in one slot).
 */
START_TEST(test_owner_without_start_time)
{
	const char *builddir = getenv("top_builddir");
	char name[64], helper[4096], line[64] = "";
	struct satomic_map *m;
	int out[2], status, room;
	pid_t pid;
	FILE *f;

	snprintf(name, sizeof(name), "/satomic-test-hold-%ld", (long)getpid());
	snprintf(helper, sizeof(helper), "%s/tests/helper", builddir ? builddir : ".");
	satomic_map_unlink(name);
	ck_assert_int_eq(pipe(out), 0);
	pid = test_fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl(helper, helper, "map-hold", name, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "ready\n");
	ck_assert_int_eq(satomic_map_open(name, 0, &m), 0);
	room = registry_room(m);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	fclose(f);
	/* Dead now: its slot is free to reclaim, one more than while it lived. */
	ck_assert_int_eq(registry_room(m), room + 1);
	satomic_map_close(m);
	ck_assert_int_eq(satomic_map_unlink(name), 0);
}
END_TEST

START_TEST(test_separate_programs)
{
	/* Unrelated processes: tests/helper, started by exec, opens the map by
	 * name; the test checks what they did. */
	const int programs = 3, count = 5000;
	const char *builddir = getenv("top_builddir");
	char name[64], helper[4096], id[16], n[16];
	struct satomic_map *m;
	pid_t pids[3];
	int64_t key, v;
	int p, status;

	snprintf(name, sizeof(name), "/satomic-test-exec-%ld", (long)getpid());
	snprintf(helper, sizeof(helper), "%s/tests/helper", builddir ? builddir : ".");
	satomic_map_unlink(name);
	ck_assert_int_eq(satomic_map_create(name, 16, 0, 0, 0, &m), 0);
	snprintf(n, sizeof(n), "%d", count);
	for (p = 0; p < programs; p++) {
		snprintf(id, sizeof(id), "%d", p);
		pids[p] = test_fork();
		if (pids[p] == 0) {
			execl(helper, helper, "map-worker", name, id, n, (char *)NULL);
			_exit(127);
		}
	}
	for (p = 0; p < programs; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "helper %d: status 0x%x (%s)", p, status, helper);
	}
	for (key = 0; key < (int64_t)programs * count; key++) {
		ck_assert_int_eq(satomic_map_get(m, key, &v), 0);
		ck_assert_int_eq(v, key * 3);
	}
	ck_assert_int_eq(satomic_map_get(m, -1, &v), 0);
	ck_assert_int_eq(v, (int64_t)programs * count);
	ck_assert_int_eq(satomic_map_get(m, INT64_MIN, &v), 0);
	ck_assert_int_eq(v, (int64_t)programs * count);
	assert_sound(m);
	satomic_map_close(m);
	satomic_map_unlink(name);
}
END_TEST

/* ------------------------------------------------------------------------
 * Many processes insert the same keys: exactly one insert of each wins.
 */
#define RACERS 6
#define RACE_KEYS 3000

struct race {
	struct satomic_map *m;
	uint64_t wins[RACE_KEYS];	/* successful inserts of each key */
};

static int racer(int r, void *arg)
{
	struct race *race = arg;
	int64_t k;
	int err;

	for (k = 0; k < RACE_KEYS; k++) {
		err = satomic_map_insert(race->m, k * 1000003, r);
		if (err == 0)
			satomic_fetch_add_u64(&race->wins[k], 1);
		else if (err != -EEXIST)
			return 1;
	}
	return 0;
}

START_TEST(test_same_key_race)
{
	struct race *race = shared_pages(sizeof(*race));
	const int racers = procs > RACERS ? procs : RACERS;
	int64_t k, v;

	ck_assert_int_eq(satomic_map_create_anon(16, 0, 0, &race->m), 0);
	run_children(racers, racer, race);
	for (k = 0; k < RACE_KEYS; k++) {
		ck_assert_msg(race->wins[k] == 1, "key %lld inserted %llu times",
			      (long long)k, (unsigned long long)race->wins[k]);
		ck_assert_int_eq(satomic_map_get(race->m, k * 1000003, &v), 0);
		ck_assert(v >= 0 && v < racers);
	}
	ck_assert_int_eq(satomic_map_count(race->m), RACE_KEYS);
	assert_sound(race->m);
	satomic_map_close(race->m);
	munmap(race, sizeof(*race));
}
END_TEST

/* ------------------------------------------------------------------------
 * SIGKILL: writers killed at random moments.  Incarnation i inserts keys
 * base(i) + j in order, removes them in order some steps behind, and bumps
 * its counter -(i + 1); after each operation returns it acknowledges it in
 * shared memory.  At most one operation is in flight when it dies.
 */
#define INCARNATIONS 300
/* Inserts per incarnation, after which it only bumps its counter until it
 * is killed.  Each leaves at most half of them live, so the map stays far
 * below its max_capacity (2^20 keys) however fast the writers run: with no
 * bound, a faster map reached it within the 300 incarnations, and the
 * writers' inserts failed with ENOSPC. */
#define WRITES 3000

struct acks {
	uint64_t inserted;	/* keys [0, inserted) inserted and acknowledged */
	uint64_t removed;	/* keys [0, removed) removed and acknowledged */
	uint64_t bumped;	/* counter increments acknowledged */
};

struct kill_test {
	struct satomic_map *m;
	struct acks acks[INCARNATIONS];
};

static int64_t key_of(int i, uint64_t j)
{
	return (int64_t)((uint64_t)i << 32 | j);
}

static void writer(struct kill_test *kt, int i)
{
	struct acks *a = &kt->acks[i];
	uint64_t j;

	for (j = 0;; j++) {
		if (j < WRITES) {
			if (satomic_map_insert(kt->m, key_of(i, j), value_of(key_of(i, j))) != 0)
				_exit(1);
			satomic_store_u64(&a->inserted, j + 1);
			if (j >= 8 && j % 2 == 0) {
				uint64_t r = a->removed;

				if (satomic_map_remove(kt->m, key_of(i, r), NULL) != 0)
					_exit(2);
				satomic_store_u64(&a->removed, r + 1);
			}
		}
		if (satomic_map_fetch_add(kt->m, -(int64_t)i - 1, 1, NULL) != 0)
			_exit(3);
		satomic_store_u64(&a->bumped, a->bumped + 1);
	}
}

static void check_incarnation(struct kill_test *kt, int i, uint64_t *live)
{
	const struct acks *a = &kt->acks[i];
	uint64_t j;
	int64_t v;
	int r;

	for (j = 0; j <= a->inserted; j++) {
		r = satomic_map_get(kt->m, key_of(i, j), &v);
		ck_assert_int_ge(r == 0 || r == -ENOENT, 1);
		if (r == 0) {
			ck_assert_msg(v == value_of(key_of(i, j)),
				      "key %d/%llu: torn or wrong value", i,
				      (unsigned long long)j);
			(*live)++;
		}
		if (j < a->removed)
			ck_assert_msg(r == -ENOENT, "removed key %d/%llu is back",
				      i, (unsigned long long)j);
		else if (j > a->removed && j < a->inserted)
			ck_assert_msg(r == 0, "acknowledged key %d/%llu lost", i,
				      (unsigned long long)j);
		/* j == removed: a remove in flight; j == inserted: an insert
		 * in flight.  Either may or may not have happened. */
	}
	ck_assert_int_eq(satomic_map_contains(kt->m, key_of(i, a->inserted + 1)), 0);
	r = satomic_map_get(kt->m, -(int64_t)i - 1, &v);
	if (a->bumped == 0)
		ck_assert(r == -ENOENT || (r == 0 && v == 1));
	else
		ck_assert_msg(r == 0 && (v == (int64_t)a->bumped || v == (int64_t)a->bumped + 1),
			      "counter %d: %lld after %llu acknowledged", i,
			      (long long)v, (unsigned long long)a->bumped);
	if (r == 0)
		(*live)++;
}

START_TEST(test_sigkill)
{
	struct kill_test *kt = shared_pages(sizeof(*kt));
	struct satomic_map_iter *it;
	struct timespec pause;
	uint64_t live = 0, seen = 0;
	int64_t key, v;
	int i, status;

	/* Tiny, so it migrates again and again under the killing. */
	ck_assert_int_eq(satomic_map_create_anon(16, 0, 0, &kt->m), 0);
	srandom((unsigned)time(NULL));
	for (i = 0; i < INCARNATIONS; i++) {
		pid_t pid = test_fork();
		if (pid == 0)
			writer(kt, i);
		pause.tv_sec = 0;
		pause.tv_nsec = random() % 3000000;	/* 0 to 3 ms */
		nanosleep(&pause, NULL);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "writer %d ended by itself: status 0x%x", i, status);
	}
	for (i = 0; i < INCARNATIONS; i++)
		check_incarnation(kt, i, &live);
	/* Nothing that nobody wrote: every key belongs to an incarnation. */
	ck_assert_int_eq(satomic_map_iter_begin(kt->m, &it), 0);
	while (satomic_map_iter_next(it, &key, &v) == 1) {
		seen++;
		if (key < 0)
			ck_assert_int_ge(key, -INCARNATIONS);
		else
			ck_assert_int_eq(v, value_of(key));
	}
	satomic_map_iter_end(it);
	ck_assert_uint_eq(seen, live);
	assert_sound(kt->m);
	/* And it keeps working. */
	for (key = 1ll << 50; key < (1ll << 50) + 10000; key++)
		ck_assert_int_eq(satomic_map_insert(kt->m, key, value_of(key)), 0);
	for (key = 1ll << 50; key < (1ll << 50) + 10000; key++) {
		ck_assert_int_eq(satomic_map_get(kt->m, key, &v), 0);
		ck_assert_int_eq(v, value_of(key));
	}
	assert_sound(kt->m);
	satomic_map_close(kt->m);
	munmap(kt, sizeof(*kt));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("map-concurrency");
	TCase *tc = tcase_create("concurrency");

	skip_unless_map_available();
	procs = test_procs(procs, 1, MAX_WORKERS);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_counters_own_and_shared);
	tcase_add_test(tc, test_processes);
	tcase_add_test(tc, test_separate_programs);
	tcase_add_test(tc, test_owner_without_start_time);
	tcase_add_test(tc, test_same_key_race);
	tcase_add_test(tc, test_churn_at_max_capacity);
	tcase_add_test(tc, test_racing_for_the_last_places);
	tcase_add_test(tc, test_close_while_another_thread_walks);
	tcase_add_test(tc, test_get_many_while_growing);
	tcase_add_test(tc, test_get_many_in_order);
	tcase_add_test(tc, test_sigkill);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
