/*
 * Torture: linearizability under SIGKILL, and progress under SIGSTOP.
 *
 * linearizable: 4 processes x 2 threads run a random mix of every map
 * operation (batches too) on few hot keys and many warm ones, plus CAS
 * chains on a 32-, a 64- and a 128-bit word, from a small initial capacity so
 * that the map grows and, with the removes, migrates again and again.  Each
 * operation is recorded in shared memory (tests/lincheck.h), so the history
 * survives its process.  The parent SIGKILLs a random process every so many
 * operations, marks what its threads had in flight as pending and starts a
 * new process in its place; now and then it stops one for a moment instead
 * (SIGSTOP, then SIGCONT), and its operations must still linearize.  After each round every key's history and every
 * chain is checked (tests/lincheck.c), with the parent's reads of every key
 * at the end of the round as the last operations, and the map must pass its
 * integrity scan.
 *
 * pause: 4 processes churn the map (so that it migrates all the time); one
 * at a time is stopped with SIGSTOP at a random moment, most likely in the
 * middle of an operation.  Every other process must keep completing
 * operations, and migrations must keep completing, while it is stopped.  The
 * rates with and without a stopped process are printed, not asserted.
 *
 * Where the CPU has no 128-bit CAS (i386), there is no map (it answers
 * -ENOTSUP, checked): the linearizability torture runs the 32- and 64-bit
 * chains alone, and the pause torture is skipped.
 *
 * SATOMIC_TORTURE=ci (make check-long, CI) and =long (make stress) run the
 * long tiers, the pause torture only there;
 * SATOMIC_TEST_PROCS=N runs N processes instead of 4 (2 to 15).
 */
#include "sharedatomic.h"
#include "testutil.h"
#include "lincheck.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#define MAX_PROCS 15			/* the parent's worker number < LC_WORKERS_MAX */
#define THREADS 2
#define MAX_WORKERS (MAX_PROCS * THREADS)
static int procs = 4;			/* SATOMIC_TEST_PROCS: worker processes */
#define WORKERS ((unsigned)procs * THREADS)
#define PARENT WORKERS			/* the worker number of the final reads */
#define HOT_KEYS 8			/* keys 0 .. 7: contended */
#define WARM_KEYS 2048			/* keys 0 .. 2047: random operations */
#define COLD_PER_WORKER 8192		/* then each worker's churned keys */
#define KEYS (WARM_KEYS + WORKERS * COLD_PER_WORKER)
#define COLD_LIVE 256			/* a worker's churned keys present */
#define CHAINS 3			/* 32, 64, 128 bits */
#define BATCH 4

struct tier {
	long rounds;
	long ops_per_round;		/* all workers together */
	long kills_per_round;
	long stops_per_round;		/* SIGSTOPs of 0.2-3 ms, checked too */
	long pauses;
};

/* make check: the CI size without the pause torture, whose 200 ms windows
 * are wall time (a loaded machine, or one CPU, can starve a process that
 * long); it runs in the long tiers, SATOMIC_TORTURE=ci (make check-long,
 * CI) and =long (make stress).  The brief stops of the linearizability
 * torture assert nothing about time: they stay everywhere. */
static const struct tier quick = { 5, 240000, 110, 30, 0 };
static const struct tier ci = { 5, 240000, 110, 30, 8 };
static const struct tier longer = { 60, 1700000, 170, 60, 60 };

static const struct tier *tier(void)
{
	const char *t = getenv("SATOMIC_TORTURE");

	if (t != NULL && strcmp(t, "long") == 0)
		return &longer;
	return t != NULL && strcmp(t, "ci") == 0 ? &ci : &quick;
}

/* ---------------------------------------------------------------------------
 * What the workers share: the clock, their logs, the chains.
 */
struct worker_log {
	uint64_t n;		/* records published this round */
	uint64_t quota;		/* records to write this round */
	uint64_t seq;		/* makes every value written unique */
	uint64_t cursor;	/* churn steps taken */
	uint64_t torn;		/* 128-bit values seen torn */
	uint64_t errors;	/* unexpected return codes */
	int64_t last_error;
} __attribute__((aligned(64)));

