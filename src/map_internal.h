/*
 * The helpers every map file uses: the process-local handle, views of the
 * tables, probing aids, counters, the registry and migration entry points.
 * The shared-memory format itself is src/map_layout.h.
 * doc/map-design.md is the argument for correctness; the invariants it
 * names (I1 one slot per key, I2 one authority per key, I3 values move with
 * their state) are cited where code relies on them.
 */
#ifndef SAT_MAP_INTERNAL_H
#define SAT_MAP_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sharedatomic.h"
#include "cas128.h"
#include "hash.h"
#include "map_layout.h"

/* ---------------------------------------------------------------------------
 * The process-local handle.
 */
struct reg_node;
struct view;

_Static_assert((MAP_AREAS & (MAP_AREAS - 1)) == 0, "areas: a power of two");

struct satomic_map {
	/* A lookup's fast path reads the first cache line and one word of
	 * fast_desc. */
	uint64_t fast_word;		/* a lookup's guess, see fast_word_set */
	uint64_t seed;			/* from the validated header */
	uint64_t *state;		/* &hdr->state */
	/* The table a guess names, by the guess's low byte (its area and
	 * log2): the area's first slot | (64 - log2), the shift that takes a
	 * hash to its home.  Set at attach for every area and size the header
	 * allows, 0 elsewhere, and never changed: fast_word_set takes only
	 * guesses that have an entry. */
	uintptr_t fast_desc[256];
	unsigned char *base;
	size_t footprint;		/* header, registry, areas: all it uses */
	struct map_header *hdr;
	/* Copied from the header once it was validated; never re-read. */
	unsigned min_log2, max_log2, registry_slots;
	uint64_t max_keys;		/* max_capacity, exactly (map_key_limit) */
	size_t area_bytes, areas_offset;
	unsigned char *area[MAP_AREAS];	/* where each area starts */
	struct participant *registry;
	struct satomic_region *region;	/* owned, NULL for caller memory */
	uint64_t serial;		/* process-unique, keys thread caches */
	struct reg_node *nodes;		/* registrations made through it */
} __attribute__((aligned(CACHELINE)));

/* A table as one operation sees it: derived from the state word. */
struct table {
	struct slot *slots;
	struct area_ctl *ctl;
	uint64_t mask;		/* slots - 1 */
	uint64_t reach;		/* slots / 4: no key lies further from home */
	unsigned log2, area;
	unsigned home_shift;	/* 64 - log2: a home is h >> home_shift */
	uint64_t gen;
	struct stripe *stripe;	/* where the view's participant counts */
	bool own_stripe;	/* no one else counts there (table_pick_stripe) */
	uint64_t step_mask;	/* sum all stripes when (used & it) == 0 */
};

struct view {
	uint64_t word;
	uint64_t pin;		/* what a participant announces for it */
	bool migrating;
	/* Not migrating, and announced with a plain store (the reclaimers'
	 * membarrier orders it): update_fast's one test before it announces. */
	bool enter_plain;
	/* max_keys where a table of this view could hold more keys (a new
	 * key must then first be counted against it), else UINT64_MAX. */
	uint64_t key_limit;
	struct table cur, tgt;
};

/* ---------------------------------------------------------------------------
 * Sizes, all powers of two so that no division is needed.
 */

/* Stripes grow with the table (1 up to 64), so tiny tables sum few. */
static inline unsigned table_stripes_log2(unsigned log2)
{
	return log2 <= 10 ? 0 : log2 - 10 > 6 ? 6 : log2 - 10;
}

/* A stripe's count between two sums of all stripes: N / (128 x stripes). */
static inline unsigned table_step_log2(unsigned log2)
{
	int s = (int)log2 - 7 - (int)table_stripes_log2(log2);

	return s > 0 ? (unsigned)s : 0;
}

/* Keys a table of 2^log2 slots holds: 3/4 of it, less the most that can
 * slip in between two sums of the stripes (stripes x step). */
static inline uint64_t table_threshold(unsigned log2)
{
	return (3ull << log2 >> 2) -
	       (1ull << (table_stripes_log2(log2) + table_step_log2(log2)));
}

/* Keys before the next growth, for a table of 2^log2 slots: the table's
 * threshold, or max_capacity if that is less. */
static inline uint64_t map_capacity_of(const struct satomic_map *m, unsigned log2)
{
	uint64_t t = table_threshold(log2);

	return t < m->max_keys ? t : m->max_keys;
}

