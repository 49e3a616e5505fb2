/* The measuring side of the benchmark: runs, repetitions, results. */
#ifndef SAT_HARNESS_H
#define SAT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct options {
	bool quick;		/* small sizes, few repetitions */
	int reps;		/* measured repetitions (median taken) */
	const char *only;	/* "map", "prims" or NULL for both */
	uint64_t keys[2];	/* map sizes (0: the defaults) */
	const char *contenders;	/* comma-separated names, or NULL for all */
	const char *workloads;	/* map workloads, comma-separated, or NULL */
	bool fault_inserts;	/* --timed-faults: inserts' tables not prefaulted */
	int workers[8];		/* map worker counts, ascending (--workers) */
	int nworkers;		/* 0: 1 and 2 */
};

/* Repetitions start at WARMUP: the first run of each row is not counted
 * (caches, page tables, CPU frequency settle). */
#define WARMUP (-1)

/* One measured configuration: its repetitions' throughputs (ops/s). */
struct result {
	char group[32];		/* "map" or "primitives" */
	char workload[32];
	uint64_t size;		/* keys (map) or 0 */
	char mode[24];		/* "1 thread", "N threads", "N processes" */
	char contender[32];
	bool peer;		/* counts as a peer for "vs best peer" */
	int n;
	double ops[16];
	double bytes_per_entry;	/* 0 if not measured */
	uint64_t faults;	/* page faults taken inside the timed spans */
	uint64_t fault_ops;	/* over this many operations (0: not counted) */
	char note[64];
};

/* A worker's job: do `n` operations of a run, as worker `w` of `workers`. */
typedef uint64_t (*work_fn)(void *arg, int w, int workers);

/*
 * Run `workers` workers (threads, or forked processes when `processes`),
 * pinned one per CPU, released together; returns operations per second:
 * total_ops over the span from the first start to the last end.  Before the
 * release each worker process calls process_enter(table) and
 * process_touch(arg), and each worker enter(table).
 * If faults is not NULL, it gets the page faults (minor and major) that the
 * workers took inside their timed spans (getrusage(RUSAGE_THREAD)).
 */
double run_workers(work_fn fn, void *arg, int workers, bool processes,
		   uint64_t total_ops, void (*process_enter)(void *),
		   void (*process_touch)(void *), void (*enter)(void *),
		   void (*leave)(void *), void *table, uint64_t *faults);

double result_median(const struct result *r);
double result_spread(const struct result *r);	/* (max - min) / median */
void result_add(struct result *r, double ops);
void result_add_faults(struct result *r, uint64_t faults, uint64_t ops);
void results_print(FILE *out, struct result *rs, int n);
void results_csv(FILE *csv, const struct result *rs, int n);

/* RSS (all kinds) of this process, in bytes. */
uint64_t rss_bytes(void);
void describe_machine(FILE *out);

int bench_map(const struct options *o, struct result *rs, int max);
int bench_prims(const struct options *o, struct result *rs, int max);
/* get latency while the map migrates; printed to out and also (if set). */
int bench_migration(const struct options *o, FILE *out, FILE *also);

#endif
