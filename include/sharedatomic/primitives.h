/*
 * libsharedatomic: atomic primitives on caller-provided memory.
 *
 * Every function here is both an exported ELF symbol of libsharedatomic.so.1
 * (so FFI users such as Python ctypes can call it) and, for C and C++
 * callers, an inline definition that compiles to the bare __atomic builtin:
 * the header marks the bodies `extern inline __attribute__((gnu_inline))`,
 * which never emits a definition, and src/primitives.c includes this header
 * with SATOMIC_API_INLINE defined empty, which emits the one external
 * definition of each.  gnu_inline means the same in C89, C99, C11 and C++,
 * so no -std setting changes it.  For clang also always_inline: it weighs a
 * body before folding its order arguments, judged the explicit CAS "too
 * costly" (330 > 325) and called the exported, SEQ_CST definition.  Not for
 * gcc, which inlines them anyway and would refuse to compile a call from a
 * function with a narrower target("...") than the file's.
 *
 * The grid (width x operation) is generated: one macro per operation,
 * expanded once per width by SATOMIC_INTEGER_WIDTHS.
 *
 * All widths are address-free: configure refuses to build unless the 1, 2,
 * 4 and 8-byte widths are always lock-free, so these never fall back to
 * libatomic's per-process locks and work on memory that several processes
 * map at different addresses.  Objects must be naturally aligned.
 */
#ifndef SHAREDATOMIC_PRIMITIVES_H
#define SHAREDATOMIC_PRIMITIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Memory orders: equal to the compiler's __ATOMIC_* values. */
#define SATOMIC_RELAXED __ATOMIC_RELAXED
#define SATOMIC_CONSUME __ATOMIC_CONSUME
#define SATOMIC_ACQUIRE __ATOMIC_ACQUIRE
#define SATOMIC_RELEASE __ATOMIC_RELEASE
#define SATOMIC_ACQ_REL __ATOMIC_ACQ_REL
#define SATOMIC_SEQ_CST __ATOMIC_SEQ_CST

#ifndef SATOMIC_API_INLINE
#ifdef __clang__
#define SATOMIC_API_INLINE \
	extern __inline__ __attribute__((__gnu_inline__, __always_inline__))
#else
#define SATOMIC_API_INLINE extern __inline__ __attribute__((__gnu_inline__))
#endif
#endif

/* A prototype, then the inline body. */
#define SATOMIC_I_FN(RET, NAME, PARAMS, ...) \
	RET NAME PARAMS; SATOMIC_API_INLINE RET NAME PARAMS __VA_ARGS__

/*
 * An order that is not valid for the operation (a release load, an acquire
 * store, an unknown number) is executed as SATOMIC_SEQ_CST: never weaker than
 * asked, never undefined.  Macros, not functions: an external inline
 * function may not call a static one, and they fold away when the order is a
 * constant.  A CAS failure is a load order (a release one runs SEQ_CST), and
 * the compiler's builtin wants it no stronger than success: success is
 * raised to it (C17 allows a stronger failure), never the failure lowered.
 */
#define SATOMIC_I_LOAD_ORDER(o) \
	((o) == __ATOMIC_RELAXED || (o) == __ATOMIC_CONSUME || \
	 (o) == __ATOMIC_ACQUIRE ? (o) : __ATOMIC_SEQ_CST)
#define SATOMIC_I_STORE_ORDER(o) \
	((o) == __ATOMIC_RELAXED || (o) == __ATOMIC_RELEASE ? (o) : __ATOMIC_SEQ_CST)
#define SATOMIC_I_RMW_ORDER(o) \
	((o) >= __ATOMIC_RELAXED && (o) <= __ATOMIC_SEQ_CST ? (o) : __ATOMIC_SEQ_CST)
#define SATOMIC_I_FAIL_ORDER(f) SATOMIC_I_LOAD_ORDER(f)
#define SATOMIC_I_SUCCESS_ORDER(s, f) \
	(SATOMIC_I_FAIL_ORDER(f) > SATOMIC_I_RMW_ORDER(s) ? \
	 SATOMIC_I_FAIL_ORDER(f) : SATOMIC_I_RMW_ORDER(s))

/* The integer widths: suffix and C type. */
#define SATOMIC_INTEGER_WIDTHS(X) \
	X(u8, uint8_t) X(u16, uint16_t) X(u32, uint32_t) X(u64, uint64_t) \
	X(i8, int8_t) X(i16, int16_t) X(i32, int32_t) X(i64, int64_t)

#define SATOMIC_I_LOAD(W, T) \
	SATOMIC_I_FN(T, satomic_load_##W##_explicit, (const T *obj, int order), \
		{ return __atomic_load_n(obj, SATOMIC_I_LOAD_ORDER(order)); }) \
	SATOMIC_I_FN(T, satomic_load_##W, (const T *obj), \
		{ return __atomic_load_n(obj, __ATOMIC_SEQ_CST); })