static inline size_t area_bytes_for(unsigned log2)
{
	return AREA_CTL_BYTES + (sizeof(struct slot) << log2);
}

/* ---------------------------------------------------------------------------
 * Views and keys.
 */

/* A view that never counts: it has no participant. */
#define NO_PARTICIPANT UINT32_MAX

/*
 * Which stripe participant `who` (its registry index) counts in.  When a
 * table has two stripes or more, the first half belong one each to
 * participants 0, 1, ...: a registry slot has one owner at a time, the
 * thread (or iterator) that claimed it, so it counts there with a plain load
 * and store, and an insert's only locked instruction is its CAS16.  The
 * other participants share the second half, with atomic adds.  A process
 * killed between that load and store loses its count, like one killed
 * between its CAS16 and its count: the counters are exact only while no
 * process dies inside an operation (satomic_map_count(3)).
 */
static inline void table_pick_stripe(struct table *t, unsigned who)
{
	unsigned half = (1u << table_stripes_log2(t->log2)) >> 1;

	t->own_stripe = who < half;
	t->stripe = &t->ctl->stripes[half == 0 ? 0
				     : who < half ? who
				     : half + (who == NO_PARTICIPANT ? 0 : who % half)];
}

static inline void table_init(const struct satomic_map *m, struct table *t,
			      unsigned area, unsigned log2, uint64_t gen,
			      unsigned who)
{
	unsigned char *a = m->area[area];

	t->ctl = (struct area_ctl *)a;
	t->slots = (struct slot *)(a + AREA_CTL_BYTES);
	t->log2 = log2;
	t->area = area;
	t->gen = gen;
	t->mask = (1ull << log2) - 1;
	t->home_shift = 64 - log2;
	t->reach = 1ull << (log2 - 2);
	table_pick_stripe(t, who);
	t->step_mask = (1ull << table_step_log2(log2)) - 1;
}

/*
 * Announce, then re-check the state word: either a reclaimer scanning the
 * registry sees the announcement, or we see the state word it changed before
 * scanning.  That needs the store ordered before the load: a fence here, or,
 * in a process registered with membarrier, the barrier the reclaimer forces
 * on every registered thread before it scans (reg_pinned).
 */
extern bool sat_membarrier_registered;

/* Decode the state word into a view for participant `who` (or
 * NO_PARTICIPANT); -EUCLEAN if it names no valid table (a corrupt or hostile
 * segment must give an error, never a wild access). */
static inline int view_init(const struct satomic_map *m, uint64_t w,
			    struct view *v, unsigned who)
{
	struct mstate s;

	mstate_decode(w, &s);
	if (s.gen == 0 || s.cur_area >= MAP_AREAS || s.cur_log2 < m->min_log2 ||
	    s.cur_log2 > m->max_log2 ||
	    (s.migrating && (s.tgt_area >= MAP_AREAS || s.tgt_area == s.cur_area ||
			     s.tgt_log2 < m->min_log2 || s.tgt_log2 > m->max_log2)))
		return -EUCLEAN;
	v->word = w;
	v->pin = state_pin(w);
	v->migrating = s.migrating;
	v->enter_plain = !s.migrating && sat_membarrier_registered;
	/* A target is never smaller than its source; 3/4 of it is the most
	 * its used counters can ever reach (table_threshold). */
	v->key_limit = 3ull << (s.migrating ? s.tgt_log2 : s.cur_log2) >> 2 >
		       m->max_keys ? m->max_keys : UINT64_MAX;
	table_init(m, &v->cur, s.cur_area, s.cur_log2, s.gen, who);
	if (s.migrating)
		table_init(m, &v->tgt, s.tgt_area, s.tgt_log2, s.gen + 1, who);
	return 0;
}

/* A view decoded from no word, a new registration's: word 0, which
 * view_init never accepts (generation 0), so that view_is_of is false for
 * any state word, a damaged one included; and migrating, which
 * view_enter_fast (the one test before it compares words) never enters. */
static inline void view_clear(struct view *v)
{
	v->word = 0;
	v->migrating = true;
	v->enter_plain = false;
}

/* Whether v was decoded from the state word w. */
static inline bool view_is_of(const struct view *v, uint64_t w)
{
	return w == v->word && w != 0;
}

/* Acquire: pairs with the release of the state word's writers (map
 * creation, and the SC CAS of migrate_start and migrate_switch), so that
 * the tables it names are seen prepared. */
static inline uint64_t state_load(const struct satomic_map *m)
{
	return __atomic_load_n(&m->hdr->state, __ATOMIC_ACQUIRE);
}

