/*
 * The linearizability checker (see lincheck.h).
 *
 * Per key, the call and return events are swept in stamp order, keeping the
 * set of configurations that explain the history so far: the key's value and
 * which of the operations in flight already took effect (a bit per worker:
 * a worker has at most one operation in flight).  At the return of an
 * operation, each configuration in which it has not taken effect yet is
 * extended by every order of operations in flight that ends with it
 * (Lowe's just-in-time linearization); configurations that cannot be
 * extended die.  No configuration left: no linearization exists.
 * Linearizability is local (Herlihy and Wing), so checking each key on its
 * own is sound and complete.
 */
#include "lincheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool lc_step(const struct lc_rec *r, bool check_answer, struct lc_value *v)
{
	const uint64_t old = v->present ? (uint64_t)v->value : 0;
	int res = 0;
	int64_t out = 0;
	bool has_out = false;

	switch ((enum lc_op)r->op) {
	case LC_GET:
		res = v->present ? 0 : -ENOENT;
		out = v->value;
		has_out = v->present;
		break;
	case LC_CONTAINS:
		res = v->present;
		break;
	case LC_INSERT:
		res = v->present ? -EEXIST : 0;
		if (!v->present)
			*v = (struct lc_value){ true, r->a };
		break;
	case LC_PUT:
		res = v->present;
		out = v->value;
		has_out = v->present;
		*v = (struct lc_value){ true, r->a };
		break;
	case LC_PUT_BLIND:
		*v = (struct lc_value){ true, r->a };
		break;
	case LC_REPLACE:
		res = v->present ? 0 : -ENOENT;
		out = v->value;
		has_out = v->present;
		if (v->present)
			v->value = r->a;
		break;
	case LC_CAS:
		if (!v->present) {
			res = -ENOENT;
		} else if (v->value == r->a) {
			res = 1;
			v->value = r->b;
		} else {
			out = v->value;
			has_out = true;
		}
		break;
	case LC_REMOVE:
		res = v->present ? 0 : -ENOENT;
		out = v->value;
		has_out = v->present;
		v->present = false;
		break;
	case LC_REMOVE_IF:
		res = !v->present ? -ENOENT : v->value == r->a;
		if (res == 1)
			v->present = false;
		break;
	case LC_EXCHANGE:
	case LC_FETCH_ADD:
	case LC_FETCH_XOR:
		out = (int64_t)old;
		has_out = true;
		*v = (struct lc_value){ true,
			r->op == LC_EXCHANGE ? r->a :
			r->op == LC_FETCH_ADD ? (int64_t)(old + (uint64_t)r->a) :
			(int64_t)(old ^ (uint64_t)r->a) };
		break;
	default:
		return false;
	}
	if (!v->present)
		v->value = 0;	/* one configuration for "absent" */
	if (!check_answer)
		return true;
	return r->res == res && (!has_out || r->out == out);
}

/* ---------------------------------------------------------------------------
 * Configurations: a value and a mask of workers whose operation in flight
 * took effect.  Kept in a growable array, deduplicated by a hash set that is
 * cleared by bumping a generation.
 */
struct config {
	struct lc_value v;
	uint32_t done;
};

struct configs {
	struct config *c;
	size_t n, cap;
};

struct seen {
	struct config *slot;
	uint32_t *gen;
	size_t mask;	/* slots - 1 */
	uint32_t now;
	size_t n;
};

static uint64_t config_hash(const struct config *c)
{
	uint64_t h = (uint64_t)c->v.value * 0x9e3779b97f4a7c15ull ^
		     ((uint64_t)c->done << 1 | c->v.present);

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 32;
}

static bool config_eq(const struct config *a, const struct config *b)
{
	return a->done == b->done && a->v.present == b->v.present &&
	       a->v.value == b->v.value;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		perror("lincheck");
		abort();
	}
	return p;
}

static void seen_reset(struct seen *s)
{
	if (s->slot == NULL) {
		s->mask = 255;
		s->slot = xrealloc(NULL, (s->mask + 1) * sizeof(*s->slot));
		s->gen = calloc(s->mask + 1, sizeof(*s->gen));
		if (s->gen == NULL)
			abort();
	}
	s->n = 0;
	if (++s->now == 0) {	/* wrapped: really clear */
		memset(s->gen, 0, (s->mask + 1) * sizeof(*s->gen));
		s->now = 1;
	}
}

static bool seen_add(struct seen *s, const struct config *c);

static void seen_grow(struct seen *s)
{
	struct seen big = { 0 };
	size_t i;

	big.mask = s->mask * 2 + 1;
	big.slot = xrealloc(NULL, (big.mask + 1) * sizeof(*big.slot));
	big.gen = calloc(big.mask + 1, sizeof(*big.gen));
	if (big.gen == NULL)
		abort();
	big.now = 1;
	for (i = 0; i <= s->mask; i++)
		if (s->gen[i] == s->now)
			seen_add(&big, &s->slot[i]);
	free(s->slot);
	free(s->gen);
	*s = big;
}

