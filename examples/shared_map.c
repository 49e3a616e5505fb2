/*
 * shared_map: worker processes share a named lock-free map.
 *
 * The parent creates the map small, so that it grows online while the
 * workers use it; each worker opens it by name (as an unrelated process
 * would), inserts its own keys, bumps shared counters and removes half of its
 * keys.  The parent then checks the exact contents, runs the integrity scan,
 * prints the statistics and removes the map.
 *
 *   usage: shared_map [-p PROCESSES] [-n KEYS_PER_PROCESS]
 *
 * Exit status 0 when everything is exact, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sharedatomic.h>

#define HITS_KEY INT64_MIN	/* any int64_t is a key, the extremes too */
#define ZERO_KEY 0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t key_of(long long proc, long long i)
{
	return (int64_t)proc << 40 | (int64_t)i << 1 | 1;	/* never 0 */
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "shared_map: %s: %s\n", what, satomic_strerror(err));
	return 1;
}

static int worker(const char *name, long long proc, long long n)
{
	struct satomic_map *m;
	int err = satomic_map_open(name, 0, &m);
	long long i;

	if (err)
		return fail("open", err);
	for (i = 0; i < n && err == 0; i++) {
		err = satomic_map_insert(m, key_of(proc, i), -i);
		if (err == 0)
			err = satomic_map_fetch_add(m, HITS_KEY, 1, NULL);
		if (err == 0)
			err = satomic_map_fetch_add(m, ZERO_KEY, -1, NULL);
	}
	for (i = 0; i < n && err == 0; i += 2)
		err = satomic_map_remove(m, key_of(proc, i), NULL);
	satomic_map_close(m);
	return err ? fail("worker", err) : 0;
}

int main(int argc, char **argv)
{
	long long n = 200000, procs = 4, p, i, bad = 0;
	struct satomic_map_stats st;
	struct satomic_map *m;
	char name[64], report[256];
	double start, secs;
	int opt, err, status;
	int64_t v;

	while ((opt = getopt(argc, argv, "p:n:")) != -1) {
		if (opt == 'p')
			procs = atoll(optarg);
		else if (opt == 'n')
			n = atoll(optarg);
		else {
			fprintf(stderr, "usage: %s [-p processes] [-n keys]\n", argv[0]);
			return 2;
		}
	}
	if (procs < 1 || procs > 1000 || n < 1 || n > (1ll << 38)) {
		fprintf(stderr, "shared_map: -p 1..1000, -n 1..2^38\n");
		return 2;
	}
	snprintf(name, sizeof(name), "/satomic-demo-%ld", (long)getpid());
	err = satomic_map_create(name, 1000, (uint64_t)(procs * n) * 2, 0, 0, &m);
	if (err)
		return fail("create", err);

	printf("libsharedatomic map demo: %lld processes open %s by name and "
	       "insert %lld keys each\n", procs, name, n);
	start = now();
	for (p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork", -errno);
		if (pid == 0)
			_exit(worker(name, p, n));
	}
	for (p = 0; p < procs; p++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	secs = now() - start;

	/* Exact contents: odd keys present with their values, even ones gone. */
	for (p = 0; p < procs; p++)
		for (i = 0; i < n; i++) {
			err = satomic_map_get(m, key_of(p, i), &v);
			if (i % 2 ? err != 0 || v != -i : err != -ENOENT)
				bad++;
		}
	if (satomic_map_get(m, HITS_KEY, &v) != 0 || v != procs * n)
		bad++;
	if (satomic_map_get(m, ZERO_KEY, &v) != 0 || v != -procs * n)
		bad++;
	if (satomic_map_count(m) != procs * (n / 2) + 2)
		bad++;
	err = satomic_map_check(m, report, sizeof(report));
	satomic_map_stats(m, &st);
	printf("  %lld operations in %.3f s: %.1f M ops/s over %lld processes\n",
	       procs * n * 3 + procs * (n + 1) / 2, secs,
	       (procs * n * 3 + procs * (n + 1) / 2) / secs / 1e6, procs);
	printf("  grew from 1,000 to %llu keys of capacity in %llu migrations; "
	       "%llu keys now, load %.2f, mean probe %.2f\n",
	       (unsigned long long)st.capacity, (unsigned long long)st.migrations,
	       (unsigned long long)st.count, st.load, st.mean_probe);
	printf("  integrity: %s\n", report);
	satomic_map_close(m);
	satomic_map_unlink(name);
	if (bad || err) {
		printf("WRONG: %lld mismatches\n", bad);
		return 1;
	}
	printf("every key, value and counter exact\n");
	return 0;
}
