/*
 * Regions made where O_TMPFILE cannot be used (no /proc, as in a chroot, or
 * a file system without it): the library builds them under a hidden name,
 * ".satomic-PID-RANDOM".  The test build's switch sat_test_no_tmpfile takes
 * that path here, as such a machine would.  satomic_region_create(3): no
 * process opens a region before it is published (the hidden names are
 * reserved, and the file keeps mode 0600 until then, whatever the umask and
 * after a publication that failed), a child's close of a copy of the handle
 * leaves the file to its parent, making one leaves the
 * caller's random() sequence alone, and a creator that dies before
 * publishing leaves nothing once the next region is made in the directory;
 * a live creator's file is never taken.
 */
#include "sharedatomic.h"
#include "testutil.h"

#include <dirent.h>
#include <sys/stat.h>

extern bool sat_test_no_tmpfile;

/* How many hidden files of process pid are in /dev/shm; the last one's
 * name (after "/dev/shm/") into name, if given. */
static int hidden_files(pid_t pid, char *name, size_t size)
{
	char prefix[64];
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	snprintf(prefix, sizeof(prefix), ".satomic-%ld-", (long)pid);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			if (name)
				snprintf(name, size, "%s", e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static void test_name(char *name, size_t size, const char *tag)
{
	snprintf(name, size, "/satomic-test-fallback-%ld-%s", (long)getpid(), tag);
}

START_TEST(test_unpublished_stays_hidden)
{
	struct satomic_region *r, *o;
	char name[96], hidden[NAME_MAX + 1], path[PATH_MAX];
	struct stat st;
	long first;

	sat_test_no_tmpfile = true;
	test_name(name, sizeof(name), "hidden");
	srandom(7);
	first = random();
	srandom(7);
	umask(0277);	/* no owner write: the file is 0600 all the same */
	ck_assert_int_eq(satomic_region_create(name, 4096, 0640,
					       SATOMIC_REGION_UNPUBLISHED, &r), 0);
	umask(022);
	ck_assert_int_eq(random(), first);	/* the caller's sequence */
	ck_assert_int_eq(hidden_files(getpid(), hidden, sizeof(hidden)), 1);
	snprintf(path, sizeof(path), "/dev/shm/%s", hidden);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);	/* not yet 0640 */
	snprintf(path, sizeof(path), "/%s", hidden);
	ck_assert_int_eq(satomic_region_open(path, 0, &o), -EINVAL);	/* reserved */
	ck_assert_int_eq(satomic_region_open(name, 0, &o), -ENOENT);

	ck_assert_int_eq(satomic_region_publish(r), 0);
	ck_assert_int_eq(hidden_files(getpid(), NULL, 0), 0);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(satomic_region_open(name, 0, &o), 0);
	satomic_region_close(o);
	satomic_region_close(r);
	ck_assert_int_eq(satomic_region_unlink(name), 0);
}
END_TEST

/* A publication that fails (the name taken meanwhile) leaves the hidden
 * file as it was, mode 0600, and publishable later. */
START_TEST(test_failed_publish_stays_hidden)
{
	struct satomic_region *first, *r;
	char name[96], hidden[NAME_MAX + 1], path[PATH_MAX];
	struct stat st;

	sat_test_no_tmpfile = true;
	test_name(name, sizeof(name), "taken");
	ck_assert_int_eq(satomic_region_create(name, 4096, 0, 0, &first), 0);
	ck_assert_int_eq(satomic_region_create(name, 4096, 0644,
					       SATOMIC_REGION_UNPUBLISHED, &r), 0);
	ck_assert_int_eq(satomic_region_publish(r), -EEXIST);
	ck_assert_int_eq(hidden_files(getpid(), hidden, sizeof(hidden)), 1);
	snprintf(path, sizeof(path), "/dev/shm/%s", hidden);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);

	satomic_region_close(first);
	ck_assert_int_eq(satomic_region_unlink(name), 0);
	ck_assert_int_eq(satomic_region_publish(r), 0);	/* again: now free */
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(hidden_files(getpid(), NULL, 0), 0);
	satomic_region_close(r);
	ck_assert_int_eq(satomic_region_unlink(name), 0);
}
END_TEST

/* A child that fork copied an unpublished handle into closes its copy:
 * the parent's file stays, and the parent publishes. */