struct shared {
	uint64_t clock __attribute__((aligned(64)));
	struct worker_log w[MAX_WORKERS];
	uint32_t chain32 __attribute__((aligned(64)));
	uint64_t chain64 __attribute__((aligned(64)));
	struct satomic_u128 chain128 __attribute__((aligned(64)));
};

static struct shared *sh;
static struct lc_rec *logs;	/* WORKERS logs of log_cap records */
static uint64_t log_cap;
static struct satomic_map *map;
static bool chains_only;	/* no 128-bit CAS: no map, no 128-bit chain */

static int chains(void)
{
	return chains_only ? 2 : CHAINS;
}

static uint64_t tick(void)
{
	return __atomic_add_fetch(&sh->clock, 1, __ATOMIC_SEQ_CST);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct lc_rec *rec_of(unsigned w, uint64_t i)
{
	return &logs[w * log_cap + i];
}

/* Key index i to key: the extremes first, the rest spread. */
static int64_t key_of(uint32_t i)
{
	static const int64_t special[] = { 0, -1, INT64_MIN, INT64_MAX };
	uint64_t h = i * 0x9e3779b97f4a7c15ull;

	if (i < 4)
		return special[i];
	return (int64_t)(h ^ h >> 31);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A value nobody wrote before, now and then one of the extremes. */
static int64_t fresh_value(unsigned w, uint64_t *rng)
{
	uint64_t seq = ++sh->w[w].seq, r = rng_next(rng);

	if (r % 64 == 0)
		return (int64_t[]){ 0, -1, INT64_MIN, INT64_MAX }[r / 64 % 4];
	return (int64_t)(((uint64_t)(w + 1) << 56 | seq) * (r & 1 ? 1 : -1ull));
}

/* The high word of a 128-bit chain value: a function of the low word, so
 * a torn read shows. */
static uint64_t hi_of(uint64_t lo)
{
	return ~lo * 0xff51afd7ed558ccdull;
}

/* ---------------------------------------------------------------------------
 * A worker: one operation at a time, recorded before it starts and after it
 * returns.
 */
static void note_error(unsigned w, int err)
{
	sh->w[w].errors++;
	sh->w[w].last_error = err;
}

static int run_map_op(unsigned w, struct lc_rec *r, uint64_t *rng)
{
	const int64_t k = key_of(r->key);
	int64_t out = 0;
	int res;

	switch (r->op) {
	case LC_GET:	res = satomic_map_get(map, k, &out); break;
	case LC_CONTAINS: res = satomic_map_contains(map, k); break;
	case LC_INSERT:	res = satomic_map_insert(map, k, r->a); break;
	case LC_PUT:	res = satomic_map_put(map, k, r->a, &out); break;
	case LC_REPLACE: res = satomic_map_replace(map, k, r->a, &out); break;
	case LC_CAS:
		out = r->a;
		res = satomic_map_cas(map, k, &out, r->b);
		break;
	case LC_REMOVE:	res = satomic_map_remove(map, k, &out); break;
	case LC_REMOVE_IF: res = satomic_map_remove_if(map, k, r->a); break;
	case LC_EXCHANGE: res = satomic_map_exchange(map, k, r->a, &out); break;
	case LC_FETCH_ADD: res = satomic_map_fetch_add(map, k, r->a, &out); break;
	default:	res = satomic_map_fetch_xor(map, k, r->a, &out); break;
	}
	(void)rng;
	if (res < 0 && res != -ENOENT && res != -EEXIST)
		note_error(w, res);
	r->out = out;
	return res;
}

static void run_chain_op(unsigned w, struct lc_rec *r, uint64_t *rng)
{
	uint64_t new_lo = (uint64_t)(w + 1) << 56 | ++sh->w[w].seq;

	(void)rng;
	r->b = (int64_t)new_lo;
	switch (r->key) {
	case 0: {
		uint32_t seen = satomic_load_u32(&sh->chain32);
		uint32_t want = (uint32_t)(w + 1) << 27 | (uint32_t)(sh->w[w].seq & 0x7ffffff);

		r->a = seen;
		r->b = want;
		r->call = tick();
		__atomic_store_n(&sh->w[w].n, sh->w[w].n + 1, __ATOMIC_RELEASE);
		r->res = satomic_cas_u32(&sh->chain32, &seen, want);
		break;
	}
	case 1: {
		uint64_t seen = satomic_load_u64(&sh->chain64);

		r->a = (int64_t)seen;
		r->call = tick();
		__atomic_store_n(&sh->w[w].n, sh->w[w].n + 1, __ATOMIC_RELEASE);
		r->res = satomic_cas_u64(&sh->chain64, &seen, new_lo);
		break;
	}
	default: {
		struct satomic_u128 seen, want = { new_lo, hi_of(new_lo) };
		int err = satomic_load_u128(&sh->chain128, &seen);

		if (err != 0)
			note_error(w, err);
		r->a = (int64_t)seen.lo;
		r->a_hi = seen.hi;
		r->b_hi = want.hi;
		r->call = tick();
		__atomic_store_n(&sh->w[w].n, sh->w[w].n + 1, __ATOMIC_RELEASE);
		r->res = satomic_cas_u128(&sh->chain128, &seen, want);
		if (r->res < 0)
			note_error(w, r->res);
		if (seen.hi != hi_of(seen.lo) && !(seen.lo == 0 && seen.hi == 0))
			sh->w[w].torn++;
		break;
	}
	}
}

static uint32_t pick_key(uint64_t *rng)
{
	uint64_t r = rng_next(rng);

	return r % 4 ? (uint32_t)(r >> 8) % HOT_KEYS : (uint32_t)(r >> 8) % WARM_KEYS;
}

/* Fill r with a random map operation on key `key`. */
static void choose_op(unsigned w, struct lc_rec *r, uint32_t key, uint64_t *rng)
{
	static const uint8_t mix[] = {
		LC_GET, LC_GET, LC_GET, LC_CONTAINS, LC_INSERT, LC_INSERT, LC_PUT,
		LC_REPLACE, LC_CAS, LC_CAS, LC_REMOVE, LC_REMOVE, LC_REMOVE_IF,
		LC_EXCHANGE, LC_FETCH_ADD, LC_FETCH_XOR,
	};
	uint64_t x = rng_next(rng);

	memset(r, 0, sizeof(*r));
	r->key = key;
	r->worker = (uint8_t)w;
	r->op = mix[x % sizeof(mix)];
	r->a = fresh_value(w, rng);
	r->b = fresh_value(w, rng);
	if (r->op == LC_FETCH_ADD)
		r->a = (int64_t)(x >> 40) - (1 << 23);
	if (r->op == LC_CAS || r->op == LC_REMOVE_IF) {
		/* Expect the value most likely there: the last one seen. */
		int64_t v;

		if (x >> 8 & 1 && satomic_map_get(map, key_of(key), &v) == 0)
			r->a = v;
	}
}

/* Churn, so that tombstones pile up and the map migrates again and again:
 * insert the worker's next cold key, or remove the one COLD_LIVE before. */
static void churn_op(unsigned w, struct lc_rec *r, uint64_t *rng)
{
	const uint64_t c = sh->w[w].cursor++;
	const uint64_t i = c / 2 + (c & 1 ? COLD_PER_WORKER - COLD_LIVE : 0);

	memset(r, 0, sizeof(*r));
	r->key = (uint32_t)(WARM_KEYS + w * COLD_PER_WORKER + i % COLD_PER_WORKER);
	r->worker = (uint8_t)w;
	r->op = c & 1 ? LC_REMOVE : LC_INSERT;
	r->a = fresh_value(w, rng);
}

static void publish(unsigned w, uint64_t n)
{
	__atomic_store_n(&sh->w[w].n, n, __ATOMIC_RELEASE);
}

static void finish(struct lc_rec *r)
{
	r->ret = tick();
	__atomic_store_n(&r->state, LC_DONE, __ATOMIC_RELEASE);
}

/* get_many or put_many of BATCH distinct keys: a record per key, all with
 * the batch's call and return. */
static void run_batch(unsigned w, uint64_t n, uint64_t *rng)
{
	int64_t keys[BATCH], values[BATCH];
	bool found[BATCH];
	bool put = rng_next(rng) & 1;
	uint64_t call;
	size_t i, j, done = 0;
	int64_t got;

	for (i = 0; i < BATCH; i++) {
		struct lc_rec *r = rec_of(w, n + i);

		memset(r, 0, sizeof(*r));
	again:
		r->key = pick_key(rng);
		for (j = 0; j < i; j++)
			if (rec_of(w, n + j)->key == r->key)
				goto again;
		r->worker = (uint8_t)w;
		r->op = put ? LC_PUT_BLIND : LC_GET;
		r->a = fresh_value(w, rng);
		keys[i] = key_of(r->key);
		values[i] = r->a;
	}
	call = tick();
	for (i = 0; i < BATCH; i++)
		rec_of(w, n + i)->call = call;
	publish(w, n + BATCH);
	if (put) {
		int err = satomic_map_put_many(map, keys, values, BATCH, &done);

		if (err != 0)
			note_error(w, err);
	} else {
		got = satomic_map_get_many(map, keys, BATCH, values, found);
		if (got < 0)
			note_error(w, (int)got);
	}
	for (i = 0; i < BATCH; i++) {
		struct lc_rec *r = rec_of(w, n + i);

		if (put) {
			r->res = 0;
			if (i >= done)
				continue;	/* not put: left open, pending */
		} else {
			r->res = found[i] ? 0 : -ENOENT;
			r->out = found[i] ? values[i] : 0;
		}
		finish(r);
	}
}

static void *worker_main(void *arg)
{
	const unsigned w = (unsigned)(uintptr_t)arg;
	struct worker_log *wl = &sh->w[w];
	uint64_t rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull + w + 1;

	for (;;) {
		const uint64_t n = wl->n;
		struct lc_rec *r = rec_of(w, n);
		uint64_t x = rng_next(&rng) % 100;

		if (n + BATCH > wl->quota)
			break;

		if (chains_only)
			x = 4 + x % 4;	/* chains 0 and 1 only */
		if (x < 4) {
			run_batch(w, n, &rng);
			continue;
		}
		if (x < 8) {
			memset(r, 0, sizeof(*r));
			r->op = LC_CHAIN;
			r->worker = (uint8_t)w;
			r->key = (uint32_t)(x % (unsigned)chains());
			run_chain_op(w, r, &rng);	/* publishes itself */
			finish(r);
			continue;
		}
		if (x < 24)
			churn_op(w, r, &rng);
		else
			choose_op(w, r, pick_key(&rng), &rng);
		r->call = tick();
		publish(w, n + 1);		/* from here on it is in flight */
		r->res = run_map_op(w, r, &rng);
		finish(r);
	}
	return NULL;
}

/*
 * A worker process: its THREADS workers, until their quotas are met; unless
 * a timer armed for `life_ns` after they started SIGKILLs it first: the
 * kill then lands wherever its threads are, running or preempted.
 */
static void worker_process(int p, long life_ns)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGKILL };
	struct itimerspec when = { .it_value = { life_ns / 1000000000, life_ns % 1000000000 } };
	pthread_t t[THREADS];
	timer_t timer;
	int i;

	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker_main,
				   (void *)(uintptr_t)(p * THREADS + i)) != 0)
			_exit(3);
	if (life_ns > 0 && (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0 ||
			    timer_settime(timer, 0, &when, NULL) != 0))
		_exit(4);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static pid_t spawn(int p, long life_ns)
{
	pid_t pid = test_fork();
	if (pid == 0)
		worker_process(p, life_ns);
	return pid;
}

