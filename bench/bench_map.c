/*
 * Map workloads, for each contender, key count, and mode (1 thread, 2
 * threads, 2 processes where the table lives in shared memory; --workers
 * picks other counts):
 *
 *   insert    N distinct keys into a fresh, presized table
 *   get_hit   lookups of present keys      get_miss  of absent keys
 *   get_many  lookups in batches of 16 (contenders without a batch call loop)
 *   get_chain lookups of present keys, each chosen by the value the one
 *             before found: no two overlap, so this is one lookup's latency
 *             where get_hit is the throughput of several in flight
 *   mixed     90% get, 9% put, 1% remove, uniform keys
 *   zipf_add  fetch_add on Zipf-skewed keys (s = 0.99)
 *   churn     insert a new key, remove the oldest: a bounded live set
 *   put_many  N distinct keys into a fresh, presized table, 16 at a time
 *             (contenders without a batch call loop over put)
 *
 * Repetitions are interleaved across contenders; the median is reported.
 * insert and put_many run each contender's repetitions in a child process
 * of its own instead (fresh_runs).
 *
 * Keys: distinct, uniformly spread 64-bit values (key_at), the same array
 * for every contender, generated once per size.  Every contender hashes
 * with a mixing hash (its own, or MurmurHash3's finalizer where its default
 * is the identity), so no table is helped or hurt by the keys' shape.
 *
 * Page faults are not timed: before the clock starts, tables in shared
 * memory are prefaulted in every worker process (process_enter, also for
 * inserts) and in the parent for threads; peers that allocate from the heap
 * find it faulted by the untimed warm-up repetition, because main() keeps
 * freed memory mapped (mallopt).  Each row reports the faults its workers
 * still took inside the timed spans, so this can be checked.
 */
#include <malloc.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "harness.h"

enum kind {
	INSERT, GET_HIT, GET_MISS, GET_MANY, GET_CHAIN, MIXED, ZIPF_ADD, CHURN,
	PUT_MANY
};
static const char *const kind_name[] = {
	"insert", "get_hit", "get_miss", "get_many", "get_chain", "mixed",
	"zipf_add", "churn", "put_many",
};
/* The workloads that fill a fresh table each repetition. */
static const enum kind fresh_kinds[] = { INSERT, PUT_MANY };
#define BATCH 16

struct job {
	const struct table_impl *impl;
	void *table;
	enum kind kind;
	const int64_t *keys;	/* the N keys: key_at(0 .. N-1) */
	const int64_t *ops;	/* per-run operation keys, ops_per_worker each */
	const uint8_t *dice;	/* mixed: 0-99 per operation */
	uint64_t ops_per_worker;
	uint64_t churn_base;	/* churn: index of the next fresh key; the live
				 * keys are [churn_base - n, churn_base) */
	uint64_t n;		/* N */
	uint64_t ops_count;	/* entries of ops and dice */
};

/*
 * A forked worker reads each page of the job's arrays once before the
 * clock, as bench_shared_prefault does the tables: the arrays are the
 * parent's private memory, whose page tables fork copies, but on some
 * virtual machines a process's first touch of each page still costs
 * microseconds, unseen as a page fault (2 processes ran at 0.6x of 2
 * threads on an AMD guest, every contender alike).
 */
static void job_touch(void *arg)
{
	const struct job *j = arg;

	bench_touch_pages(j->keys, j->n * sizeof(*j->keys));
	bench_touch_pages(j->ops, j->ops_count * sizeof(*j->ops));
	bench_touch_pages(j->dice, j->ops_count);
}

/*
 * The i-th key of the universe: splitmix64's finalizer of i + 1, a
 * bijection of the 64-bit words, so distinct indexes give distinct keys,
 * spread over all 64 bits (negative keys included).  Indexes in use: the N
 * inserted keys [0, N), churn's fresh keys from N on (fewer than 2^40), and
 * misses from MISS_BASE (below 2^63): never an inserted key.  The reserved
 * keys of the peers that have them are out of reach: 0 (ck_ht) is
 * key_at(2^64 - 1) and ~0 (ck_ht; bare's -1) is key_at(RESERVED_ONES),
 * both above every index used (checked in bench_map()).
 */
#define MISS_BASE (1ull << 62)
#define RESERVED_ONES 0xcf9a04affa6badbfull
static int64_t key_at(uint64_t i)
{
	uint64_t z = i + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (int64_t)(z ^ (z >> 31));
}

