/*
 * Whole-map scans: the iterator, clear, stats and the integrity check.
 *
 * A scan claims a registry slot of its own and announces the generation it
 * reads, so the table it walks cannot be reused under it, however long it
 * takes (the pin costs the map at most two of its four areas).  None of
 * these is atomic as a whole (doc/map-design.md 3).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_internal.h"

struct satomic_map_iter {
	struct satomic_map *map;
	pid_t pid;			/* the process that began it */
	struct reg_ticket claim;	/* the scan's registry slot */
	struct table t;
	uint64_t pos;
};

/* Claim a slot and announce the current state; with `settle`, first help
 * any running migration to its end, so one table holds every key. */
static int scan_enter(struct satomic_map *m, bool settle,
		      struct reg_ticket *claim, struct view *v)
{
	struct participant *p;
	int err;

	if (m == NULL)
		return -EINVAL;
	if ((err = reg_claim(m, claim)) != 0)
		return err;
	p = &m->registry[claim->index];
	for (;;) {
		if ((err = reg_enter(m, p, v)) != 0)
			break;
		if (!settle || !v->migrating)
			return 0;
		if ((err = migrate_finish(m, v)) != 0)
			break;
	}
	reg_release(m, claim);
	return err;
}

int satomic_map_iter_begin(struct satomic_map *m, struct satomic_map_iter **out)
{
	struct satomic_map_iter *it;
	struct view v;
	int err;

	if (out == NULL)
		return -EINVAL;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	if ((err = scan_enter(m, true, &it->claim, &v)) != 0) {
		free(it);
		return err;
	}
	it->map = m;
	it->pid = getpid();
	it->t = v.cur;
	*out = it;
	return 0;
}

/*
 * Keys present in the table at begin and never removed are returned exactly
 * once: the table keeps one slot per key (I1), and a slot frozen since by a
 * migration is looked up again in the map as it is now.
 */
int satomic_map_iter_next(struct satomic_map_iter *it, int64_t *key,
			  int64_t *value)
{
	const struct table *t;
	uint64_t kw, vw;
	int64_t k, now;
	int r;

	if (it == NULL)
		return -EINVAL;
	/* Not ours: a parent's, inherited through fork, or (in the process
	 * that began it) a claim someone else rewrote.  (getpid, a system
	 * call, only then.) */
	if (!reg_mine(it->map, &it->claim))
		return it->pid != getpid() ? -EPERM : -EUCLEAN;
	t = &it->t;
	while (it->pos <= t->mask) {
		uint64_t i = it->pos++;

		slot_read(&t->slots[i], &kw, &vw);
		if (kw_state(kw) != ST_LIVE && kw_state(kw) != ST_FROZEN)
			continue;
		k = slot_key(it->map, t, i, kw);
		if (kw_state(kw) == ST_FROZEN) {
			r = satomic_map_get(it->map, k, &now);
			if (r == -ENOENT)
				continue;	/* removed since */
			if (r < 0)
				return r;
			vw = (uint64_t)now;
		}
		if (key)
			*key = k;
		if (value)
			*value = (int64_t)vw;
		return 1;
	}
	return 0;
}

void satomic_map_iter_end(struct satomic_map_iter *it)
{
	if (it == NULL)
		return;
	reg_release(it->map, &it->claim);
	free(it);
}

int satomic_map_clear(struct satomic_map *m)
{
	struct satomic_map_iter *it;
	int64_t key;
	int r, err;

	if ((err = satomic_map_iter_begin(m, &it)) != 0)
		return err;
	while ((r = satomic_map_iter_next(it, &key, NULL)) == 1) {
		err = satomic_map_remove(m, key, NULL);
		if (err != 0 && err != -ENOENT)
			break;
		err = 0;
	}
	satomic_map_iter_end(it);
	return r < 0 ? r : err;
}