/* After process p was reaped: what its workers had in flight is pending,
 * returned now (nobody completes a dead process's operation). */
static void mark_pending(int p)
{
	uint64_t now = tick();
	int t;

	for (t = 0; t < THREADS; t++) {
		unsigned w = (unsigned)(p * THREADS + t);
		uint64_t n = sh->w[w].n, i;

		for (i = n > BATCH ? n - BATCH : 0; i < n; i++) {
			struct lc_rec *r = rec_of(w, i);

			if (r->state == LC_OPEN) {
				r->ret = now;
				r->state = LC_PENDING;
			}
		}
	}
}

/* ---------------------------------------------------------------------------
 * A round: run, kill, check.
 */
struct round_result {
	uint64_t checked, pending, kills, stops;
};

/* Stop a random live worker process for 0.2 to 3 ms, then let it go on: it
 * is most likely in the middle of an operation, of any kind, which must
 * then complete as linearizable as any other.  Its pid is still ours (only
 * we reap it): at worst it is a zombie, which ignores both signals. */
static bool stop_one(const pid_t *pid, uint64_t *rng)
{
	struct timespec nap = { 0, 200000 + (long)(rng_next(rng) % 2800000) };
	int p = (int)(rng_next(rng) % (uint64_t)procs);

	if (pid[p] == 0)
		return false;
	kill(pid[p], SIGSTOP);
	nanosleep(&nap, NULL);
	kill(pid[p], SIGCONT);
	return true;
}