static uint64_t work(void *arg, int w, int workers)
{
	struct job *j = arg;
	const struct table_impl *t = j->impl;
	const int64_t *ops = j->ops + (uint64_t)w * j->ops_per_worker;
	uint64_t i, n = j->ops_per_worker, sum = 0;
	int64_t v = 0, vals[BATCH];
	size_t b;

	switch (j->kind) {
	case INSERT:	/* worker w inserts its share of the N keys */
		for (i = (uint64_t)w; i < j->n; i += (uint64_t)workers)
			sum += t->insert(j->table, j->keys[i], (int64_t)i);
		break;
	case PUT_MANY:	/* worker w puts its share, BATCH keys at a time,
			 * each key as its own value */
		for (i = (uint64_t)w * BATCH; i < j->n; i += (uint64_t)workers * BATCH) {
			size_t len = j->n - i < BATCH ? (size_t)(j->n - i) : BATCH;

			if (t->put_many)
				t->put_many(j->table, j->keys + i, j->keys + i, len);
			else
				for (b = 0; b < len; b++)
					t->put(j->table, j->keys[i + b], j->keys[i + b]);
		}
		break;
	case GET_HIT:
	case GET_MISS:
		for (i = 0; i < n; i++)
			if (t->get(j->table, ops[i], &v))
				sum += (uint64_t)v;
		break;
	case GET_CHAIN:	/* the next key's index depends on v: a data
			 * dependency, which the CPU cannot guess around */
		for (i = 0; i < n; i++) {
			uint64_t at = i + ((uint64_t)v & 1);

			if (t->get(j->table, ops[at < n ? at : 0], &v))
				sum += (uint64_t)v;
		}
		break;
	case GET_MANY:
		for (i = 0; i + BATCH <= n; i += BATCH) {
			if (t->get_many)
				sum += t->get_many(j->table, ops + i, BATCH, vals);
			else
				for (b = 0; b < BATCH; b++)
					sum += t->get(j->table, ops[i + b], &vals[b]);
		}
		break;
	case MIXED:
		for (i = 0; i < n; i++) {
			uint8_t d = j->dice[(uint64_t)w * n + i];

			if (d < 90)
				sum += t->get(j->table, ops[i], &v);
			else if (d < 99)
				t->put(j->table, ops[i], (int64_t)i);
			else
				sum += t->remove(j->table, ops[i]);
		}
		break;
	case ZIPF_ADD:
		for (i = 0; i < n; i++)
			t->add(j->table, ops[i], 1);
		break;
	case CHURN:	/* remove the oldest keys, add as many fresh ones */
		for (i = 0; i < n / 2; i++) {
			uint64_t k = (uint64_t)w + i * (uint64_t)workers;

			sum += t->remove(j->table, key_at(j->churn_base - j->n + k));
			sum += t->insert(j->table, key_at(j->churn_base + k), 1);
		}
		break;
	}
	return sum;
}

/* Zipf(s) ranks over n items (Gray et al.'s method, as in YCSB). */
static void zipf_fill(int64_t *out, const int64_t *keys, uint64_t count,
		      uint64_t n, double s)
{
	double zetan = 0, zeta2 = 1 + pow(0.5, s), alpha = 1 / (1 - s), eta;
	uint64_t i;

	for (i = 1; i <= n; i++)
		zetan += 1 / pow((double)i, s);
	eta = (1 - pow(2.0 / (double)n, 1 - s)) / (1 - zeta2 / zetan);
	for (i = 0; i < count; i++) {
		double u = (double)(bench_hash(i * 7 + 3) >> 11) / 9007199254740992.0;
		double uz = u * zetan;
		uint64_t rank = uz < 1 ? 0 : uz < zeta2 ? 1 :
			(uint64_t)((double)n * pow(eta * u - eta + 1, alpha));

		out[i] = keys[(rank >= n ? n - 1 : rank) * 2654435761u % n];
	}
}

static void fill_ops(enum kind kind, int64_t *ops, uint8_t *dice,
		     const int64_t *keys, uint64_t count, uint64_t n)
{
	uint64_t i;

	if (kind == ZIPF_ADD) {
		zipf_fill(ops, keys, count, n, 0.99);
		return;
	}
	for (i = 0; i < count; i++) {
		uint64_t r = bench_hash(i ^ ((uint64_t)kind << 40));

		/* a miss: a key never inserted (a distinct index) */
		ops[i] = kind == GET_MISS ? key_at(MISS_BASE + (r >> 2)) : keys[r % n];
		if (dice)
			dice[i] = (uint8_t)(bench_hash(r) % 100);
	}
}

struct mode {
	char name[24];
	int workers;
	bool processes;
};
#define MAX_MODES 16