START_TEST(test_child_close_leaves_the_file)
{
	struct satomic_region *r;
	char name[96];
	int status;
	pid_t pid;

	sat_test_no_tmpfile = true;
	test_name(name, sizeof(name), "forked");
	ck_assert_int_eq(satomic_region_create(name, 4096, 0, SATOMIC_REGION_UNPUBLISHED,
					       &r), 0);
	pid = test_fork();
	if (pid == 0)
		_exit(satomic_region_close(r) == 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(hidden_files(getpid(), NULL, 0), 1);
	ck_assert_int_eq(satomic_region_publish(r), 0);
	satomic_region_close(r);
	ck_assert_int_eq(satomic_region_unlink(name), 0);
}
END_TEST

/* A child that makes an unpublished region, then dies (SIGKILL) or waits
 * on `hold` (then it is alive until killed). */
static pid_t creator(const char *tag, int hold)
{
	struct satomic_region *r;
	char name[96], c;
	pid_t pid = test_fork();
	if (pid == 0) {
		test_name(name, sizeof(name), tag);
		if (satomic_region_create(name, 4096, 0, SATOMIC_REGION_UNPUBLISHED,
					  &r) != 0)
			_exit(1);
		if (hold >= 0)
			(void)!read(hold, &c, 1);
		raise(SIGKILL);
	}
	return pid;
}

/* Make and remove one region here: what sweeps the dead creators' files. */
static void make_one(const char *tag)
{
	struct satomic_region *r;
	char name[96];

	test_name(name, sizeof(name), tag);
	ck_assert_int_eq(satomic_region_create(name, 4096, 0, 0, &r), 0);
	satomic_region_close(r);
	ck_assert_int_eq(satomic_region_unlink(name), 0);
}

START_TEST(test_dead_creators_file_is_swept)
{
	int status, hold[2];
	pid_t dead, alive;

	sat_test_no_tmpfile = true;
	dead = creator("dead", -1);
	ck_assert_int_eq(waitpid(dead, &status, 0), dead);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(hidden_files(dead, NULL, 0), 1);	/* left behind */

	ck_assert_int_eq(pipe(hold), 0);
	alive = creator("alive", hold[0]);
	while (hidden_files(alive, NULL, 0) == 0)	/* until it made its file */
		usleep(1000);
	make_one("sweeper");
	ck_assert_int_eq(hidden_files(dead, NULL, 0), 0);	/* swept */
	ck_assert_int_eq(hidden_files(alive, NULL, 0), 1);	/* alive: kept */

	ck_assert_int_eq(write(hold[1], "x", 1), 1);	/* now it dies too */
	ck_assert_int_eq(waitpid(alive, &status, 0), alive);
	make_one("sweeper2");
	ck_assert_int_eq(hidden_files(alive, NULL, 0), 0);
	close(hold[0]);
	close(hold[1]);
}
END_TEST

/*
 * The crash window between a creator's making its hidden file (openat
 * O_EXCL, 0600) and locking it: the file is left unlocked, as a dead
 * creator's is, and the next creation sweeps it.  Made here by hand, as
 * such a creator would leave it, under the name of a process that exited.
 */
START_TEST(test_unlocked_hidden_file_is_swept)
{
	char path[128];
	int status, fd;
	pid_t gone = test_fork();

	if (gone == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(gone, &status, 0), gone);
	snprintf(path, sizeof(path), "/dev/shm/.satomic-%ld-0123456789abcdef",
		 (long)gone);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(hidden_files(gone, NULL, 0), 1);
	sat_test_no_tmpfile = true;
	make_one("sweeper3");
	ck_assert_int_eq(hidden_files(gone, NULL, 0), 0);
}
END_TEST

START_TEST(test_hidden_names_are_reserved)
{
	struct satomic_region *r;
	struct satomic_map *m;

	ck_assert_int_eq(satomic_region_create("/.satomic-1-2", 4096, 0, 0, &r), -EINVAL);
	ck_assert_int_eq(satomic_region_open("/.satomic-1-2", 0, &r), -EINVAL);
	ck_assert_int_eq(satomic_region_create_file("/tmp/.satomic-1-2", 4096, 0, 0, &r),
			 -EINVAL);
	ck_assert_int_eq(satomic_map_create("/.satomic-1-2", 64, 0, 0, 0, &m), -EINVAL);
	ck_assert_int_eq(satomic_region_unlink("/.satomic-1-2"), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("region fallback");
	TCase *tc = tcase_create("hidden names");

	tcase_add_test(tc, test_unpublished_stays_hidden);
	tcase_add_test(tc, test_failed_publish_stays_hidden);
	tcase_add_test(tc, test_child_close_leaves_the_file);
	tcase_add_test(tc, test_dead_creators_file_is_swept);
	tcase_add_test(tc, test_unlocked_hidden_file_is_swept);
	tcase_add_test(tc, test_hidden_names_are_reserved);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