/*
 * Run a round: each worker has ops_per_round / WORKERS operations to do.
 * Each worker process lives a random time, at most 2 ms, then its timer
 * kills it, and a new one takes its place, until kills_per_round kills;
 * workers that are done before are given more to do.  Meanwhile, up to
 * stops_per_round times, a worker is stopped for a moment (stop_one).
 * Returns the kills; *stops counts the stops.
 */
static long run_round(const struct tier *t, uint64_t *stops)
{
	struct timespec poll = { 0, 100000 };
	const uint64_t quota = (uint64_t)(t->ops_per_round / WORKERS);
	uint64_t rng = 0x853c49e6748fea9bull ^ (uint64_t)time(NULL);
	pid_t pid[MAX_PROCS];
	long kills = 0, armed = 0;
	int p, w, alive, status;

	for (w = 0; w < (int)WORKERS; w++)
		sh->w[w].quota = quota;
	for (p = 0; p < procs; p++, armed++)
		pid[p] = spawn(p, 1 + (long)(rng_next(&rng) % 2000000));
	for (alive = procs; alive > 0;) {
		pid_t done = waitpid(-1, &status, WNOHANG);
		bool more, work;

		if (done == 0) {	/* nobody to reap yet: stop one, or wait */
			if ((long)*stops < t->stops_per_round && rng_next(&rng) % 8 == 0 &&
			    stop_one(pid, &rng))
				++*stops;
			else
				nanosleep(&poll, NULL);
			continue;
		}
		ck_assert_int_gt(done, 0);
		for (p = 0; p < procs && pid[p] != done; p++)
			;
		ck_assert_int_lt(p, procs);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			kills++;
			mark_pending(p);
		} else {
			ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				      "worker process failed: status 0x%x", status);
		}
		armed--;
		/* Kills still wanted: a new process, armed, with work. */
		more = kills + armed < t->kills_per_round;
		work = false;
		for (w = p * THREADS; w < (p + 1) * THREADS; w++) {
			struct worker_log *wl = &sh->w[w];

			if (more && wl->quota < wl->n + 64)
				wl->quota = wl->n + 64 < log_cap ? wl->n + 64 : log_cap;
			work |= wl->n + BATCH <= wl->quota;
		}
		if (work) {
			pid[p] = spawn(p, more ? 1 + (long)(rng_next(&rng) % 2000000) : 0);
			armed += more;
		} else {
			pid[p] = 0;
			alive--;
		}
	}
	return kills;
}

