/*
 * Running workers and reporting: threads or processes pinned one per CPU
 * and released together; each worker times its own span, and a run's time
 * is from the first start to the last end.  Medians of interleaved
 * repetitions, with their spread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MAX_WORKERS 64

struct sync {
	uint64_t ready, go;
	double start[MAX_WORKERS], end[MAX_WORKERS];
	uint64_t faults;	/* page faults the workers took while timed */
	uint64_t sink;	/* results folded in, so no work is optimized away */
};

struct worker_arg {
	struct sync *sync;
	work_fn fn;
	void *arg;
	int w, workers;
	void (*process_enter)(void *), (*process_touch)(void *);
	void (*enter)(void *), (*leave)(void *);
	void *table;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Page faults (minor and major) this thread has taken so far. */
static uint64_t thread_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

static void pin(int w)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((int)(w % (cpus > 0 ? cpus : 1)), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *worker(void *p)
{
	struct worker_arg *a = p;
	struct sync *s = a->sync;
	uint64_t r, faults;

	pin(a->w);
	if (a->process_enter)
		a->process_enter(a->table);
	if (a->process_touch)
		a->process_touch(a->arg);
	if (a->enter)
		a->enter(a->table);
	__atomic_fetch_add(&s->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		;
	faults = thread_faults();
	s->start[a->w] = now();
	r = a->fn(a->arg, a->w, a->workers);
	s->end[a->w] = now();
	__atomic_fetch_add(&s->faults, thread_faults() - faults, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->sink, r, __ATOMIC_RELAXED);
	if (a->leave)
		a->leave(a->table);
	return NULL;
}

double run_workers(work_fn fn, void *arg, int workers, bool processes,
		   uint64_t total_ops, void (*process_enter)(void *),
		   void (*process_touch)(void *), void (*enter)(void *),
		   void (*leave)(void *), void *table, uint64_t *faults)
{
	struct sync *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct worker_arg args[MAX_WORKERS];
	pthread_t threads[MAX_WORKERS];
	pid_t pids[MAX_WORKERS];
	struct timespec nap = { 0, 100000 };
	double first, last;
	int w, status, failed = 0;

	if (s == MAP_FAILED || workers > MAX_WORKERS)
		return 0;
	memset(s, 0, sizeof(*s));
	for (w = 0; w < workers; w++) {
		args[w] = (struct worker_arg){ s, fn, arg, w, workers,
					       processes ? process_enter : NULL,
					       processes ? process_touch : NULL,
					       enter, leave, table };
		if (processes) {
			pids[w] = fork();
			if (pids[w] == 0) {
				worker(&args[w]);
				_exit(0);
			}
		} else {
			pthread_create(&threads[w], NULL, worker, &args[w]);
		}
	}
	/* The main thread sleeps: on a 2-core machine it must not compete. */
	while (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) < (uint64_t)workers)
		nanosleep(&nap, NULL);
	__atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
	for (w = 0; w < workers; w++) {
		if (processes) {
			if (waitpid(pids[w], &status, 0) != pids[w] ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				failed = 1;
		} else {
			pthread_join(threads[w], NULL);
		}
	}
	first = s->start[0];
	last = s->end[0];
	for (w = 1; w < workers; w++) {
		if (s->start[w] < first)
			first = s->start[w];
		if (s->end[w] > last)
			last = s->end[w];
	}
	if (faults)
		*faults = s->faults;
	munmap(s, sizeof(*s));
	return failed || last <= first ? 0 : (double)total_ops / (last - first);
}

void result_add(struct result *r, double ops)
{
	if (r->n < (int)(sizeof(r->ops) / sizeof(r->ops[0])))
		r->ops[r->n++] = ops;
}

void result_add_faults(struct result *r, uint64_t faults, uint64_t ops)
{
	r->faults += faults;
	r->fault_ops += ops;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double result_median(const struct result *r)
{
	double v[16];

	if (r->n == 0)
		return 0;
	memcpy(v, r->ops, sizeof(double) * (size_t)r->n);
	qsort(v, (size_t)r->n, sizeof(double), cmp_double);
	return r->n % 2 ? v[r->n / 2] : (v[r->n / 2 - 1] + v[r->n / 2]) / 2;
}

double result_spread(const struct result *r)
{
	double lo = r->ops[0], hi = r->ops[0], med = result_median(r);
	int i;

	for (i = 1; i < r->n; i++) {
		if (r->ops[i] < lo)
			lo = r->ops[i];
		if (r->ops[i] > hi)
			hi = r->ops[i];
	}
	return med > 0 ? (hi - lo) / med : 0;
}

static bool same_row(const struct result *a, const struct result *b)
{
	return strcmp(a->group, b->group) == 0 &&
	       strcmp(a->workload, b->workload) == 0 && a->size == b->size &&
	       strcmp(a->mode, b->mode) == 0;
}

/* The best peer's median for r's row, or 0 if the row has none. */
static double best_peer(const struct result *rs, int n, const struct result *r)
{
	double best = 0;
	int i;

	for (i = 0; i < n; i++)
		if (same_row(&rs[i], r) && rs[i].peer && result_median(&rs[i]) > best)
			best = result_median(&rs[i]);
	return best;
}

static int threads_of(const char *mode)
{
	return atoi(mode) > 0 ? atoi(mode) : 1;
}

/* The bare table's median for r's row, or 0 if the row has none. */
static double bare_of(const struct result *rs, int n, const struct result *r)
{
	int i;

	for (i = 0; i < n; i++)
		if (same_row(&rs[i], r) && strcmp(rs[i].contender, "bare") == 0)
			return result_median(&rs[i]);
	return 0;
}

void results_print(FILE *out, struct result *rs, int n)
{
	int i;

	fprintf(out, "%-11s %-12s %9s %-11s %-12s %9s %8s %7s %8s %8s %8s %s\n",
		"group", "workload", "keys", "mode", "contender", "Mops/s",
		"ns/op", "spread", "vs peer", "vs bare", "flt/kop", "notes");
	for (i = 0; i < n; i++) {
		const struct result *r = &rs[i];
		double med = result_median(r), best = best_peer(rs, n, r),
		       bare = bare_of(rs, n, r);
		char size[24] = "-", ratio[16] = "-", vbare[16] = "-", flt[16] = "-",
		     extra[96];

		if (r->size)
			snprintf(size, sizeof(size), "%lluK",
				 (unsigned long long)(r->size / 1000));
		if (best > 0 && med > 0)
			snprintf(ratio, sizeof(ratio), "%.2fx", med / best);
		if (bare > 0 && med > 0)
			snprintf(vbare, sizeof(vbare), "%.2fx", med / bare);
		if (r->fault_ops)
			snprintf(flt, sizeof(flt), "%.2f",
				 1000.0 * (double)r->faults / (double)r->fault_ops);
		snprintf(extra, sizeof(extra), "%s", r->note);
		if (r->bytes_per_entry > 0)
			snprintf(extra, sizeof(extra), "%.1f B/entry%s%s",
				 r->bytes_per_entry, r->note[0] ? "; " : "", r->note);
		if (med > 0)
			fprintf(out, "%-11s %-12s %9s %-11s %-12s %9.2f %8.1f %6.0f%% %8s %8s %8s %s\n",
				r->group, r->workload, size, r->mode, r->contender,
				med / 1e6, 1e9 * threads_of(r->mode) / med,
				100 * result_spread(r), ratio, vbare, flt, extra);
		else
			fprintf(out, "%-11s %-12s %9s %-11s %-12s %9s %8s %7s %8s %8s %8s %s\n",
				r->group, r->workload, size, r->mode, r->contender,
				"n/a", "", "", "", "", "", r->note);
	}
}

void results_csv(FILE *csv, const struct result *rs, int n)
{
	int i, j;

	fprintf(csv, "group,workload,keys,mode,contender,median_ops_per_s,"
		     "spread,bytes_per_entry,faults_per_kop,reps,runs\n");
	for (i = 0; i < n; i++) {
		fprintf(csv, "%s,%s,%llu,%s,%s,%.0f,%.4f,%.2f,%.3f,%d,", rs[i].group,
			rs[i].workload, (unsigned long long)rs[i].size, rs[i].mode,
			rs[i].contender, result_median(&rs[i]),
			result_spread(&rs[i]), rs[i].bytes_per_entry,
			rs[i].fault_ops ? 1000.0 * (double)rs[i].faults /
					  (double)rs[i].fault_ops : 0.0,
			rs[i].n);
		for (j = 0; j < rs[i].n; j++)
			fprintf(csv, "%s%.0f", j ? ";" : "", rs[i].ops[j]);
		fprintf(csv, "\n");
	}
}

uint64_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long kb = 0, v;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %llu", &v) == 1 ||
		    sscanf(line, "RssShmem: %llu", &v) == 1)
			kb += v;
	fclose(f);
	return kb * 1024;
}

void describe_machine(FILE *out)
{
	struct utsname u;
	char line[256], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "re");
	time_t t = time(NULL);

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "model name : %255[^\n]", model) == 1)
				break;
		fclose(f);
	}
	uname(&u);
	fprintf(out, "machine:  %s, %ld online CPUs, %s %s %s\n", model,
		sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine);
	fprintf(out, "memory:   %.1f GiB\n",
		(double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) /
		(1024.0 * 1024 * 1024));
	fprintf(out, "compiler: %s\n", __VERSION__);
	fprintf(out, "date:     %s", ctime(&t));
}
