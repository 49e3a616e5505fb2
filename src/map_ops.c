/*
 * Operations on single keys: get, contains, and every kind of update.
 *
 * Readers announce nothing: they read the state word, probe, and re-read the
 * state word; if it changed they retry (the tables they read might have been
 * migrated and their memory reused).  Writers announce the generation they
 * work in (src/map_registry.c), then make their one change with a CAS16 on
 * the key's slot, which is the linearization point (doc/map-design.md 3).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>

#include "backoff.h"
#include "map_internal.h"

/* How long a writer that needs a migration waits while every spare area is
 * pinned or being prepared by peers (busy ones are done within moments; a
 * stopped one may never be) before it reports -EAGAIN. */
#define AREA_WAIT_NS 2000000000ll

/* ---------------------------------------------------------------------------
 * Counters.
 */

#if defined(__clang__)
#define UNROLL4 _Pragma("unroll 4")
#elif defined(__GNUC__) && __GNUC__ >= 8
#define UNROLL4 _Pragma("GCC unroll 4")
#else
#define UNROLL4
#endif

/* The sums below read the stripe count and the stripes' address once: the
 * relaxed atomic loads in the loop would otherwise make the compiler read
 * them again at every stripe (reserve_slot sums 64 stripes every 32 of a
 * stripe's counts: that was a quarter of an insert's instructions). */
int64_t table_live(const struct table *t)
{
	const struct stripe *st = t->ctl->stripes;
	const unsigned n = table_stripes_mask(t) + 1;
	uint64_t sum = 0;
	unsigned i;

	UNROLL4
	for (i = 0; i < n; i++)
		sum += __atomic_load_n(&st[i].used, __ATOMIC_RELAXED) -
		       __atomic_load_n(&st[i].dead, __ATOMIC_RELAXED);
	return (int64_t)sum;
}

/* One counter of every stripe, summed (dead: the dead ones, else the used).
 * Inline in reserve_slot: the fast path must call nothing, since a call
 * would make it save registers on every update. */
static inline __attribute__((always_inline)) uint64_t
stripes_sum(const struct table *t, bool dead)
{
	const struct stripe *st = t->ctl->stripes;
	const unsigned n = table_stripes_mask(t) + 1;
	uint64_t sum = 0;
	unsigned i;

	UNROLL4
	for (i = 0; i < n; i++)
		sum += __atomic_load_n(dead ? &st[i].dead : &st[i].used,
				       __ATOMIC_RELAXED);
	return sum;
}

uint64_t table_used(const struct table *t)
{
	return stripes_sum(t, false);
}

/* Account for one more non-EMPTY slot, unless the table is at its maximum
 * load.  The full sum is taken once every 2^step_log2 of a stripe's counts;
 * table_threshold leaves room for what slips through in between. */
static inline __attribute__((always_inline)) bool
reserve_slot(const struct table *t)
{
	uint64_t n = stripe_add(t, &t->stripe->used, 1);

	CRASH_POINT();
	if (__builtin_expect((n & t->step_mask) != 0, 1) ||
	    stripes_sum(t, false) <= table_threshold(t->log2))
		return true;
	stripe_add(t, &t->stripe->used, (uint64_t)-1);
	return false;
}

/*
 * Whether the map already holds max_capacity keys, so that a new one must
 * be refused (-ENOSPC), for a view whose tables could hold more
 * (view.key_limit).  Every table's `used` counters are read first, their
 * `dead` ones after: a used counter read early lacks the keys added since,
 * and a dead one read late has grown by the removals and freezes since (or
 * shrunk by revivals, keys that are live by then), so for operations whose
 * counts have landed the sum is at most the keys live at the end of the
 * reading: -ENOSPC is not said below max_capacity.  (Summed stripe by
 * stripe and table by table, used and dead together, it was: an outside
 * test got -ENOSPC from maps that held max_capacity - 5 keys.)  What it
 * can still over-count is operations in flight: a reservation not yet
 * undone (reserve_slot, its CAS16 lost), and, while a migration runs, a
 * key frozen and copied before its freezer counted it dead (the caller
 * finishes the migration and counts again: key_limit_reached).  New keys
 * that race for the last places may each see the count before the others
 * land: the map can then exceed max_capacity by one key per racer; a
 * process killed inside an insert can leave the count one off until the
 * next migration recounts.
 */