/* The fast_desc entry of the table the guess w names (0: none). */
static inline uintptr_t fast_table(const struct satomic_map *m, uint64_t w)
{
	return m->fast_desc[state_table_index(w)];
}

/* That table's first slot (a macro: as an inline function it cost
 * satomic_map_get two register moves), and the home of hash h in it. */
#define DESC_SLOTS(d) ((const struct slot *)((d) & ~(uintptr_t)63))

static inline uint64_t desc_home(uintptr_t d, uint64_t h)
{
	return h >> (d & 63);
}

/*
 * A lookup's guess at the current table, m->fast_word: a state word that
 * was current once, names no migration, and names a table inside an area
 * (any of them fits any area).  Threads overwrite it freely, racing, since
 * every word stored is such a word: whatever it holds, a probe through it
 * reads mapped memory, and the lookup confirms the guess by loading the
 * state word after its probe (src/map_ops.c).
 */
static inline bool fast_word_set(struct satomic_map *m, uint64_t w)
{
	/* Already there: no store, since the line is read by every operation
	 * of every thread, and storing even the same word would take it from
	 * their caches (a lookup that passes a tombstone comes here each time).
	 * Every word in fast_word passed the checks below (fast_word_init's
	 * too), so this one needs them no more. */
	if (__atomic_load_n(&m->fast_word, __ATOMIC_RELAXED) == w)
		return true;
	if (state_migrating(w) || state_cur_area(w) >= MAP_AREAS || fast_table(m, w) == 0)
		return false;	/* migrating, or a size the header does not allow */
	__atomic_store_n(&m->fast_word, w, __ATOMIC_RELAXED);
	return true;
}

/* Generation 0 is never current: the first lookup sets a true guess. */
static inline void fast_word_init(struct satomic_map *m)
{
	m->fast_word = (uint64_t)m->min_log2;	/* area 0, generation 0 */
}

/* The home slot of the key hashed h in the table whose fast_desc entry is d. */
static inline const struct slot *desc_home_slot(uintptr_t d, uint64_t h)
{
	return DESC_SLOTS(d) + desc_home(d, h);
}

static inline uint64_t key_hash(const struct satomic_map *m, int64_t key)
{
	return sat_mix((uint64_t)key ^ m->seed);
}

static inline uint64_t table_home(const struct table *t, uint64_t h)
{
	return h >> t->home_shift;
}

/*
 * The full hash of the key in slot i, from its key word: the low 62 bits are
 * stored, the top two are those of the home, which the position gives back
 * because no key lies N/4 or more slots from its home.
 */
static inline uint64_t slot_hash(const struct table *t, uint64_t i, uint64_t kw)
{
	uint64_t low = kw >> 2;				/* H's low 62 bits */
	uint64_t quarter = t->reach;			/* N / 4 */
	uint64_t home_low = (low >> (64 - t->log2)) & (quarter - 1);
	uint64_t d = (i - home_low) & (quarter - 1);	/* displacement */
	uint64_t home = (i - d) & t->mask;

	return (home >> (t->log2 - 2)) << 62 | low;
}

static inline int64_t slot_key(const struct satomic_map *m,
			       const struct table *t, uint64_t i, uint64_t kw)
{
	return (int64_t)(sat_unmix(slot_hash(t, i, kw)) ^ m->seed);
}

static inline uint64_t slot_displacement(const struct table *t, uint64_t i,
					 uint64_t kw)
{
	return (i - table_home(t, slot_hash(t, i, kw))) & t->mask;
}

/*
 * Deterministic crash points, for tests/test_crashpoints.c: in the test-only
 * build of the library (-DSATOMIC_CRASH_POINTS) each atomic step of the map
 * is followed by one, and the Nth one reached kills the process.  Nothing
 * in the real library.
 */
#ifdef SATOMIC_CRASH_POINTS
void sat_crash_point(void);
#define CRASH_POINT() sat_crash_point()
#else
#define CRASH_POINT() ((void)0)
#endif
/* The same, after a load whose word a later load must agree with (a key
 * word before the value beside it): a process stopped there lets others
 * change that slot before it reads on. */
#define READ_POINT() CRASH_POINT()

/* The double-word CAS on a slot (I3: every write is one).  A full barrier
 * (lock cmpxchg16b, or __sync_val_compare_and_swap elsewhere): the release
 * that every acquire load of a slot's words pairs with. */