/* The modes measured: for each worker count of --workers (default 1, 2),
 * that many threads and, from 2 on, that many processes. */
static int make_modes(const struct options *o, struct mode *modes)
{
	static const int dflt[] = { 1, 2 };
	const int *counts = o->nworkers ? o->workers : dflt;
	int c, n = 0, ncounts = o->nworkers ? o->nworkers : 2;

	for (c = 0; c < ncounts; c++) {
		int w = counts[c];

		modes[n] = (struct mode){ "", w, false };
		snprintf(modes[n++].name, sizeof(modes->name), "%d thread%s", w,
			 w > 1 ? "s" : "");
		if (w > 1) {
			modes[n] = (struct mode){ "", w, true };
			snprintf(modes[n++].name, sizeof(modes->name), "%d processes", w);
		}
	}
	return n;
}

/* Whether impl can run kind in mode; if not, why. */
static const char *unsupported(const struct table_impl *impl, enum kind kind,
			       const struct mode *m)
{
	bool writes = kind != GET_HIT && kind != GET_MISS && kind != GET_MANY &&
		      kind != GET_CHAIN;

	if (m->processes && !(impl->caps & CAP_PROCESSES))
		return "cannot be shared between processes";
	if (writes && m->workers > 1 && !(impl->caps & CAP_MULTI_WRITER))
		return "single writer";
	if ((kind == MIXED || kind == CHURN) && !(impl->caps & CAP_REMOVE))
		return "no remove";
	return NULL;
}

static struct result *new_result(struct result *rs, int *n, int max,
				 enum kind kind, uint64_t size,
				 const struct mode *m, const struct table_impl *impl)
{
	struct result *r;

	if (*n >= max)
		return NULL;
	r = &rs[(*n)++];
	memset(r, 0, sizeof(*r));
	snprintf(r->group, sizeof(r->group), "map");
	snprintf(r->workload, sizeof(r->workload), "%s", kind_name[kind]);
	r->size = size;
	snprintf(r->mode, sizeof(r->mode), "%s", m->name);
	snprintf(r->contender, sizeof(r->contender), "%s", impl->name);
	r->peer = !impl->reference && strcmp(impl->name, "satomic") != 0;
	if (impl->note[0])
		snprintf(r->note, sizeof(r->note), "%s", impl->note);
	return r;
}

/*
 * A thread worker uses its parent's page tables, filled for the table as
 * the parent filled them (prefill, or process_enter after create); a forked
 * worker starts with none for shared memory (fork does not copy them), and
 * would time its page faults, which for MAP_SHARED memory cost several
 * times a private page's.  So every worker process fills its own first
 * (process_enter), inserts included: the parent has allocated the pages.
 * The faults still taken inside the timed span are added to r.  With
 * fault (--timed-faults, inserts only) nothing is prefaulted, as before.
 */
static double measure(const struct table_impl *impl, struct job *j,
		      const struct mode *m, struct result *r, bool fault)
{
	uint64_t total = j->kind == INSERT || j->kind == PUT_MANY ? j->n
		: j->kind == GET_MANY ? j->ops_per_worker / BATCH * BATCH * (uint64_t)m->workers
		: j->kind == CHURN ? j->ops_per_worker / 2 * 2 * (uint64_t)m->workers
		: j->ops_per_worker * (uint64_t)m->workers;
	uint64_t faults = 0;
	double got = run_workers(work, j, m->workers, m->processes, total,
				 fault ? NULL : impl->process_enter, job_touch,
				 impl->thread_enter, impl->thread_exit, j->table, &faults);

	if (r)
		result_add_faults(r, faults, total);
	return got;
}

/*
 * A worker's operations in a run: per_worker, but a run's total is at most
 * 2 * per_worker (as with 2 workers), so that many workers do not multiply
 * the time a row takes; churn removes keys that exist: at most half the
 * live set per run.
 */
static uint64_t ops_per_worker(uint64_t per_worker, uint64_t size, enum kind kind,
			       const struct mode *m)
{
	uint64_t w = (uint64_t)m->workers, n = per_worker * 2 / w;

	if (n > per_worker)
		n = per_worker;
	if (kind == CHURN && n * w > size / 2)
		n = size / 2 / w;
	return n;
}

static void prefill(const struct table_impl *impl, void *table,
		    const int64_t *keys, uint64_t n)
{
	uint64_t i;

	if (impl->thread_enter)
		impl->thread_enter(table);
	for (i = 0; i < n; i++)
		impl->insert(table, keys[i], (int64_t)i);
	if (impl->thread_exit)
		impl->thread_exit(table);
}

