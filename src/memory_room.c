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
 * plus SwapFree (/proc/meminfo), or than the room a memory cgroup of this
 * process (v2, or v1's memory controller) or of an ancestor leaves.  A
 * cgroup's room is its limit less its usage, plus what the kernel would
 * reclaim before it kills (the page cache of files, which usage counts)
 * and the swap it may still use.  Erring, it errs towards granting: the
 * check is there to stop what cannot fit, not to ration what may.
 * A file system on disk answers for itself (-ENOSPC).
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

static uint64_t add_capped(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* MemAvailable and SwapFree in bytes; available UINT64_MAX where it cannot
 * be read (no /proc, a kernel before 3.14): nothing is refused then. */
static void meminfo(uint64_t *available, uint64_t *swap_free)
{
	FILE *f = open_under_root("/proc", "meminfo");
	uint64_t kb;
	char line[128];

	*available = UINT64_MAX;
	*swap_free = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
			*available = kb < UINT64_MAX / 1024 ? kb * 1024 : UINT64_MAX;
		else if (sscanf(line, "SwapFree: %" SCNu64 " kB", &kb) == 1)
			*swap_free = kb < UINT64_MAX / 1024 ? kb * 1024 : UINT64_MAX;
	}
	fclose(f);
}

/* A memory controller's files: cgroup v2, or v1's memory hierarchy (whose
 * memory.stat totals count the children, as its usage does). */
struct memcg {
	const char *base, *limit, *usage, *active_file, *inactive_file;
	const char *swap_limit, *swap_usage;	/* NULL: v1's swap is not read */
};
static const struct memcg memcg_v2 = {
	"/sys/fs/cgroup", "memory.max", "memory.current", "active_file",
	"inactive_file", "memory.swap.max", "memory.swap.current"
};
static const struct memcg memcg_v1 = {
	"/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
	"total_active_file", "total_inactive_file", NULL, NULL
};

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

/* The value of `key` in dir's memory.stat, 0 if absent. */
static uint64_t stat_number(const char *dir, const char *key)
{
	FILE *f = open_under_root(dir, "memory.stat");
	char name[64];
	uint64_t n;

	if (f == NULL)
		return 0;
	while (fscanf(f, "%63s %" SCNu64, name, &n) == 2)
		if (strcmp(name, key) == 0) {
			fclose(f);
			return n;
		}
	fclose(f);
	return 0;
}

/* The room one cgroup leaves: UINT64_MAX if it sets no limit. */
static uint64_t level_room(const struct memcg *c, const char *dir,
			   uint64_t swap_free)
{
	uint64_t max, used, cache, swap_max, swap_used, room;

	if (!cgroup_number(dir, c->limit, &max) || !cgroup_number(dir, c->usage, &used))
		return UINT64_MAX;
	cache = add_capped(stat_number(dir, c->active_file),
			   stat_number(dir, c->inactive_file));
	used = used > cache ? used - cache : 0;	/* reclaimed before a kill */
	room = used >= max ? 0 : max - used;
	/* tmpfs pages swap: as much as the system has, or the cgroup allows. */
	if (c->swap_limit && cgroup_number(dir, c->swap_limit, &swap_max) &&
	    cgroup_number(dir, c->swap_usage, &swap_used)) {
		uint64_t left = swap_used >= swap_max ? 0 : swap_max - swap_used;

		swap_free = left < swap_free ? left : swap_free;
	}
	return add_capped(room, swap_free);
}

/* The least room of cgroup `path` (under c's base) and its ancestors: the
 * kernel charges a tmpfs page to each. */
static uint64_t memcg_room(const struct memcg *c, const char *path,
			   uint64_t swap_free)
{
	char dir[4096 + 64], *cut;
	uint64_t room = UINT64_MAX, r;
	size_t base = strlen(c->base);

	snprintf(dir, sizeof(dir), "%s%s", c->base, path);
	for (;;) {
		r = level_room(c, dir, swap_free);
		room = r < room ? r : room;
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
static uint64_t cgroup_room(uint64_t swap_free)
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
			r = memcg_room(&memcg_v2, path[2] ? path + 1 : "", swap_free);
		else if (names_memory(ctl + 1, (size_t)(path - ctl - 1)))
			r = memcg_room(&memcg_v1, path[2] ? path + 1 : "", swap_free);
		else
			continue;
		room = r < room ? r : room;
	}
	fclose(f);
	return room;
}

int region_memory_room(int fd, size_t len)
{
	uint64_t available, swap_free;
	struct statfs fs;

	if (fstatfs(fd, &fs) != 0 || ((uint32_t)fs.f_type != TMPFS_MAGIC_ &&
				      (uint32_t)fs.f_type != RAMFS_MAGIC_))
		return 0;
	meminfo(&available, &swap_free);
	if (len > add_capped(available, swap_free) || len > cgroup_room(swap_free))
		return -ENOMEM;
	return 0;
}