static inline bool slot_cas(struct slot *s, uint64_t *kw, uint64_t *vw,
			    uint64_t new_kw, uint64_t new_vw)
{
#ifdef HAVE_CAS128
	bool done = sat_cas128(s, kw, vw, new_kw, new_vw);

	if (done)
		CRASH_POINT();
	return done;
#else
	(void)s; (void)kw; (void)vw; (void)new_kw; (void)new_vw;
	__builtin_trap();	/* unreachable: no map handle without a CAS128 */
#endif
}

/*
 * The value beside key word *kw, which the caller loaded from slot s: loaded
 * after it, then the key word again, until the two key words agree (the
 * later one is left in *kw).  The two words are read apart, not as one, and
 * the slot may change in between.  While it holds a key (LIVE, TOMB or
 * FROZEN) its value is that of its latest LIVE instant (only a LIVE slot's
 * value changes; removing and freezing keep it), so a value read between
 * two equal keyed words is the key's value at an instant between them.  But
 * a migration turns a tombstone into the keyless MOVED_MID with value 0
 * (for good: a slot never goes back to a keyed state): a value read across
 * that would be one that no operation wrote (issue 16.1: a cas reported a
 * mismatch with 0).  Lock-free: it reads again only when the slot changed.
 */
static inline uint64_t slot_value(const struct slot *s, uint64_t *kw)
{
	uint64_t vw, again;

	for (;;) {
		/* Acquire, both: each pairs with the CAS16 (a full barrier)
		 * that wrote the word, and the acquire on vw keeps the
		 * re-read of kw after it. */
		vw = __atomic_load_n(&s->vw, __ATOMIC_ACQUIRE);
		again = __atomic_load_n(&s->kw, __ATOMIC_ACQUIRE);
		if (again == *kw)
			return vw;
		*kw = again;
	}
}

/* Both words of a slot, as they were together at one instant (as far as a
 * keyed state's value goes: see slot_value). */
static inline void slot_read(const struct slot *s, uint64_t *kw, uint64_t *vw)
{
	/* Acquire: pairs with the CAS16 that wrote it, and keeps the load
	 * of vw after it. */
	*kw = __atomic_load_n(&s->kw, __ATOMIC_ACQUIRE);
	*vw = slot_value(s, kw);
}

/* ---------------------------------------------------------------------------
 * Counters (striped; src/map_ops.c).
 */

static inline unsigned table_stripes_mask(const struct table *t)
{
	return (1u << table_stripes_log2(t->log2)) - 1;
}

/* Add delta to a counter of the view's stripe (table_pick_stripe); the
 * new value. */
static inline __attribute__((always_inline)) uint64_t
stripe_add(const struct table *t, uint64_t *counter,
				  uint64_t delta)
{
	uint64_t n;

	if (t->own_stripe) {
		n = __atomic_load_n(counter, __ATOMIC_RELAXED) + delta;
		__atomic_store_n(counter, n, __ATOMIC_RELAXED);
	} else {
		n = __atomic_add_fetch(counter, delta, __ATOMIC_RELAXED);
	}
	return n;
}

static inline void count_used(const struct table *t)
{
	stripe_add(t, &t->stripe->used, 1);
	CRASH_POINT();
}

static inline void count_dead(const struct table *t, int64_t delta)
{
	stripe_add(t, &t->stripe->dead, (uint64_t)delta);
	CRASH_POINT();
}

int64_t table_live(const struct table *t);
uint64_t table_used(const struct table *t);

/* ---------------------------------------------------------------------------
 * The registry (src/map_registry.c).
 */

/* A thread's registration with one map handle (process-local memory). */
struct reg_node {
	/* Of the handle; 0 once it is closed.  Written by reg_detach (any
	 * thread, under reg_lock), read by the owning thread without it:
	 * node_serial(), a relaxed atomic load. */
	uint64_t serial;
	uint64_t owner;			/* the process it was claimed for */
	struct participant *p;
	unsigned index;
	struct reg_node *next_in_thread;
	struct reg_node *next_in_map;
	struct satomic_map *map;
	struct view view;		/* the last state word, decoded */
};

/* This thread's registration with m (claimed on first use), or NULL. */
struct reg_node *reg_find(struct satomic_map *m);
extern __thread struct reg_node *sat_thread_nodes
	__attribute__((tls_model("initial-exec")));

static inline uint64_t node_serial(const struct reg_node *n)
{
	return __atomic_load_n(&n->serial, __ATOMIC_RELAXED);
}