/* Add c; false if it was there already. */
static bool seen_add(struct seen *s, const struct config *c)
{
	size_t i;

	if (2 * (s->n + 1) > s->mask)
		seen_grow(s);
	for (i = config_hash(c) & s->mask; s->gen[i] == s->now; i = (i + 1) & s->mask)
		if (config_eq(&s->slot[i], c))
			return false;
	s->gen[i] = s->now;
	s->slot[i] = *c;
	s->n++;
	return true;
}

static void push(struct configs *cs, const struct config *c)
{
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 64;
		cs->c = xrealloc(cs->c, cs->cap * sizeof(*cs->c));
	}
	cs->c[cs->n++] = *c;
}

/* ---------------------------------------------------------------------------
 * The sweep.
 */
struct event {
	uint64_t stamp;
	struct lc_rec *r;
	bool is_return;
};

static int by_stamp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->stamp < y->stamp ? -1 : x->stamp > y->stamp;
}

struct sweep {
	struct lc_rec *open[LC_WORKERS_MAX];
	uint32_t open_mask;
	struct configs cur, next, stack;
	struct seen seen;	/* configurations already in next or explored */
};

/*
 * At the return of worker w's operation: every configuration reachable from
 * c by taking effect operations in flight, stopping as soon as w's took
 * effect, goes to s->next (w's bit cleared: it is over).
 */
static void extend(struct sweep *s, const struct config *c, unsigned w)
{
	const uint32_t bit = 1u << w;

	s->stack.n = 0;
	push(&s->stack, c);
	while (s->stack.n > 0) {
		struct config x = s->stack.c[--s->stack.n];
		uint32_t todo = s->open_mask & ~x.done;

		while (todo) {
			unsigned o = (unsigned)__builtin_ctz(todo);
			struct config y = x;
			const struct lc_rec *r = s->open[o];

			todo &= todo - 1;
			if (!lc_step(r, r->state == LC_DONE, &y.v))
				continue;
			y.done |= 1u << o;
			if (o == w) {
				y.done &= ~bit;
				if (seen_add(&s->seen, &y))
					push(&s->next, &y);
			} else if (seen_add(&s->seen, &(struct config){ y.v, y.done | 1u << 31 })) {
				push(&s->stack, &y);	/* explored once */
			}
		}
	}
}

static void describe(char *why, size_t size, const struct lc_rec *r,
		     const struct lc_value *init)
{
	static const char *const names[] = {
		"get", "contains", "insert", "put", "put_many", "replace", "cas",
		"remove", "remove_if", "exchange", "fetch_add", "fetch_xor",
	};

	snprintf(why, size,
		 "key %u: no order explains %s(%lld, %lld) by worker %u "
		 "[stamps %llu..%llu] answering %d, %lld%s (value before the "
		 "history: %s%lld)",
		 r->key, r->op < LC_MAP_OPS ? names[r->op] : "?",
		 (long long)r->a, (long long)r->b, r->worker,
		 (unsigned long long)r->call, (unsigned long long)r->ret,
		 r->res, (long long)r->out,
		 r->state == LC_PENDING ? " (pending)" : "",
		 init->present ? "" : "absent, ", (long long)init->value);
}

int lc_check_key(struct lc_rec *const *recs, size_t n, struct lc_value init,
		 struct lc_value *final, char *why, size_t why_size)
{
	struct event *ev = xrealloc(NULL, (2 * n + 1) * sizeof(*ev));
	struct sweep s;
	size_t i;
	int err = 0;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < n; i++) {
		ev[2 * i] = (struct event){ recs[i]->call, recs[i], false };
		ev[2 * i + 1] = (struct event){ recs[i]->ret, recs[i], true };
	}
	qsort(ev, 2 * n, sizeof(*ev), by_stamp);
	if (!init.present)
		init.value = 0;
	push(&s.cur, &(struct config){ init, 0 });
	for (i = 0; i < 2 * n && err == 0; i++) {
		struct lc_rec *r = ev[i].r;
		const unsigned w = r->worker;
		const uint32_t bit = 1u << w;
		size_t j;

		if (w >= LC_WORKERS_MAX || r->state == LC_OPEN || r->call >= r->ret ||
		    ((s.open_mask & bit) != 0) == !ev[i].is_return) {
			snprintf(why, why_size, "key %u: malformed record of worker %u",
				 r->key, w);
			err = -1;
			break;
		}
		if (!ev[i].is_return) {
			s.open[w] = r;
			s.open_mask |= bit;
			continue;
		}
		s.next.n = 0;
		seen_reset(&s.seen);
		for (j = 0; j < s.cur.n; j++) {
			struct config c = s.cur.c[j];

			if (r->state == LC_PENDING && !(c.done & bit) &&
			    seen_add(&s.seen, &c))
				push(&s.next, &c);	/* it never happened */
			if (c.done & bit) {		/* it happened already */
				c.done &= ~bit;
				if (seen_add(&s.seen, &c))
					push(&s.next, &c);
			} else {
				extend(&s, &c, w);
			}
		}
		s.open_mask &= ~bit;
		s.open[w] = NULL;
		if (s.next.n == 0) {
			describe(why, why_size, r, &init);
			err = -1;
		}
		struct configs t = s.cur;
		s.cur = s.next;
		s.next = t;
	}
	if (err == 0 && final != NULL)
		*final = s.cur.c[0].v;
	free(ev);
	free(s.cur.c);
	free(s.next.c);
	free(s.stack.c);
	free(s.seen.slot);
	free(s.seen.gen);
	return err;
}

