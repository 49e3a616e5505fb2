/*
 * A linearizability checker for histories of map operations and of CAS
 * chains on one word (tests/lincheck.c).
 *
 * A history is a set of records, one per operation: when it was called and
 * when it returned, as stamps of one shared counter (so stamp order is real
 * time order), what it was asked and what it answered.  An operation of a
 * process that was killed has no answer: it is PENDING, and returned at the
 * stamp taken after the process was reaped (nothing can act for a dead
 * process: no operation of the map completes another's), with an unknown
 * outcome: it happened or it did not.
 */
#ifndef SAT_LINCHECK_H
#define SAT_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lc_op {
	LC_GET, LC_CONTAINS, LC_INSERT, LC_PUT, LC_PUT_BLIND, LC_REPLACE,
	LC_CAS, LC_REMOVE, LC_REMOVE_IF, LC_EXCHANGE, LC_FETCH_ADD,
	LC_FETCH_XOR,
	LC_MAP_OPS,		/* the map's operations end here */
	LC_CHAIN = LC_MAP_OPS,	/* CAS a word from a to b: res 1 swapped */
};

enum lc_state { LC_OPEN, LC_DONE, LC_PENDING };

/* 64 bytes: a record is written by one worker, read once it is published. */
struct lc_rec {
	uint64_t call, ret;	/* stamps */
	int64_t a, b;		/* arguments (see lc_step) */
	int64_t out;		/* the value it reported, where it reports one */
	uint64_t b_hi;		/* CHAIN on 128 bits: high words of a and b */
	uint64_t a_hi;
	uint32_t key;		/* key index, or chain number */
	int32_t res;		/* return value */
	uint8_t op, state, worker;	/* worker: < LC_WORKERS_MAX */
	uint8_t pad[5];
};

#define LC_WORKERS_MAX 31	/* worker < 31: bit 31 of a mask is the checker's */

/* A key's value, or its absence. */
struct lc_value {
	bool present;
	int64_t value;
};

/*
 * Check the history of one key: n records, in any order, starting from
 * `init`.  0 if some order of the operations, each at an instant between its
 * call and its return, explains every answer (pending operations taken or
 * left out); otherwise -1 and a description in `why`.  *final gets a
 * possible final value (the only one when the last operation is a lone get).
 */
int lc_check_key(struct lc_rec *const *recs, size_t n, struct lc_value init,
		 struct lc_value *final, char *why, size_t why_size);

/*
 * Check the successful CASes of a chain on one word (op LC_CHAIN, 64 or 128
 * bits, every new value unique): they must form one chain from `init` to
 * `final`, each value left by at most one CAS, pending CASes in it or not.
 */
int lc_check_chain(struct lc_rec *const *recs, size_t n, uint64_t init_lo,
		   uint64_t init_hi, uint64_t final_lo, uint64_t final_hi,
		   char *why, size_t why_size);

/* Apply a map operation to v; false if its recorded answer is not what the
 * sequential map answers (check_answer false: any answer will do). */
bool lc_step(const struct lc_rec *r, bool check_answer, struct lc_value *v);

#endif
