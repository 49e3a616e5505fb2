/*
 * A separately started program for the tests: shell tests run it under
 * limits (a small tmpfs, a lowered memlock limit), and the map tests exec
 * it to attach to a map by name, as an unrelated process would.
 *
 *   helper region-create NAME BYTES [mlock|hugepages]   create, report, unlink
 *   helper map-create NAME CAPACITY [mlock|hugepages]   create, report, unlink
 *   helper map-worker NAME ID COUNT           insert ID's keys, bump counters
 *   helper map-check NAME                     integrity scan
 *
 * Prints "ok" or "error -N: text"; exits 0 on success, 1 on error, 2 on
 * bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sharedatomic.h"

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
			satomic_region_unlink(argv[2]);
		}
		return report(err);
	}
	if (argc >= 4 && strcmp(argv[1], "map-create") == 0) {
		struct satomic_map *m;

		err = satomic_map_create(argv[2], strtoull(argv[3], NULL, 0), 0, 0,
					 flags, &m);
		if (err == 0) {
			satomic_map_close(m);
			satomic_map_unlink(argv[2]);
		}
		return report(err);
	}
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