#define SATOMIC_I_STORE(W, T) \
	SATOMIC_I_FN(void, satomic_store_##W##_explicit, (T *obj, T val, int order), \
		{ __atomic_store_n(obj, val, SATOMIC_I_STORE_ORDER(order)); }) \
	SATOMIC_I_FN(void, satomic_store_##W, (T *obj, T val), \
		{ __atomic_store_n(obj, val, __ATOMIC_SEQ_CST); })

#define SATOMIC_I_EXCHANGE(W, T) \
	SATOMIC_I_FN(T, satomic_exchange_##W##_explicit, (T *obj, T val, int order), \
		{ return __atomic_exchange_n(obj, val, SATOMIC_I_RMW_ORDER(order)); }) \
	SATOMIC_I_FN(T, satomic_exchange_##W, (T *obj, T val), \
		{ return __atomic_exchange_n(obj, val, __ATOMIC_SEQ_CST); })

/* cas: C11 strong compare-exchange; on failure *expected gets what was seen. */
#define SATOMIC_I_CAS(W, T) \
	SATOMIC_I_FN(bool, satomic_cas_##W##_explicit, (T *obj, T *expected, \
			T desired, int success, int failure), \
		{ return __atomic_compare_exchange_n(obj, expected, desired, 0, \
			SATOMIC_I_SUCCESS_ORDER(success, failure), \
			SATOMIC_I_FAIL_ORDER(failure)); }) \
	SATOMIC_I_FN(bool, satomic_cas_##W, (T *obj, T *expected, T desired), \
		{ return __atomic_compare_exchange_n(obj, expected, desired, 0, \
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); })

