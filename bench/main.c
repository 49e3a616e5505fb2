/*
 * satomic-bench: libsharedatomic against the libraries users would pick
 * instead, measured in one run on this machine.
 *
 *   satomic-bench [--quick] [--reps N] [--only map|prims|migration] [--keys N[,N]]
 *                 [--contenders a,b,...] [--workloads insert,get_hit,...]
 *                 [--workers N,N,...] [--hugepages] [--timed-faults]
 *                 [--csv FILE] [--summary FILE]
 *
 * Prints the machine, a table of every measurement (median of N interleaved
 * repetitions, their spread, the ratio to the best peer of the row), and a
 * summary of the project's targets with what was measured against them.
 */
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "config.h"
#include "bench.h"
#include "harness.h"

#define MAX_RESULTS 4096

const struct table_impl *const all_tables[] = {
	&table_satomic,
	&table_satomic_grow,
	&table_bare,
#ifdef HAVE_CAS128
	&table_bare16,
#endif
#ifdef HAVE_CK
	&table_ck,
#endif
#ifdef HAVE_URCU
	&table_urcu,
#endif
#ifdef HAVE_LIBCUCKOO
	&table_cuckoo,
#endif
#ifdef HAVE_TBB
	&table_tbb,
#endif
	&table_mutex,
	NULL,
};

bool bench_hugepages;

void *bench_shared_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (bench_hugepages)
		(void)madvise(p, bytes, MADV_HUGEPAGE);	/* as the map's flag does */
	return p;
}

void bench_touch_pages(const void *p, size_t bytes)
{
	size_t i;

	for (i = 0; p != NULL && i < bytes; i += 4096)
		(void)((const volatile unsigned char *)p)[i];
}

/* As satomic_map_prefault does it (src/map.c, populate): the kernel's
 * page tables, then a read of each page for a hypervisor's. */
void bench_shared_prefault(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
	(void)madvise(p, bytes, MADV_POPULATE_WRITE);
#endif
	bench_touch_pages(p, bytes);
}

void bench_shared_free(void *p, size_t bytes)
{
	munmap(p, bytes);
}

static const struct result *find(const struct result *rs, int n, const char *workload,
				 uint64_t size, const char *mode, const char *who)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(rs[i].workload, workload) == 0 && rs[i].size == size &&
		    strcmp(rs[i].mode, mode) == 0 && strcmp(rs[i].contender, who) == 0)
			return &rs[i];
	return NULL;
}

/* Best median among the peers of a row, and its name. */
static double best_peer_of(const struct result *rs, int n, const struct result *r,
			   const char **name)
{
	double best = 0;
	int i;

	*name = "none";
	for (i = 0; i < n; i++)
		if (strcmp(rs[i].workload, r->workload) == 0 && rs[i].size == r->size &&
		    strcmp(rs[i].mode, r->mode) == 0 && rs[i].peer &&
		    result_median(&rs[i]) > best) {
			best = result_median(&rs[i]);
			*name = rs[i].contender;
		}
	return best;
}

static void target(FILE *out, const char *what, double got, double want, bool at_least)
{
	bool met = at_least ? got >= want : got <= want;

	fprintf(out, "  %-58s %7.2f  (target %s %.2f)  %s\n", what, got,
		at_least ? ">=" : "<=", want, met ? "met" : "MISSED");
}

