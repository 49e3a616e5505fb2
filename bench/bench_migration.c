/*
 * get latency while the map migrates.  A writer inserts N keys into a map
 * created for 1024, so the table migrates about log2(N / 1024) times, each
 * migration copying every live key, cooperatively.  Meanwhile a reader on
 * the other CPU looks up keys the writer has already inserted and times
 * each lookup; then it times the same lookups again with no writer.  A
 * lookup that runs into a migration helps it along (one chunk), which is
 * what the tail shows.  Every lookup must find its key: a miss is a bug and
 * is reported as one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "sharedatomic.h"
#include "bench.h"
#include "harness.h"

struct phase {
	uint32_t *ns;		/* per-lookup latency, saturated */
	uint64_t n, misses;
};

struct run {
	struct satomic_map *map;
	uint64_t keys;
	uint64_t inserted;	/* keys [0, inserted) are in: atomic */
	int32_t done;		/* the writer finished: atomic */
};

static int64_t key_of(uint64_t i)
{
	return (int64_t)(bench_hash(i + 0x9e3779b9) | 1);
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % CPU_SETSIZE, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static uint64_t ns_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *writer(void *arg)
{
	struct run *r = arg;
	uint64_t i;

	pin_to(0);
	for (i = 0; i < r->keys; i++) {
		satomic_map_insert(r->map, key_of(i), (int64_t)i);
		if ((i & 255) == 255)
			satomic_store_u64(&r->inserted, i + 1);
	}
	satomic_store_u64(&r->inserted, r->keys);
	satomic_store_i32(&r->done, 1);
	return NULL;
}

/* Time lookups of inserted keys until the writer is done (or max). */
static void read_phase(struct run *r, struct phase *p, uint64_t max, bool while_writing)
{
	uint64_t x = 88172645463325252ull, have, t0, t1;
	int64_t v;

	p->n = p->misses = 0;
	while (p->n < max && !(while_writing && satomic_load_i32(&r->done))) {
		have = satomic_load_u64(&r->inserted);
		if (have == 0)
			continue;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		t0 = ns_now();
		if (satomic_map_get(r->map, key_of(x % have), &v) != 0)
			p->misses++;
		t1 = ns_now();
		p->ns[p->n++] = t1 - t0 > UINT32_MAX ? UINT32_MAX : (uint32_t)(t1 - t0);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void print_phase(FILE *out, const char *name, struct phase *p)
{
	static const double q[] = { 0.5, 0.9, 0.99, 0.999 };
	size_t i;

	if (p->n == 0) {
		fprintf(out, "  %-16s no samples\n", name);
		return;
	}
	qsort(p->ns, p->n, sizeof(*p->ns), cmp_u32);
	fprintf(out, "  %-16s %10llu", name, (unsigned long long)p->n);
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		fprintf(out, " %8u", p->ns[(uint64_t)(q[i] * (double)(p->n - 1))]);
	fprintf(out, " %9u %7llu\n", p->ns[p->n - 1], (unsigned long long)p->misses);
}

int bench_migration(const struct options *o, FILE *out, FILE *also)
{
	uint64_t keys = o->quick ? 400000 : 4000000, max = 16u << 20;
	struct satomic_map_stats before, after;
	struct phase growing = { 0 }, steady = { 0 };
	struct run r = { NULL, keys, 0, 0 };
	pthread_t w;
	FILE *f[2] = { out, also };
	int err, i;

	fprintf(stderr, "migration latency:");
	err = satomic_map_create_anon(1024, keys * 2, 0, &r.map);
	growing.ns = malloc(max * sizeof(uint32_t));
	steady.ns = malloc(max * sizeof(uint32_t));
	if (err < 0 || growing.ns == NULL || steady.ns == NULL) {
		fprintf(stderr, " cannot set up: %s\n", satomic_strerror(err < 0 ? err : -ENOMEM));
		return -1;
	}
	satomic_map_stats(r.map, &before);
	pin_to(1);
	pthread_create(&w, NULL, writer, &r);
	read_phase(&r, &growing, max, true);
	pthread_join(w, NULL);
	satomic_map_stats(r.map, &after);
	read_phase(&r, &steady, growing.n ? growing.n : 1000000, false);
	fprintf(stderr, " done\n");

	for (i = 0; i < 2 && f[i]; i++) {
		fprintf(f[i], "\nget latency while the map migrates: one writer inserts %llu keys "
			"into a map created for 1024\n(%llu migrations), one reader on the "
			"other CPU times each get (ns, clock_gettime included)\n",
			(unsigned long long)keys,
			(unsigned long long)(after.migrations - before.migrations));
		fprintf(f[i], "  %-16s %10s %8s %8s %8s %8s %9s %7s\n", "phase", "gets",
			"p50", "p90", "p99", "p99.9", "max", "misses");
		print_phase(f[i], "while growing", &growing);
		print_phase(f[i], "no writer", &steady);
	}
	err = growing.misses || steady.misses ? -1 : 0;
	if (err)
		fprintf(stderr, "BUG: a get missed a key that was inserted before it\n");
	free(growing.ns);
	free(steady.ns);
	satomic_map_close(r.map);
	return err;
}
