/*
 * Attaching a map to memory someone else wrote: a valid map's memory, patched
 * by the input (anywhere: header, registry, counters, slots), its header
 * checksum forged to match or not.  satomic_map_attach must refuse what it
 * cannot trust with an error, and what it accepts must never make an
 * operation crash or read out of bounds (ASan watches): answers may be
 * wrong, errors are fine.
 */
#include "sharedatomic.h"
#include "fuzz.h"
#include "../src/map_internal.h"

#include <sys/mman.h>

static unsigned char *mem, *pristine;
static size_t mem_size;

/* Once: a map for 100 keys (at most 400) with some keys, detached. */
static void setup(void)
{
	struct satomic_map *m;
	int64_t i;

	const size_t page = 4096;
	unsigned char *guarded;

	REQUIRE(satomic_map_footprint(100, 400, &mem_size) == 0, "footprint");
	mem_size = (mem_size + page - 1) / page * page;
	/* A page with no access on each side: ASan does not watch mmap'd
	 * memory, the guards catch accesses just outside it. */
	guarded = mmap(NULL, mem_size + 2 * page, PROT_NONE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(guarded != MAP_FAILED, "memory");
	mem = guarded + page;
	REQUIRE(mprotect(mem, mem_size, PROT_READ | PROT_WRITE) == 0, "mprotect");
	pristine = malloc(mem_size);
	REQUIRE(pristine != NULL, "memory");
	REQUIRE(satomic_map_init(mem, mem_size, 100, 400, &m) == 0, "init");
	for (i = -20; i < 60; i++)
		satomic_map_put(m, i * 7919, i, NULL);
	for (i = 0; i < 10; i++)
		satomic_map_remove(m, i * 7919, NULL);
	satomic_map_detach(m);
	memcpy(pristine, mem, mem_size);
}

/* Use what was attached every way there is; only crashes matter. */
static void exercise(struct satomic_map *m)
{
	struct satomic_map_stats st;
	struct satomic_map_iter *it;
	int64_t keys[4] = { 0, 7919, -7919, 1 }, values[4], k, v;
	bool found[4];
	size_t done;
	int n = 0;

	satomic_map_get(m, 7919, &v);
	satomic_map_insert(m, 123456789, 1);
	satomic_map_put(m, -7919, 2, &v);
	satomic_map_fetch_add(m, 14 * 7919, 3, &v);
	satomic_map_remove(m, 20 * 7919, &v);
	satomic_map_get_many(m, keys, 4, values, found);
	satomic_map_put_many(m, keys, values, 4, &done);
	satomic_map_count(m);
	satomic_map_capacity(m);
	satomic_map_stats(m, &st);
	satomic_map_check(m, NULL, 0);
	if (satomic_map_iter_begin(m, &it) == 0) {
		while (satomic_map_iter_next(it, &k, &v) == 1 && n++ < 100000)
			;
		satomic_map_iter_end(it);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct satomic_map *m;
	unsigned flags;
	size_t attach_size;

	if (mem == NULL)
		setup();
	memcpy(mem, pristine, mem_size);
	flags = (unsigned)take(&in, 1);
	attach_size = flags & 2 ? mem_size - take(&in, 3) % mem_size : mem_size;
	/* Patches: (offset, length, bytes); offsets mostly in the header. */
	while (in.left > 0) {
		size_t off = (size_t)take(&in, 3), len = (size_t)take(&in, 1) % 17;

		off = off & 1 ? off % MAP_HEADER_BYTES : off % mem_size;
		while (len-- > 0 && off < mem_size)
			mem[off++] = (unsigned char)take(&in, 1);
	}
	if (flags & 1) {	/* forge the checksum */
		uint64_t sum = sat_checksum(mem, MAP_HEADER_IMMUTABLE);

		memcpy(mem + MAP_HEADER_IMMUTABLE, &sum, sizeof(sum));
	}
	if (satomic_map_attach(mem, attach_size, &m) == 0) {
		exercise(m);
		satomic_map_detach(m);
	}
	return 0;
}
