/*
 * The map's format in shared memory: everything MAP_VERSION covers.  Any
 * change to what is here (a structure, a constant, a bit field of a word
 * that processes share) must bump MAP_VERSION, since processes running
 * other builds of the library may attach to the same memory.
 *
 * Memory of a map, all offsets from its start, never pointers:
 *
 *   [0, 4096)               struct map_header
 *   [registry_offset, ...)  registry_slots x struct participant
 *   [areas_offset, ...)     MAP_AREAS areas of area_bytes each:
 *                             struct area_ctl (AREA_CTL_BYTES), then slots
 *
 * doc/map-design.md describes the words below and why they are so.
 */
#ifndef SAT_MAP_LAYOUT_H
#define SAT_MAP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAP_MAGIC "SATOMMAP"
#define MAP_VERSION 1u
#define MAP_AREAS 4u		/* cur + target + two spares for stopped peers */
#define MAP_MIN_LOG2 8u		/* 256 slots */
#define MAP_MAX_LOG2 40u
#define MAP_REGISTRY_SLOTS 512u
#define MAP_HEADER_BYTES 4096u
#define MAP_STRIPES_MAX 64u
#define MAP_CHUNKS_LOG2 12u	/* at most 4096 migration chunks */
#define MAP_CHUNK_MIN_LOG2 8u	/* of at least 256 slots */
#define AREA_CTL_BYTES 8192u

#define CACHELINE 64

/* ---------------------------------------------------------------------------
 * Shared structures.
 */

/* Page 0.  Everything before `checksum` is immutable after creation. */
struct map_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint64_t seed;		/* keys are hashed as mix(key ^ seed) */
	uint32_t min_log2;	/* smallest table */
	uint32_t max_log2;	/* largest table (sizes the areas) */
	uint32_t areas;		/* MAP_AREAS */
	uint32_t registry_slots;
	uint64_t area_bytes;
	uint64_t areas_offset;
	uint64_t registry_offset;
	uint64_t total_bytes;
	uint64_t max_keys;	/* max_capacity as asked; 0: threshold(max_log2) */
	uint64_t reserved[5];
	uint64_t checksum;
	/* Mutable words, each on a cache line of its own. */
	_Alignas(CACHELINE) uint64_t state;	/* the state word, below */
	_Alignas(CACHELINE) uint64_t area_state[MAP_AREAS];	/* area words */
	_Alignas(CACHELINE) uint64_t migrations;	/* completed, for stats */
};
_Static_assert(sizeof(struct map_header) <= MAP_HEADER_BYTES, "map header");
#define MAP_HEADER_IMMUTABLE offsetof(struct map_header, checksum)

/* live = used - dead: an insert into an EMPTY slot touches one counter. */
struct stripe {
	uint64_t used;		/* slots made non-EMPTY by a key */
	uint64_t dead;		/* of those, TOMB or FROZEN now (may wrap) */
	char pad[CACHELINE - 16];
};

/* The control block heading each area, for the table it holds. */
struct area_ctl {
	struct stripe stripes[MAP_STRIPES_MAX];
	/* Migration INTO this table: chunk claims and completion. */
	_Alignas(CACHELINE) uint64_t next_chunk;
	_Alignas(CACHELINE) uint64_t done_count;
	_Alignas(CACHELINE) uint64_t done_bits[(1u << MAP_CHUNKS_LOG2) / 64];
};
_Static_assert(sizeof(struct area_ctl) <= AREA_CTL_BYTES, "area control");

struct slot {
	uint64_t kw;		/* the key word, below */
	uint64_t vw;		/* the value */
} __attribute__((aligned(16)));

/* One thread's (or one iterator's) entry in the registry. */
struct participant {
	uint64_t owner;		/* 0 free, 1 being reclaimed, else see owner_id */
	uint64_t incarnation;	/* bumped at each claim */
	uint64_t announce;	/* the announce word, below */
	char pad[CACHELINE - 24];
};

