/*
 * The crash points' counter, in the test-only build of the library
 * (tests/libsharedatomic-crash.la): satomic_test_crash_after(n, sig) arms it,
 * and the nth crash point reached after that sends the process `sig`:
 * SIGKILL, as if it had been killed between two atomic steps, or SIGSTOP, as
 * if it had been stopped there.  See map_internal.h.
 */
#include "config.h"

#include <signal.h>

#include "map_internal.h"

static long countdown, passed;
static int crash_signal = SIGKILL;

void satomic_test_crash_after(long n, int sig);
long satomic_test_crash_points(void);

void satomic_test_crash_after(long n, int sig)
{
	countdown = n;
	passed = 0;
	crash_signal = sig;
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
		raise(crash_signal);
}
