/*
 * shared_atomic.so: the 221 C functions of the `shared_atomic` Python
 * package (2.1.6), with their signatures and semantics, built on
 * libsharedatomic's primitives.  Python code that loads that package's
 * module with ctypes runs unchanged against this one, but for the path:
 *
 *     atomic = ctypes.CDLL("/usr/lib/<triplet>/libsharedatomic/shared_atomic.so")
 *     atomic.size_t_sub_and_fetch(ctypes.byref(v), ctypes.c_size_t(100))
 *
 * Unlike the original, every operation is lock-free and address-free (no
 * libatomic lock fallback), so it is atomic across processes whatever the
 * size, with one exception: a long double that no single instruction can
 * store (longdouble_store, below).  All operations are sequentially
 * consistent, as in the original.
 *
 * Only these 221 names leave this object (compat/shared_atomic.map); the
 * library itself exports none of them.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <wchar.h>

#include "sharedatomic.h"

/* Each C type maps to the library's width of the same size and sign. */
#if CHAR_MIN < 0
#define W_char i8
#else
#define W_char u8
#endif
#define W_schar i8
#define W_uchar u8
#define W_short i16
#define W_ushort u16
#define W_int i32
#define W_uint u32
#if LONG_MAX == INT64_MAX
#define W_long i64
#define W_ulong u64
#define W_ssize i64
#else
#define W_long i32
#define W_ulong u32
#define W_ssize i32
#endif
#if SIZE_MAX == UINT64_MAX
#define W_size u64
#else
#define W_size u32
#endif
#define W_llong i64
#define W_ullong u64
#if WCHAR_MIN < 0
#define W_wchar i32
#else
#define W_wchar u32
#endif
#define W_boolean u8	/* "bool" is a macro: it cannot be the tag */

/* The integer prefixes: name, C type, width tag. */
#define INTEGER_TYPES(X) \
	X(byte, char, char) X(ubyte, unsigned char, uchar) \
	X(short, short, short) X(ushort, unsigned short, ushort) \
	X(int, int, int) X(uint, unsigned int, uint) \
	X(long, long, long) X(ulong, unsigned long, ulong) \
	X(size_t, size_t, size) X(ssize_t, ssize_t, ssize) \
	X(longlong, long long, llong) X(ulonglong, unsigned long long, ullong)

#define CAT(a, b) CAT_(a, b)
#define CAT_(a, b) a##b
/* satomic_<op>_<width of tag>, and that width's C type for the casts. */
#define PRIM(op, tag) CAT(satomic_##op##_, W_##tag)
#define PRIM_T(tag) CAT(PRIM_T_, W_##tag)
#define PRIM_T_i8 int8_t
#define PRIM_T_u8 uint8_t
#define PRIM_T_i16 int16_t
#define PRIM_T_u16 uint16_t
#define PRIM_T_i32 int32_t
#define PRIM_T_u32 uint32_t
#define PRIM_T_i64 int64_t
#define PRIM_T_u64 uint64_t

#define API __attribute__((visibility("default")))

/* load, store, get_and_set, shift, compare_and_set: every type has them. */
#define BASIC(name, T, tag) \
	_Static_assert(sizeof(T) == sizeof(PRIM_T(tag)), #name ": width"); \
	API T name##_load(T *v) \
	{ return (T)PRIM(load, tag)((PRIM_T(tag) *)v); } \
	API void name##_store(T *v, T *n) \
	{ PRIM(store, tag)((PRIM_T(tag) *)v, (PRIM_T(tag))*n); } \
	API T name##_get_and_set(T *v, T n) \
	{ return (T)PRIM(exchange, tag)((PRIM_T(tag) *)v, (PRIM_T(tag))n); } \
	API void name##_shift(T *v, T *n, T *r) \
	{ *r = (T)PRIM(exchange, tag)((PRIM_T(tag) *)v, (PRIM_T(tag))*n); } \
	API _Bool name##_compare_and_set(T *v, T *e, T n) \
	{ return PRIM(cas, tag)((PRIM_T(tag) *)v, (PRIM_T(tag) *)e, (PRIM_T(tag))n); }

/* OP_and_fetch returns the new value, fetch_and_OP the old one. */
#define RMW(name, T, tag, OP) \
	API T name##_##OP##_and_fetch(T *v, T n) \
	{ return (T)PRIM(OP##_fetch, tag)((PRIM_T(tag) *)v, (PRIM_T(tag))n); } \
	API T name##_fetch_and_##OP(T *v, T n) \
	{ return (T)PRIM(fetch_##OP, tag)((PRIM_T(tag) *)v, (PRIM_T(tag))n); }

#define INTEGER(name, T, tag) \
	BASIC(name, T, tag) \
	RMW(name, T, tag, add) RMW(name, T, tag, sub) RMW(name, T, tag, and) \
	RMW(name, T, tag, or) RMW(name, T, tag, xor) RMW(name, T, tag, nand)

INTEGER_TYPES(INTEGER)

/* wchar: the basic five, add and sub. */
BASIC(wchar, wchar_t, wchar)
RMW(wchar, wchar_t, wchar, add)
RMW(wchar, wchar_t, wchar, sub)

/* bool: the basic five. */
BASIC(bool, _Bool, boolean)

/* Floating point: store only, as in the original. */
API void float_store(float *v, float *n) { satomic_store_f32(v, *n); }
API void double_store(double *v, double *n) { satomic_store_f64(v, *n); }

/*
 * long double is 16 bytes on x86-64 (its 80-bit format, padded) and AArch64
 * (binary128): 16-byte aligned, it is stored with the 128-bit CAS, atomic
 * between processes.  Otherwise (multiprocessing's heap aligns to 8 only,
 * i386's long double is 12 bytes, a CPU may lack the CAS) no instruction
 * stores it at once: it is stored as libatomic stores it for the original,
 * under a lock private to this process, so such stores are atomic between
 * its threads and not between processes.  (A function that returns nothing
 * cannot report an error; it used to abort, killing the Python interpreter
 * that called.)  A child forked while another thread held the lock gets it
 * free.  The alignment is tested here too (satomic_store_u128 would say
 * -EINVAL) so that the common case makes one call.
 */
static pthread_mutex_t longdouble_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t longdouble_once = PTHREAD_ONCE_INIT;

static void longdouble_lock_reset(void)
{
	pthread_mutex_init(&longdouble_lock, NULL);
}

static void longdouble_at_fork(void)
{
	pthread_atfork(NULL, NULL, longdouble_lock_reset);
}

API void longdouble_store(long double *v, long double *n)
{
	struct satomic_u128 val = { 0, 0 };

	_Static_assert(sizeof(long double) <= sizeof(val), "long double size");
	memcpy(&val, n, sizeof(*n));
	if (sizeof(long double) == sizeof(val) && (uintptr_t)v % 16 == 0 &&
	    satomic_store_u128((struct satomic_u128 *)v, val) == 0)
		return;
	pthread_once(&longdouble_once, longdouble_at_fork);
	pthread_mutex_lock(&longdouble_lock);
	memcpy(v, &val, sizeof(*v));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&longdouble_lock);
}