/* ---------------------------------------------------------------------------
 * The key word of a slot (doc/map-design.md section 1):
 *   bits 0-1 the state, bits 2-63 the low 62 bits of the key's hash H;
 *   keyless states (state 0) are the three words KW_EMPTY, KW_MOVED_END and
 *   KW_MOVED_MID.
 */
#define KW_STATE_MASK 3ull
enum { ST_KEYLESS = 0, ST_LIVE = 1, ST_TOMB = 2, ST_FROZEN = 3 };
#define KW_EMPTY 0ull
#define KW_MOVED_END 4ull	/* frozen EMPTY: the chain ends, see the target */
#define KW_MOVED_MID 8ull	/* frozen TOMB: the chain goes on */

static inline unsigned kw_state(uint64_t kw) { return (unsigned)(kw & KW_STATE_MASK); }
/* The key bits of a keyed word, or of H: H << 2. */
static inline uint64_t kw_key(uint64_t kw) { return kw & ~KW_STATE_MASK; }
/* The key word of the key hashed h, in state st. */
static inline uint64_t kw_make(uint64_t h, unsigned st) { return h << 2 | st; }
/* Whether kw is a keyed state (LIVE, TOMB or FROZEN) of the key bits key. */
static inline bool kw_holds(uint64_t kw, uint64_t key)
{
	return kw_key(kw) == key && kw_state(kw) != ST_KEYLESS;
}

/* ---------------------------------------------------------------------------
 * The state word: which table is current, and the migration if one runs.
 *   bits 0-5 cur log2, 6-9 cur area, 10 migrating, 11-16 target log2,
 *   17-20 target area, 24-63 generation of the current table (from 1).
 * State words never repeat (the generation only grows).
 */
#define STATE_CUR_LOG2_SHIFT 0
#define STATE_CUR_AREA_SHIFT 6
#define STATE_MIGRATING (1ull << 10)
#define STATE_TGT_LOG2_SHIFT 11
#define STATE_TGT_AREA_SHIFT 17
#define STATE_GEN_SHIFT 24
#define STATE_LOG2_MASK 63u
#define STATE_AREA_MASK 15u
/* The low byte: the current table's log2 and (MAP_AREAS being 4) area. */
#define STATE_TABLE_MASK 255u

static inline bool state_migrating(uint64_t w) { return (w & STATE_MIGRATING) != 0; }
static inline uint64_t state_gen(uint64_t w) { return w >> STATE_GEN_SHIFT; }
static inline unsigned state_cur_area(uint64_t w)
{
	return (unsigned)(w >> STATE_CUR_AREA_SHIFT & STATE_AREA_MASK);
}
static inline unsigned state_table_index(uint64_t w)
{
	return (unsigned)(w & STATE_TABLE_MASK);
}

struct mstate {
	uint64_t gen;
	unsigned cur_log2, cur_area;
	bool migrating;
	unsigned tgt_log2, tgt_area;
};

static inline uint64_t mstate_encode(const struct mstate *s)
{
	return (uint64_t)s->cur_log2 << STATE_CUR_LOG2_SHIFT |
	       (uint64_t)s->cur_area << STATE_CUR_AREA_SHIFT |
	       (s->migrating ? STATE_MIGRATING : 0) |
	       (uint64_t)s->tgt_log2 << STATE_TGT_LOG2_SHIFT |
	       (uint64_t)s->tgt_area << STATE_TGT_AREA_SHIFT |
	       s->gen << STATE_GEN_SHIFT;
}

static inline void mstate_decode(uint64_t w, struct mstate *s)
{
	s->cur_log2 = (unsigned)(w >> STATE_CUR_LOG2_SHIFT & STATE_LOG2_MASK);
	s->cur_area = state_cur_area(w);
	s->migrating = state_migrating(w);
	s->tgt_log2 = (unsigned)(w >> STATE_TGT_LOG2_SHIFT & STATE_LOG2_MASK);
	s->tgt_area = (unsigned)(w >> STATE_TGT_AREA_SHIFT & STATE_AREA_MASK);
	s->gen = state_gen(w);
}

