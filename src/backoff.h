/*
 * A bounded wait for something another thread or process holds for a
 * moment (an area being prepared, a file's removal lock): yield at first,
 * then nap, and give up after a time limit, so that a peer that stopped
 * holding it forever turns into an error instead of a hang.
 */
#ifndef SAT_BACKOFF_H
#define SAT_BACKOFF_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

static inline int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/*
 * Wait a little before try number `tries` (1 for the first wait, and so
 * on; *since is set there); false, without waiting, once limit_ns have
 * passed since the first.
 */
static inline bool backoff_wait(unsigned tries, int64_t *since, int64_t limit_ns)
{
	struct timespec nap = { 0, 50000 };

	if (tries == 1)
		*since = monotonic_ns();
	else if (monotonic_ns() - *since > limit_ns)
		return false;
	if (tries < 100)
		sched_yield();
	else
		nanosleep(&nap, NULL);
	return true;
}

#endif