static bool at_key_limit(const struct view *v)
{
	uint64_t n = stripes_sum(&v->cur, false) +
		     (v->migrating ? stripes_sum(&v->tgt, false) : 0);

	/* Acquire: the dead counters after the used ones; and pairs with
	 * the release fence below in the thread whose used count we read:
	 * its removals before it are counted dead here. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	n -= stripes_sum(&v->cur, true) +
	     (v->migrating ? stripes_sum(&v->tgt, true) : 0);
	/* Release: this thread's earlier counts (a removal's dead) before
	 * the used count its insert makes next (reserve_slot), for the
	 * acquire fence above in a concurrent at_key_limit that reads it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return (int64_t)n >= 0 && n >= v->key_limit;
}

/* ---------------------------------------------------------------------------
 * Probing.
 */

enum found {
	FOUND_LIVE, FOUND_TOMB, FOUND_FROZEN,	/* the key's slot (I1) */
	FOUND_EMPTY,		/* the chain's end: the key is not here */
	FOUND_MOVED_END,	/* the chain's end, frozen: see the target */
	FOUND_OTHER,		/* another key's slot, or MOVED_MID: go on */
	FOUND_NOWHERE,		/* reach exhausted: not here, no room here */
};

/* What key word kw is, for the key whose key bits are `key`: the one
 * classification of a slot, for every probe of the general path. */
static inline enum found slot_classify(uint64_t kw, uint64_t key)
{
	if (kw_holds(kw, key))
		return kw_state(kw) == ST_LIVE ? FOUND_LIVE :
		       kw_state(kw) == ST_TOMB ? FOUND_TOMB : FOUND_FROZEN;
	if (kw == KW_EMPTY)
		return FOUND_EMPTY;
	if (kw == KW_MOVED_END)
		return FOUND_MOVED_END;
	return FOUND_OTHER;
}

/*
 * The fast paths' probes (guess_probe, update_fast) decide only two cases,
 * key word want (the key LIVE) and EMPTY.  Past any other slot, whether
 * they must leave to the general path: the key TOMB or FROZEN (a key word
 * that differs from want in the state bits only), the chain's end frozen
 * (MOVED_END), or the last slot within reach passed (left == 0).
 * Otherwise it is another key's slot or MOVED_MID: the chain goes on.
 */
static inline bool fast_probe_leaves(uint64_t kw, uint64_t want, uint64_t left)
{
	return (kw ^ want) <= KW_STATE_MASK || kw == KW_MOVED_END || left == 0;
}

/*
 * Probe t for the key hashed h.  On return *i is the slot found and
 * (*kw, *vw) what it held when read.
 */
static inline __attribute__((always_inline)) enum found
probe_table(const struct table *t, uint64_t h, uint64_t *i, uint64_t *kw,
      uint64_t *vw)
{
	const uint64_t key = kw_make(h, ST_KEYLESS);
	uint64_t idx = table_home(t, h), d, w;

	enum found f;

	for (d = 0; d < t->reach; d++, idx = (idx + 1) & t->mask) {
		/* Acquire: pairs with the release of the CAS16 that wrote
		 * it, so that the slot's value, and for a keyless word the
		 * state word that led to it, are seen as of then. */
		w = __atomic_load_n(&t->slots[idx].kw, __ATOMIC_ACQUIRE);
		f = slot_classify(w, key);
		if (f <= FOUND_FROZEN) {
			READ_POINT();
			*vw = slot_value(&t->slots[idx], &w);
			/* Still the key's, unless it turned MOVED_MID since
			 * (I1: never another key's, nor EMPTY or MOVED_END). */
			f = slot_classify(w, key);
		} else {
			*vw = 0;	/* EMPTY and MOVED_END have value 0 */
		}
		if (f != FOUND_OTHER) {
			*i = idx;
			*kw = w;
			return f;
		}
	}
	*i = idx;
	return FOUND_NOWHERE;
}

/*
 * Copy (H, value), frozen in v's source table, into its target unless the
 * key is there already, in any state (I2: the first copy wins, and from
 * then on the target decides).
 *
 * Only while the migration of v runs.  A copier stopped between freezing a
 * key and copying it may wake when that migration is over: someone else
 * copied the key, it may since have been removed in the target, and the
 * target may be migrating in turn, its tombstones frozen keyless
 * (MOVED_MID) and so invisible to the probe; inserting at the chain's end
 * would bring the removed key back.  Hence the state word is read between
 * the probe and the CAS.  If it still names v's migration, the target was
 * no source while the probe read it (a slot turns MOVED_MID only after the
 * word moved on, and the probe's acquire loads would have made that move
 * visible), so every slot the probe passed held another key, and the key
 * can only ever land at the chain's end found: a CAS that succeeds there
 * finds the key never copied, so the migration cannot have completed.  If
 * the word moved on, the migration completed, which needs every frozen key
 * copied: nothing to do.
 */
int table_copy(const struct view *v, const uint64_t *state, uint64_t h,
	       uint64_t value)
{
	const struct table *t = &v->tgt;
	uint64_t i, kw, vw;

	for (;;) {
		enum found f = probe_table(t, h, &i, &kw, &vw);

		if (f == FOUND_LIVE || f == FOUND_TOMB || f == FOUND_FROZEN)
			return 0;	/* copied before, maybe changed since */
		/* Acquire: pairs with migrate_switch's SC CAS (see above;
		 * the probe's acquire loads keep this load after them). */
		if (__atomic_load_n(state, __ATOMIC_ACQUIRE) != v->word)
			return 0;	/* the migration is over: copied */
		switch (f) {
		case FOUND_EMPTY:
			vw = 0;
			if (slot_cas(&t->slots[i], &kw, &vw, kw_make(h, ST_LIVE), value)) {
				count_used(t);
				return 0;
			}
			if (kw == KW_EMPTY)	/* with a value: no map wrote it */
				return -EUCLEAN;
			continue;	/* someone took the slot: look again */
		case FOUND_MOVED_END:
			return -EUCLEAN;	/* a target is never migrating */
		default:
			return -ENOSPC;	/* FOUND_NOWHERE */
		}
	}
}

/* ---------------------------------------------------------------------------
 * Reads.
 */

/*
 * The key is FROZEN in the current table (its value `frozen` is final there)
 * or its chain ends in MOVED_END: the migration target decides (I2).
 * 1 present (*vw set), 0 absent, -EAGAIN if the view is stale.
 */
static int resolve_in_target(const struct view *v, uint64_t h, bool frozen,
			     uint64_t frozen_value, uint64_t *vw)
{
	uint64_t i, kw;

	if (!v->migrating)
		return -EAGAIN;
	switch (probe_table(&v->tgt, h, &i, &kw, vw)) {
	case FOUND_LIVE:
		return 1;
	case FOUND_TOMB:
		return 0;
	case FOUND_EMPTY: case FOUND_NOWHERE:
		/* Not copied yet: nobody has written it in the target, so a
		 * frozen value is still current. */
		*vw = frozen_value;
		return frozen;
	default:
		return -EAGAIN;	/* the target is migrating: a newer state */
	}
}

/*
 * The key's value as of one instant of this call: 1 present, 0 absent.
 * *migrating tells whether a migration was seen running.
 */
static int lookup(struct satomic_map *m, uint64_t h, int64_t *value,
		  bool *migrating)
{
	struct view v;
	uint64_t i, kw, vw, w;
	int present, err;

	for (;;) {
		w = state_load(m);
		err = view_init(m, w, &v, NO_PARTICIPANT);
		if (err)
			return err;
		switch (probe_table(&v.cur, h, &i, &kw, &vw)) {
		case FOUND_LIVE:
			present = 1;	/* linearized at the load of vw */
			break;
		case FOUND_FROZEN:
			present = resolve_in_target(&v, h, true, vw, &vw);
			break;
		case FOUND_MOVED_END:
			present = resolve_in_target(&v, h, false, 0, &vw);
			break;
		default:	/* TOMB, EMPTY, reach exhausted (a target holds
				 * only copies while its migration runs: apply) */
			present = 0;	/* linearized at the load that decided */
			break;
		}
		/* The fence keeps the probe's loads before the re-read of the
		 * state word; it pairs with the SC CAS that moves the word
		 * on before any area the probe read can be reused. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&m->hdr->state, __ATOMIC_RELAXED) != w)
			continue;	/* memory may have been reused: again */
		if (present < 0)
			return -EUCLEAN;	/* frozen slots, yet no migration */
		if (present && value)
			*value = (int64_t)vw;
		*migrating = v.migrating;
		return present;
	}
}

static void help_as_reader(struct satomic_map *m)
{
	struct reg_node *n = reg_self(m);
	const struct view *v;

	if (n == NULL)
		return;
	if (reg_enter_cached(m, n, &v) == 0 && v->migrating)
		(void)migrate_help(m, v);
	reg_leave(n->p);
}

/* The general path of a lookup: any state, migrations included (and helps
 * one it finds running); 0, -ENOENT or an error, as satomic_map_get. */
static __attribute__((noinline, cold)) int get_general(struct satomic_map *m,
						       uint64_t h, int64_t *value)
{
	bool migrating = false;
	int r;

	(void)fast_word_set(m, state_load(m));	/* a guess: checked later */
	r = lookup(m, h, value, &migrating);

	if (migrating)
		help_as_reader(m);
	return r < 0 ? r : r ? 0 : -ENOENT;
}

/*
 * Probe the table the guess w names for the key hashed h, from its home
 * slot: 1 present (*value set), 0 absent, -1 anything else (a tombstone, a
 * frozen or moved slot, reach exhausted): lookup() decides.  The caller
 * confirms w by loading the state word after it (guess_confirmed: state
 * words never repeat, so if it is w, w was current throughout, and the
 * probe linearizes at the load that decided, as in lookup()).
 */
static inline __attribute__((always_inline)) int
guess_probe_from(uintptr_t d, uint64_t h, uint64_t i, uint64_t left,
		 uint64_t *value)
{
	const struct slot *slots = DESC_SLOTS(d);
	const uint64_t mask = desc_home(d, ~0ull);	/* slots - 1 */
	const uint64_t want = kw_make(h, ST_LIVE);
	uint64_t kw;

	for (;; left--, i = (i + 1) & mask) {
		/* Acquire, both: pair with the CAS16 that wrote the slot, and
		 * keep the loads in order (kw, then vw, then the state word
		 * that confirms the guess). */
		kw = __atomic_load_n(&slots[i].kw, __ATOMIC_ACQUIRE);
		if (__builtin_expect(kw == want, 1)) {
			READ_POINT();
			*value = __atomic_load_n(&slots[i].vw, __ATOMIC_ACQUIRE);
			return 1;
		}
		if (kw == KW_EMPTY)
			return 0;
		if (fast_probe_leaves(kw, want, left))
			return -1;	/* TOMB, FROZEN, MOVED_END, far */
	}
}

/* The whole chain, from the home slot (left: the slots after it within
 * reach, N/4 - 1), in the table whose fast_desc entry is d. */
static inline __attribute__((always_inline)) int
guess_probe(uintptr_t d, uint64_t h, uint64_t *value)
{
	return guess_probe_from(d, h, desc_home(d, h), desc_home(d, ~0ull) >> 2,
				value);
}

/* Whether the guess w a probe used is confirmed: the state word is still
 * w.  The fence keeps the probe's loads before this one, as in lookup(). */
static inline bool guess_confirmed(const struct satomic_map *m, uint64_t w)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(m->state, __ATOMIC_RELAXED) == w;
}

