/*
 * The map's life: sizing, formatting, attaching (which validates a copy of
 * the header before trusting anything in it), named and anonymous maps on
 * regions, closing.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "map_internal.h"
#include "region.h"

#define PAGE 4096u
#define DEFAULT_GROWTH 64u		/* default max_capacity = 64 x capacity */
#define DEFAULT_MIN_MAX (1ull << 20)	/* ... and at least this */

struct layout {
	uint64_t max_keys;		/* max_capacity, exactly */
	unsigned init_log2, max_log2;
	size_t registry_offset, areas_offset, area_bytes, total;
};

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

/* The smallest table that holds `keys` keys, or 0 if none is allowed. */
static unsigned log2_for(uint64_t keys)
{
	unsigned log2;

	for (log2 = MAP_MIN_LOG2; log2 <= MAP_MAX_LOG2; log2++)
		if (table_threshold(log2) >= keys)
			return log2;
	return 0;
}

/* Where everything lies in a map whose largest table has 2^max_log2 slots. */
static int plan_layout(unsigned max_log2, struct layout *l)
{
	size_t areas;

	l->max_log2 = max_log2;
	if (max_log2 == 0 || max_log2 >= sizeof(size_t) * 8 - 6)
		return -EINVAL;	/* beyond what this machine can address */
	l->registry_offset = MAP_HEADER_BYTES;
	l->areas_offset = round_up(l->registry_offset + MAP_REGISTRY_SLOTS *
				   sizeof(struct participant), PAGE);
	l->area_bytes = round_up(area_bytes_for(l->max_log2), PAGE);
	areas = MAP_AREAS * l->area_bytes;
	if (areas / MAP_AREAS != l->area_bytes || areas > SIZE_MAX - l->areas_offset)
		return -EINVAL;
	l->total = l->areas_offset + areas;
	return 0;
}

/*
 * Sizes for a new map.  max_capacity is kept exactly: inserts stop there
 * (src/map_ops.c, at_key_limit).  The largest table holds it and an eighth
 * more, so that churn at max_capacity keys reclaims its tombstones by a
 * same-size migration only every max_capacity / 8 inserts or so.
 */
static int plan(uint64_t capacity, uint64_t max_capacity, struct layout *l)
{
	if (max_capacity == 0) {
		max_capacity = capacity > UINT64_MAX / DEFAULT_GROWTH
			? UINT64_MAX : capacity * DEFAULT_GROWTH;
		if (max_capacity < DEFAULT_MIN_MAX)
			max_capacity = DEFAULT_MIN_MAX;
	}
	if (max_capacity < capacity || max_capacity > UINT64_MAX / 2)
		return -EINVAL;
	l->max_keys = max_capacity;
	l->init_log2 = log2_for(capacity);
	if (l->init_log2 == 0 ||
	    plan_layout(log2_for(max_capacity + max_capacity / 8 + 1), l) != 0)
		return -EINVAL;
	/* capacity = max_capacity: the map holds that many for good, so it
	 * starts in its largest table (satomic_map_create(3), CAVEATS), not
	 * in the one below that capacity keys just fit (one size in nine). */
	if (capacity == max_capacity)
		l->init_log2 = l->max_log2;
	return 0;
}

int satomic_map_footprint(uint64_t capacity, uint64_t max_capacity,
			  size_t *bytes)
{
	struct layout l;
	int err;

	if (bytes == NULL)
		return -EINVAL;
	if ((err = plan(capacity, max_capacity, &l)) != 0)
		return err;
	*bytes = l.total;
	return 0;
}

/*
 * Write a new map into mem.  `fresh` memory (a new region) is known to be
 * zero; caller memory is not, so the header, the registry and the first
 * area are zeroed now and the other areas are marked DIRTY, to be zeroed
 * when first needed.
 */
