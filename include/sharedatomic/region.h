/*
 * libsharedatomic: shared-memory regions that unrelated processes create,
 * attach to and unlink.  See satomic_region_create(3).
 *
 * A region is a POSIX shared-memory object (a file in /dev/shm, named
 * "/name"), a file on disk, or an anonymous mapping shared with children
 * after fork.  It starts with a header (magic, layout version, sizes,
 * checksum) that satomic_region_open validates against the file's real size
 * before trusting it; the caller's data follows, page aligned and zeroed at
 * creation.
 */
#ifndef SHAREDATOMIC_REGION_H
#define SHAREDATOMIC_REGION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct satomic_region;

/* Flags for create and open. */
#define SATOMIC_REGION_MLOCK     0x1u	/* lock the pages into RAM (mlock) */
#define SATOMIC_REGION_HUGEPAGES 0x2u	/* ask for transparent huge pages */
/* Open a segment whose owner is another user (by default -EPERM: its owner
 * can change every value in it); accepted and ignored by create. */
#define SATOMIC_REGION_FOREIGN_OK 0x4u
/* Create only (satomic_region_create, _create_file): make the region but do
 * not link its name yet, so that the caller can fill it before any other
 * process can open it; satomic_region_publish then links the name. */
#define SATOMIC_REGION_UNPUBLISHED 0x8u

/*
 * Create a named region of `size` bytes of data, exclusively (fails with
 * -EEXIST if the name exists; with SATOMIC_REGION_UNPUBLISHED,
 * satomic_region_publish does).  `name` is "/" followed by 1 to NAME_MAX
 * characters, none of them "/".  `mode` 0 means 0600; otherwise (permission
 * bits, at most 0777) it is applied exactly, whatever the umask.  The region appears under its name only once
 * fully initialized; with SATOMIC_REGION_UNPUBLISHED, only once the caller
 * has filled it and called satomic_region_publish (create_file too).
 */
int satomic_region_create(const char *name, size_t size, unsigned int mode,
			  unsigned int flags, struct satomic_region **out);
int satomic_region_open(const char *name, unsigned int flags,
			struct satomic_region **out);
int satomic_region_unlink(const char *name);

/* The same on a file: survives reboot; remove it with unlink(2). */
int satomic_region_create_file(const char *path, size_t size,
			       unsigned int mode, unsigned int flags,
			       struct satomic_region **out);
int satomic_region_open_file(const char *path, unsigned int flags,
			     struct satomic_region **out);

/* An unnamed region, shared with the children this process forks. */
int satomic_region_create_anon(size_t size, unsigned int flags,
			       struct satomic_region **out);

/*
 * Link the name of a region created with SATOMIC_REGION_UNPUBLISHED, in one
 * step: processes that open the name from then on see everything written
 * before.  -EEXIST if the name exists by then (close this region, which
 * leaves nothing behind, and open that one); -EINVAL for NULL, an anonymous
 * or opened region, or one already published.  Until published, closing
 * the region removes it.
 */
int satomic_region_publish(struct satomic_region *region);

/* Unmap and free the handle; the region itself stays until unlinked;
 * a region never published is removed. */
int satomic_region_close(struct satomic_region *region);

void *satomic_region_data(const struct satomic_region *region);
size_t satomic_region_size(const struct satomic_region *region);

/* What a region's header and file say, read without mapping it. */
#define SATOMIC_REGION_KIND_RAW 1u	/* made by satomic_region_create* */
#define SATOMIC_REGION_KIND_MAP 2u	/* holds a map (satomic_map_create*) */

struct satomic_region_info {
	unsigned int kind;	/* SATOMIC_REGION_KIND_* */
	unsigned int version;	/* layout version of the header */
	uint64_t data_size;	/* bytes of data */
	uint64_t file_size;	/* bytes of the file, header included */
	uint64_t allocated;	/* bytes the file system holds for it */
	int64_t created;	/* seconds since the epoch */
	unsigned int mode;	/* permission bits */
	unsigned int uid, gid;
	uint64_t reserved[4];
};

/*
 * Remove the name only while it holds a segment of `kind` (0: anything, as
 * satomic_region_unlink): the check and the removal are made under the
 * file's lock, so a segment of another kind that takes the name's place
 * meanwhile is refused (-EINVAL) and left in place, never removed.
 * SATOMIC_REGION_KIND_MAP does what satomic_map_unlink does.
 */
int satomic_region_unlink_kind(const char *name, unsigned int kind);

/*
 * Read and validate the header of the named region (info_file: of the file
 * at path) without mapping it: -EINVAL for a file that is not a valid
 * region, -ENODEV for a FIFO, socket or device (never waited on), -ENOENT
 * if there is none.
 */
int satomic_region_info(const char *name, struct satomic_region_info *info);
int satomic_region_info_file(const char *path,
			     struct satomic_region_info *info);

/*
 * The locked-memory limit (RLIMIT_MEMLOCK, `ulimit -l`) in bytes;
 * UINT64_MAX means unlimited.  Either pointer may be NULL.
 */
int satomic_memlock_limit(uint64_t *soft, uint64_t *hard);

#ifdef __cplusplus
}
#endif

#endif /* SHAREDATOMIC_REGION_H */