/*
 * A lookup that its first two slots did not decide: the chain on from the
 * second, slot i (re-read: guess_probe_from classifies it), in the table
 * the guess w names, confirmed, else get_general.
 */
static __attribute__((noinline)) int
get_past_second(struct satomic_map *m, uint64_t w, uint64_t h, uint64_t i,
		int64_t *value)
{
	const uintptr_t d = fast_table(m, w);
	uint64_t vw;
	/* left: of the N/4 slots within reach from home, those after the
	 * second (guess_probe gives the home N/4 - 1). */
	int r = guess_probe_from(d, h, i, (desc_home(d, ~0ull) >> 2) - 1, &vw);

	if (r < 0 || !guess_confirmed(m, w))
		return get_general(m, h, value);
	if (r && value)
		*value = (int64_t)vw;
	return r ? 0 : -ENOENT;
}

/*
 * The common cases, the key in its home slot or the next one, or either
 * EMPTY (at load 0.5, linear probing decides 89% of the hits and 70% of
 * the misses within those two slots, by simulation), are guess_probe for
 * two slots, kept to a few instructions and to registers that need no
 * saving: a lookup's speed here is set by how many can be in flight at
 * once, that is by its length.  get_past_second goes on from there.
 * Linearized as guess_probe_from's probes are: at the load of the key word
 * that decided (the key LIVE, or an EMPTY slot ending the chain), once the
 * state word loaded after it confirms the guess w.
 */