/* cas_val: the same operation, returning the value seen before it. */
#define SATOMIC_I_CAS_VAL(W, T) \
	SATOMIC_I_FN(T, satomic_cas_val_##W##_explicit, (T *obj, T expected, \
			T desired, int success, int failure), \
		{ __atomic_compare_exchange_n(obj, &expected, desired, 0, \
			SATOMIC_I_SUCCESS_ORDER(success, failure), \
			SATOMIC_I_FAIL_ORDER(failure)); \
		  return expected; }) \
	SATOMIC_I_FN(T, satomic_cas_val_##W, (T *obj, T expected, T desired), \
		{ __atomic_compare_exchange_n(obj, &expected, desired, 0, \
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
		  return expected; })

/* fetch_OP returns the old value, OP_fetch the new one. */
#define SATOMIC_I_RMW(W, T, OP) \
	SATOMIC_I_FN(T, satomic_fetch_##OP##_##W##_explicit, (T *obj, T val, int order), \
		{ return __atomic_fetch_##OP(obj, val, SATOMIC_I_RMW_ORDER(order)); }) \
	SATOMIC_I_FN(T, satomic_fetch_##OP##_##W, (T *obj, T val), \
		{ return __atomic_fetch_##OP(obj, val, __ATOMIC_SEQ_CST); }) \
	SATOMIC_I_FN(T, satomic_##OP##_fetch_##W##_explicit, (T *obj, T val, int order), \
		{ return __atomic_##OP##_fetch(obj, val, SATOMIC_I_RMW_ORDER(order)); }) \
	SATOMIC_I_FN(T, satomic_##OP##_fetch_##W, (T *obj, T val), \
		{ return __atomic_##OP##_fetch(obj, val, __ATOMIC_SEQ_CST); })

#define SATOMIC_I_INTEGER_GRID(W, T) \
	SATOMIC_I_LOAD(W, T) SATOMIC_I_STORE(W, T) SATOMIC_I_EXCHANGE(W, T) \
	SATOMIC_I_CAS(W, T) SATOMIC_I_CAS_VAL(W, T) \
	SATOMIC_I_RMW(W, T, add) SATOMIC_I_RMW(W, T, sub) SATOMIC_I_RMW(W, T, and) \
	SATOMIC_I_RMW(W, T, or) SATOMIC_I_RMW(W, T, xor) SATOMIC_I_RMW(W, T, nand)

SATOMIC_INTEGER_WIDTHS(SATOMIC_I_INTEGER_GRID)

/*
 * Floating point: the value is moved as its bit pattern, so cas compares bit
 * patterns (-0.0 differs from 0.0, a NaN matches the same NaN).  fetch_add
 * is a CAS loop.
 */
#define SATOMIC_FLOAT_WIDTHS(X) X(f32, float) X(f64, double)

#define SATOMIC_I_FLOAT_GRID(W, T) \
	SATOMIC_I_FN(T, satomic_load_##W##_explicit, (const T *obj, int order), \
		{ T r; __atomic_load(obj, &r, SATOMIC_I_LOAD_ORDER(order)); return r; }) \
	SATOMIC_I_FN(T, satomic_load_##W, (const T *obj), \
		{ T r; __atomic_load(obj, &r, __ATOMIC_SEQ_CST); return r; }) \
	SATOMIC_I_FN(void, satomic_store_##W##_explicit, (T *obj, T val, int order), \
		{ __atomic_store(obj, &val, SATOMIC_I_STORE_ORDER(order)); }) \
	SATOMIC_I_FN(void, satomic_store_##W, (T *obj, T val), \
		{ __atomic_store(obj, &val, __ATOMIC_SEQ_CST); }) \
	SATOMIC_I_FN(T, satomic_exchange_##W##_explicit, (T *obj, T val, int order), \
		{ T r; __atomic_exchange(obj, &val, &r, SATOMIC_I_RMW_ORDER(order)); \
		  return r; }) \
	SATOMIC_I_FN(T, satomic_exchange_##W, (T *obj, T val), \
		{ T r; __atomic_exchange(obj, &val, &r, __ATOMIC_SEQ_CST); return r; }) \
	SATOMIC_I_FN(bool, satomic_cas_##W##_explicit, (T *obj, T *expected, \
			T desired, int success, int failure), \
		{ return __atomic_compare_exchange(obj, expected, &desired, 0, \
			SATOMIC_I_SUCCESS_ORDER(success, failure), \
			SATOMIC_I_FAIL_ORDER(failure)); }) \
	SATOMIC_I_FN(bool, satomic_cas_##W, (T *obj, T *expected, T desired), \
		{ return __atomic_compare_exchange(obj, expected, &desired, 0, \
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }) \
	SATOMIC_I_FN(T, satomic_fetch_add_##W##_explicit, (T *obj, T val, int order), \
		{ T old, sum; \
		  __atomic_load(obj, &old, __ATOMIC_RELAXED); \
		  do { sum = old + val; } while (!__atomic_compare_exchange(obj, \
			&old, &sum, 1, SATOMIC_I_RMW_ORDER(order), __ATOMIC_RELAXED)); \
		  return old; }) \
	SATOMIC_I_FN(T, satomic_fetch_add_##W, (T *obj, T val), \
		{ return satomic_fetch_add_##W##_explicit(obj, val, __ATOMIC_SEQ_CST); })

SATOMIC_FLOAT_WIDTHS(SATOMIC_I_FLOAT_GRID)

/* A thread fence; it orders accesses of other processes to shared memory too. */
SATOMIC_I_FN(void, satomic_fence, (int order),
	{ __atomic_thread_fence(SATOMIC_I_RMW_ORDER(order)); })

/*
 * 128-bit operations.  The object is two 64-bit words, 16-byte aligned.
 * They are not inline: the instruction (x86-64 cmpxchg16b) is chosen at run
 * time after a CPU check, and they never fall back to a lock.  Where the CPU
 * lacks it, satomic_cas128_supported() returns false and every u128 function
 * returns -ENOTSUP without touching memory.  A misaligned object gives
 * -EINVAL.  The load is a compare-exchange: the memory must be writable.
 */
struct satomic_u128 {
	uint64_t lo;	/* the word at the lower address */
	uint64_t hi;
} __attribute__((__aligned__(16)));

bool satomic_cas128_supported(void);
int satomic_load_u128(struct satomic_u128 *obj, struct satomic_u128 *out);
int satomic_load_u128_explicit(struct satomic_u128 *obj,
			       struct satomic_u128 *out, int order);
int satomic_store_u128(struct satomic_u128 *obj, struct satomic_u128 val);
int satomic_store_u128_explicit(struct satomic_u128 *obj,
				struct satomic_u128 val, int order);
int satomic_exchange_u128(struct satomic_u128 *obj, struct satomic_u128 val,
			  struct satomic_u128 *old);
int satomic_exchange_u128_explicit(struct satomic_u128 *obj,
				   struct satomic_u128 val,
				   struct satomic_u128 *old, int order);
/* 1 if swapped, 0 if not (*expected updated), negative errno on error. */
int satomic_cas_u128(struct satomic_u128 *obj, struct satomic_u128 *expected,
		     struct satomic_u128 desired);
int satomic_cas_u128_explicit(struct satomic_u128 *obj,
			      struct satomic_u128 *expected,
			      struct satomic_u128 desired,
			      int success, int failure);

/*
 * 1 if an object of `size` bytes is handled lock-free (and so address-free)
 * by this library on this machine: sizes 1, 2, 4 and 8 always, 16 when the
 * CPU has a 128-bit CAS, anything else never.
 */
int satomic_is_lock_free(size_t size);

#ifdef __cplusplus
}
#endif

#endif /* SHAREDATOMIC_PRIMITIVES_H */