/* The parent's final reads, after every worker is gone. */
static void final_reads(void)
{
	uint32_t k;

	for (k = 0; k < KEYS; k++) {
		struct lc_rec *r = rec_of(PARENT, k);

		memset(r, 0, sizeof(*r));
		r->key = k;
		r->op = LC_GET;
		r->worker = PARENT;
		r->call = tick();
		r->res = satomic_map_get(map, key_of(k), &r->out);
		r->ret = tick();
		r->state = LC_DONE;
	}
}

static int by_key(const void *a, const void *b)
{
	const struct lc_rec *const *x = a, *const *y = b;

	return (*x)->key < (*y)->key ? -1 : (*x)->key > (*y)->key;
}

/* Check every key's history and every chain of the round; *init holds the
 * values at the start and gets those at the end. */
static void check_round(struct lc_value *init, uint64_t chain_init[CHAINS][2],
			struct round_result *res)
{
	size_t total = KEYS, n = 0, i, j;
	struct lc_rec **map_recs, **chain_recs[CHAINS];
	size_t chain_n[CHAINS] = { 0 };
	char why[512];
	unsigned w;
	int c;

	for (w = 0; w < WORKERS; w++)
		total += sh->w[w].n;
	map_recs = calloc(total, sizeof(*map_recs));
	ck_assert_ptr_nonnull(map_recs);
	for (c = 0; c < CHAINS; c++) {
		chain_recs[c] = calloc(total, sizeof(**chain_recs));
		ck_assert_ptr_nonnull(chain_recs[c]);
	}
	for (w = 0; w <= PARENT; w++) {
		uint64_t count = w != PARENT ? sh->w[w].n : chains_only ? 0 : KEYS;

		for (i = 0; i < count; i++) {
			struct lc_rec *r = rec_of(w, i);

			ck_assert_msg(r->state != LC_OPEN, "worker %u record %zu still open", w, i);
			res->pending += r->state == LC_PENDING;
			if (r->op == LC_CHAIN)
				chain_recs[r->key][chain_n[r->key]++] = r;
			else
				map_recs[n++] = r;
		}
	}
	qsort(map_recs, n, sizeof(*map_recs), by_key);
	for (i = 0; i < n; i = j) {
		struct lc_value final;
		uint32_t k = map_recs[i]->key;

		for (j = i; j < n && map_recs[j]->key == k; j++)
			;
		ck_assert_msg(lc_check_key(map_recs + i, j - i, init[k], &final, why,
					   sizeof(why)) == 0, "NOT LINEARIZABLE: %s", why);
		init[k] = final;	/* the parent's read is the last operation */
		res->checked += j - i;
	}
	{
		uint64_t fin[CHAINS][2] = {
			{ satomic_load_u32(&sh->chain32), 0 },
			{ satomic_load_u64(&sh->chain64), 0 },
			{ sh->chain128.lo, sh->chain128.hi },
		};

		for (c = 0; c < chains(); c++) {
			ck_assert_msg(lc_check_chain(chain_recs[c], chain_n[c], chain_init[c][0],
						     chain_init[c][1], fin[c][0], fin[c][1],
						     why, sizeof(why)) == 0,
				      "NOT LINEARIZABLE: %s", why);
			chain_init[c][0] = fin[c][0];
			chain_init[c][1] = fin[c][1];
			res->checked += chain_n[c];
		}
	}
	for (c = 0; c < CHAINS; c++)
		free(chain_recs[c]);
	free(map_recs);
}