/* Whether name is in the comma-separated list (NULL: everything is). */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (list == NULL)
		return true;
	for (p = list; (p = strstr(p, name)) != NULL; p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

/* What a fresh-table child brings back (shared memory). */
struct fresh_out {
	double got[16];		/* per counted repetition (--reps <= 16) */
	uint64_t faults, fault_ops;
	double bytes_per_entry;
};

/*
 * Every run of a fresh-table workload (insert, put_many) for one contender
 * and mode, warm-up first, in a child process of its own, so that no
 * contender fills tables in a process that another contender's library
 * has changed: with liburcu's table run before it in the same process, the
 * map's inserts ran 3x slower in half the repetitions (same instructions,
 * no preemption; doc/benchmarks.md), and never so in a child.  The
 * warm-up leaves the child's heap faulted for the counted runs, as it does
 * in one process.  These repetitions run one contender after another, not
 * interleaved.  sized: measure the RSS per key over the warm-up.
 */
static void fresh_runs(const struct options *o, const struct table_impl *impl,
		       enum kind fk, const struct mode *m, const int64_t *keys,
		       uint64_t size, bool sized, struct result *r)
{
	struct fresh_out *out = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rep, status = 0;
	pid_t pid;

	if (out == MAP_FAILED) {
		snprintf(r->note, sizeof(r->note), "no memory for its results");
		return;
	}
	memset(out, 0, sizeof(*out));
	fflush(NULL);	/* nothing buffered twice */
	pid = fork();
	if (pid == 0) {
		for (rep = WARMUP; rep < o->reps; rep++) {
			struct job j = { impl, NULL, fk, keys, NULL, NULL, 0, 0, size, 0 };
			struct result counted = { .n = 0 };
			uint64_t before;
			double got;

			/* Memory: the heap's free pages given back first, so
			 * that the RSS growth is this table's. */
			if (sized && rep == WARMUP)
				malloc_trim(0);
			before = rss_bytes();
			j.table = impl->create(size);
			if (j.table == NULL)
				_exit(1);
			if (impl->process_enter && !o->fault_inserts)
				impl->process_enter(j.table);	/* prefault */
			got = measure(impl, &j, m, &counted, o->fault_inserts);
			if (rep >= 0) {
				out->got[rep] = got;
				out->faults += counted.faults;
				out->fault_ops += counted.fault_ops;
			} else if (sized) {
				out->bytes_per_entry =
					(double)(rss_bytes() - before) / (double)size;
			}
			impl->destroy(j.table);
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		snprintf(r->note, sizeof(r->note), "its child process failed");
	} else {
		for (rep = 0; rep < o->reps; rep++)
			result_add(r, out->got[rep]);
		result_add_faults(r, out->faults, out->fault_ops);
		if (sized)
			r->bytes_per_entry = out->bytes_per_entry;
	}
	munmap(out, sizeof(*out));
}

/* The keys of a size: key_at(0 .. size - 1), or NULL. */
static int64_t *make_keys(uint64_t size)
{
	int64_t *keys;
	uint64_t i;

	/* ~0 is reserved by ck_ht and bare: beyond every index used. */
	if (key_at(RESERVED_ONES) != -1 || size + (1ull << 40) > MISS_BASE ||
	    (keys = malloc(size * sizeof(*keys))) == NULL) {
		fprintf(stderr, "map: cannot make %llu keys\n", (unsigned long long)size);
		return NULL;
	}
	for (i = 0; i < size; i++)
		keys[i] = key_at(i);
	return keys;
}

/* insert and put_many, a fresh table per repetition, for every size first:
 * forked before any map contender has run in this process (only the
 * primitives' benchmarks, which use no peer library, may have), since a
 * library's state, such as liburcu's call_rcu thread, does not survive a
 * fork. */
static int fresh_phase(const struct options *o, const struct table_impl *const *tables,
		       int ntables, const struct mode *modes, int nmodes,
		       uint64_t size, struct result *rs, int n, int max)
{
	int64_t *keys = make_keys(size);
	struct result *r;
	int f, mi, t;

	if (keys == NULL)
		return n;
	fprintf(stderr, "map, %llu keys:", (unsigned long long)size);
	for (f = 0; f < (int)(sizeof(fresh_kinds) / sizeof(*fresh_kinds)); f++) {
		const enum kind fk = fresh_kinds[f];

		for (mi = 0; mi < nmodes && listed(o->workloads, kind_name[fk]); mi++) {
			for (t = 0; t < ntables; t++) {
				const char *why = unsupported(tables[t], fk, &modes[mi]);

				if ((r = new_result(rs, &n, max, fk, size, &modes[mi],
						    tables[t])) == NULL)
					break;
				if (why)
					snprintf(r->note, sizeof(r->note), "%s", why);
				else
					fresh_runs(o, tables[t], fk, &modes[mi], keys, size,
						   fk == INSERT && mi == 0, r);
			}
			fprintf(stderr, " %s/%s", kind_name[fk], modes[mi].name);
		}
	}
	fprintf(stderr, "\n");
	free(keys);
	return n;
}

/* The other workloads share one prefilled table per contender; their
 * repetitions are interleaved across contenders. */
static int shared_phase(const struct options *o, const struct table_impl *const *bench_tables,
			int ntables, const struct mode *modes, int nmodes,
			uint64_t size, struct result *rs, int n, int max)
{
	const uint64_t per_worker = o->quick ? 200000 : 2000000;
	uint64_t count = per_worker * 2;
	int64_t *keys = make_keys(size), *ops = malloc(count * sizeof(*ops));
	uint8_t *dice = malloc(count);
	struct result *slot[16];
	void *tables[16];
	uint64_t churn[16];	/* each table's churn cursor (struct job) */
	int k, mi, rep, t;

	if (keys == NULL || ops == NULL || dice == NULL) {
		free(keys), free(ops), free(dice);
		return n;
	}
	fprintf(stderr, "map, %llu keys:", (unsigned long long)size);
	for (t = 0; t < ntables; t++) {
		tables[t] = bench_tables[t]->create(size);
		prefill(bench_tables[t], tables[t], keys, size);
		churn[t] = size;
	}
	for (k = GET_HIT; k <= CHURN; k++) {
		if (!listed(o->workloads, kind_name[k]))
			continue;
		fill_ops((enum kind)k, ops, dice, keys, count, size);
		for (mi = 0; mi < nmodes; mi++) {
			for (t = 0; t < ntables; t++) {
				const char *why = unsupported(bench_tables[t], (enum kind)k,
							      &modes[mi]);

				slot[t] = new_result(rs, &n, max, (enum kind)k, size,
						     &modes[mi], bench_tables[t]);
				if (why)
					snprintf(slot[t]->note, sizeof(slot[t]->note), "%s", why);
			}
			for (rep = WARMUP; rep < o->reps; rep++)
				for (t = 0; t < ntables; t++) {
					const struct table_impl *impl = bench_tables[t];
					uint64_t n_ops = ops_per_worker(per_worker, size,
									(enum kind)k, &modes[mi]);
					struct job j = { impl, tables[t], (enum kind)k, keys,
							 ops, dice, n_ops, churn[t], size,
							 n_ops * (uint64_t)modes[mi].workers };
					double got;

					if (unsupported(impl, (enum kind)k, &modes[mi]))
						continue;
					got = measure(impl, &j, &modes[mi],
						      rep >= 0 ? slot[t] : NULL, false);
					if (rep >= 0)
						result_add(slot[t], got);
					if (k == CHURN)
						churn[t] += n_ops / 2 * (uint64_t)modes[mi].workers;
				}
		}
		fprintf(stderr, " %s", kind_name[k]);
	}
	for (t = 0; t < ntables; t++)
		bench_tables[t]->destroy(tables[t]);
	fprintf(stderr, "\n");
	free(ops);
	free(keys);
	free(dice);
	return n;
}

int bench_map(const struct options *o, struct result *rs, int max)
{
	const uint64_t sizes[2] = {
		o->keys[0] ? o->keys[0] : o->quick ? 100000 : 1000000,
		o->keys[0] ? o->keys[1] : o->quick ? 400000 : 16000000,
	};
	const struct table_impl *chosen[16];
	struct mode modes[MAX_MODES];
	const int nmodes = make_modes(o, modes);
	int ntables = 0, n = 0, si, k, t;
	bool only_fresh = o->workloads != NULL;

	for (k = GET_HIT; k <= CHURN; k++)
		if (listed(o->workloads, kind_name[k]))
			only_fresh = false;
	for (t = 0; all_tables[t] && ntables < 15; t++)
		if (listed(o->contenders, all_tables[t]->name))
			chosen[ntables++] = all_tables[t];
	chosen[ntables] = NULL;
	for (si = 0; si < 2 && sizes[si]; si++)
		n = fresh_phase(o, chosen, ntables, modes, nmodes, sizes[si], rs, n, max);
	for (si = 0; si < 2 && sizes[si] && !only_fresh; si++)
		n = shared_phase(o, chosen, ntables, modes, nmodes, sizes[si], rs, n, max);
	return n;
}
