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
 * plus SwapFree (/proc/meminfo), or than what the memory cgroup of this
 * process (v2, or v1's memory controller) and its ancestors still allow.  A file system on disk
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
/* The test build reads /proc and /sys under this directory when set. */
const char *sat_test_root;
#define ROOT (sat_test_root ? sat_test_root : "")
#else
#define ROOT ""
#endif

static FILE *open_under_root(const char *dir, const char *file)
{
	char path[4096 + 256];

	snprintf(path, sizeof(path), "%s%s/%s", ROOT, dir, file);
	return fopen(path, "re");
}

/* MemAvailable + SwapFree in bytes; UINT64_MAX where it cannot be read
 * (no /proc, a kernel before 3.14): nothing is refused then. */
static uint64_t meminfo_room(void)
{
	FILE *f = open_under_root("/proc", "meminfo");
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

/* A memory controller's files: cgroup v2, or v1's memory hierarchy. */
struct memcg {
	const char *base, *limit, *usage;
};
static const struct memcg memcg_v2 = { "/sys/fs/cgroup", "memory.max",
				       "memory.current" };
static const struct memcg memcg_v1 = { "/sys/fs/cgroup/memory",
				       "memory.limit_in_bytes",
				       "memory.usage_in_bytes" };

/* One number from a cgroup file; false if absent or "max". */
static bool cgroup_number(const char *dir, const char *file, uint64_t *n)
{
	FILE *f = open_under_root(dir, file);
	bool ok;

	if (f == NULL)
		return false;
	ok = fscanf(f, "%" SCNu64, n) == 1;
	fclose(f);
	return ok;
}

/* The least room left under the limits of cgroup `path` (under c's base)
 * and of its ancestors: the kernel charges a tmpfs page to each. */
static uint64_t memcg_room(const struct memcg *c, const char *path)
{
	char dir[4096 + 64], *cut;
	uint64_t room = UINT64_MAX, max, cur, left;
	size_t base = strlen(c->base);

	snprintf(dir, sizeof(dir), "%s%s", c->base, path);
	for (;;) {
		if (cgroup_number(dir, c->limit, &max) &&
		    cgroup_number(dir, c->usage, &cur)) {
			left = cur >= max ? 0 : max - cur;
			room = left < room ? left : room;
		}
		cut = strrchr(dir, '/');
		if (cut == NULL || (size_t)(cut - dir) < base)
			return room;
		*cut = '\0';	/* base/a/b -> base/a -> base */
	}
}

/* Whether a /proc/self/cgroup line's controllers (a comma list) name
 * memory. */
static bool names_memory(const char *list, size_t len)
{
	while (len > 0) {
		size_t n = strcspn(list, ",");

		n = n < len ? n : len;
		if (n == 6 && strncmp(list, "memory", 6) == 0)
			return true;
		list += n + (n < len);
		len -= n + (n < len);
	}
	return false;
}

/* The room the memory cgroups of this process leave (v2, or v1's memory
 * controller); UINT64_MAX where none limits it. */
static uint64_t cgroup_room(void)
{
	FILE *f = open_under_root("/proc/self", "cgroup");
	uint64_t room = UINT64_MAX, r;
	char line[4096 + 64], *ctl, *path;

	if (f == NULL)
		return UINT64_MAX;
	/* "0::/path" (v2), "4:memory:/path" (v1) */
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL ||
		    (path = strchr(ctl + 1, ':')) == NULL || path[1] != '/')
			continue;
		if (path == ctl + 1)
			r = memcg_room(&memcg_v2, path[2] ? path + 1 : "");
		else if (names_memory(ctl + 1, (size_t)(path - ctl - 1)))
			r = memcg_room(&memcg_v1, path[2] ? path + 1 : "");
		else
			continue;
		room = r < room ? r : room;
	}
	fclose(f);
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
