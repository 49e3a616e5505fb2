/*
 * Map workloads, for each contender, key count, and mode (1 thread, 2
 * threads, 2 processes where the table lives in shared memory; --workers
 * picks other counts):
 *
 *   insert    N distinct keys into a fresh, presized table
 *   get_hit   lookups of present keys      get_miss  of absent keys
 *   get_many  lookups in batches of 16 (contenders without a batch call loop)
 *   mixed     90% get, 9% put, 1% remove, uniform keys
 *   zipf_add  fetch_add on Zipf-skewed keys (s = 0.99)
 *   churn     insert a new key, remove the oldest: a bounded live set
 *
 * Repetitions are interleaved across contenders; the median is reported.
 * Keys avoid 0 and ~0, which ck_ht reserves.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "harness.h"

enum kind { INSERT, GET_HIT, GET_MISS, GET_MANY, MIXED, ZIPF_ADD, CHURN };
static const char *const kind_name[] = {
	"insert", "get_hit", "get_miss", "get_many", "mixed", "zipf_add", "churn",
};
#define BATCH 16

struct job {
	const struct table_impl *impl;
	void *table;
	enum kind kind;
	const int64_t *ops;	/* per-run operation keys, ops_per_worker each */
	const uint8_t *dice;	/* mixed: 0-99 per operation */
	uint64_t ops_per_worker;
	uint64_t churn_base;	/* churn: index of the next fresh key; the live
				 * keys are [churn_base - keys, churn_base) */
	uint64_t keys;		/* N */
};

/* The i-th key of the universe: positive, never 0 or ~0. */
static int64_t key_at(uint64_t i)
{
	return (int64_t)((bench_hash(i + 0x1234567) & 0x3fffffffffffffffull) | 1);
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
		for (i = (uint64_t)w; i < j->keys; i += (uint64_t)workers)
			sum += t->insert(j->table, key_at(i), (int64_t)i);
		break;
	case GET_HIT:
	case GET_MISS:
		for (i = 0; i < n; i++)
			if (t->get(j->table, ops[i], &v))
				sum += (uint64_t)v;
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

			sum += t->remove(j->table, key_at(j->churn_base - j->keys + k));
			sum += t->insert(j->table, key_at(j->churn_base + k), 1);
		}
		break;
	}
	return sum;
}

/* Zipf(s) ranks over n items (Gray et al.'s method, as in YCSB). */
static void zipf_fill(int64_t *out, uint64_t count, uint64_t n, double s)
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

		out[i] = key_at((rank >= n ? n - 1 : rank) * 2654435761u % n);
	}
}

static void fill_ops(enum kind kind, int64_t *ops, uint8_t *dice,
		     uint64_t count, uint64_t n)
{
	uint64_t i;

	if (kind == ZIPF_ADD) {
		zipf_fill(ops, count, n, 0.99);
		return;
	}
	for (i = 0; i < count; i++) {
		uint64_t r = bench_hash(i ^ ((uint64_t)kind << 40));

		ops[i] = key_at(r % n);
		if (kind == GET_MISS)
			ops[i] ^= 1ll << 62;	/* never inserted */
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
	bool writes = kind == INSERT || kind == MIXED || kind == ZIPF_ADD || kind == CHURN;

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
 * A thread worker uses its parent's page tables, filled for the prefilled
 * table as the parent filled it; a forked worker starts with none for
 * shared memory (fork does not copy them), and would time its page faults.
 * So worker processes fill theirs first (process_enter), except for
 * inserts, which start on a fresh table in either mode.
 */
static double measure(const struct table_impl *impl, struct job *j,
		      const struct mode *m)
{
	uint64_t total = j->kind == INSERT ? j->keys
		: j->kind == GET_MANY ? j->ops_per_worker / BATCH * BATCH * (uint64_t)m->workers
		: j->kind == CHURN ? j->ops_per_worker / 2 * 2 * (uint64_t)m->workers
		: j->ops_per_worker * (uint64_t)m->workers;

	return run_workers(work, j, m->workers, m->processes, total,
			   j->kind == INSERT ? NULL : impl->process_enter,
			   impl->thread_enter, impl->thread_exit, j->table);
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

static void prefill(const struct table_impl *impl, void *table, uint64_t n)
{
	uint64_t i;

	if (impl->thread_enter)
		impl->thread_enter(table);
	for (i = 0; i < n; i++)
		impl->insert(table, key_at(i), (int64_t)i);
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

int bench_map(const struct options *o, struct result *rs, int max)
{
	const uint64_t sizes[2] = {
		o->keys[0] ? o->keys[0] : o->quick ? 100000 : 1000000,
		o->keys[0] ? o->keys[1] : o->quick ? 400000 : 16000000,
	};
	const uint64_t per_worker = o->quick ? 200000 : 2000000;
	const struct table_impl *chosen[16];
	const struct table_impl *const *bench_tables = chosen;
	struct mode modes[MAX_MODES];
	const int nmodes = make_modes(o, modes);
	int ntables = 0, n = 0, si, k, mi, rep, t;
	struct result *slot[16];
	void *tables[16];
	uint64_t churn[16];	/* each table's churn cursor (struct job) */

	for (t = 0; all_tables[t] && ntables < 15; t++)
		if (listed(o->contenders, all_tables[t]->name))
			chosen[ntables++] = all_tables[t];
	chosen[ntables] = NULL;
	for (si = 0; si < 2 && sizes[si]; si++) {
		uint64_t size = sizes[si], count = per_worker * 2;
		int64_t *ops = malloc(count * sizeof(*ops));
		uint8_t *dice = malloc(count);

		fprintf(stderr, "map, %llu keys:", (unsigned long long)size);
		/* insert: a fresh table per repetition. */
		for (mi = 0; mi < nmodes; mi++) {
			for (t = 0; t < ntables; t++) {
				slot[t] = new_result(rs, &n, max, INSERT, size, &modes[mi],
						     bench_tables[t]);
				if (unsupported(bench_tables[t], INSERT, &modes[mi]))
					snprintf(slot[t]->note, sizeof(slot[t]->note), "%s",
						 unsupported(bench_tables[t], INSERT, &modes[mi]));
			}
			for (rep = WARMUP; rep < o->reps; rep++)
				for (t = 0; t < ntables; t++) {
					const struct table_impl *impl = bench_tables[t];
					struct job j = { impl, NULL, INSERT, NULL, NULL, 0, 0, size };
					uint64_t before = rss_bytes();
					double got;

					if (unsupported(impl, INSERT, &modes[mi]))
						continue;
					j.table = impl->create(size);
					got = measure(impl, &j, &modes[mi]);
					if (rep >= 0)
						result_add(slot[t], got);
					if (mi == 0 && rep == WARMUP)
						slot[t]->bytes_per_entry =
							(double)(rss_bytes() - before) / (double)size;
					impl->destroy(j.table);
				}
			fprintf(stderr, " insert/%s", modes[mi].name);
		}
		/* The other workloads share one prefilled table per contender. */
		for (t = 0; t < ntables; t++) {
			tables[t] = bench_tables[t]->create(size);
			prefill(bench_tables[t], tables[t], size);
			churn[t] = size;
		}
		for (k = GET_HIT; k <= CHURN; k++) {
			fill_ops((enum kind)k, ops, dice, count, size);
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
						struct job j = { impl, tables[t], (enum kind)k, ops,
								 dice, n_ops, churn[t], size };

						double got;

						if (unsupported(impl, (enum kind)k, &modes[mi]))
							continue;
						got = measure(impl, &j, &modes[mi]);
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
		free(dice);
	}
	return n;
}
