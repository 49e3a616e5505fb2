/* Internal region interface: what the map needs beyond the public API. */
#ifndef SAT_REGION_H
#define SAT_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sharedatomic/region.h"

enum region_kind {
	REGION_RAW = SATOMIC_REGION_KIND_RAW,
	REGION_MAP = SATOMIC_REGION_KIND_MAP,
};

/* Where a region lives: a directory and a name in it, or nowhere (anon). */
struct region_place {
	int dirfd;		/* -1 for anonymous */
	const char *name;	/* basename, for named and file regions */
};

int region_place_shm(const char *name, struct region_place *place);
int region_place_file(const char *path, struct region_place *place);
void region_place_release(struct region_place *place);

/*
 * Create a region of `data_size` zeroed bytes of data, of which the first
 * `alloc` are allocated now (posix_fallocate) and the rest stay sparse
 * until region_reserve.  It is not visible under its name until
 * region_publish; region_close before that leaves nothing behind.
 */
int region_create(const struct region_place *place, size_t data_size,
		  size_t alloc, unsigned int mode, unsigned int flags,
		  enum region_kind kind, struct satomic_region **out);
int region_publish(struct satomic_region *r);
int region_open(const struct region_place *place, unsigned int flags,
		enum region_kind kind, struct satomic_region **out);

/* Allocate, or punch back to zero, a range of the data (offsets in data). */
int region_reserve(struct satomic_region *r, size_t offset, size_t len);
int region_zero(struct satomic_region *r, size_t offset, size_t len);

/* 0, or -ENOMEM if fd's file lives in memory (tmpfs, ramfs) and len more
 * bytes of it exceed the memory available (src/memory_room.c). */
int region_memory_room(int fd, size_t len);

/* Validate a "/name" of a POSIX shared-memory object. */
int region_check_name(const char *name);
/* 64 unpredictable bits (getrandom), for seeds and temporary names. */
uint64_t region_random(void);

#endif
