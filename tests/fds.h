/*
 * Running out of file descriptors on purpose, for the tests of EMFILE:
 * shared by testutil.h's with_few_fds and tests/helper (which has no
 * Check, so this header has none either).
 */
#ifndef SATOMIC_TEST_FDS_H
#define SATOMIC_TEST_FDS_H

#include <fcntl.h>
#include <unistd.h>

/*
 * Take every descriptor left under RLIMIT_NOFILE (copies of fd, at most
 * max, into fillers), then give `spare` back: exactly that many are then
 * free, if the limit is under max.  Returns how many it holds, for
 * fds_release.
 */
static inline int fds_fill(int fd, int spare, int *fillers, int max)
{
	int n = 0, copy;

	while (n < max && (copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0)
		fillers[n++] = copy;
	while (spare-- > 0 && n > 0)
		close(fillers[--n]);
	return n;
}

static inline void fds_release(int *fillers, int n)
{
	while (n > 0)
		close(fillers[--n]);
}

#endif
