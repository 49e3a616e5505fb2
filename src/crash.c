/*
 * The crash points' counter, in the test-only build of the library
 * (tests/libsharedatomic-crash.la): satomic_test_crash_after(n) arms it, and
 * the nth crash point reached after that kills the process with SIGKILL, as
 * if it had been killed between two atomic steps.  See map_internal.h.
 */
#include "config.h"

#include <signal.h>

#include "map_internal.h"

static long countdown, passed;

void satomic_test_crash_after(long n);
long satomic_test_crash_points(void);

void satomic_test_crash_after(long n)
{
	countdown = n;
	passed = 0;
}

/* How many crash points were passed since the last arming. */
long satomic_test_crash_points(void)
{
	return passed;
}

void sat_crash_point(void)
{
	passed++;
	if (countdown > 0 && --countdown == 0)
		raise(SIGKILL);
}