int satomic_map_get(struct satomic_map *m, int64_t key, int64_t *value)
{
	const struct slot *s;
	uintptr_t d;
	uint64_t h, w, i, want, kw, vw;

	if (m == NULL)
		return -EINVAL;
	h = key_hash(m, key);
	w = __atomic_load_n(&m->fast_word, __ATOMIC_RELAXED);
	d = fast_table(m, w);
	want = kw_make(h, ST_LIVE);
	s = DESC_SLOTS(d) + desc_home(d, h);
	/* Acquire, all: as in guess_probe_from. */
	kw = __atomic_load_n(&s->kw, __ATOMIC_ACQUIRE);
	if (__builtin_expect(kw != want, 0)) {
		if (kw == KW_EMPTY)
			goto absent;
		/* (1: a table has at least 64 slots within reach.) */
		if (fast_probe_leaves(kw, want, 1))
			return get_general(m, h, value);
		/* The slot after home, wrapping at the table's end: one more
		 * at the home's lowest bit of h.  (Computed so, and d loaded
		 * again, the hit path keeps neither the home's index nor d's
		 * shift in a register that it would have to save.) */
		d = fast_table(m, w);
		i = desc_home(d, h + ((uint64_t)1 << (d & 63)));
		s = DESC_SLOTS(d) + i;
		kw = __atomic_load_n(&s->kw, __ATOMIC_ACQUIRE);
		if (kw != want) {
			if (kw == KW_EMPTY)
				goto absent;
			return get_past_second(m, w, h, i, value);
		}
	}
	READ_POINT();
	vw = __atomic_load_n(&s->vw, __ATOMIC_ACQUIRE);
	if (__builtin_expect(!guess_confirmed(m, w), 0))
		return get_general(m, h, value);
	if (value)
		*value = (int64_t)vw;
	return 0;
absent:
	return guess_confirmed(m, w) ? -ENOENT : get_general(m, h, value);
}

