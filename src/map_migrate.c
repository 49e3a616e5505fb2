/*
 * Cooperative migration (doc/map-design.md 4 and 5).
 *
 * A migration copies the current table into a target table in another area,
 * twice as large (growth) or the same size (which drops the tombstones).
 * The source is cut into chunks; every thread that touches the map claims
 * one and migrates it.  Migrating a slot is idempotent, so a chunk whose
 * claimant died, or is merely slow, is done again by whoever finds it
 * unmarked; the helper that marks the last chunk, or anyone who finds them
 * all marked, switches the state word to the target.
 *
 * Crash windows, each harmless:
 *   - after claiming an area, before the state CAS: the area stays OWNED
 *     by a dead participant, and is zeroed again by whoever takes it over;
 *   - after freezing a LIVE slot, before copying it: the copy is redone by
 *     the next helper of that chunk, or by the first writer of that key;
 *     stopped there, the helper's own copy comes late and does nothing
 *     (table_copy);
 *   - after copying, before marking the chunk: the chunk is done again;
 *   - after the last mark, before the state CAS: anyone who finds every
 *     chunk marked makes it;
 *   - after the state CAS, before marking the new area USED: the next
 *     migration start marks it.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "map_internal.h"
#include "region.h"

static unsigned chunk_log2(unsigned log2)
{
	unsigned c = log2 > MAP_CHUNKS_LOG2 + MAP_CHUNK_MIN_LOG2
		? log2 - MAP_CHUNKS_LOG2 : MAP_CHUNK_MIN_LOG2;

	return c < log2 ? c : log2;
}

/* Freeze slot i of the source and copy what it holds to the target. */
static int migrate_slot(const struct satomic_map *m, const struct view *v,
			uint64_t i)
{
	struct slot *s = &v->cur.slots[i];
	uint64_t kw, vw;

	slot_read(s, &kw, &vw);
	for (;;) {
		switch (kw_state(kw)) {
		case ST_KEYLESS:
			if (kw != KW_EMPTY)
				return 0;	/* MOVED_END or MOVED_MID: done */
			if (vw != 0)	/* EMPTY has value 0: written by no map */
				return -EUCLEAN;
			if (slot_cas(s, &kw, &vw, KW_MOVED_END, 0))
				return 0;
			continue;
		case ST_TOMB:	/* the tombstone is not copied: reclaimed */
			if (slot_cas(s, &kw, &vw, KW_MOVED_MID, 0))
				return 0;
			continue;
		case ST_LIVE:	/* I3: vw can no longer change once frozen */
			if (!slot_cas(s, &kw, &vw, kw_key(kw) | ST_FROZEN, vw))
				continue;
			count_dead(&v->cur, 1);
			kw = kw_key(kw) | ST_FROZEN;
			/* fall through */
		default:	/* FROZEN: copy, again if need be (idempotent) */
			return table_copy(v, m->state, slot_hash(&v->cur, i, kw), vw);
		}
	}
}