static void format(unsigned char *mem, const struct layout *l, bool fresh)
{
	struct map_header *h = (struct map_header *)mem;
	struct mstate s = { .gen = 1, .cur_log2 = l->init_log2, .cur_area = 0 };
	unsigned a;

	/* All of area 0, not only the first table's part: a later, larger
	 * table there zeroes only what the one before it used. */
	if (!fresh) {
		memset(mem, 0, l->areas_offset);
		sat_zero(mem + l->areas_offset, l->area_bytes);
	}
	memcpy(h->magic, MAP_MAGIC, sizeof(h->magic));
	h->version = MAP_VERSION;
	h->header_size = sizeof(*h);
	h->seed = region_random();
	h->min_log2 = MAP_MIN_LOG2;
	h->max_log2 = l->max_log2;
	h->areas = MAP_AREAS;
	h->registry_slots = MAP_REGISTRY_SLOTS;
	h->area_bytes = l->area_bytes;
	h->areas_offset = l->areas_offset;
	h->registry_offset = l->registry_offset;
	h->total_bytes = l->total;
	h->max_keys = l->max_keys;
	h->checksum = sat_checksum(h, MAP_HEADER_IMMUTABLE);
	h->area_state[0] = area_used(s.gen, s.cur_log2);
	for (a = 1; a < MAP_AREAS; a++)
		h->area_state[a] = fresh ? AREA_FREE : area_dirty(l->max_log2);
	/* Release: publishes the header and the zeroed first table to whoever
	 * reads this word with an acquire load (state_load). */
	__atomic_store_n(&h->state, mstate_encode(&s), __ATOMIC_RELEASE);
}