static void summary(FILE *out, const struct result *rs, int n)
{
	static const char *const modes[] = { "1 thread", "2 threads" };
	static const char *const workloads[] = { "get_hit", "insert" };
	static const char *const batched[] = { "get_many", "put_many" };
	uint64_t sizes[2] = { 0, 0 };
	const struct result *ours, *bare, *r;
	const char *who;
	char what[128];
	int i, s, m, w;

	for (i = 0; i < n; i++)
		if (strcmp(rs[i].group, "map") == 0 && rs[i].size && sizes[0] == 0)
			sizes[0] = rs[i].size;
		else if (strcmp(rs[i].group, "map") == 0 && rs[i].size && rs[i].size != sizes[0])
			sizes[1] = rs[i].size;
	fprintf(out, "\ntargets (medians; ratios of the same run)\n");
	for (s = 0; s < 2 && sizes[s]; s++)
		for (w = 0; w < 2; w++)
			for (m = 0; m < 2; m++) {
				ours = find(rs, n, workloads[w], sizes[s], modes[m], "satomic");
				if (ours == NULL)
					continue;
				double best = best_peer_of(rs, n, ours, &who);

				snprintf(what, sizeof(what), "map %s, %lluK keys, %s: x best peer (%s)",
					 workloads[w], (unsigned long long)sizes[s] / 1000,
					 modes[m], who);
				if (best > 0)
					target(out, what, result_median(ours) / best, 3.0, true);
			}
	for (s = 0; s < 2 && sizes[s]; s++)
		for (w = 0; w < 2; w++) {
			ours = find(rs, n, workloads[w], sizes[s], "1 thread", "satomic");
			bare = find(rs, n, workloads[w], sizes[s], "1 thread", "bare");
			if (ours && bare && result_median(bare) > 0) {
				snprintf(what, sizeof(what), "map %s, %lluK keys, 1 thread: x bare table",
					 workloads[w], (unsigned long long)sizes[s] / 1000);
				target(out, what, result_median(ours) / result_median(bare), 0.90, true);
			}
			bare = find(rs, n, workloads[w], sizes[s], "1 thread", "bare16");
			if (ours && bare && result_median(bare) > 0) {
				snprintf(what, sizeof(what), "map %s, %lluK keys, 1 thread: x bare16 (its CAS16)",
					 workloads[w], (unsigned long long)sizes[s] / 1000);
				fprintf(out, "  %-58s %7.2f  (for reference)\n", what,
					result_median(ours) / result_median(bare));
			}
		}
	for (s = 0; s < 2 && sizes[s]; s++)
		for (m = 0; m < 2; m++) {
			ours = find(rs, n, "insert", sizes[s], modes[m], "satomic-grow");
			r = find(rs, n, "insert", sizes[s], modes[m], "satomic");
			if (ours && r && result_median(r) > 0) {
				snprintf(what, sizeof(what), "insert from 1024 slots / presized, %lluK keys, %s",
					 (unsigned long long)sizes[s] / 1000, modes[m]);
				target(out, what, result_median(ours) / result_median(r), 0.5, true);
			}
		}
	for (s = 0; s < 2 && sizes[s]; s++)
		for (w = 0; w < 2; w++) {	/* the batches, prefetching */
			ours = find(rs, n, batched[w], sizes[s], "1 thread", "satomic");
			r = find(rs, n, workloads[w], sizes[s], "1 thread", "satomic");
			if (ours && r && result_median(r) > 0) {
				snprintf(what, sizeof(what), "%s / %s, %lluK keys, 1 thread",
					 batched[w], workloads[w],
					 (unsigned long long)sizes[s] / 1000);
				target(out, what, result_median(ours) / result_median(r), 1.5, true);
			}
		}
	for (i = 0; i < n; i++) {
		const struct result *b;

		if (strcmp(rs[i].group, "primitives") || strcmp(rs[i].mode, "1 thread"))
			continue;
		b = find(rs, n, rs[i].workload, 0, "1 thread", "builtin");
		if (b == NULL || result_median(&rs[i]) <= 0)
			continue;
		if (strcmp(rs[i].contender, "inline") == 0) {
			snprintf(what, sizeof(what), "%s, uncontended: inline time / builtin",
				 rs[i].workload);
			target(out, what, result_median(b) / result_median(&rs[i]), 1.02, false);
		} else if (strcmp(rs[i].contender, "exported") == 0) {
			snprintf(what, sizeof(what), "%s, uncontended: exported time / builtin",
				 rs[i].workload);
			target(out, what, result_median(b) / result_median(&rs[i]), 1.3, false);
		}
	}
}