int satomic_map_contains(struct satomic_map *m, int64_t key)
{
	int r = satomic_map_get(m, key, NULL);

	return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

/* ---------------------------------------------------------------------------
 * Updates.
 */

enum op {
	OP_INSERT, OP_PUT, OP_REPLACE, OP_CAS, OP_REMOVE, OP_REMOVE_IF,
	OP_EXCHANGE, OP_ADD, OP_SUB, OP_AND, OP_OR, OP_XOR,
};

enum action { KEEP, WRITE, DELETE };

struct request {
	enum op op;
	uint64_t h;		/* the key's hash */
	uint64_t arg, arg2;
	const struct view *view;	/* the view the request works in */
	const uint64_t *state;	/* the map's state word */
	bool present;		/* out: the key was present before */
	uint64_t old;		/* out: its value then */
	int err;		/* out, with OUT_ERROR */
	bool chain_full;	/* out, with OUT_FULL: no room within reach */
};

/* What op does to a key that is (or is not) present with value cur. */
static inline __attribute__((always_inline)) enum action
op_action(enum op op, uint64_t arg, uint64_t arg2, bool present, uint64_t cur,
	  uint64_t *next)
{
	uint64_t base = present ? cur : 0;	/* fetch-ops: absent counts as 0 */

	switch (op) {
	case OP_INSERT:
		*next = arg;
		return present ? KEEP : WRITE;
	case OP_PUT:
	case OP_EXCHANGE:
		*next = arg;
		return WRITE;
	case OP_REPLACE:
		*next = arg;
		return present ? WRITE : KEEP;
	case OP_CAS:
		*next = arg2;
		return present && cur == arg ? WRITE : KEEP;
	case OP_REMOVE:
		return present ? DELETE : KEEP;
	case OP_REMOVE_IF:
		return present && cur == arg ? DELETE : KEEP;
	case OP_ADD: *next = base + arg; return WRITE;
	case OP_SUB: *next = base - arg; return WRITE;
	case OP_AND: *next = base & arg; return WRITE;
	case OP_OR: *next = base | arg; return WRITE;
	case OP_XOR: *next = base ^ arg; return WRITE;
	}
	return KEEP;
}

static inline enum action request_action(const struct request *rq,
					 bool present, uint64_t cur,
					 uint64_t *next)
{
	return op_action(rq->op, rq->arg, rq->arg2, present, cur, next);
}

enum outcome {
	OUT_DONE,	/* linearized */
	OUT_TARGET,	/* the migration target is the key's authority now */
	OUT_FULL,	/* no room: the table must migrate first */
	OUT_STALE,	/* the table is being migrated, unknown to our view */
	OUT_ERROR,	/* rq->err */
};

/*
 * A new key at max_capacity (at_key_limit): -ENOSPC, but not while a
 * migration runs: a key frozen in the source and copied by a helper before
 * its freezer counted it dead is in both tables' counts for an instant.
 * OUT_FULL has the migration finished first, and the count taken again in
 * the one table left.
 */
static enum outcome key_limit_reached(struct request *rq)
{
	if (rq->view->migrating)
		return OUT_FULL;
	rq->err = -ENOSPC;	/* max_capacity keys */
	return OUT_ERROR;
}

/*
 * Apply rq to table t.  tgt is t's migration target, or NULL when our view
 * has t not migrating.  Every change is one CAS16 expecting exactly the pair
 * read (I3); when it fails it returns the slot's current pair and the
 * decision is taken again on that.
 */
static enum outcome apply(const struct table *t, const struct table *tgt,
			  struct request *rq)
{
	const uint64_t key = kw_make(rq->h, ST_KEYLESS);
	/* (Zeroed for gcc -m32, which cannot see that every case that reads
	 * them follows a probe that wrote them.) */
	uint64_t i = 0, kw = 0, vw = 0, next;
	bool reserved = false;
	/* t is the target of the migration the request's view names. */
	const bool in_target = rq->view->migrating && t == &rq->view->tgt;
	enum outcome oc;
	enum found f = probe_table(t, rq->h, &i, &kw, &vw);
	enum action act;

	for (;;) {
		struct slot *s = &t->slots[i];

		switch (f) {
		case FOUND_LIVE:
			rq->present = true;
			rq->old = vw;
			act = request_action(rq, true, vw, &next);
			if (act == KEEP) {
				oc = OUT_DONE;	/* linearized at the load of vw */
				goto out;
			}
			if (act == WRITE && slot_cas(s, &kw, &vw, kw, next)) {
				oc = OUT_DONE;	/* linearized here */
				goto out;
			}
			if (act == DELETE && slot_cas(s, &kw, &vw, key | ST_TOMB, vw)) {
				count_dead(t, 1);
				oc = OUT_DONE;	/* linearized here */
				goto out;
			}
			break;
		case FOUND_TOMB:
			rq->present = false;
			act = request_action(rq, false, 0, &next);
			if (act != WRITE) {
				oc = OUT_DONE;	/* linearized at the load of kw */
				goto out;
			}
			if (rq->view->key_limit != UINT64_MAX &&
			    at_key_limit(rq->view)) {
				oc = key_limit_reached(rq);
				goto out;
			}
			/* Revive in place: this slot is the key's (I1). */
			if (slot_cas(s, &kw, &vw, key | ST_LIVE, next)) {
				count_dead(t, -1);
				oc = OUT_DONE;	/* linearized here */
				goto out;
			}
			break;
		case FOUND_FROZEN:
			if (tgt == NULL) {
				oc = OUT_STALE;
				goto out;
			}
			/* I2: copy first; from then on the target decides. */
			rq->err = table_copy(rq->view, rq->state, rq->h, vw);
			oc = rq->err ? OUT_ERROR : OUT_TARGET;
			goto out;
		case FOUND_MOVED_END:
			oc = tgt ? OUT_TARGET : OUT_STALE;
			goto out;
		case FOUND_EMPTY:
			rq->present = false;
			act = request_action(rq, false, 0, &next);
			if (act != WRITE) {
				oc = OUT_DONE;	/* linearized at the load of kw */
				goto out;
			}
			vw = 0;
			if (tgt != NULL || in_target) {
				/* A new key while t migrates (or in its target): the
				 * migration first, then the new table.  A target
				 * takes nothing but copies while the migration runs,
				 * so every copy finds room: new keys taken first
				 * could crowd out the chain a frozen key needs
				 * (forged keys left a migration unable to finish). */
				rq->chain_full = false;
				oc = OUT_FULL;
				goto out;
			}
			if (!reserved && rq->view->key_limit != UINT64_MAX &&
			    at_key_limit(rq->view)) {
				oc = key_limit_reached(rq);
				goto out;
			}
			if (!reserved && !(reserved = reserve_slot(t))) {
				rq->chain_full = false;
				oc = OUT_FULL;
				goto out;
			}
			if (slot_cas(s, &kw, &vw, key | ST_LIVE, next)) {
				reserved = false;	/* counted in used */
				oc = OUT_DONE;	/* linearized here */
				goto out;
			}
			break;
		case FOUND_NOWHERE:
		case FOUND_OTHER:	/* (never from probe_table) */
			/* No slot within reach can ever hold the key here. */
			rq->chain_full = true;
			oc = tgt ? OUT_TARGET : OUT_FULL;
			goto out;
		}
		/* A CAS16 failed: (kw, vw) is what the slot holds now.  An
		 * EMPTY slot always has value 0: one that does not was
		 * written by no map, and expecting 0 would fail forever. */
		if (kw == KW_EMPTY && vw != 0) {
			rq->err = -EUCLEAN;
			oc = OUT_ERROR;
			goto out;
		}
		f = slot_classify(kw, key);
		if (f == FOUND_OTHER)	/* another key took it: probe again */
			f = probe_table(t, rq->h, &i, &kw, &vw);
	}
out:
	if (reserved)
		stripe_add(t, &t->stripe->used, (uint64_t)-1);
	return oc;
}

/* The general path: any state, migrations included. */
static __attribute__((noinline)) int update_general(struct satomic_map *m,
						    struct request *rq)
{
	struct reg_node *n = reg_self(m);
	const struct view *v;
	enum outcome oc;
	unsigned waits = 0, full_chains = 0;
	int64_t since = 0;
	int err;

	if (n == NULL)
		return -EAGAIN;	/* the registry is full of live threads */
	for (;;) {
		err = reg_enter_cached(m, n, &v);
		if (err)
			break;
		if (v->migrating)
			(void)migrate_help(m, v);	/* everyone helps */
		rq->view = v;
		rq->state = m->state;
		oc = apply(&v->cur, v->migrating ? &v->tgt : NULL, rq);
		if (oc == OUT_TARGET)
			oc = apply(&v->tgt, NULL, rq);
		if (oc == OUT_DONE || oc == OUT_ERROR) {
			err = oc == OUT_ERROR ? rq->err : 0;
			break;
		}
		if (oc == OUT_FULL) {
			/* A full chain in the largest table: one same-size
			 * copy (it drops the chain's tombstones), then no room
			 * (keys chosen to collide; never by chance). */
			if (rq->chain_full && !v->migrating &&
			    v->cur.log2 == m->max_log2 && full_chains++ > 0) {
				err = -ENOSPC;
				break;
			}
			err = v->migrating ? migrate_finish(m, v)
					   : migrate_start(m, n->p, v, rq->chain_full);
			if (err == -EAGAIN) {
				reg_leave(n->p);	/* our own pin must not hold it up */
				if (backoff_wait(++waits, &since, AREA_WAIT_NS))
					continue;
			}
			if (err)
				break;
			continue;
		}
		/* OUT_STALE: a newer state, unless the segment is corrupt. */
		if (state_load(m) == v->word) {
			err = -EUCLEAN;
			break;
		}
	}
	reg_leave(n->p);
	return err;
}

/*
 * What each public update returns, from what the operation found at its
 * linearization point: present, and if so the value `was`.  arg is the
 * operation's first argument (cas and remove_if compare with it); out is
 * where the old value goes (for cas: the expected value, on a mismatch).
 * The one place where each operation's result convention is written.
 */
static inline __attribute__((always_inline)) int
op_result(enum op op, bool present, uint64_t was, uint64_t arg, int64_t *out)
{
	switch (op) {
	case OP_INSERT:
		return present ? -EEXIST : 0;
	case OP_PUT:
		if (present && out)
			*out = (int64_t)was;
		return present;
	case OP_REPLACE:
	case OP_REMOVE:
		if (!present)
			return -ENOENT;
		if (out)
			*out = (int64_t)was;
		return 0;
	case OP_CAS:
		if (!present)
			return -ENOENT;
		if (was == arg)
			return 1;
		*out = (int64_t)was;
		return 0;
	case OP_REMOVE_IF:
		return present ? was == arg : -ENOENT;
	default:	/* exchange and the fetch-ops: absent counts as 0 */
		if (out)
			*out = present ? (int64_t)was : 0;
		return 0;
	}
}

/* update_fast's answer when the general path must take the request. */
#define NOT_FAST INT_MIN

/*
 * The common case of an update, kept short (every instruction between two
 * CAS16s is on the critical path): no migration running, the view this
 * thread decoded still current, and the key LIVE in the current table, or an
 * EMPTY slot on the way for an operation that inserts.  Specialized for each
 * operation (op is a constant).  The public result (op_result), or NOT_FAST:
 * the general path takes it from the start (nothing was changed).  Same
 * linearization points as apply().
 *
 * Only inside an announcement that view_enter_fast confirmed, which may be
 * older than this update (put_many holds one for several keys): a
 * migration that started since freezes a slot before it copies it, so a
 * CAS16 here either lands before the freeze (and is copied) or fails, and
 * a frozen slot sends the update to the general path, as when the
 * migration starts during a lone update's probe.
 */
static inline __attribute__((always_inline)) int
update_in_view(const struct view *v, enum op op, uint64_t h, uint64_t arg,
	       uint64_t arg2, int64_t *out)
{
	const struct table *t = &v->cur;
	/* Read once: the atomic loads below would make the compiler read
	 * them again at every slot. */
	struct slot *const slots = t->slots;
	const uint64_t mask = t->mask;
	const uint64_t want = kw_make(h, ST_LIVE);
	uint64_t kw, vw, was, i, left, next;
	enum action act;
	int r = NOT_FAST;

	i = table_home(t, h);
	for (left = t->reach - 1;; left--, i = (i + 1) & mask) {
		/* Acquire: pairs with the CAS16 that wrote the slot. */
		kw = __atomic_load_n(&slots[i].kw, __ATOMIC_ACQUIRE);
		if (kw == want)
			goto live;
		if (kw == KW_EMPTY)
			goto empty;
		if (__builtin_expect(fast_probe_leaves(kw, want, left), 0))
			goto out;	/* TOMB, FROZEN, MOVED_END, far: general path */
	}
live:
	READ_POINT();
	/* Acquire: pairs with the CAS16 that wrote it; a CAS16 below checks
	 * it, or (KEEP) the re-read of kw after it. */
	vw = __atomic_load_n(&slots[i].vw, __ATOMIC_ACQUIRE);
	do {
		was = vw;
		act = op_action(op, arg, arg2, true, was, &next);
		if (act == KEEP) {
			/* No CAS16 checks this vw: it stands only if the key
			 * word still does (slot_value); else the general path.
			 * Linearized at the slot's latest LIVE instant before
			 * the load of vw.  (Acquire: as slot_value's
			 * re-read.) */
			if (__atomic_load_n(&slots[i].kw, __ATOMIC_ACQUIRE) == kw)
				r = op_result(op, true, was, arg, out);
			break;
		} else if (act == WRITE) {
			if (slot_cas(&slots[i], &kw, &vw, want, next)) {
				r = op_result(op, true, was, arg, out);
				break;	/* linearized at the CAS16 */
			}
		} else if (slot_cas(&slots[i], &kw, &vw,
				    want + ST_TOMB - ST_LIVE, vw)) {
			count_dead(t, 1);
			r = op_result(op, true, was, arg, out);
			break;	/* linearized at the CAS16 */
		}
	} while (kw == want);	/* only the value moved: again */
	goto out;
empty:
	if (op_action(op, arg, arg2, false, 0, &next) != WRITE) {
		/* absent: linearized at the load of kw */
		r = op_result(op, false, 0, arg, out);
	} else if (v->key_limit == UINT64_MAX && reserve_slot(t)) {
		/* (Where max_capacity may be reached, the general path
		 * counts a new key first.) */
		vw = 0;
		if (slot_cas(&slots[i], &kw, &vw, want, next))
			r = op_result(op, false, 0, arg, out);	/* at the CAS16 */
		else	/* taken meanwhile: general path */
			stripe_add(t, &t->stripe->used, (uint64_t)-1);
	}
out:
	return r;
}

/*
 * Announce the generation of the thread's cached view, then check that the
 * state word is still that view's (as reg_announce does, with no load
 * before: a stale view's pin is announced only until the check fails and
 * reg_leave clears it, which can only delay a reclaimer, never mislead
 * one).  True: the view's tables stay allocated until reg_leave, and its
 * current table was current at the check.
 */
static inline __attribute__((always_inline)) bool
view_enter_fast(struct satomic_map *m, const struct reg_node *n)
{
	/* One test for the common case (view.enter_plain), then the rest. */
	if (__builtin_expect(n->view.enter_plain, 1))
		announce_store_plain(n->p, n->view.pin);
	else if (n->view.migrating)
		return false;
	else
		announce_store(n->p, n->view.pin);
	if (state_recheck(m) == n->view.word)
		return true;
	reg_leave(n->p);
	return false;
}

/* update_in_view for one update, inside its own announcement. */
static inline __attribute__((always_inline)) int
update_fast(struct satomic_map *m, struct reg_node *n, enum op op, uint64_t h,
	    uint64_t arg, uint64_t arg2, int64_t *out)
{
	int r;

	if (!view_enter_fast(m, n))
		return NOT_FAST;
	r = update_in_view(&n->view, op, h, arg, arg2, out);
	reg_leave(n->p);
	return r;
}

/* update_key's general path, for a request update_fast did not take. */
static __attribute__((noinline)) int
update_key_general(struct satomic_map *m, enum op op, uint64_t h, uint64_t arg,
		   uint64_t arg2, int64_t *out)
{
	struct request rq = { .op = op, .h = h, .arg = arg, .arg2 = arg2 };
	int err = update_general(m, &rq);

	return err ? err : op_result(op, rq.present, rq.old, arg, out);
}

/* update_key for a thread whose most recent registration is another map's
 * (one that alternates between maps): reg_find moves m's to the front, and
 * the fast path still serves. */
static __attribute__((noinline)) int
update_key_found(struct satomic_map *m, enum op op, uint64_t h, uint64_t arg,
		 uint64_t arg2, int64_t *out)
{
	struct reg_node *n = reg_find(m);
	int r;

	if (n != NULL && (r = update_fast(m, n, op, h, arg, arg2, out)) != NOT_FAST)
		return r;
	return update_key_general(m, op, h, arg, arg2, out);
}

/* Run op on key: the fast path, else the general one; the public result
 * (op_result).  Every other path is a tail call, so that the fast path
 * makes no call and saves no registers. */
static inline __attribute__((always_inline)) int
update_key(struct satomic_map *m, enum op op, int64_t key, int64_t arg,
	   int64_t arg2, int64_t *out)
{
	struct reg_node *n;
	uint64_t h;
	int r;

	if (m == NULL)
		return -EINVAL;
	h = key_hash(m, key);
	n = reg_first(m);
	if (__builtin_expect(n == NULL, 0))
		return update_key_found(m, op, h, (uint64_t)arg, (uint64_t)arg2, out);
	r = update_fast(m, n, op, h, (uint64_t)arg, (uint64_t)arg2, out);
	if (__builtin_expect(r == NOT_FAST, 0))
		return update_key_general(m, op, h, (uint64_t)arg, (uint64_t)arg2, out);
	return r;
}

int satomic_map_insert(struct satomic_map *m, int64_t key, int64_t value)
{
	return update_key(m, OP_INSERT, key, value, 0, NULL);
}

int satomic_map_put(struct satomic_map *m, int64_t key, int64_t value,
		    int64_t *old)
{
	return update_key(m, OP_PUT, key, value, 0, old);
}

int satomic_map_replace(struct satomic_map *m, int64_t key, int64_t value,
			int64_t *old)
{
	return update_key(m, OP_REPLACE, key, value, 0, old);
}

int satomic_map_cas(struct satomic_map *m, int64_t key, int64_t *expected,
		    int64_t desired)
{
	if (expected == NULL)
		return -EINVAL;
	return update_key(m, OP_CAS, key, *expected, desired, expected);
}

int satomic_map_remove(struct satomic_map *m, int64_t key, int64_t *old)
{
	return update_key(m, OP_REMOVE, key, 0, 0, old);
}

int satomic_map_remove_if(struct satomic_map *m, int64_t key, int64_t expected)
{
	return update_key(m, OP_REMOVE_IF, key, expected, 0, NULL);
}

/* exchange and the fetch-ops: absent counts as 0, and is inserted. */
#define FETCH_OP(name, OP) \
	int satomic_map_##name(struct satomic_map *m, int64_t key, \
			       int64_t arg, int64_t *old) \
	{ return update_key(m, OP, key, arg, 0, old); }