int satomic_map_stats(struct satomic_map *m, struct satomic_map_stats *st)
{
	struct view v;
	const struct table *t;
	uint64_t i, kw, vw, d, sum = 0;
	struct reg_ticket claim;
	int err;

	if (st == NULL)
		return -EINVAL;
	if ((err = scan_enter(m, false, &claim, &v)) != 0)
		return err;
	memset(st, 0, sizeof(*st));
	t = v.migrating ? &v.tgt : &v.cur;
	for (i = 0; i <= t->mask; i++) {
		slot_read(&t->slots[i], &kw, &vw);
		if (kw_state(kw) == ST_TOMB)
			st->tombstones++;
		if (kw_state(kw) != ST_LIVE && kw_state(kw) != ST_FROZEN)
			continue;
		st->live++;
		d = slot_displacement(t, i, kw);
		sum += d;
		if (d > st->max_probe)
			st->max_probe = d;
	}
	st->slots = t->mask + 1;
	st->mean_probe = st->live ? (double)sum / (double)st->live : 0.0;
	st->load = (double)(st->live + st->tombstones) / (double)st->slots;
	st->capacity = map_capacity_of(m, t->log2);
	st->max_capacity = m->max_keys;
	st->generation = v.cur.gen;
	st->migrations = __atomic_load_n(&m->hdr->migrations, __ATOMIC_RELAXED);
	st->migrating = v.migrating;
	st->bytes_reserved = m->footprint;
	reg_release(m, &claim);
	st->count = (uint64_t)satomic_map_count(m);
	return 0;
}

/* ---------------------------------------------------------------------------
 * The integrity check.
 */

