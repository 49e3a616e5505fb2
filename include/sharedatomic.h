/*
 * libsharedatomic: lock-free atomics that work across processes.
 *
 *   primitives  atomic operations on caller memory     <sharedatomic/primitives.h>
 *   regions     named shared-memory segments           <sharedatomic/region.h>
 *   the map     a lock-free int64 -> int64 hash map    <sharedatomic/map.h>
 *
 * Functions that can fail return 0 (or a documented non-negative result)
 * and a negative errno value on failure; they never rely on `errno`.
 * See sharedatomic(7).
 */
#ifndef SHAREDATOMIC_H
#define SHAREDATOMIC_H

#include <sharedatomic/map.h>
#include <sharedatomic/primitives.h>
#include <sharedatomic/region.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The library's wording for a negative errno value returned by one of its
 * functions (strerror's wording, with the library's advice where it has some,
 * such as the memlock limit for -EPERM from mlock).  Never NULL.
 */
const char *satomic_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* SHAREDATOMIC_H */