FETCH_OP(exchange, OP_EXCHANGE)
FETCH_OP(fetch_add, OP_ADD)
FETCH_OP(fetch_sub, OP_SUB)
FETCH_OP(fetch_and, OP_AND)
FETCH_OP(fetch_or, OP_OR)
FETCH_OP(fetch_xor, OP_XOR)

/* ---------------------------------------------------------------------------
 * Batches.  Keys are taken BATCH at a time; the next batch's home slots are
 * prefetched while this one is probed, so a batch's misses overlap the work
 * of the one before.  A batch is probed in order, with one check of the
 * state word for a run of keys; a key the fast probe cannot decide ends the
 * run, goes through lookup(), and the next run starts after it.  So each
 * key's lookup linearizes after the one before (as n calls of
 * satomic_map_get would; deciding such keys after the batch let a key
 * repeated in one call read present, absent, present again).
 */
#define BATCH 16

static void hash_batch(struct satomic_map *m, const int64_t *keys,
		       size_t len, uint64_t *restrict h, int for_write)
{
	uintptr_t d;
	size_t j;

	/* The guess, current if the state word allows (as get_general
	 * sets it): a map only ever written would keep the guess it was
	 * opened with, the first table, and prefetch nothing useful. */
	(void)fast_word_set(m, state_load(m));
	d = fast_table(m, __atomic_load_n(&m->fast_word, __ATOMIC_RELAXED));

	/* Locality 3 (prefetcht0): the non-temporal hint made the batches
	 * slower than no prefetch at all on an Intel Xeon (doc/benchmarks.md). */
	for (j = 0; j < len; j++) {
		h[j] = key_hash(m, keys[j]);
		if (for_write)	/* the guess may be stale: a hint only */
			__builtin_prefetch(desc_home_slot(d, h[j]), 1, 3);
		else
			__builtin_prefetch(desc_home_slot(d, h[j]), 0, 3);
	}
}

