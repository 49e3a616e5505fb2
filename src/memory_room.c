/*
 * Whether memory can back a region's pages before they are allocated.
 *
 * A file in memory (a tmpfs such as /dev/shm, a memfd, a ramfs) is
 * allocated page by page by posix_fallocate, whatever memory is left: a
 * request larger than the memory available does not fail, it makes the
 * kernel's OOM killer end processes, and since the file's pages belong to
 * no process's resident set, the processes it ends are others (a 64 TiB
 * anonymous region took down every program on a 24 GiB machine).  So such
 * a request is refused beforehand with -ENOMEM: larger than MemAvailable
 * plus SwapFree (/proc/meminfo), or than what the memory cgroup (v2) of
 * this process and its ancestors still allows.  A file system on disk
 * answers for itself (-ENOSPC).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "region.h"

#define TMPFS_MAGIC_ 0x01021994u	/* linux/magic.h: TMPFS_MAGIC */
#define RAMFS_MAGIC_ 0x858458f6u	/* linux/magic.h: RAMFS_MAGIC */

#ifdef SATOMIC_CRASH_POINTS
/* The test build reads its meminfo from here when set. */
const char *sat_test_meminfo;
#define MEMINFO (sat_test_meminfo ? sat_test_meminfo : "/proc/meminfo")
#else
#define MEMINFO "/proc/meminfo"
#endif

/* MemAvailable + SwapFree in bytes; UINT64_MAX where it cannot be read
 * (no /proc, a kernel before 3.14): nothing is refused then. */
static uint64_t meminfo_room(void)
{
	FILE *f = fopen(MEMINFO, "re");
	uint64_t avail = UINT64_MAX, swap = 0, kb;
	char line[128];

	if (f == NULL)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
			avail = kb;
		else if (sscanf(line, "SwapFree: %" SCNu64 " kB", &kb) == 1)
			swap = kb;
	}
	fclose(f);
	if (avail == UINT64_MAX || avail + swap > UINT64_MAX / 1024)
		return UINT64_MAX;
	return (avail + swap) * 1024;
}

/* One number from a cgroup file; false if absent or "max". */
static bool cgroup_number(const char *dir, const char *file, uint64_t *n)
{
	char path[4096 + 64];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s", dir, file);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	ok = fscanf(f, "%" SCNu64, n) == 1;
	fclose(f);
	return ok;
}

/* The least room under memory.max of this process's cgroup (v2) and its
 * ancestors; UINT64_MAX where none is limited. */
static uint64_t cgroup_room(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	uint64_t room = UINT64_MAX, max, cur;
	char dir[4096 + 8], *slash;

	if (f == NULL)
		return UINT64_MAX;
	dir[0] = '\0';
	while (fgets(dir, sizeof(dir), f) && strncmp(dir, "0::", 3) != 0)
		dir[0] = '\0';
	fclose(f);
	if (strncmp(dir, "0::/", 4) != 0)
		return UINT64_MAX;	/* cgroup v1, or none */
	memmove(dir, dir + 3, strlen(dir + 3) + 1);
	dir[strcspn(dir, "\n")] = '\0';
	for (;;) {
		if (cgroup_number(dir, "memory.max", &max) &&
		    cgroup_number(dir, "memory.current", &cur))
			room = cur >= max ? 0 : max - cur < room ? max - cur : room;
		if ((slash = strrchr(dir, '/')) == NULL || dir[1] == '\0')
			break;
		slash[slash == dir] = '\0';	/* "/a/b" -> "/a" -> "/" */
	}
	return room;
}

int region_memory_room(int fd, size_t len)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) != 0 || ((uint32_t)fs.f_type != TMPFS_MAGIC_ &&
				      (uint32_t)fs.f_type != RAMFS_MAGIC_))
		return 0;
	if (len > meminfo_room() || len > cgroup_room())
		return -ENOMEM;
	return 0;
}
