/*
 * The library's one double-word CAS, inline for the map's hot paths.
 *
 * On x86-64 it is `lock cmpxchg16b` in inline assembly (callers reach this
 * code only after satomic_cas128_supported() said yes): the compiler's own
 * 16-byte CAS is the same instruction, except under ThreadSanitizer, which
 * replaces it by a call whose lock is private to each process (so two
 * processes would race); the assembly is told to TSan as a release and an
 * acquire of the slot.  Elsewhere it is __sync_val_compare_and_swap on an
 * unsigned __int128: libgcc's lock-free __aarch64_cas16_* on AArch64.  Never
 * libatomic, whose fallback locks are private to each process too.
 */
#ifndef SAT_CAS128_H
#define SAT_CAS128_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#ifdef HAVE_CAS128

/* Two 64-bit words: `lo` at the lower address, whatever the byte order. */
static inline unsigned __int128 sat_pack128(uint64_t lo, uint64_t hi)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (unsigned __int128)lo << 64 | hi;
#else
	return (unsigned __int128)hi << 64 | lo;
#endif
}

static inline void sat_unpack128(unsigned __int128 v, uint64_t *lo,
				 uint64_t *hi)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	*lo = (uint64_t)(v >> 64);
	*hi = (uint64_t)v;
#else
	*lo = (uint64_t)v;
	*hi = (uint64_t)(v >> 64);
#endif
}

#if defined(__SANITIZE_THREAD__)
#define SAT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SAT_TSAN 1
#endif
#endif
#ifdef SAT_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#endif

/*
 * Strong CAS of the 16-byte-aligned pair at obj from (*lo, *hi) to
 * (new_lo, new_hi).  Full barrier.  On failure (*lo, *hi) get the pair seen.
 */
#ifdef __x86_64__
static inline bool sat_cas128(void *obj, uint64_t *lo, uint64_t *hi,
			      uint64_t new_lo, uint64_t new_hi)
{
	bool swapped;

#ifdef SAT_TSAN
	__tsan_release(obj);
#endif
	/* On failure the instruction loads what it saw into rdx:rax. */
	__asm__ __volatile__("lock cmpxchg16b %1"
			     : "=@ccz"(swapped),
			       "+m"(*(volatile unsigned __int128 *)obj),
			       "+a"(*lo), "+d"(*hi)
			     : "b"(new_lo), "c"(new_hi)
			     : "memory");
#ifdef SAT_TSAN
	__tsan_acquire(obj);
#endif
	return swapped;
}
#else
static inline bool sat_cas128(void *obj, uint64_t *lo, uint64_t *hi,
			      uint64_t new_lo, uint64_t new_hi)
{
	unsigned __int128 old = sat_pack128(*lo, *hi);
	unsigned __int128 seen = __sync_val_compare_and_swap(
		(unsigned __int128 *)obj, old, sat_pack128(new_lo, new_hi));

	if (seen == old)
		return true;
	sat_unpack128(seen, lo, hi);
	return false;
}
#endif

#endif /* HAVE_CAS128 */

/* Whether this CPU may run sat_cas128 (CPUID on x86-64, decided once). */
bool sat_cpu_has_cas128(void);

#endif
