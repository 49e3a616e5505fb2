/*
 * Regions in memory larger than the memory available: satomic_region_create(3)
 * promises ENOMEM, with nothing left behind, where allocating them would
 * have the OOM killer end other processes; a map that cannot grow for that
 * reason is ENOSPC, its keys kept (satomic_map_get(3)).  The test build reads
 * /proc and /sys under sat_test_root, so that the memory available and the
 * memory cgroups' limits can be made small; region_memory_room itself is
 * also checked against the real /proc/meminfo, which costs nothing: it
 * allocates no memory.
 */
#define _GNU_SOURCE	/* memfd_create */
#include "sharedatomic.h"
#include "testutil.h"

#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/vfs.h>

extern const char *sat_test_root;
int region_memory_room(int fd, size_t len);

static char root[64];

/* Write `text` to root/rel, making its directories. */
static void put(const char *rel, const char *text)
{
	char path[256], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
		*slash = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A /proc/meminfo that gives kb kilobytes of memory and swap_kb of swap. */
static void fake_meminfo(unsigned long kb, unsigned long swap_kb)
{
	char text[256];

	snprintf(text, sizeof(text), "MemTotal:       24000000 kB\n"
		 "MemFree:        %lu kB\nMemAvailable:   %lu kB\n"
		 "SwapTotal:      %lu kB\nSwapFree:       %lu kB\n",
		 kb, kb, swap_kb, swap_kb);
	put("proc/meminfo", text);
	sat_test_root = root;
}

static void setup(void)
{
	snprintf(root, sizeof(root), "fakeroot-%ld", (long)getpid());
	ck_assert_int_eq(mkdir(root, 0700), 0);
	put("proc/self/cgroup", "0::/\n");
	sat_test_root = NULL;
}

static void teardown(void)
{
	char cmd[128];

	sat_test_root = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* An anonymous region of `fits` MiB is made, one of `refused` is not. */
static void room_between(int fits, int refused)
{
	struct satomic_region *r;

	ck_assert_int_eq(satomic_region_create_anon((size_t)refused << 20, 0, &r),
			 -ENOMEM);
	ck_assert_int_eq(satomic_region_create_anon((size_t)fits << 20, 0, &r), 0);
	satomic_region_close(r);
}

/* Whether fd's file lives in memory (tmpfs or ramfs). */
static bool in_memory(int fd)
{
	struct statfs fs;

	ck_assert_int_eq(fstatfs(fd, &fs), 0);
	return (uint32_t)fs.f_type == 0x01021994u || (uint32_t)fs.f_type == 0x858458f6u;
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
	/* A file on disk is its file system's business (ENOSPC).  (The build
	 * directory may itself be on a tmpfs: then /var/tmp, or nothing.) */
	disk = open("Makefile", O_RDONLY | O_CLOEXEC);
	if (disk >= 0 && in_memory(disk)) {
		close(disk);
		disk = open("/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	if (disk >= 0 && !in_memory(disk))
		ck_assert_int_eq(region_memory_room(disk, SIZE_MAX), 0);
	else
		printf("SKIP (part): no file system on disk to try\n");
	if (disk >= 0)
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
	fake_meminfo(6144, 2048);		/* 8 MiB in all */
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

/* A memory cgroup's limit, here or in an ancestor, counts as memory does. */
START_TEST(test_cgroup_v2_limit)
{
	fake_meminfo(1 << 24, 0);			/* 16 GiB */
	put("proc/self/cgroup", "0::/a/b\n");
	put("sys/fs/cgroup/a/memory.max", "9437184\n");	/* 9 MiB */
	put("sys/fs/cgroup/a/memory.current", "1048576\n");
	put("sys/fs/cgroup/a/b/memory.max", "max\n");
	put("sys/fs/cgroup/a/b/memory.current", "0\n");
	room_between(7, 16);
	/* At its limit, but mostly page cache, which the kernel reclaims
	 * first: 8 MiB of room. */
	put("sys/fs/cgroup/a/memory.current", "9437184\n");
	put("sys/fs/cgroup/a/memory.stat", "anon 1048576\nfile 8388608\n"
	    "active_file 4194304\ninactive_file 4194304\nshmem 0\n");
	room_between(7, 16);
	/* Swap counts, as far as the cgroup allows it: 8 + 4 MiB. */
	fake_meminfo(1 << 24, 16384);			/* 16 MiB of swap */
	put("sys/fs/cgroup/a/memory.swap.max", "4194304\n");
	put("sys/fs/cgroup/a/memory.swap.current", "0\n");
	room_between(11, 13);
	/* An unlimited swap.max leaves the system's: 8 + 16 MiB. */
	put("sys/fs/cgroup/a/memory.swap.max", "max\n");
	room_between(23, 25);
}
END_TEST

START_TEST(test_cgroup_v1_limit)
{
	fake_meminfo(1 << 24, 0);
	put("proc/self/cgroup", "5:cpu,memory:/x\n4:pids:/y\n0::/\n");
	put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
	put("sys/fs/cgroup/memory/memory.usage_in_bytes", "1073741824\n");
	put("sys/fs/cgroup/memory/x/memory.limit_in_bytes", "9437184\n");
	put("sys/fs/cgroup/memory/x/memory.usage_in_bytes", "1048576\n");
	room_between(7, 16);
	/* v1's hierarchical totals of page cache are reclaimable too. */
	put("sys/fs/cgroup/memory/x/memory.usage_in_bytes", "9437184\n");
	put("sys/fs/cgroup/memory/x/memory.stat", "cache 8388608\nactive_file 0\n"
	    "total_active_file 4194304\ntotal_inactive_file 4194304\n");
	room_between(7, 16);
	/* Not the memory controller's line: no limit. */
	put("proc/self/cgroup", "5:cpu:/x\n0::/\n");
	{
		struct satomic_region *r;

		ck_assert_int_eq(satomic_region_create_anon(16 << 20, 0, &r), 0);
		satomic_region_close(r);
	}
}
END_TEST

START_TEST(test_map_beyond_memory)
{
	struct satomic_map *m;
	int64_t k, v;
	int r = 0;

	if (!map_available()) {
		printf("SKIP (part): no 128-bit CAS here, so no map\n");
		return;
	}
	fake_meminfo(1024, 0);		/* 1 MiB */
	/* 2^20 keys want a 32 MiB table: refused at creation (an exact
	 * maximum, so that a ulimit -v does not refuse it first, EFBIG). */
	ck_assert_int_eq(satomic_map_create_anon(1 << 20, 1 << 20, 0, &m), -ENOMEM);
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
	sat_test_root = NULL;
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
	tcase_add_test(tc, test_cgroup_v2_limit);
	tcase_add_test(tc, test_cgroup_v1_limit);
	tcase_add_test(tc, test_map_beyond_memory);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
