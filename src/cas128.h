/*
 * The library's one double-word CAS, inline for the map's hot paths.
 *
 * It is __sync_val_compare_and_swap on an unsigned __int128: `lock
 * cmpxchg16b` on x86-64 (the library is built with -mcx16; callers reach
 * this code only after satomic_cas128_supported() said yes), libgcc's
 * lock-free __aarch64_cas16_* on AArch64.  Never libatomic, whose fallback
 * locks are private to each process.
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

/*
 * Strong CAS of the 16-byte-aligned pair at obj from (*lo, *hi) to
 * (new_lo, new_hi).  Full barrier.  On failure (*lo, *hi) get the pair seen.
 */
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

#endif /* HAVE_CAS128 */

/* Whether this CPU may run sat_cas128 (CPUID on x86-64, decided once). */
bool sat_cpu_has_cas128(void);

#endif