static void mark_area_used(struct satomic_map *m, const struct table *t)
{
	uint64_t *a = &m->hdr->area_state[t->area];
	uint64_t want = area_used(t->gen, t->log2);
	/* Acquire, as the CAS below: pairs with the release of the CAS or
	 * store that set the area word (take_area, migrate_start). */
	uint64_t cur = __atomic_load_n(a, __ATOMIC_ACQUIRE);

	while (cur != want && area_tag(cur) == AREA_OWNED &&
	       !__atomic_compare_exchange_n(a, &cur, want, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

/* Every chunk is done: make v's target the current table (one CAS of the
 * state word, which only one helper wins), and mark its area USED. */
static void migrate_switch(struct satomic_map *m, const struct view *v)
{
	struct mstate s = {
		.gen = v->cur.gen + 1,
		.cur_log2 = v->tgt.log2, .cur_area = v->tgt.area,
	};
	uint64_t expect = v->word;

	/* SC: pairs with announce_store/state_recheck (a writer either sees
	 * the new word or is seen pinning the old one by reg_pinned), and
	 * as a release with state_load's acquire: whoever reads the new word
	 * sees every copy made into the target (done_count's ACQ_REL chain). */
	if (__atomic_compare_exchange_n(&m->hdr->state, &expect,
					mstate_encode(&s), false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		CRASH_POINT();
		__atomic_fetch_add(&m->hdr->migrations, 1, __ATOMIC_RELAXED);
	}
	mark_area_used(m, &v->tgt);
	CRASH_POINT();
}

/* The first chunk not yet marked done, or `chunks` if all are. */
static uint64_t first_undone(const struct area_ctl *ctl, uint64_t chunks)
{
	uint64_t w, bits;

	for (w = 0; w * 64 < chunks; w++) {
		/* Acquire: pairs with the fetch_or that set a bit, after its
		 * chunk's slots were migrated (migrate_help). */
		bits = ~__atomic_load_n(&ctl->done_bits[w], __ATOMIC_ACQUIRE);
		if (chunks - w * 64 < 64)
			bits &= (1ull << (chunks - w * 64)) - 1;
		if (bits)
			return w * 64 + (uint64_t)__builtin_ctzll(bits);
	}
	return chunks;
}

/*
 * One unit of migration work.  The caller has announced v (reg_enter).
 * Fails only when a copy finds no room in the target (-ENOSPC, a target at
 * its reach: not seen without keys chosen against the secret seed) or
 * finds the target moved on (v is stale).
 */
int migrate_help(struct satomic_map *m, const struct view *v)
{
	struct area_ctl *ctl = v->tgt.ctl;
	unsigned cl = chunk_log2(v->cur.log2);
	uint64_t chunks = 1ull << (v->cur.log2 - cl), c, i, bit, n;

	c = __atomic_fetch_add(&ctl->next_chunk, 1, __ATOMIC_RELAXED);
	CRASH_POINT();
	if (c >= chunks) {	/* all claimed: redo one left unfinished */
		c = first_undone(ctl, chunks);
		if (c == chunks) {
			migrate_switch(m, v);
			return 0;
		}
	}
	for (i = c << cl; i < (c + 1) << cl; i++) {
		int err = migrate_slot(m, v, i);
		if (err)
			return err;	/* the chunk stays unmarked */
	}
	bit = 1ull << (c % 64);
	/* ACQ_REL: releases this chunk's freezes and copies to first_undone
	 * and to the next marker; acquires those of earlier markers. */
	if (__atomic_fetch_or(&ctl->done_bits[c / 64], bit, __ATOMIC_ACQ_REL) & bit)
		return 0;	/* someone marked it first */
	CRASH_POINT();
	/* ACQ_REL: a release sequence, so the helper that counts the last
	 * chunk has every chunk's work before it switches (migrate_switch). */
	n = __atomic_add_fetch(&ctl->done_count, 1, __ATOMIC_ACQ_REL);
	CRASH_POINT();
	if (n == chunks)
		migrate_switch(m, v);
	return 0;
}

/* Help until the migration of v is over (lock-free: nobody waits on anyone;
 * every call does work, redoing what a dead or slow helper left). */
int migrate_finish(struct satomic_map *m, const struct view *v)
{
	int err = 0;

	while (err == 0 && state_load(m) == v->word)
		err = migrate_help(m, v);
	return state_load(m) == v->word ? err : 0;
}

/* ---------------------------------------------------------------------------
 * Areas.
 */

static size_t area_offset(const struct satomic_map *m, unsigned area)
{
	return m->areas_offset + (size_t)area * m->area_bytes;
}

/*
 * Make [offset, offset + len) of the map zero, giving the memory back where
 * possible.  A map on a region starts at the region's data, so its offsets
 * are the region's.
 */
void map_zero(struct satomic_map *m, size_t offset, size_t len)
{
	if (m->region)
		region_zero(m->region, offset, len);
	else
		sat_zero(m->base + offset, len);
}

/*
 * Whether madvise(MADV_REMOVE) really zeroes shared memory here.  An
 * emulator may accept the call and do nothing (Debian 12's qemu-user 7.2
 * does, for every madvise): the map would then reuse an area still holding
 * an old table's slots.  Tried once per process on a page of our own.
 */
static bool remove_works;
static pthread_once_t remove_once = PTHREAD_ONCE_INIT;

static void probe_remove(void)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile unsigned char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	p[0] = 1;
	remove_works = madvise((void *)p, (size_t)page, MADV_REMOVE) == 0 && p[0] == 0;
	munmap((void *)p, (size_t)page);
}

/* Zero caller memory: punch it out where it is shared memory (pages come
 * back zero and cost nothing until touched), write zeros elsewhere. */
void sat_zero(void *p, size_t len)
{
	pthread_once(&remove_once, probe_remove);
	if (!remove_works || madvise(p, len, MADV_REMOVE) != 0)
		memset(p, 0, len);
}

static bool named_by_state(const struct satomic_map *m, unsigned area)
{
	struct mstate s;

	mstate_decode(state_load(m), &s);
	return s.cur_area == area || (s.migrating && s.tgt_area == area);
}

/*
 * Take an area for a target table of 2^log2 slots: a retired one that no
 * live participant can still touch, or one whose owner died, or else a free
 * one: areas that hold memory first, so that on a full file system the
 * memory of retired tables is given back before new memory is asked for
 * (satomic_map_get(3), ENOSPC).  On success the area is OWNED by p, zeroed,
 * and its memory reserved.
 */
static int take_area(struct satomic_map *m, struct participant *p,
		     const struct view *v, unsigned log2, unsigned *taken)
{
	unsigned slot = (unsigned)(p - m->registry), a, pass;
	uint64_t mine = area_owned(slot, __atomic_load_n(&p->incarnation,
							__ATOMIC_RELAXED), log2);
	size_t need = area_bytes_for(log2);
	int err = -EAGAIN;

	for (pass = 0; pass < 2; pass++)
	for (a = 0; a < MAP_AREAS; a++) {
		uint64_t *st = &m->hdr->area_state[a];
		/* Acquire: pairs with the release that set the area word
		 * (a give-back below, migrate_start, mark_area_used). */
		uint64_t cur = __atomic_load_n(st, __ATOMIC_ACQUIRE);
		size_t dirty = 0;	/* bytes that may not be zero */

		if (a == v->cur.area || named_by_state(m, a) ||
		    (area_tag(cur) == AREA_FREE) != (pass == 1))
			continue;
		switch (area_tag(cur)) {
		case AREA_FREE:
			break;
		case AREA_USED:	/* retired: maybe still in someone's hands */
			if (area_log2(cur) > m->max_log2 ||
			    reg_pinned(m, area_gen(cur)))
				continue;
			dirty = area_bytes_for(area_log2(cur));
			break;
		case AREA_DIRTY:
			dirty = m->area_bytes;
			break;
		case AREA_OWNED:
			if (area_owner(cur) < m->registry_slots &&
			    reg_alive(&m->registry[area_owner(cur)],
				      area_owner_incarnation(cur)))
				continue;
			dirty = area_log2(cur) <= m->max_log2
				? area_bytes_for(area_log2(cur)) : m->area_bytes;
			break;
		}
		/* Only the owner of an area ever names it in the state word,
		 * and nobody owns the ones above: no race to lose after this. */
		/* ACQ_REL: acquires what the area's last owner released;
		 * our zeroing is published later by the SC state CAS of
		 * migrate_start, not by this word. */
		if (!__atomic_compare_exchange_n(st, &cur, mine, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			continue;
		CRASH_POINT();
		/* Zeroing and reserving can take long: not if someone else has
		 * already started this migration.  Give the area back as found. */
		if (state_load(m) != v->word) {
			/* Release: pairs with the acquire load above. */
			__atomic_store_n(st, cur, __ATOMIC_RELEASE);
			return -EAGAIN;
		}
		if (dirty) {
			map_zero(m, area_offset(m, a), dirty);
			CRASH_POINT();
		}
		if (m->region &&
		    region_reserve(m->region, area_offset(m, a), need) != 0) {
			/* Not enough memory for the target: -ENOSPC now, not
			 * SIGBUS later.  The area is zero (its memory given
			 * back): give it back, and try the next one, which
			 * may give back more. */
			/* Release: the zeroing, before the next taker's
			 * acquire load above. */
			__atomic_store_n(st, (uint64_t)AREA_FREE, __ATOMIC_RELEASE);
			err = -ENOSPC;
			continue;
		}
		*taken = a;
		return 0;
	}
	/* Not enough memory (-ENOSPC), or every spare area is pinned or being
	 * prepared by someone (-EAGAIN): briefly, by peers in the middle of an
	 * operation, or for as long as they are stopped. */
	return err;
}

int migrate_start(struct satomic_map *m, struct participant *p,
		  const struct view *v, bool chain_full)
{
	int64_t live = table_live(&v->cur);
	unsigned log2 = v->cur.log2, area;
	uint64_t expect = v->word;
	struct mstate s;
	int err;

	mark_area_used(m, &v->cur);	/* in case a completer died */
	if (live < 0)
		live = 0;
	/* Grow when at least half the used slots are live; otherwise, and
	 * always at the largest size, the same size drops the tombstones.
	 * The largest table has room for max_capacity keys and an eighth
	 * more (plan() in src/map.c), and inserts stop at max_capacity keys
	 * (at_key_limit), so at most every eighth of max_capacity inserts of
	 * churn pays for a same-size migration, however long it goes on.
	 * Only a table with no tombstone at all is full for good.  A chain
	 * with no room within reach grows the table whatever the count: a
	 * copy of the same size puts the same live keys back in the same
	 * chain (keys chosen to share a home, by someone who knows the seed,
	 * made an insert loop on such copies forever). */
	if (chain_full || (uint64_t)live * 2 >= table_threshold(v->cur.log2)) {
		if (log2 < m->max_log2)
			log2++;
		else if ((uint64_t)live >= table_used(&v->cur))
			return -ENOSPC;
	}
	err = take_area(m, p, v, log2, &area);
	if (err == -EAGAIN && state_load(m) != v->word)
		return 0;	/* someone else started it: go again */
	if (err)
		return err;
	mstate_decode(v->word, &s);
	s.migrating = true;
	s.tgt_area = area;
	s.tgt_log2 = log2;
	/* SC, as migrate_switch's: pairs with announce_store/state_recheck
	 * and, as a release, with state_load: whoever sees the migration
	 * sees its target zeroed and reserved (take_area). */
	if (!__atomic_compare_exchange_n(&m->hdr->state, &expect,
					 mstate_encode(&s), false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		/* Someone else changed the state first; the area is zero.
		 * Release: pairs with take_area's acquire load. */
		__atomic_store_n(&m->hdr->area_state[area], (uint64_t)AREA_FREE,
				 __ATOMIC_RELEASE);
	CRASH_POINT();
	return 0;
}
