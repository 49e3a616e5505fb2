/*
 * Regions in memory larger than the memory available: satomic_region_create(3)
 * promises ENOMEM, with nothing left behind, where allocating them would
 * have the OOM killer end other processes; a map that cannot grow for that
 * reason is ENOSPC, its keys kept (satomic_map_get(3)).  The test build reads
 * its meminfo from sat_test_meminfo, so that "available" can be made small;
 * region_memory_room itself is also checked against the real /proc/meminfo,
 * which costs nothing: it allocates no memory.
 */
#define _GNU_SOURCE	/* memfd_create */
#include "sharedatomic.h"
#include "testutil.h"

#include <stdint.h>
#include <sys/sysinfo.h>

extern const char *sat_test_meminfo;
int region_memory_room(int fd, size_t len);

/* A meminfo that gives kb kilobytes of memory and swap_kb of swap. */
static void fake_meminfo(const char *path, unsigned long kb, unsigned long swap_kb)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "MemTotal:       24000000 kB\nMemFree:        %lu kB\n"
		"MemAvailable:   %lu kB\nSwapTotal:      %lu kB\nSwapFree:       %lu kB\n",
		kb, kb, swap_kb, swap_kb);
	fclose(f);
	sat_test_meminfo = path;
}

static char meminfo_path[64];

static void setup(void)
{
	snprintf(meminfo_path, sizeof(meminfo_path), "meminfo-%ld", (long)getpid());
	sat_test_meminfo = NULL;
}

static void teardown(void)
{
	sat_test_meminfo = NULL;
	unlink(meminfo_path);
}

START_TEST(test_real_meminfo_is_read)
{
	struct sysinfo si;
	uint64_t all;
	int memfd = memfd_create("room", MFD_CLOEXEC), disk;

	ck_assert_int_ge(memfd, 0);
	ck_assert_int_eq(sysinfo(&si), 0);
	all = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
	/* More than the machine has: refused (where a size_t can say it:
	 * not on a 32-bit system with 4 GiB or more).  A page: granted. */
	if (all < SIZE_MAX - 4096)
		ck_assert_int_eq(region_memory_room(memfd, (size_t)all + 4096), -ENOMEM);
	ck_assert_int_eq(region_memory_room(memfd, 4096), 0);
	/* A file on disk is its file system's business (ENOSPC). */
	disk = open(".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (disk < 0)
		disk = open("Makefile", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(disk, 0);
	ck_assert_int_eq(region_memory_room(disk, SIZE_MAX), 0);
	close(disk);
	close(memfd);
}
END_TEST

START_TEST(test_regions_beyond_memory_are_enomem)
{
	char name[64], path[96];
	struct satomic_region *r;

	snprintf(name, sizeof(name), "/satomic-test-room-%ld", (long)getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	fake_meminfo(meminfo_path, 6144, 2048);		/* 8 MiB in all */
	ck_assert_int_eq(satomic_region_create_anon(16 << 20, 0, &r), -ENOMEM);
	ck_assert_int_eq(satomic_region_create(name, 16 << 20, 0, 0, &r), -ENOMEM);
	ck_assert_int_eq(access(path, F_OK), -1);	/* nothing left behind */
	ck_assert_int_eq(satomic_region_create(name, 16 << 20, 0,
					       SATOMIC_REGION_UNPUBLISHED, &r), -ENOMEM);
	/* What fits is made as before; swap counts (tmpfs pages swap). */
	ck_assert_int_eq(satomic_region_create(name, 7 << 20, 0, 0, &r), 0);
	satomic_region_close(r);
	ck_assert_int_eq(satomic_region_unlink(name), 0);
	ck_assert_int_eq(satomic_region_create_anon(7 << 20, 0, &r), 0);
	satomic_region_close(r);
}
END_TEST

START_TEST(test_map_beyond_memory)
{
	struct satomic_map *m;
	int64_t k, v;
	int r = 0;

	fake_meminfo(meminfo_path, 1024, 0);		/* 1 MiB */
	/* 2^20 keys want a 32 MiB table: refused at creation. */
	ck_assert_int_eq(satomic_map_create_anon(1 << 20, 0, 0, &m), -ENOMEM);
	/* A small map is made; growing past the memory is ENOSPC, keys kept. */
	ck_assert_int_eq(satomic_map_create_anon(1024, 1 << 20, 0, &m), 0);
	for (k = 0; k < (1 << 20) && (r = satomic_map_insert(m, k, k * 3)) == 0; k++)
		;
	ck_assert_int_eq(r, -ENOSPC);
	ck_assert_int_gt(k, 1000);
	ck_assert_int_lt(k, 1 << 16);
	for (v = 0; v < k; v++) {
		int64_t got;

		ck_assert_int_eq(satomic_map_get(m, v, &got), 0);
		ck_assert_int_eq(got, v * 3);
	}
	ck_assert_int_eq(satomic_map_count(m), k);
	/* With the memory back, it grows. */
	sat_test_meminfo = NULL;
	ck_assert_int_eq(satomic_map_insert(m, k, k * 3), 0);
	satomic_map_close(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory room");
	TCase *tc = tcase_create("room");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_real_meminfo_is_read);
	tcase_add_test(tc, test_regions_beyond_memory_are_enomem);
	tcase_add_test(tc, test_map_beyond_memory);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
