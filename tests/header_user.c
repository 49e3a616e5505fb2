/* Compiled by tests/headers.sh as C99, C11 and C++ with warnings as errors. */
#include <sharedatomic.h>

int header_user(void);
int header_user(void)
{
	static uint64_t counter;
	static struct satomic_u128 pair;
	struct satomic_u128 seen;

	satomic_fetch_add_u64(&counter, 1);
	satomic_fence(SATOMIC_SEQ_CST);
	return satomic_load_u128(&pair, &seen) + (int)satomic_load_u64(&counter) +
		(int)satomic_strerror(0)[0];
}
