/* Helpers shared by the Check unit tests. */
#ifndef SAT_TESTUTIL_H
#define SAT_TESTUTIL_H

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sharedatomic.h"
#include "fds.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

/* Whether valgrind runs this process: its mmap refuses sizes the kernel
 * would take further (1 PiB is EINVAL there, ENOMEM from the kernel). */
static inline bool under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return true;
#endif
	return preload != NULL && strstr(preload, "vgpreload") != NULL;
}

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

/*
 * In a child that must die of SIGBUS: the default action, not a sanitizer's
 * handler (ASan and TSan catch SIGBUS, report it and exit 1).
 */
static inline void die_of_sigbus(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * fork(), failing the test in the parent when it fails.  The child makes no
 * Check call here: every assertion that passes writes a message to the file
 * the test reports through, and a child's messages, interleaved with the
 * parent's or cut short by a SIGKILL, garble it ("check_pack.c:156: Bad
 * message type").  Children report through their exit status instead.
 */
static inline pid_t test_fork(void)
{
	pid_t pid = fork();

	if (pid != 0)
		ck_assert_msg(pid > 0, "fork: %s", strerror(errno));
	return pid;
}

/* Fork n children running fn(i, arg); each must exit 0. */
static inline void run_children(int n, int (*fn)(int, void *), void *arg)
{
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int i, status;

	ck_assert_ptr_nonnull(pids);
	for (i = 0; i < n; i++) {
		pids[i] = test_fork();
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

/* Open descriptors, counted without opening one. */
static inline int count_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

/*
 * Out of descriptors: in a forked child, with RLIMIT_NOFILE lowered, call
 * op(arg) with exactly 0, 1, ... max_free descriptors free.  op must
 * return 0 or -EMFILE (never -ENOMEM or any other code), 0 once `needs`
 * are free (what satomic_region_create(3) says a call holds), and once
 * cleanup(arg, err) has undone a success, with the descriptors back, no
 * descriptor may be left open: error paths leak none.  Fails the test with
 * the step that went wrong.
 */
static inline void with_few_fds(const char *what, int max_free, int needs,
				int (*op)(void *), void (*cleanup)(void *, int),
				void *arg)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = test_fork();
	if (pid == 0) {
		int fillers[4096], n, k, err, initial, nul, fd, top = 0;
		struct rlimit rl;

		nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		for (fd = 0; fd < 4096; fd++)
			if (fcntl(fd, F_GETFD) != -1)
				top = fd;
		initial = count_fds();
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(3);
		rl.rlim_cur = (rlim_t)top + 32;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || nul < 0)
			_exit(3);
		for (k = 0; k <= max_free; k++) {
			n = fds_fill(nul, k, fillers, 4096);
			err = op(arg);
			fds_release(fillers, n);
			cleanup(arg, err);
			if (err != 0 && err != -EMFILE) {
				fprintf(stderr, "%s with few descriptors free: %d (%s), not -EMFILE\n",
				       what, err, strerror(-err));
				_exit(1);
			}
			if (err != 0 && k >= needs) {
				fprintf(stderr, "%s with %d descriptors free: -EMFILE, but "
					"%d should do\n", what, k, needs);
				_exit(1);
			}
			if (count_fds() != initial) {
				fprintf(stderr, "%s with few descriptors free (result %d): "
				       "%d descriptors open, %d before\n", what, err,
				       count_fds(), initial);
				_exit(2);
			}
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s out of descriptors: status 0x%x (see the output)", what, status);
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