/*
 * Probe keys `from` .. len - 1 of a batch in the current table, in order:
 * found[j], and for a key found its value in v[j].  Returns the first key
 * that lookup() must decide (len: none); `from` itself if the state word is
 * no guess to use or moved meanwhile (then nothing here stands).  The
 * probes linearize at their loads, in order, confirmed by one re-load of
 * the state word (guess_confirmed).
 */
static size_t probe_run(struct satomic_map *m, const uint64_t *h, size_t from,
			size_t len, bool *restrict found, uint64_t *restrict v)
{
	const uint64_t w = state_load(m);
	uintptr_t d;
	size_t j;
	int r;

	if (!fast_word_set(m, w))
		return from;	/* migrating: the general path */
	d = fast_table(m, w);	/* read once for the run */
	for (j = from; j < len; j++) {
		if ((r = guess_probe(d, h[j], &v[j])) < 0)
			break;
		found[j] = r > 0;
	}
	return guess_confirmed(m, w) ? j : from;
}

int64_t satomic_map_get_many(struct satomic_map *m, const int64_t *keys,
			     size_t n, int64_t *values, bool *found)
{
	uint64_t h[2][BATCH], v[BATCH];
	bool found_here[BATCH];
	int64_t hits = 0, *out;
	size_t base, j, len, next;
	unsigned cur = 0;
	bool *fnd;
	int err;

	if (m == NULL || (keys == NULL && n > 0))
		return -EINVAL;
	if (n == 0)
		return 0;
	hash_batch(m, keys, n < BATCH ? n : BATCH, h[cur], 0);
	for (base = 0; base < n; base += BATCH, cur ^= 1) {
		len = n - base < BATCH ? n - base : BATCH;
		next = base + BATCH;
		if (next < n)
			hash_batch(m, keys + next, n - next < BATCH ? n - next : BATCH,
				   h[cur ^ 1], 0);
		/* Either array NULL: the batch's results go to scratch. */
		fnd = found ? found + base : found_here;
		out = values ? values + base : (int64_t *)v;
		for (j = 0; (j = probe_run(m, h[cur], j, len, fnd, v)) < len; j++) {
			err = get_general(m, h[cur][j], (int64_t *)&v[j]);
			if (err != 0 && err != -ENOENT)
				return err;
			fnd[j] = err == 0;
		}
		/* Values only for the keys found: the others' stay as the
		 * caller set them (satomic_map_get(3)). */
		for (j = 0; j < len; j++)
			if (fnd[j]) {
				out[j] = (int64_t)v[j];
				hits++;
			}
	}
	return hits;
}