static int check_fail(char *report, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* satomic_map_check found an invariant broken: say which in report, and
 * return -EUCLEAN. */
static int check_fail(char *report, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (report && size) {
		va_start(ap, fmt);
		vsnprintf(report, size, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

/*
 * One table: every keyless word is one of the three; frozen and moved
 * states only in the source of a running migration; each key's chain from
 * its home is unbroken and holds no other slot of the same key (I1).
 */
static int check_table(const struct satomic_map *m, const struct table *t,
		       bool source, const struct table *tgt, uint64_t *live,
		       uint64_t *used, char *report, size_t size)
{
	uint64_t i, j, kw, vw, kj, vj, home, ti, tk, tv;
	const char *name = source ? "source" : "current";

	*live = *used = 0;
	for (i = 0; i <= t->mask; i++) {
		slot_read(&t->slots[i], &kw, &vw);
		if (kw == KW_EMPTY && vw != 0)	/* the operations' -EUCLEAN */
			return check_fail(report, size, "%s table, slot %llu: "
				"empty slot with value %lld", name,
				(unsigned long long)i, (long long)vw);
		if (kw == KW_EMPTY)
			continue;
		(*used)++;
		if (kw_state(kw) == ST_KEYLESS) {
			if (kw != KW_MOVED_END && kw != KW_MOVED_MID)
				return check_fail(report, size, "%s table, slot %llu: "
					"invalid key word %#llx", name,
					(unsigned long long)i, (unsigned long long)kw);
			if (!source)
				return check_fail(report, size, "%s table, slot %llu: "
					"moved slot outside a migration", name,
					(unsigned long long)i);
			continue;
		}
		if (kw_state(kw) == ST_FROZEN && !source)
			return check_fail(report, size, "%s table, slot %llu: frozen "
				"slot outside a migration", name, (unsigned long long)i);
		if (kw_state(kw) == ST_LIVE)
			(*live)++;
		home = table_home(t, slot_hash(t, i, kw));
		for (j = home; j != i; j = (j + 1) & t->mask) {
			slot_read(&t->slots[j], &kj, &vj);
			if (kj == KW_EMPTY || kj == KW_MOVED_END)
				return check_fail(report, size, "%s table: key %lld in "
					"slot %llu is cut off from its home %llu by "
					"slot %llu", name, (long long)slot_key(m, t, i, kw),
					(unsigned long long)i, (unsigned long long)home,
					(unsigned long long)j);
			if (kw_holds(kj, kw_key(kw)))
				return check_fail(report, size, "%s table: key %lld "
					"twice, slots %llu and %llu", name,
					(long long)slot_key(m, t, i, kw),
					(unsigned long long)j, (unsigned long long)i);
		}
		/* I2: a key live in the source is nowhere in the target. */
		if (tgt && kw_state(kw) == ST_LIVE) {
			uint64_t key = kw_key(kw), h = slot_hash(t, i, kw), d;

			ti = table_home(tgt, h);
			for (d = 0; d < tgt->reach; d++, ti = (ti + 1) & tgt->mask) {
				slot_read(&tgt->slots[ti], &tk, &tv);
				if (tk == KW_EMPTY)
					break;
				if (kw_holds(tk, key))
					return check_fail(report, size, "key %lld live in "
						"the source and present in the target",
						(long long)slot_key(m, t, i, kw));
			}
		}
	}
	return 0;
}

/*
 * One scan of the tables the state word names; 0 (sound), -EUCLEAN (a
 * problem, in report) or another error.  *still: the state word was the
 * same after the scan as before it (words never repeat: no migration
 * started or ended meanwhile).
 */
static int check_once(struct satomic_map *m, char *report, size_t size,
		      bool *still)
{
	struct view v;
	uint64_t live, used, tlive = 0, tused = 0, a;
	struct reg_ticket claim;
	int err;

	*still = true;
	if ((err = scan_enter(m, false, &claim, &v)) != 0)
		return err == -EUCLEAN
			? check_fail(report, size, "the state word names no valid table")
			: err;
	/* Acquire: pairs with mark_area_used's CAS. */
	a = __atomic_load_n(&m->hdr->area_state[v.cur.area], __ATOMIC_ACQUIRE);
	if (area_tag(a) == AREA_USED && a != area_used(v.cur.gen, v.cur.log2))
		err = check_fail(report, size, "area %u holds generation %llu, the "
			      "state word says %llu", v.cur.area,
			      (unsigned long long)area_gen(a),
			      (unsigned long long)v.cur.gen);
	if (err == 0)
		err = check_table(m, &v.cur, v.migrating,
				  v.migrating ? &v.tgt : NULL, &live, &used,
				  report, size);
	if (err == 0 && v.migrating)
		err = check_table(m, &v.tgt, false, NULL, &tlive, &tused, report,
				  size);
	if (err == 0 && report && size) {
		int64_t counted = (int64_t)((uint64_t)table_live(&v.cur) +
			(v.migrating ? (uint64_t)table_live(&v.tgt) : 0));

		snprintf(report, size, "sound: %llu live keys in %llu slots, "
			 "generation %llu%s; live counter %lld%s",
			 (unsigned long long)(live + tlive),
			 (unsigned long long)(v.cur.mask + 1),
			 (unsigned long long)v.cur.gen,
			 v.migrating ? ", migrating" : "", (long long)counted,
			 counted == (int64_t)(live + tlive) ? "" :
			 " (off: operations in flight, or a process died in one)");
	}
	/* The scan's loads before this one (as lookup's re-read). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	*still = state_load(m) == v.word;
	reg_release(m, &claim);
	return err;
}

/*
 * A scan is not atomic: while others update the map, a migration that
 * starts or copies a key during it can show a sound map as broken (a slot
 * frozen after the scan took the table for current, a key read live in the
 * source before its copy and then found in the target).  So a problem is
 * reported only once two scans in a row, each with the state word still,
 * found the same one; damage is found by every scan, a passing instant
 * only by the scans it overlaps.  CHECK_TRIES scans at most, then -EAGAIN.
 */
#define CHECK_TRIES 16

int satomic_map_check(struct satomic_map *m, char *report, size_t size)
{
	char last[256] = "", now[256];
	bool still;
	int err, tries;

	for (tries = 0; tries < CHECK_TRIES; tries++) {
		now[0] = '\0';
		err = check_once(m, now, sizeof(now), &still);
		if (err != -EUCLEAN || (still && strcmp(now, last) == 0))
			break;		/* sound, another error, or confirmed */
		if (still)
			memcpy(last, now, sizeof(last));
		else
			last[0] = '\0';	/* another table since: start over */
	}
	if (tries == CHECK_TRIES) {
		err = -EAGAIN;
		snprintf(now, sizeof(now), "no two scans in a row agreed: the map "
			 "kept changing (last: %s)", last[0] ? last : "a migration");
	}
	if (err != 0 && now[0] == '\0')	/* no scan: the call's error says why */
		snprintf(now, sizeof(now), "%s", satomic_strerror(err));
	if (report && size)
		snprintf(report, size, "%s", now);
	return err;
}