/* ---------------------------------------------------------------------------
 * The announce word of a participant: 0 quiescent, else
 *   bit 0 migrating, bits 1-63 the generation of the current table:
 * the tables it may act on (doc/map-design.md 5).
 */
#define ANNOUNCE_MIGRATING 1ull
#define ANNOUNCE_GEN_SHIFT 1

/* What a participant announces while it may act on the tables of `w`. */
static inline uint64_t state_pin(uint64_t w)
{
	return state_gen(w) << ANNOUNCE_GEN_SHIFT |
	       (state_migrating(w) ? ANNOUNCE_MIGRATING : 0);
}
static inline uint64_t announce_gen(uint64_t a) { return a >> ANNOUNCE_GEN_SHIFT; }
static inline bool announce_migrating(uint64_t a) { return (a & ANNOUNCE_MIGRATING) != 0; }

/* ---------------------------------------------------------------------------
 * Area words (map_header.area_state):
 *   bits 0-1 the tag, 2-7 the log2 of the table it holds or is prepared for;
 *   USED: bits 8-63 the generation; OWNED: bits 8-23 the owner's registry
 *   slot, 24-63 the low 40 bits of its incarnation.
 *
 * FREE: zeroed and unused.  USED(gen, log2): holds the table of that
 * generation (current, target, or retired once the state word stops naming
 * it).  OWNED(participant, log2): a participant is zeroing it or preparing
 * it as a migration target; if the owner dies it is zeroed again by whoever
 * takes it over.  DIRTY(log2): never zeroed (caller memory).  An area the
 * state word names is never taken, whatever its state says.
 */
enum { AREA_FREE = 0, AREA_USED = 1, AREA_OWNED = 2, AREA_DIRTY = 3 };
#define AREA_TAG_MASK 3u
#define AREA_LOG2_SHIFT 2
#define AREA_LOG2_MASK 63u
#define AREA_GEN_SHIFT 8
#define AREA_OWNER_SHIFT 8
#define AREA_OWNER_MASK 0xffffu
#define AREA_INCARNATION_SHIFT 24
#define AREA_INCARNATION_MASK 0xffffffffffull	/* 40 bits */

static inline unsigned area_tag(uint64_t a) { return (unsigned)(a & AREA_TAG_MASK); }
static inline unsigned area_log2(uint64_t a)
{
	return (unsigned)(a >> AREA_LOG2_SHIFT & AREA_LOG2_MASK);
}
static inline uint64_t area_used(uint64_t gen, unsigned log2)
{
	return gen << AREA_GEN_SHIFT | (uint64_t)log2 << AREA_LOG2_SHIFT | AREA_USED;
}
static inline uint64_t area_gen(uint64_t a) { return a >> AREA_GEN_SHIFT; }
static inline uint64_t area_owned(unsigned slot, uint64_t incarnation,
				  unsigned log2)
{
	return (incarnation & AREA_INCARNATION_MASK) << AREA_INCARNATION_SHIFT |
	       (uint64_t)slot << AREA_OWNER_SHIFT |
	       (uint64_t)log2 << AREA_LOG2_SHIFT | AREA_OWNED;
}
static inline unsigned area_owner(uint64_t a)
{
	return (unsigned)(a >> AREA_OWNER_SHIFT & AREA_OWNER_MASK);
}
static inline uint64_t area_owner_incarnation(uint64_t a)
{
	return a >> AREA_INCARNATION_SHIFT;
}
static inline uint64_t area_dirty(unsigned log2)
{
	return (uint64_t)log2 << AREA_LOG2_SHIFT | AREA_DIRTY;
}

#endif
