/* Helpers shared by the Check unit tests. */
#ifndef SAT_TESTUTIL_H
#define SAT_TESTUTIL_H

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sharedatomic.h"

/* The exported symbol `name`, looked up by name: never the inline copy. */
static inline void *exported(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);

	ck_assert_msg(p != NULL, "%s is not exported: %s", name, dlerror());
	return p;
}
#define EXPORTED(f) ((__typeof__(&f))exported(#f))

/* Zeroed MAP_SHARED anonymous memory: shared with children after fork. */
static inline void *shared_pages(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

/*
 * How many worker processes (or threads) a concurrency test starts: dflt,
 * or SATOMIC_TEST_PROCS (min to max) to run it wider on a machine with many
 * cores (doc/testing.md).  A value out of range is a hard error (exit 99):
 * a run asked to be wide must not quietly run narrow.
 */
static inline int test_procs(int dflt, int min, int max)
{
	const char *s = getenv("SATOMIC_TEST_PROCS");
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return dflt;
	n = strtol(s, &end, 10);
	if (*end != '\0' || n < min || n > max) {
		fprintf(stderr, "SATOMIC_TEST_PROCS=%s: %d to %d here\n", s, min, max);
		exit(99);
	}
	return (int)n;
}

/* Whether .ci/cross-check runs the tests under this emulator. */
static inline bool emulated_by(const char *emulator)
{
	const char *s = getenv("SATOMIC_TEST_EMULATOR");

	return s != NULL && strcmp(s, emulator) == 0;
}

/* Fork n children running fn(i, arg); each must exit 0. */
static inline void run_children(int n, int (*fn)(int, void *), void *arg)
{
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int i, status;

	ck_assert_ptr_nonnull(pids);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			int rc = fn(i, arg);

			free(pids);
			_exit(rc);
		}
	}
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "child %d failed (status 0x%x)", i, status);
	}
	free(pids);
}

/*
 * The map needs a 128-bit CAS.  Whether this CPU can have a map; where it
 * cannot (i386, x86-64 without cx16), that creating one answers -ENOTSUP is
 * checked, and any other answer fails the test.
 */
static inline bool map_available(void)
{
	struct satomic_map *m;
	int err;

	if (satomic_cas128_supported())
		return true;
	err = satomic_map_create_anon(10, 0, 0, &m);
	if (err != -ENOTSUP) {
		printf("FAIL: no 128-bit CAS, yet creating a map gave %d, not -ENOTSUP\n", err);
		exit(EXIT_FAILURE);
	}
	return false;
}

/* Exit 77 (SKIP) where there can be no map. */
static inline void skip_unless_map_available(void)
{
	if (map_available())
		return;
	printf("SKIP: no 128-bit CAS on this CPU: the map reports -ENOTSUP, as checked\n");
	exit(77);
}

/* Run a suite; the exit status is the number of failures (0 = pass). */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
