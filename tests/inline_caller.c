/*
 * Pairs of functions for tests/inline.sh: each `lib_X` calls the library's
 * inline primitive, each `raw_X` the compiler builtin it should become.
 * Compiled with -O2, each pair must produce the same instructions.
 */
#include <sharedatomic.h>

uint64_t lib_fetch_add(uint64_t *p) { return satomic_fetch_add_u64(p, 1); }
uint64_t raw_fetch_add(uint64_t *p) { return __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST); }

bool lib_cas(uint32_t *p, uint32_t *e) { return satomic_cas_u32(p, e, 7); }
bool raw_cas(uint32_t *p, uint32_t *e)
{ return __atomic_compare_exchange_n(p, e, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }

uint64_t lib_load_acquire(const uint64_t *p) { return satomic_load_u64_explicit(p, SATOMIC_ACQUIRE); }
uint64_t raw_load_acquire(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

void lib_store_release(uint16_t *p, uint16_t v) { satomic_store_u16_explicit(p, v, SATOMIC_RELEASE); }
void raw_store_release(uint16_t *p, uint16_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

int8_t lib_exchange(int8_t *p) { return satomic_exchange_i8(p, -1); }
int8_t raw_exchange(int8_t *p) { return __atomic_exchange_n(p, -1, __ATOMIC_SEQ_CST); }

uint32_t lib_or_fetch_relaxed(uint32_t *p) { return satomic_or_fetch_u32_explicit(p, 8, SATOMIC_RELAXED); }
uint32_t raw_or_fetch_relaxed(uint32_t *p) { return __atomic_or_fetch(p, 8, __ATOMIC_RELAXED); }

void lib_fence(void) { satomic_fence(SATOMIC_SEQ_CST); }
void raw_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
