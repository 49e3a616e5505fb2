/*
 * A separately started program for the tests: shell tests run it under
 * limits (a small tmpfs, a lowered memlock limit), and the map tests exec
 * it to attach to a map by name, as an unrelated process would.
 *
 *   helper region-create NAME BYTES [mlock|hugepages|keep]
 *                                             create, report, unlink (keep: not)
 *   helper map-create NAME CAPACITY [mlock|hugepages]   create, report, unlink
 *   helper map-worker NAME ID COUNT           insert ID's keys, bump counters
 *   helper map-check NAME                     integrity scan
 *   helper map-full NAME FILLER               a full file system, and back
 *   helper map-hold NAME                      create with 3 descriptors free,
 *                                             hold a registry slot until killed
 *
 * Prints "ok" or "error -N: text"; exits 0 on success, 1 on error, 2 on
 * bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sharedatomic.h"
#include "fds.h"

static int report(int err)
{
	if (err < 0) {
		printf("error %d: %s\n", err, satomic_strerror(err));
		return 1;
	}
	printf("ok\n");
	return 0;
}

/* Worker ID inserts keys ID * COUNT + k (value = key * 3) and adds 1 to the
 * shared counters -1 and INT64_MIN for each; the tests check the totals. */
static int map_worker(const char *name, long id, long count)
{
	struct satomic_map *m;
	int err = satomic_map_open(name, 0, &m);
	long k;

	if (err)
		return report(err);
	for (k = 0; k < count && err == 0; k++) {
		int64_t key = (int64_t)id * count + k;

		err = satomic_map_insert(m, key, key * 3);
		if (err == 0)
			err = satomic_map_fetch_add(m, -1, 1, NULL);
		if (err == 0)
			err = satomic_map_fetch_add(m, INT64_MIN, 1, NULL);
	}
	satomic_map_close(m);
	return report(err);
}

/*
 * On a small file system (tests/region-limits.sh): a map of at most 10,000
 * keys is filled, a file FILLER then takes every byte left, and half the
 * keys are removed.  Churn (remove one, insert one) must then fail with
 * -ENOSPC once the table must be copied to reclaim tombstones (that needs
 * memory for a second table), losing nothing; once FILLER is gone, the
 * same insert succeeds.  Prints each step's result.
 */
static int map_full(const char *name, const char *filler)
{
	static char block[65536];
	struct satomic_map *m;
	int64_t k, next = 10000, v;
	int err = satomic_map_create(name, 100, 10000, 0, 0, &m), fd;

	if (err)
		return report(err);
	for (k = 0; k < 10000 && err == 0; k++)
		err = satomic_map_insert(m, k, k);
	fd = open(filler, O_WRONLY | O_CREAT | O_EXCL, 0600);
	while (fd >= 0 && write(fd, block, sizeof(block)) > 0)
		;
	for (k = 0; k < 5000 && err == 0; k++)
		err = satomic_map_remove(m, k, NULL);
	if (err || fd < 0) {
		printf("setup: error %d, filler %d\n", err, fd);
		return 1;
	}
	/* Churn the live 5,000: the tombstones fill the table. */
	for (k = 5000; k < 100000 && err == 0; k++, next++)
		if ((err = satomic_map_insert(m, next, next)) == 0)
			err = satomic_map_remove(m, k, NULL);
	printf("churn on a full file system: %d after %lld inserts\n", err,
	       (long long)(k - 5000));
	for (k -= 1; k < next - 1; k++)	/* nothing lost */
		if (satomic_map_get(m, k, &v) != 0 || v != k)
			printf("lost key %lld\n", (long long)k);
	close(fd);
	unlink(filler);
	err = satomic_map_insert(m, next, next);
	printf("insert once the file is gone: %d, count %lld\n", err,
	       (long long)satomic_map_count(m));
	satomic_map_close(m);
	satomic_map_unlink(name);
	return report(err);
}

/*
 * This process's first use of the library: creating map `name` with three
 * descriptors free (what satomic_region_create(3) says creating holds),
 * too few left to read /proc for its owner id (more where an emulator
 * takes some of them).  Then, descriptors back, an insert takes a registry
 * slot; "ready", and it waits to be killed.
 */
static int map_hold(const char *name)
{
	struct satomic_map *m;
	struct rlimit rl;
	int fillers[256], n, free_fds, nul = open("/dev/null", O_RDONLY);
	int err = -EMFILE;

	if (nul < 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 2;
	rl.rlim_cur = rl.rlim_max < 64 ? rl.rlim_max : 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 2;
	for (free_fds = 3; free_fds < 16 && err == -EMFILE; free_fds++) {
		n = fds_fill(nul, free_fds, fillers, 256);
		err = satomic_map_create(name, 100, 1000, 0, 0, &m);
		fds_release(fillers, n);
	}
	if (err == 0)
		err = satomic_map_insert(m, 7, 7);
	if (err != 0)
		return report(err);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *flag = argc > 4 ? argv[4] : "";
	unsigned int flags = strcmp(flag, "mlock") == 0 ? SATOMIC_REGION_MLOCK
		: strcmp(flag, "hugepages") == 0 ? SATOMIC_REGION_HUGEPAGES : 0;
	int err;

	if (argc >= 4 && strcmp(argv[1], "region-create") == 0) {
		struct satomic_region *r;

		err = satomic_region_create(argv[2], strtoull(argv[3], NULL, 0),
					    0, flags, &r);
		if (err == 0) {
			satomic_region_close(r);
			if (strcmp(flag, "keep") != 0)
				satomic_region_unlink(argv[2]);
		}
		return report(err);
	}
	if (argc >= 4 && strcmp(argv[1], "map-create") == 0) {
		struct satomic_map *m;
		uint64_t keys = strtoull(argv[3], NULL, 0);

		/* An exact maximum: the default would reserve 64 times the
		 * keys' room, which a ulimit -v refuses first (EFBIG). */
		err = satomic_map_create(argv[2], keys, keys, 0, flags, &m);
		if (err == 0) {
			satomic_map_close(m);
			satomic_map_unlink(argv[2]);
		}
		return report(err);
	}
	if (argc == 3 && strcmp(argv[1], "map-hold") == 0)
		return map_hold(argv[2]);
	if (argc == 4 && strcmp(argv[1], "map-full") == 0)
		return map_full(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "map-worker") == 0)
		return map_worker(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 3 && strcmp(argv[1], "map-check") == 0) {
		struct satomic_map *m;
		char text[256];

		err = satomic_map_open(argv[2], 0, &m);
		if (err == 0) {
			err = satomic_map_check(m, text, sizeof(text));
			printf("%s\n", text);
			satomic_map_close(m);
		}
		return report(err);
	}
	fprintf(stderr, "usage: see tests/helper.c\n");
	return 2;
}