/* This thread's registration with m if it is the thread's most recent one
 * (reg_find moves each node it finds to the front), else NULL: no call, so
 * that a fast path that tail-calls on NULL saves no registers. */
static inline struct reg_node *reg_first(const struct satomic_map *m)
{
	struct reg_node *n = sat_thread_nodes;

	if (n == NULL)
		__builtin_unreachable();	/* the list ends in reg_none */
	return node_serial(n) == m->serial ? n : NULL;
}

static inline struct reg_node *reg_self(struct satomic_map *m)
{
	struct reg_node *n = reg_first(m);

	return n != NULL ? n : reg_find(m);
}
/* A claim of a registry slot: the slot, and the incarnation the claim gave
 * it (the same slot claimed again later is another claim). */
struct reg_ticket {
	unsigned index;
	uint64_t incarnation;
};
int reg_claim(struct satomic_map *m, struct reg_ticket *t);
/* Whether claim t still holds, made by this process: a forked child
 * inherits its parent's claims as memory only. */
bool reg_mine(const struct satomic_map *m, const struct reg_ticket *t);
/* End claim t; nothing if it is not this process's (reg_mine). */
void reg_release(struct satomic_map *m, const struct reg_ticket *t);
void reg_detach(struct satomic_map *m);
bool reg_alive(const struct participant *p, uint64_t incarnation);
bool reg_pinned(struct satomic_map *m, uint64_t gen);
uint64_t reg_next_serial(void);

/* The announce store: pin is state_pin() of the state word about to be
 * re-checked with state_recheck(). */
static inline void announce_store_plain(struct participant *p, uint64_t pin)
{
	/* Ordered before state_recheck by reg_pinned's membarrier, which
	 * runs after the reclaimer's state CAS and before its scan: in a
	 * registered process a compiler barrier is all this thread needs. */
	__atomic_store_n(&p->announce, pin, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void announce_store(struct participant *p, uint64_t pin)
{
	if (sat_membarrier_registered) {
		announce_store_plain(p, pin);
	} else {
		/* SC, with state_recheck's SC load: pairs with the SC state
		 * CAS (migrate_start, migrate_switch) and the SC load of
		 * announce in reg_pinned (store-load order on both sides). */
		__atomic_store_n(&p->announce, pin, __ATOMIC_SEQ_CST);
	}
}

/* The re-check after announce_store: SC, see there. */
static inline uint64_t state_recheck(const struct satomic_map *m)
{
	return __atomic_load_n(m->state, __ATOMIC_SEQ_CST);
}

static inline uint64_t reg_announce(const struct satomic_map *m,
				    struct participant *p)
{
	uint64_t w = state_load(m), again;

	for (;;) {
		announce_store(p, state_pin(w));
		CRASH_POINT();
		again = state_recheck(m);
		if (again == w)
			return w;
		w = again;
	}
}

static inline int reg_enter(const struct satomic_map *m, struct participant *p,
			    struct view *v)
{
	return view_init(m, reg_announce(m, p), v, (unsigned)(p - m->registry));
}

/* Announce; the view is the node's, decoded again unless it is of the
 * word announced (view_is_of). */
static inline int reg_enter_cached(const struct satomic_map *m,
				   struct reg_node *n, const struct view **v)
{
	uint64_t w = reg_announce(m, n->p);
	int err = view_is_of(&n->view, w) ? 0 :
		  view_init(m, w, &n->view, n->index);

	*v = &n->view;
	return err;
}

/* Release: the operation's accesses to the tables it announced happen
 * before a reclaimer that reads 0 here (reg_pinned) reuses their area. */
static inline void reg_leave(struct participant *p)
{
	__atomic_store_n(&p->announce, 0, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------------------
 * Migration (src/map_migrate.c) and table-level helpers (src/map_ops.c).
 */

/* Copy (H, value), frozen in v's source, into v's target (src/map_ops.c). */
int table_copy(const struct view *v, const uint64_t *state, uint64_t h,
	       uint64_t value);
int migrate_help(struct satomic_map *m, const struct view *v);
int migrate_finish(struct satomic_map *m, const struct view *v);
/* Start migrating v's table: to twice its size if it has many live keys,
 * or if `chain_full` (a probe chain ran out of reach: a same-size copy
 * would rebuild it), else to the same size. */
int migrate_start(struct satomic_map *m, struct participant *p,
		  const struct view *v, bool chain_full);
void map_zero(struct satomic_map *m, size_t offset, size_t len);
void sat_zero(void *p, size_t len);

#endif