/* ---------------------------------------------------------------------------
 * CAS chains.
 */
struct link {
	uint64_t lo, hi;
	const struct lc_rec *r;
};

static int by_old(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	/* Completed CASes before pending ones from the same value. */
	return (x->r->state == LC_PENDING) - (y->r->state == LC_PENDING);
}

static const struct link *find(const struct link *l, size_t n, uint64_t lo,
			       uint64_t hi)
{
	struct link key = { lo, hi, NULL };
	size_t a = 0, b = n;

	while (a < b) {		/* the first link from (lo, hi) */
		size_t m = (a + b) / 2;

		if (l[m].lo < key.lo || (l[m].lo == key.lo && l[m].hi < key.hi))
			a = m + 1;
		else
			b = m;
	}
	return a < n && l[a].lo == lo && l[a].hi == hi ? &l[a] : NULL;
}

/*
 * The CAS that replaced (lo, hi), or NULL if none did: the completed
 * success from it (sorted first), else the pending CAS from it whose new
 * value was seen later (a link from it, or the final value).  Several CASes
 * of killed processes may be pending from one value; new values are unique,
 * so the one seen is the one that happened, and the others failed.
 */
static const struct link *next_link(const struct link *l, size_t n, uint64_t lo,
				    uint64_t hi, uint64_t final_lo, uint64_t final_hi)
{
	const struct link *k = find(l, n, lo, hi);

	if (k == NULL || k->r->state != LC_PENDING)
		return k;
	for (; k < l + n && k->lo == lo && k->hi == hi; k++) {
		uint64_t nlo = (uint64_t)k->r->b, nhi = k->r->b_hi;

		if (find(l, n, nlo, nhi) != NULL || (nlo == final_lo && nhi == final_hi))
			return k;
	}
	return NULL;
}

int lc_check_chain(struct lc_rec *const *recs, size_t n, uint64_t init_lo,
		   uint64_t init_hi, uint64_t final_lo, uint64_t final_hi,
		   char *why, size_t why_size)
{
	struct link *l = xrealloc(NULL, (n + 1) * sizeof(*l));
	size_t i, m = 0, done = 0, walked = 0;
	uint64_t lo = init_lo, hi = init_hi;
	int err = 0;

	/* Completed successes and pending CASes: the possible links. */
	for (i = 0; i < n; i++) {
		const struct lc_rec *r = recs[i];

		if (r->state == LC_PENDING || r->res == 1)
			l[m++] = (struct link){ (uint64_t)r->a, r->a_hi, r };
		done += r->state == LC_DONE && r->res == 1;
	}
	qsort(l, m, sizeof(*l), by_old);
	for (i = 1; i < m; i++)
		if (l[i].lo == l[i - 1].lo && l[i].hi == l[i - 1].hi &&
		    l[i].r->state == LC_DONE) {
			snprintf(why, why_size, "chain %u: two CASes succeeded from "
				 "%#llx:%#llx", l[i].r->key,
				 (unsigned long long)l[i].hi, (unsigned long long)l[i].lo);
			err = -1;
			goto out;
		}
	/* Walk from the initial value, one next_link at a time. */
	for (;;) {
		const struct link *k = next_link(l, m, lo, hi, final_lo, final_hi);

		if (k == NULL)
			break;
		walked += k->r->state != LC_PENDING;
		lo = (uint64_t)k->r->b;
		hi = k->r->b_hi;
		if (walked > done || (walked == done && lo == final_lo && hi == final_hi))
			break;
	}
	if (walked != done || lo != final_lo || hi != final_hi) {
		snprintf(why, why_size, "chain %u: %zu of %zu successful CASes form a "
			 "chain from the initial value, ending at %#llx:%#llx, not "
			 "at the final %#llx:%#llx", n ? recs[0]->key : 0, walked, done,
			 (unsigned long long)hi, (unsigned long long)lo,
			 (unsigned long long)final_hi, (unsigned long long)final_lo);
		err = -1;
	}
out:
	free(l);
	return err;
}
