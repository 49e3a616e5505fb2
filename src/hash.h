/*
 * Hashing: MurmurHash3's 64-bit finalizer, a bijection on 64-bit words, its
 * inverse (the map recovers keys from their hashes), and a checksum of
 * header bytes built on it.
 */
#ifndef SAT_HASH_H
#define SAT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t sat_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* x ^= x >> 33 is its own inverse; the multipliers' inverses mod 2^64. */
static inline uint64_t sat_unmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0x9cb4b2f8129337dbull;
	x ^= x >> 33;
	x *= 0x4f74430c22a54005ull;
	x ^= x >> 33;
	return x;
}

/* A checksum of `len` bytes (a multiple of 8 or not). */
static inline uint64_t sat_checksum(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0x5a7a70c5eed5a7ull ^ len, w;
	size_t i;

	for (i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, b + i, len - i < 8 ? len - i : 8);
		h = sat_mix(h ^ w) + i;
	}
	return h;
}

#endif