START_TEST(test_linearizable_under_kills)
{
	const struct tier *t = tier();
	struct lc_value *init = calloc(KEYS, sizeof(*init));
	uint64_t chain_init[CHAINS][2] = { { 0 } };
	struct round_result total = { 0 };
	struct satomic_map_stats st;
	char report[256];
	long round;
	unsigned w;

	ck_assert_ptr_nonnull(init);
	log_cap = (uint64_t)(t->ops_per_round / WORKERS) * 2;
	if (log_cap < KEYS)
		log_cap = KEYS;
	sh = shared_pages(sizeof(*sh));
	logs = shared_pages((WORKERS + 1) * log_cap * sizeof(*logs));
	if (!chains_only)
		ck_assert_int_eq(satomic_map_create_anon(16, 1 << 20, 0, &map), 0);
	for (round = 0; round < t->rounds; round++) {
		struct round_result r = { 0 };

		for (w = 0; w < WORKERS; w++)
			sh->w[w].n = 0;
		r.kills = (uint64_t)run_round(t, &r.stops);
		for (w = 0; w < WORKERS; w++)
			ck_assert_msg(sh->w[w].errors == 0 && sh->w[w].torn == 0,
				      "worker %u: %llu unexpected errors (last %lld), %llu torn",
				      w, (unsigned long long)sh->w[w].errors,
				      (long long)sh->w[w].last_error,
				      (unsigned long long)sh->w[w].torn);
		if (!chains_only)
			final_reads();
		check_round(init, chain_init, &r);
		ck_assert_msg(chains_only || satomic_map_check(map, report, sizeof(report)) == 0,
			      "integrity: %s", report);
		total.checked += r.checked;
		total.pending += r.pending;
		total.kills += r.kills;
		total.stops += r.stops;
	}
	ck_assert_uint_ge(total.kills, (uint64_t)(t->rounds * t->kills_per_round * 9 / 10));
	if (chains_only) {
		printf("linearizability (32- and 64-bit CAS chains, no map: no 128-bit "
		       "CAS): %llu operations checked (%llu pending, of killed processes), "
		       "0 violations; %llu SIGKILLs\n", (unsigned long long)total.checked,
		       (unsigned long long)total.pending, (unsigned long long)total.kills);
		ck_assert_uint_ge(total.checked, (uint64_t)t->rounds * (uint64_t)t->ops_per_round / 2);
	} else {
		ck_assert_int_eq(satomic_map_stats(map, &st), 0);
		printf("linearizability: %llu operations checked (%llu pending, of killed "
		       "processes), 0 violations; %llu SIGKILLs, %llu SIGSTOPs; "
		       "%llu migrations; %llu keys, capacity %llu\n",
		       (unsigned long long)total.checked, (unsigned long long)total.pending,
		       (unsigned long long)total.kills, (unsigned long long)total.stops,
		       (unsigned long long)st.migrations,
		       (unsigned long long)st.count, (unsigned long long)st.capacity);
		ck_assert_uint_gt(st.migrations, 10);
		ck_assert_uint_gt(total.stops, 0);	/* how many is up to timing */
		satomic_map_close(map);
	}
	munmap(logs, (WORKERS + 1) * log_cap * sizeof(*logs));
	munmap(sh, sizeof(*sh));
	free(init);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Pause torture.
 */
#define LIVE_PER_PROC 1500

struct pause_shared {
	uint64_t ops[MAX_PROCS] __attribute__((aligned(64)));
	uint64_t stop __attribute__((aligned(64)));
};

/* Churn: insert a new key, remove the one inserted LIVE_PER_PROC ago, read
 * one in between.  Exits 1 on any error. */
static void churn_process(struct pause_shared *ps, int p)
{
	int64_t i, base = (int64_t)(p + 1) << 40, v;
	uint64_t *ops = &ps->ops[p];

	for (i = 0; !__atomic_load_n(&ps->stop, __ATOMIC_RELAXED); i++) {
		if (satomic_map_insert(map, base + i, i) != 0)
			_exit(1);
		if (i >= LIVE_PER_PROC &&
		    (satomic_map_remove(map, base + i - LIVE_PER_PROC, &v) != 0 ||
		     v != i - LIVE_PER_PROC))
			_exit(2);
		if (satomic_map_get(map, base + i / 2 + LIVE_PER_PROC / 2, &v) == 0 &&
		    v != i / 2 + LIVE_PER_PROC / 2)
			_exit(3);
		__atomic_store_n(ops, *ops + 3, __ATOMIC_RELAXED);
	}
	_exit(0);
}

static int by_double(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* Operations per second of each process but `victim` over one window;
 * with `victim` stopped if `stop`.  Every other process must progress. */
static double window(struct pause_shared *ps, const pid_t *pid, int victim,
		     bool stop, uint64_t *migrations)
{
	const struct timespec len = { 0, 200000000 };
	struct satomic_map_stats st0, st1;
	uint64_t before[MAX_PROCS];
	double t0, sum = 0;
	int p, status;

	if (stop) {
		kill(pid[victim], SIGSTOP);
		ck_assert_int_eq(waitpid(pid[victim], &status, WUNTRACED), pid[victim]);
		ck_assert(WIFSTOPPED(status));
	}
	ck_assert_int_eq(satomic_map_stats(map, &st0), 0);
	for (p = 0; p < procs; p++)
		before[p] = __atomic_load_n(&ps->ops[p], __ATOMIC_RELAXED);
	t0 = now_s();
	nanosleep(&len, NULL);
	for (p = 0; p < procs; p++) {
		uint64_t d = __atomic_load_n(&ps->ops[p], __ATOMIC_RELAXED) - before[p];

		if (p == victim)
			continue;
		ck_assert_msg(d > 0, "process %d made no progress while %d was %s", p,
			      victim, stop ? "stopped" : "running");
		sum += (double)d;
	}
	sum /= now_s() - t0;
	ck_assert_int_eq(satomic_map_stats(map, &st1), 0);
	*migrations += st1.migrations - st0.migrations;
	if (stop)
		kill(pid[victim], SIGCONT);
	return sum / (procs - 1);
}

START_TEST(test_progress_while_one_is_stopped)
{
	const struct tier *t = tier();
	struct pause_shared *ps = shared_pages(sizeof(*ps));
	double *running, *paused;
	uint64_t mig_running = 0, mig_paused = 0;
	pid_t pid[MAX_PROCS];
	char report[256];
	long i;
	int p, status;

	ck_assert_int_eq(satomic_map_create_anon(64, 1 << 20, 0, &map), 0);
	for (p = 0; p < procs; p++) {
		pid[p] = test_fork();
		if (pid[p] == 0)
			churn_process(ps, p);
	}
	/* Allocated after the fork: the children _exit, and valgrind would
	 * count the parent's blocks as lost in each of them. */
	running = calloc((size_t)t->pauses, sizeof(double));
	paused = calloc((size_t)t->pauses, sizeof(double));
	ck_assert(running != NULL && paused != NULL);
	for (i = 0; i < t->pauses; i++) {
		int victim = (int)(i % procs);

		running[i] = window(ps, pid, victim, false, &mig_running);
		paused[i] = window(ps, pid, victim, true, &mig_paused);
	}
	__atomic_store_n(&ps->stop, 1, __ATOMIC_RELAXED);
	for (p = 0; p < procs; p++) {
		ck_assert_int_eq(waitpid(pid[p], &status, 0), pid[p]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "churn process %d: status 0x%x", p, status);
	}
	ck_assert_msg(satomic_map_check(map, report, sizeof(report)) == 0,
		      "integrity: %s", report);
	ck_assert_int_eq(satomic_map_count(map), procs * LIVE_PER_PROC);
	qsort(running, (size_t)t->pauses, sizeof(double), by_double);
	qsort(paused, (size_t)t->pauses, sizeof(double), by_double);
	printf("pause: %ld SIGSTOPs of 200 ms; the other %d processes: median "
	       "%.0f ops/s each with all running, %.0f with one stopped (%.2fx); "
	       "migrations completed: %llu while one was stopped, %llu otherwise\n",
	       t->pauses, procs - 1, running[t->pauses / 2], paused[t->pauses / 2],
	       paused[t->pauses / 2] / running[t->pauses / 2],
	       (unsigned long long)mig_paused, (unsigned long long)mig_running);
	ck_assert_uint_gt(mig_paused, 0);
	satomic_map_close(map);
	munmap(ps, sizeof(*ps));
	free(running);
	free(paused);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("torture");
	TCase *tc = tcase_create("torture");

	chains_only = !map_available();
	procs = test_procs(procs, 2, MAX_PROCS);	/* pause needs 2 */
	tcase_set_timeout(tc, tier() == &longer ? 7200 : 600);
	tcase_add_test(tc, test_linearizable_under_kills);
	if (chains_only)
		printf("SKIP (part): pause torture: no map without a 128-bit CAS\n");
	else if (tier()->pauses == 0)
		printf("SKIP (part): pause torture: timed, in the long tiers "
		       "(SATOMIC_TORTURE=ci: make check-long)\n");
	else
		tcase_add_test(tc, test_progress_while_one_is_stopped);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