/*
 * Put the keys hashed h[0 .. len) with values[0 .. len), in order, on the
 * fast path, all inside one announcement: how many it put.  It stops at the
 * first key the fast path cannot take (update_in_view: each put linearizes
 * at its CAS16, as a lone satomic_map_put's does).
 */
static size_t put_run(struct satomic_map *m, const uint64_t *h,
		      const int64_t *values, size_t len)
{
	struct reg_node *n = reg_self(m);
	size_t j = 0;

	if (n == NULL || !view_enter_fast(m, n))
		return 0;
	while (j < len && update_in_view(&n->view, OP_PUT, h[j], (uint64_t)values[j],
					 0, NULL) != NOT_FAST)
		j++;
	reg_leave(n->p);
	return j;
}

/* The next batch's keys are hashed and their home slots prefetched while
 * this batch is put, as in satomic_map_get_many. */
int satomic_map_put_many(struct satomic_map *m, const int64_t *keys,
			 const int64_t *values, size_t n, size_t *done)
{
	uint64_t h[2][BATCH];
	size_t base, j, len;
	unsigned cur = 0;
	int err;

	if (done)
		*done = 0;
	if (m == NULL || ((keys == NULL || values == NULL) && n > 0))
		return -EINVAL;
	if (n == 0)
		return 0;
	hash_batch(m, keys, n < BATCH ? n : BATCH, h[cur], 1);
	for (base = 0; base < n; base += BATCH, cur ^= 1) {
		len = n - base < BATCH ? n - base : BATCH;
		if (base + BATCH < n)
			hash_batch(m, keys + base + BATCH,
				   n - base - BATCH < BATCH ? n - base - BATCH : BATCH,
				   h[cur ^ 1], 1);
		for (j = 0; j < len; j++) {
			j += put_run(m, h[cur] + j, values + base + j, len - j);
			if (j == len)
				break;
			/* keys[base + j]: the general path, then the fast
			 * path again for the rest */
			err = update_key_general(m, OP_PUT, h[cur][j],
						 (uint64_t)values[base + j], 0, NULL);
			if (err < 0) {
				if (done)
					*done = base + j;
				return err;
			}
		}
		if (done)
			*done = base + len;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * Size.
 */

int64_t satomic_map_count(struct satomic_map *m)
{
	struct view v;
	uint64_t n;	/* unsigned: counters that died mid-update may wrap */
	int err;

	if (m == NULL)
		return -EINVAL;
	do {
		if ((err = view_init(m, state_load(m), &v, NO_PARTICIPANT)) != 0)
			return err;
		n = (uint64_t)table_live(&v.cur) +
		    (v.migrating ? (uint64_t)table_live(&v.tgt) : 0);
	} while (state_load(m) != v.word);
	return (int64_t)n < 0 ? 0 : (int64_t)n;
}

int64_t satomic_map_capacity(struct satomic_map *m)
{
	struct view v;
	int err;

	if (m == NULL)
		return -EINVAL;
	if ((err = view_init(m, state_load(m), &v, NO_PARTICIPANT)) != 0)
		return err;
	return (int64_t)map_capacity_of(m, v.migrating ? v.tgt.log2 : v.cur.log2);
}