/* Validate a copy of the header; fill the layout it describes. */
static int validate(const struct map_header *h, size_t size, struct layout *l)
{
	if (memcmp(h->magic, MAP_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != MAP_VERSION || h->header_size != sizeof(*h) ||
	    h->checksum != sat_checksum(h, MAP_HEADER_IMMUTABLE) ||
	    h->areas != MAP_AREAS || h->registry_slots != MAP_REGISTRY_SLOTS ||
	    h->min_log2 != MAP_MIN_LOG2 || h->max_log2 < MAP_MIN_LOG2 ||
	    h->max_log2 > MAP_MAX_LOG2)
		return -EINVAL;
	if (plan_layout(h->max_log2, l) != 0 ||
	    h->max_keys > table_threshold(h->max_log2) ||
	    h->area_bytes != l->area_bytes ||
	    h->areas_offset != l->areas_offset ||
	    h->registry_offset != l->registry_offset ||
	    h->total_bytes != l->total || l->total > size)
		return -EINVAL;
	return 0;
}

/* fast_desc keeps 64 - log2 (1..63) in the six low bits of an area's first
 * slot, which is 64-aligned (so is mem), and is indexed by area << 6 | log2. */
_Static_assert(CACHELINE == 64 && AREA_CTL_BYTES % 64 == 0 && PAGE % 64 == 0 &&
	       MAP_MIN_LOG2 > 0 && MAP_MAX_LOG2 < 64 && MAP_AREAS <= 4,
	       "fast_desc packing");

static int attach(unsigned char *mem, size_t size,
		  struct satomic_region *region, struct satomic_map **out)
{
	struct map_header copy;
	struct satomic_map *m;
	struct layout l;
	struct view v;
	unsigned a, l2;
	int err;

	if (!sat_cpu_has_cas128())
		return -ENOTSUP;
	if (mem == NULL || out == NULL || ((uintptr_t)mem & (CACHELINE - 1)) ||
	    size < MAP_HEADER_BYTES)
		return -EINVAL;
	memcpy(&copy, mem, sizeof(copy));	/* read once, then trusted */
	if ((err = validate(&copy, size, &l)) != 0)
		return err;
	m = aligned_alloc(CACHELINE, sizeof(*m));	/* a multiple of it */
	if (m == NULL)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	m->base = mem;
	m->footprint = l.total;	/* what the map uses, whatever size says */
	m->hdr = (struct map_header *)mem;
	m->state = &m->hdr->state;
	m->seed = copy.seed;
	m->min_log2 = copy.min_log2;
	m->max_log2 = copy.max_log2;
	/* 0: a map made before max_capacity was kept, limited by its table. */
	m->max_keys = copy.max_keys ? copy.max_keys : table_threshold(copy.max_log2);
	m->registry_slots = copy.registry_slots;
	m->area_bytes = l.area_bytes;
	m->areas_offset = l.areas_offset;
	for (a = 0; a < MAP_AREAS; a++) {
		m->area[a] = mem + l.areas_offset + (size_t)a * l.area_bytes;
		for (l2 = copy.min_log2; l2 <= copy.max_log2; l2++)
			m->fast_desc[state_table_index((uint64_t)a << STATE_CUR_AREA_SHIFT |
					       l2 << STATE_CUR_LOG2_SHIFT)] =
				(uintptr_t)(m->area[a] + AREA_CTL_BYTES) | (64 - l2);
	}
	m->registry = (struct participant *)(mem + l.registry_offset);
	m->region = region;
	m->serial = reg_next_serial();
	if ((err = view_init(m, state_load(m), &v, NO_PARTICIPANT)) != 0) {
		free(m);
		return -EINVAL;	/* a state word that names no table */
	}
	fast_word_init(m);
	*out = m;
	return 0;
}

int satomic_map_init(void *mem, size_t size, uint64_t capacity,
		     uint64_t max_capacity, struct satomic_map **out)
{
	struct layout l;
	int err;

	if (!sat_cpu_has_cas128())
		return -ENOTSUP;
	if (mem == NULL || out == NULL || ((uintptr_t)mem & (CACHELINE - 1)))
		return -EINVAL;
	if ((err = plan(capacity, max_capacity, &l)) != 0)
		return err;
	if (size < l.total)
		return -EINVAL;
	format(mem, &l, false);
	return attach(mem, size, NULL, out);
}

int satomic_map_attach(void *mem, size_t size, struct satomic_map **out)
{
	return attach(mem, size, NULL, out);
}

/*
 * Fill this process's page tables for the header, the registry and the
 * current table now, so that a map created presized does not take its page
 * faults in its first operations (satomic_map_prefault does the same on
 * request, and its target too).  Only on a region (shared memory the
 * library allocated: the current table's pages exist already, reserved at
 * creation or migration, so this costs no memory), and best effort:
 * nothing where the kernel lacks MADV_POPULATE_WRITE (EINVAL, before Linux
 * 5.14) or it fails.  No registration and no announcement: populating
 * writes nothing, and a table retired meanwhile keeps its pages until its
 * area is reused anyway.  (Without reading the pages, as populate() does:
 * with no announcement the table may be retired and its pages released
 * meanwhile, and a read would allocate them again, or SIGBUS on a full
 * /dev/shm.)
 */
static void populate_current(struct satomic_map *m)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct view v;
	uintptr_t lo, hi;

	if (view_init(m, state_load(m), &v, NO_PARTICIPANT) != 0)
		return;
	lo = (uintptr_t)m->base & ~(page - 1);
	hi = ((uintptr_t)m->base + m->areas_offset + page - 1) & ~(page - 1);
	(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
	lo = (uintptr_t)v.cur.ctl & ~(page - 1);
	hi = ((uintptr_t)v.cur.ctl + area_bytes_for(v.cur.log2) + page - 1) &
	     ~(page - 1);
	(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
	(void)m;
#endif
}

/* Create a map on a new region at `place` (NULL: anonymous). */
static int create_on_region(const struct region_place *place, uint64_t capacity,
			    uint64_t max_capacity, unsigned int mode,
			    unsigned int flags, struct satomic_map **out)
{
	struct satomic_region *r;
	struct layout l;
	int err;

	if (!sat_cpu_has_cas128())
		return -ENOTSUP;
	if (out == NULL)
		return -EINVAL;
	if ((err = plan(capacity, max_capacity, &l)) != 0)
		return err;
	/* Allocate what the first table uses now; the rest stays sparse and
	 * is reserved area by area as the map grows. */
	err = region_create(place, l.total,
			    l.areas_offset + area_bytes_for(l.init_log2), mode,
			    flags, REGION_MAP, &r);
	if (err)
		return err;
	format(satomic_region_data(r), &l, true);
	err = region_publish(r);
	if (err == 0)
		err = attach(satomic_region_data(r), satomic_region_size(r), r, out);
	if (err)
		satomic_region_close(r);
	else
		populate_current(*out);
	return err;
}

int satomic_map_create(const char *name, uint64_t capacity,
		       uint64_t max_capacity, unsigned int mode,
		       unsigned int flags, struct satomic_map **out)
{
	struct region_place place;
	int err = region_place_shm(name, &place);

	if (err)
		return err;
	err = create_on_region(&place, capacity, max_capacity, mode, flags, out);
	region_place_release(&place);
	return err;
}

int satomic_map_create_anon(uint64_t capacity, uint64_t max_capacity,
			    unsigned int flags, struct satomic_map **out)
{
	return create_on_region(NULL, capacity, max_capacity, 0, flags, out);
}

int satomic_map_open(const char *name, unsigned int flags,
		     struct satomic_map **out)
{
	struct region_place place;
	struct satomic_region *r;
	int err;

	if (!sat_cpu_has_cas128())
		return -ENOTSUP;
	if (out == NULL)
		return -EINVAL;
	if ((err = region_place_shm(name, &place)) != 0)
		return err;
	err = region_open(&place, flags, REGION_MAP, &r);
	region_place_release(&place);
	if (err)
		return err;
	err = attach(satomic_region_data(r), satomic_region_size(r), r, out);
	if (err)
		satomic_region_close(r);
	else
		populate_current(*out);
	return err;
}

/* Only a map's segment: the CLI refused others, now the library does. */
int satomic_map_unlink(const char *name)
{
	return satomic_region_unlink_kind(name, SATOMIC_REGION_KIND_MAP);
}

int satomic_map_detach(struct satomic_map *m)
{
	if (m == NULL)
		return -EINVAL;
	reg_detach(m);
	if (m->region)
		satomic_region_close(m->region);
	free(m);
	return 0;
}

/*
 * Fill this process's page tables for [p, p + len) now, instead of at first
 * touch: MADV_POPULATE_WRITE (Linux 5.14), then a read of each page (all
 * there is before 5.14).  The read is for virtual machines: on some, a
 * process's first touch of a page it populated still costs several
 * microseconds, unseen as a page fault (as shadowed page tables would
 * make it): a forked worker's first pass over a 128 MiB table ran at half
 * speed on an AMD guest, and at full speed after one read a page.
 * Nothing is written, so memory that others use meanwhile is safe.
 */
static int populate(unsigned char *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)p & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + len + page - 1) & ~(page - 1);

#ifdef MADV_POPULATE_WRITE
	int r;

	do
		r = madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
	while (r != 0 && errno == EINTR);
	/* EINVAL: a kernel before 5.14 */
	if (r != 0 && errno != EINVAL)
		return errno == ENOMEM ? -ENOMEM : -EFAULT;
#endif
	for (; lo < hi; lo += page)
		(void)*(volatile const unsigned char *)lo;
	return 0;
}

/*
 * The header, the registry and the table(s) in use, prefaulted.  Entered as
 * an operation is (reg_enter_cached), so that no table it names can be
 * retired and its memory released while the pages are filled in.
 */
int satomic_map_prefault(struct satomic_map *m)
{
	struct reg_node *n;
	const struct view *v;
	int err;

	if (m == NULL)
		return -EINVAL;
	if ((n = reg_self(m)) == NULL)
		return -EAGAIN;	/* the registry is full of live threads */
	err = reg_enter_cached(m, n, &v);
	if (err == 0)
		err = populate(m->base, m->areas_offset);
	if (err == 0)
		err = populate((unsigned char *)v->cur.ctl, area_bytes_for(v->cur.log2));
	if (err == 0 && v->migrating)
		err = populate((unsigned char *)v->tgt.ctl, area_bytes_for(v->tgt.log2));
	reg_leave(n->p);
	return err;
}

int satomic_map_close(struct satomic_map *m)
{
	return satomic_map_detach(m);
}
