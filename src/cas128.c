/*
 * The exported 128-bit operations, all built on sat_cas128 (src/cas128.h).
 * On a machine without a 128-bit CAS they return -ENOTSUP before touching
 * memory; they never fall back to a lock.
 */
#include "config.h"

#include <errno.h>

#include "sharedatomic.h"
#include "cas128.h"

#if defined(HAVE_CAS128) && defined(__x86_64__)
#include <cpuid.h>

static bool cpu_has_cas128;

__attribute__((constructor)) static void detect_cas128(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		cpu_has_cas128 = (ecx & bit_CMPXCHG16B) != 0;
}

bool sat_cpu_has_cas128(void)
{
	return cpu_has_cas128;
}
#else
bool sat_cpu_has_cas128(void)
{
#ifdef HAVE_CAS128
	return true;
#else
	return false;
#endif
}
#endif

bool satomic_cas128_supported(void)
{
	return sat_cpu_has_cas128();
}

/*
 * Replace the value of `obj` with *val, or with itself when val is NULL (a
 * load), starting from the guess (*lo, *hi); on return (*lo, *hi) holds the
 * value replaced.
 */
static int cas128_loop(struct satomic_u128 *obj, uint64_t *lo, uint64_t *hi,
		       const struct satomic_u128 *val)
{
	if (!sat_cpu_has_cas128())
		return -ENOTSUP;
	if (obj == NULL || ((uintptr_t)obj & 15) != 0)
		return -EINVAL;
#ifdef HAVE_CAS128
	if (val == NULL) {
		/* Swapped or not, the CAS returns the value atomically. */
		sat_cas128(obj, lo, hi, *lo, *hi);
		return 0;
	}
	/* A failed CAS returns the current value: the next try expects it. */
	while (!sat_cas128(obj, lo, hi, val->lo, val->hi))
		;
	return 0;
#else
	(void)lo; (void)hi; (void)val;
	return -ENOTSUP;
#endif
}

int satomic_cas_u128_explicit(struct satomic_u128 *obj,
			      struct satomic_u128 *expected,
			      struct satomic_u128 desired, int success,
			      int failure)
{
	(void)success; (void)failure;	/* the instruction is a full barrier */
	if (!sat_cpu_has_cas128())
		return -ENOTSUP;
	if (obj == NULL || ((uintptr_t)obj & 15) != 0 || expected == NULL)
		return -EINVAL;
#ifdef HAVE_CAS128
	return sat_cas128(obj, &expected->lo, &expected->hi, desired.lo,
			  desired.hi);
#else
	(void)desired;
	return -ENOTSUP;
#endif
}

int satomic_exchange_u128_explicit(struct satomic_u128 *obj,
				   struct satomic_u128 val,
				   struct satomic_u128 *old, int order)
{
	uint64_t lo = 0, hi = 0;
	int err = cas128_loop(obj, &lo, &hi, &val);

	(void)order;
	if (err == 0 && old != NULL) {
		old->lo = lo;
		old->hi = hi;
	}
	return err;
}

int satomic_load_u128_explicit(struct satomic_u128 *obj,
			       struct satomic_u128 *out, int order)
{
	uint64_t lo = 0, hi = 0;
	int err;

	(void)order;
	if (out == NULL)
		return -EINVAL;
	err = cas128_loop(obj, &lo, &hi, NULL);
	if (err == 0) {
		out->lo = lo;
		out->hi = hi;
	}
	return err;
}

int satomic_store_u128_explicit(struct satomic_u128 *obj,
				struct satomic_u128 val, int order)
{
	return satomic_exchange_u128_explicit(obj, val, NULL, order);
}

int satomic_cas_u128(struct satomic_u128 *obj, struct satomic_u128 *expected,
		     struct satomic_u128 desired)
{
	return satomic_cas_u128_explicit(obj, expected, desired,
					 SATOMIC_SEQ_CST, SATOMIC_SEQ_CST);
}

int satomic_exchange_u128(struct satomic_u128 *obj, struct satomic_u128 val,
			  struct satomic_u128 *old)
{
	return satomic_exchange_u128_explicit(obj, val, old, SATOMIC_SEQ_CST);
}

int satomic_store_u128(struct satomic_u128 *obj, struct satomic_u128 val)
{
	return satomic_exchange_u128_explicit(obj, val, NULL, SATOMIC_SEQ_CST);
}

int satomic_load_u128(struct satomic_u128 *obj, struct satomic_u128 *out)
{
	return satomic_load_u128_explicit(obj, out, SATOMIC_SEQ_CST);
}

int satomic_is_lock_free(size_t size)
{
	switch (size) {
	case 1: case 2: case 4: case 8:
		return 1;
	case 16:
		return sat_cpu_has_cas128();
	default:
		return 0;
	}
}
