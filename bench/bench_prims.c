/*
 * Primitives: fetch_add, cas (a CAS-loop increment) and exchange on one
 * uint64_t, uncontended (one thread) and contended (two threads, two
 * processes on MAP_SHARED memory), each as
 *
 *   builtin   the compiler's __atomic builtin, the floor
 *   inline    satomic_* called from C: should be the builtin exactly
 *   exported  the library's symbol through a function pointer, as an FFI
 *             caller or a call that was not inlined gets it
 *   mutex     a process-shared pthread mutex around a plain operation
 *
 * The ratio column compares with the builtin of the same row.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sharedatomic.h"
#include "bench.h"
#include "harness.h"

struct counter {
	uint64_t value;
	char pad[64 - sizeof(uint64_t)];
	pthread_mutex_t lock;
};

struct prim_job {
	struct counter *shared;
	uint64_t n;
	bool contended;
};

/* The exported symbols, through pointers the compiler cannot see through. */
static uint64_t (*volatile exported_fetch_add)(uint64_t *, uint64_t) = satomic_fetch_add_u64;
static bool (*volatile exported_cas)(uint64_t *, uint64_t *, uint64_t) = satomic_cas_u64;
static uint64_t (*volatile exported_exchange)(uint64_t *, uint64_t) = satomic_exchange_u64;

#define LOOP(name, BODY) \
	static uint64_t name(void *arg, int w, int workers) \
	{ \
		struct prim_job *j = arg; \
		uint64_t local = 0, *x = j->contended ? &j->shared->value : &local; \
		uint64_t i, sum = 0; \
		(void)w; (void)workers; \
		for (i = 0; i < j->n; i++) { BODY; } \
		return sum + local; \
	}

#define CAS_INC(CAS) do { \
	uint64_t old = __atomic_load_n(x, __ATOMIC_RELAXED); \
	while (!(CAS)) ; \
	sum += old; } while (0)

LOOP(fetch_add_builtin, sum += __atomic_fetch_add(x, 1, __ATOMIC_SEQ_CST))
LOOP(fetch_add_inline, sum += satomic_fetch_add_u64(x, 1))
LOOP(fetch_add_exported, sum += exported_fetch_add(x, 1))
LOOP(cas_builtin, CAS_INC(__atomic_compare_exchange_n(x, &old, old + 1, 0,
			  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)))
LOOP(cas_inline, CAS_INC(satomic_cas_u64(x, &old, old + 1)))
LOOP(cas_exported, CAS_INC(exported_cas(x, &old, old + 1)))
LOOP(exchange_builtin, sum += __atomic_exchange_n(x, i, __ATOMIC_SEQ_CST))
LOOP(exchange_inline, sum += satomic_exchange_u64(x, i))
LOOP(exchange_exported, sum += exported_exchange(x, i))

/* The mutex variant: one loop for the three operations (they cost the same
 * under a lock); an uncontended run takes the lock too. */
static uint64_t mutex_loop(void *arg, int w, int workers)
{
	struct prim_job *j = arg;
	uint64_t i, sum = 0;

	(void)w; (void)workers;
	for (i = 0; i < j->n; i++) {
		pthread_mutex_lock(&j->shared->lock);
		sum += j->shared->value++;
		pthread_mutex_unlock(&j->shared->lock);
	}
	return sum;
}

static const struct {
	const char *op, *variant;
	work_fn fn;
} loops[] = {
	{ "fetch_add", "builtin", fetch_add_builtin },
	{ "fetch_add", "inline", fetch_add_inline },
	{ "fetch_add", "exported", fetch_add_exported },
	{ "fetch_add", "mutex", mutex_loop },
	{ "cas", "builtin", cas_builtin },
	{ "cas", "inline", cas_inline },
	{ "cas", "exported", cas_exported },
	{ "cas", "mutex", mutex_loop },
	{ "exchange", "builtin", exchange_builtin },
	{ "exchange", "inline", exchange_inline },
	{ "exchange", "exported", exchange_exported },
	{ "exchange", "mutex", mutex_loop },
};
#define NLOOPS (sizeof(loops) / sizeof(loops[0]))

static const struct { const char *name; int workers; bool processes, contended; } modes[] = {
	{ "1 thread", 1, false, false },
	{ "2 threads", 2, false, true },
	{ "2 processes", 2, true, true },
};

int bench_prims(const struct options *o, struct result *rs, int max)
{
	struct counter *c = bench_shared_alloc(sizeof(*c));
	pthread_mutexattr_t attr;
	uint64_t n = o->quick ? 2000000 : 20000000;
	struct result *slot[NLOOPS];
	int count = 0, m, l, rep;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&c->lock, &attr);
	fprintf(stderr, "primitives:");
	for (m = 0; m < 3; m++) {
		for (l = 0; l < (int)NLOOPS && count < max; l++) {
			slot[l] = &rs[count++];
			memset(slot[l], 0, sizeof(*slot[l]));
			snprintf(slot[l]->group, sizeof(slot[l]->group), "primitives");
			snprintf(slot[l]->workload, sizeof(slot[l]->workload), "%s u64",
				 loops[l].op);
			snprintf(slot[l]->mode, sizeof(slot[l]->mode), "%s", modes[m].name);
			snprintf(slot[l]->contender, sizeof(slot[l]->contender), "%s",
				 loops[l].variant);
			/* The yardstick of each row is the builtin. */
			slot[l]->peer = strcmp(loops[l].variant, "builtin") == 0;
		}
		for (rep = WARMUP; rep < o->reps; rep++)
			for (l = 0; l < (int)NLOOPS; l++) {
				struct prim_job j = { c, n, modes[m].contended };
				double ops;

				c->value = 0;
				ops = run_workers(loops[l].fn, &j, modes[m].workers,
						  modes[m].processes,
						  n * (uint64_t)modes[m].workers, NULL, NULL, NULL,
						  NULL, NULL, NULL);
				if (rep >= 0)
					result_add(slot[l], ops);
			}
		fprintf(stderr, " %s", modes[m].name);
	}
	fprintf(stderr, "\n");
	pthread_mutex_destroy(&c->lock);
	bench_shared_free(c, sizeof(*c));
	return count;
}