/* --workers 1,2,4: the map's worker counts, each >= 1, ascending. */
static int parse_workers(const char *list, struct options *o)
{
	const char *p = list;
	char *end;

	for (o->nworkers = 0; o->nworkers < 8; p = end + 1) {
		long w = strtol(p, &end, 10);

		if (end == p || w < 1 || w > 64 ||
		    (o->nworkers > 0 && w <= o->workers[o->nworkers - 1]))
			return -1;
		o->workers[o->nworkers++] = (int)w;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o = { .reps = 5 };
	const char *csv_path = NULL, *summary_path = NULL;
	static struct result rs[MAX_RESULTS];
	int n = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			o.quick = true;
		else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			o.reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			o.only = argv[++i];
		else if (strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
			char *end;

			o.keys[0] = strtoull(argv[++i], &end, 10);
			o.keys[1] = *end == ',' ? strtoull(end + 1, NULL, 10) : 0;
		} else if (strcmp(argv[i], "--contenders") == 0 && i + 1 < argc)
			o.contenders = argv[++i];
		else if (strcmp(argv[i], "--workloads") == 0 && i + 1 < argc)
			o.workloads = argv[++i];
		else if (strcmp(argv[i], "--timed-faults") == 0)
			o.fault_inserts = true;
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
			if (parse_workers(argv[++i], &o) < 0) {
				fprintf(stderr, "--workers: up to 8 counts, ascending, "
					"1 to 64 each, as 1,2,4\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--hugepages") == 0)
			bench_hugepages = true;
		else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
			csv_path = argv[++i];
		else if (strcmp(argv[i], "--summary") == 0 && i + 1 < argc)
			summary_path = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--quick] [--reps N] [--only map|prims|migration] "
				"[--keys N[,N]] [--contenders a,b,...] [--workloads insert,get_hit,...] "
				"[--workers N,N,...] [--hugepages] [--timed-faults] "
				"[--csv FILE] [--summary FILE]\n", argv[0]);
			return 2;
		}
	}
	if (o.quick && o.reps == 5)
		o.reps = 3;
	if (o.reps < 1 || o.reps > 16) {
		fprintf(stderr, "--reps: 1 to 16\n");
		return 2;
	}
	/* Freed memory stays mapped (no trimming, no mmap'ed chunks), so heap
	 * peers find it faulted after the untimed warm-up repetition, as the
	 * tables in shared memory are prefaulted: no contender times page
	 * faults (the flt/kop column shows what remains). */
	mallopt(M_MMAP_MAX, 0);
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	describe_machine(stdout);
	printf("repetitions: %d, interleaved across contenders (insert, put_many: "
	       "each contender's in a child process of its own); median reported\n",
	       o.reps);
	printf("keys:     distinct, uniform 64-bit (a bijective mix of a counter), "
	       "the same for every contender; every table hashes with a mixing hash\n");
	if (o.fault_inserts)
		printf("faults:   --timed-faults: inserts fill fresh, unfaulted tables "
		       "(their page faults are timed)\n");
	else
		printf("faults:   tables prefaulted before the clock (shared memory: "
		       "MADV_POPULATE_WRITE in each worker process;\n"
		       "          heap: kept mapped after the untimed warm-up)\n");
	printf("flt/kop:  page faults taken by the workers inside the timed span, "
	       "per 1000 operations\n\n");
	fflush(stdout);	/* forked workers must not inherit unflushed output */
	if (o.only == NULL || strcmp(o.only, "prims") == 0)
		n += bench_prims(&o, rs + n, MAX_RESULTS - n);
	if (o.only == NULL || strcmp(o.only, "map") == 0)
		n += bench_map(&o, rs + n, MAX_RESULTS - n);
	results_print(stdout, rs, n);
	summary(stdout, rs, n);
	if (csv_path) {
		FILE *f = fopen(csv_path, "w");

		if (f == NULL) {
			perror(csv_path);
			return 1;
		}
		results_csv(f, rs, n);
		fclose(f);
	}
	FILE *f = summary_path ? fopen(summary_path, "w") : NULL;
	int rc = 0;

	if (f) {
		describe_machine(f);
		summary(f, rs, n);
	}
	if (o.only == NULL || strcmp(o.only, "migration") == 0)
		rc = bench_migration(&o, stdout, f) < 0;
	if (f)
		fclose(f);
	return rc;
}
