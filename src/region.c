/*
 * Shared-memory regions: named POSIX objects (files in /dev/shm, exactly as
 * glibc's shm_open makes them), files on disk, and anonymous memfds.
 *
 * Creation is atomic: the file is made unnamed (O_TMPFILE, or a hidden
 * temporary name where that is missing), given its exact mode with fchmod,
 * allocated in full (posix_fallocate, or page faults where huge pages are
 * asked for: a full file system is -ENOSPC now, not SIGBUS later),
 * initialized, and only then linked under its name, which fails with
 * -EEXIST if the name was taken meanwhile.  Nobody ever opens a region that
 * is half made, and a creator that dies leaves nothing behind.
 *
 * Opening never blocks and never follows a link (open_segment): anything
 * but a regular file under the name (a FIFO planted in /dev/shm, a socket,
 * a device) is -ENODEV, and a segment of another owner is -EPERM unless
 * SATOMIC_REGION_FOREIGN_OK says so.  It then copies the header once with
 * pread and validates it against the file's real size before mapping
 * anything, so a corrupt, truncated or hostile file is -EINVAL, never a
 * crash.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sharedatomic.h"
#include "backoff.h"
#include "hash.h"
#include "region.h"

#ifndef SATOMIC_SHM_DIR
#define SATOMIC_SHM_DIR "/dev/shm"
#endif

#define REGION_MAGIC "SATOMRGN"
#define REGION_VERSION 1u
#define REGION_HEADER_BYTES 4096u	/* data starts on the next page */

/* The first bytes of every region.  Immutable after creation. */
struct region_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;	/* sizeof(struct region_header) */
	uint64_t total_size;	/* the file's size */
	uint64_t data_offset;	/* page aligned, >= REGION_HEADER_BYTES */
	uint64_t data_size;	/* total_size - data_offset */
	uint32_t kind;		/* enum region_kind */
	uint32_t reserved0;
	uint64_t created;	/* seconds since the epoch */
	uint64_t reserved[8];
	uint64_t checksum;	/* of the bytes above */
};
_Static_assert(sizeof(struct region_header) == 128, "region header layout");

/* The temporary names of regions made where O_TMPFILE cannot be (reserved:
 * no region name may begin so). */
#define HIDDEN_PREFIX ".satomic-"

/* The flags create and open accept (FOREIGN_OK means nothing to create). */
#define REGION_FLAGS (SATOMIC_REGION_MLOCK | SATOMIC_REGION_HUGEPAGES | \
		      SATOMIC_REGION_FOREIGN_OK)

struct satomic_region {
	int fd;
	unsigned char *base;
	size_t total;
	size_t data_offset;
	enum region_kind kind;
	bool hugepages;		/* asked for: allocate through page faults */
	/* Until published: where to link it, the temporary name if any, and
	 * the mode to give it then (a hidden file stays 0600 until then). */
	int dirfd;
	char *name;
	char *tmpname;
	pid_t maker;		/* the process that made tmpname */
	unsigned int mode;
};

uint64_t region_random(void)
{
	static uint64_t calls;
	uint64_t v;

	if (getrandom(&v, sizeof(v), 0) == (ssize_t)sizeof(v))
		return v;
	/* No getrandom (seccomp, old kernels): distinct at each call. */
	return sat_mix((uint64_t)monotonic_ns() ^
		       (uint64_t)getpid() << 32 ^
		       __atomic_add_fetch(&calls, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED));
}

/* A name of the library's temporary files: reserved. */
static bool hidden_name(const char *base)
{
	return strncmp(base, HIDDEN_PREFIX, sizeof(HIDDEN_PREFIX) - 1) == 0;
}

int region_check_name(const char *name)
{
	size_t len;

	if (name == NULL || name[0] != '/')
		return -EINVAL;
	len = strlen(name + 1);
	if (len == 0 || len > NAME_MAX || strchr(name + 1, '/') != NULL ||
	    strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0 ||
	    hidden_name(name + 1))
		return -EINVAL;
	return 0;
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int region_place_shm(const char *name, struct region_place *place)
{
	int err = region_check_name(name), fd;

	if (err)
		return err;
	fd = open_dir(SATOMIC_SHM_DIR);
	if (fd < 0)
		return fd;
	place->dirfd = fd;
	place->name = name + 1;
	return 0;
}

int region_place_file(const char *path, struct region_place *place)
{
	const char *slash, *base;
	char *dir;
	int fd;

	if (path == NULL || path[0] == '\0' || strlen(path) >= PATH_MAX)
		return -EINVAL;
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strlen(base) > NAME_MAX || hidden_name(base))
		return -EINVAL;
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -ENOMEM;
	fd = open_dir(dir);
	free(dir);
	if (fd < 0)
		return fd;
	place->dirfd = fd;
	place->name = base;
	return 0;
}

void region_place_release(struct region_place *place)
{
	if (place->dirfd >= 0)
		close(place->dirfd);
	place->dirfd = -1;
}

static void header_checksum(struct region_header *h)
{
	h->checksum = sat_checksum(h, offsetof(struct region_header, checksum));
}

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > (long)REGION_HEADER_BYTES ? (size_t)p : REGION_HEADER_BYTES;
}

/* mlock's failures, told apart from every other failure of the call. */
static int lock_pages(struct satomic_region *r)
{
	void *data = r->base + r->data_offset;
	size_t len = r->total - r->data_offset;
	int rc;

#ifdef MLOCK_ONFAULT
	/* A sparse map reserve is locked as it is touched, not all at once. */
	rc = r->kind == REGION_MAP ? mlock2(data, len, MLOCK_ONFAULT)
				   : mlock(data, len);
#else
	rc = mlock(data, len);
#endif
	if (rc == 0)
		return 0;
	return errno == EPERM ? -EPERM : -ENOMEM;
}

/*
 * Why a mapping of `len` bytes failed with ENOMEM: a size beyond what this
 * process's address space (or RLIMIT_AS) can hold is -EFBIG, told apart by
 * a page that still maps; a process out of mappings or memory stays
 * -ENOMEM.  A 1 PiB region on a tmpfs gets that far (the file may be that
 * large), and -ENOMEM would read as memory or mlock trouble.
 */
static int map_enomem(void)
{
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	if (page == MAP_FAILED)
		return -ENOMEM;
	munmap(page, 4096);
	return -EFBIG;
}

/* A file larger than RLIMIT_FSIZE (ulimit -f) is -EFBIG here: ftruncate
 * would fail so too, but first send the process SIGXFSZ, which kills it. */
static int size_within_fsize_limit(size_t total)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    total > rl.rlim_cur)
		return -EFBIG;
	return 0;
}

static int map_file(struct satomic_region *r, unsigned int flags)
{
	void *p = mmap(NULL, r->total, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->fd, 0);

	if (p == MAP_FAILED)
		return errno == ENOMEM ? map_enomem() : -errno;
	r->base = p;
	r->hugepages = (flags & SATOMIC_REGION_HUGEPAGES) != 0;
	if (r->hugepages)
		(void)madvise(p, r->total, MADV_HUGEPAGE);	/* best effort */
	return 0;
}

/*
 * Allocate [start, start + len) of the file now, so that a full file system
 * is -ENOSPC here and not SIGBUS at the first touch.  With huge pages asked
 * for, first through the mapping's own page faults (MADV_POPULATE_WRITE,
 * Linux 5.14): that is how shmem_enabled=advise grants them, where
 * fallocate takes small pages.  posix_fallocate then makes sure, whatever
 * that did (it costs little over pages already there, and an emulator may
 * accept the madvise and do nothing: qemu-user 7.2 does).  Memory that
 * is not there is -ENOMEM first, not the OOM killer (region_memory_room).
 */
static int allocate(struct satomic_region *r, size_t start, size_t len)
{
	int err = region_memory_room(r->fd, len);

	if (err)
		return err;
#ifdef MADV_POPULATE_WRITE
	if (r->hugepages)
		(void)madvise(r->base + start, len, MADV_POPULATE_WRITE);
#endif
	return -posix_fallocate(r->fd, (off_t)start, (off_t)len);
}

static struct satomic_region *region_alloc(void)
{
	struct satomic_region *r = calloc(1, sizeof(*r));

	if (r) {
		r->fd = -1;
		r->dirfd = -1;
	}
	return r;
}

#ifdef SATOMIC_CRASH_POINTS
bool sat_test_no_tmpfile;	/* the test build: take the hidden-name path */
#define TMPFILE_USABLE() (!sat_test_no_tmpfile && access("/proc/self/fd", X_OK) == 0)
#else
#define TMPFILE_USABLE() (access("/proc/self/fd", X_OK) == 0)
#endif

/*
 * A creator's lock on its hidden file, held for as long as it lives (a lock
 * goes with its process, in any PID namespace): an open-file-description
 * write lock, which NFS (where O_TMPFILE is missing) keeps too, and which a
 * sweeper's own lock and close never disturb.  lock: F_WRLCK or F_UNLCK.
 * 0, or -errno (-EAGAIN: another holds it).
 */
static int hidden_lock(int fd, short lock)
{
	struct flock fl = { .l_type = lock, .l_whence = SEEK_SET };

#ifdef F_OFD_SETLK
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EACCES ? -EAGAIN : -errno;
#else
	(void)fl;
	if (flock(fd, (lock == F_UNLCK ? LOCK_UN : LOCK_EX) | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
#endif
}

/*
 * Remove the hidden files of creators that died before publishing: files
 * whose lock is free (hidden_lock).  Only the caller's own files: /dev/shm
 * is sticky, and others' are theirs to sweep.
 */
static void sweep_hidden(int dirfd)
{
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;
	struct stat st;

	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (!hidden_name(e->d_name))
			continue;
		fd = openat(dirfd, e->d_name, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
			    O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && hidden_lock(fd, F_WRLCK) == 0)
			unlinkat(dirfd, e->d_name, 0);
		close(fd);
	}
	closedir(d);
}

/*
 * A hidden file, ".satomic-PID-RANDOM" (64 unpredictable bits: never
 * random(), whose first value is known and whose sequence is the caller's),
 * locked for as long as this process lives (sweep_hidden), and still under
 * its name once locked: a sweeper may have taken the file between its
 * creation and the lock (then another name).  Any other failure removes
 * the file and is the error.
 */
static int make_hidden(struct satomic_region *r, int dirfd)
{
	char tmp[64];
	struct stat mine, named;
	int fd, tries, err;

	sweep_hidden(dirfd);
	for (tries = 0; tries < 100; tries++) {
		snprintf(tmp, sizeof(tmp), HIDDEN_PREFIX "%ld-%016llx", (long)getpid(),
			 (unsigned long long)region_random());
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno != EEXIST)
				return -errno;
			continue;
		}
		/* 0600 whatever the umask: a sweeper must open it read-write. */
		err = fchmod(fd, 0600) == 0 ? hidden_lock(fd, F_WRLCK) : -errno;
		if (err == 0 && fstat(fd, &mine) != 0)
			err = -errno;
		if (err == 0 &&
		    (fstatat(dirfd, tmp, &named, AT_SYMLINK_NOFOLLOW) != 0 ||
		     mine.st_ino != named.st_ino || mine.st_dev != named.st_dev))
			err = -EAGAIN;	/* swept, perhaps replaced */
		if (err == 0 && (r->tmpname = strdup(tmp)) == NULL)
			err = -ENOMEM;
		if (err == 0) {
			r->maker = getpid();
			return fd;
		}
		close(fd);
		if (err != -EAGAIN) {	/* ours, still: remove it */
			unlinkat(dirfd, tmp, 0);
			return err;
		}
	}
	return -EEXIST;
}

/* An unnamed file in the place's directory, or a hidden temporary one. */
static int make_unnamed(struct satomic_region *r, const struct region_place *place)
{
	int fd;

#ifdef O_TMPFILE
	/* Publishing an O_TMPFILE file needs /proc/self/fd for linkat. */
	if (TMPFILE_USABLE()) {
		fd = openat(place->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -errno;
	}
#endif
	return make_hidden(r, place->dirfd);
}

static int make_anon(void)
{
#ifdef HAVE_MEMFD_CREATE
	int fd = memfd_create("satomic", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	return fd < 0 ? -errno : fd;
#else
	return -ENOTSUP;
#endif
}

int region_create(const struct region_place *place, size_t data_size,
		  size_t alloc, unsigned int mode, unsigned int flags,
		  enum region_kind kind, struct satomic_region **out)
{
	struct satomic_region *r;
	struct region_header *h;
	size_t offset = page_size();
	int err;

	if (out == NULL || data_size == 0 || alloc > data_size ||
	    data_size > (size_t)INT64_MAX - offset || (mode & ~0777u) != 0 ||
	    (flags & ~REGION_FLAGS) != 0)
		return -EINVAL;
	r = region_alloc();
	if (r == NULL)
		return -ENOMEM;
	r->kind = kind;
	r->data_offset = offset;
	r->total = offset + data_size;

	if (place) {
		/* Out of descriptors is -EMFILE here as anywhere, not -ENOMEM;
		 * the copy of the directory is close-on-exec like every fd, and
		 * made first: a hidden file made next is removed through it if
		 * anything after fails (satomic_region_close). */
		if ((r->dirfd = fcntl(place->dirfd, F_DUPFD_CLOEXEC, 0)) < 0)
			err = -errno;
		else
			err = r->fd = make_unnamed(r, place);
		if (err > 0)
			err = 0;
		if (err == 0 && (r->name = strdup(place->name)) == NULL)
			err = -ENOMEM;
	} else {
		r->fd = make_anon();
		err = r->fd < 0 ? r->fd : 0;
	}
	/* The mode now, or for a hidden file when its name is linked: until
	 * then only its creator's user may open it. */
	r->mode = mode ? mode : 0600;
	if (err == 0 && r->tmpname == NULL && fchmod(r->fd, r->mode) != 0)
		err = -errno;
	if (err == 0)
		err = size_within_fsize_limit(r->total);
	if (err == 0 && ftruncate(r->fd, (off_t)r->total) != 0)
		err = -errno;
	if (err == 0)
		err = map_file(r, flags);
	if (err == 0)
		err = allocate(r, 0, offset + alloc);
#ifdef F_ADD_SEALS
	/* A memfd can forbid peers to shrink it (which would SIGBUS us). */
	if (err == 0 && place == NULL)
		(void)fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
#endif
	if (err == 0 && (flags & SATOMIC_REGION_MLOCK))
		err = lock_pages(r);
	if (err) {
		satomic_region_close(r);
		return err;
	}

	h = (struct region_header *)r->base;
	memcpy(h->magic, REGION_MAGIC, sizeof(h->magic));
	h->version = REGION_VERSION;
	h->header_size = sizeof(*h);
	h->total_size = r->total;
	h->data_offset = offset;
	h->data_size = data_size;
	h->kind = kind;
	h->created = (uint64_t)time(NULL);
	header_checksum(h);
	*out = r;
	return 0;
}

int region_publish(struct satomic_region *r)
{
	char proc[64];
	int rc;

	if (r->name == NULL)
		return 0;	/* anonymous */
	if (r->tmpname) {
		/* Linked at 0600, then given its mode: before, the hidden
		 * name would have it (and a failed link leave it open to
		 * others meanwhile).  (fchmod of a file this process made
		 * and holds open cannot fail.)  Then the lock is given up: it
		 * is a published region like any other. */
		rc = linkat(r->dirfd, r->tmpname, r->dirfd, r->name, 0);
		if (rc == 0) {
			(void)fchmod(r->fd, r->mode);
			unlinkat(r->dirfd, r->tmpname, 0);
			free(r->tmpname);
			r->tmpname = NULL;
			(void)hidden_lock(r->fd, F_UNLCK);
		}
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->fd);
		rc = linkat(AT_FDCWD, proc, r->dirfd, r->name, AT_SYMLINK_FOLLOW);
	}
	if (rc != 0)
		return -errno;
	free(r->name);
	r->name = NULL;
	close(r->dirfd);
	r->dirfd = -1;
	return 0;
}

/*
 * Open an existing segment for `access` (O_RDONLY or O_RDWR) without ever
 * blocking: any local user can mkfifo in /dev/shm, and opening a FIFO for
 * reading waits for a writer forever (O_NONBLOCK; it changes nothing for a
 * regular file).  No link is followed.  Anything but a regular file is
 * refused: a directory with -EISDIR, as open(2) says for writing, and a
 * FIFO, socket or device with -ENODEV (open(2) itself says ENXIO for a
 * socket).  The descriptor, or a negative errno; never a leaked fd.
 */
static int open_segment(const struct region_place *place, int access,
			struct stat *st)
{
	int fd = openat(place->dirfd, place->name, access | O_NONBLOCK |
			O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return errno == ENXIO ? -ENODEV : -errno;
	if (fstat(fd, st) != 0)
		err = -errno;
	else if (S_ISDIR(st->st_mode))
		err = -EISDIR;
	else if (!S_ISREG(st->st_mode))
		err = -ENODEV;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Whether a header copy is one the library wrote, of `kind` (0: any):
 * magic, version, size and checksum, not yet the sizes it states. */
static bool header_ours(const struct region_header *h, enum region_kind kind)
{
	return memcmp(h->magic, REGION_MAGIC, sizeof(h->magic)) == 0 &&
	       h->version == REGION_VERSION && h->header_size == sizeof(*h) &&
	       h->checksum == sat_checksum(h, offsetof(struct region_header, checksum)) &&
	       (kind ? h->kind == (uint32_t)kind
		     : h->kind == REGION_RAW || h->kind == REGION_MAP);
}

/* A copy of the header, read with pread, checked against the file; kind 0
 * accepts any known kind. */
static int read_header(int fd, const struct stat *st, enum region_kind kind,
		       struct region_header *h, size_t *total)
{
	ssize_t n;

	if (st->st_size < (off_t)REGION_HEADER_BYTES)
		return -EINVAL;
	n = pread(fd, h, sizeof(*h), 0);
	if (n != (ssize_t)sizeof(*h))
		return n < 0 ? -errno : -EINVAL;
	if (!header_ours(h, kind) ||
	    h->total_size != (uint64_t)st->st_size ||
	    h->data_offset < REGION_HEADER_BYTES ||
	    h->data_offset % REGION_HEADER_BYTES != 0 ||
	    h->data_offset >= h->total_size ||
	    h->data_size != h->total_size - h->data_offset ||
	    h->total_size > (uint64_t)SIZE_MAX)
		return -EINVAL;
	*total = (size_t)h->total_size;
	return 0;
}

int region_open(const struct region_place *place, unsigned int flags,
		enum region_kind kind, struct satomic_region **out)
{
	struct region_header h;
	struct satomic_region *r;
	struct stat st;
	int err;

	if (out == NULL || (flags & ~REGION_FLAGS) != 0)
		return -EINVAL;
	r = region_alloc();
	if (r == NULL)
		return -ENOMEM;
	r->kind = kind;
	r->fd = open_segment(place, O_RDWR, &st);
	err = r->fd < 0 ? r->fd : 0;
	/*
	 * Squatting: whoever owns the segment can write every value in it, and
	 * a name in /dev/shm is first come, first served, so a segment of
	 * another user (made 0666 before ours) would feed a program that
	 * creates, gets -EEXIST and opens.  Refused unless asked for, before
	 * anything in it is read.  -EPERM, not -EACCES: the mode would let us
	 * in, it is the owner that is not the one required (POSIX's EPERM,
	 * "limited to the owner of a file").
	 */
	if (err == 0 && st.st_uid != geteuid() &&
	    !(flags & SATOMIC_REGION_FOREIGN_OK))
		err = -EPERM;
	if (err == 0)
		err = read_header(r->fd, &st, kind, &h, &r->total);
	if (err == 0) {
		r->data_offset = (size_t)h.data_offset;
		err = map_file(r, flags);
	}
	if (err == 0 && (flags & SATOMIC_REGION_MLOCK))
		err = lock_pages(r);
	if (err) {
		satomic_region_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int region_reserve(struct satomic_region *r, size_t offset, size_t len)
{
	if (offset > r->total - r->data_offset ||
	    len > r->total - r->data_offset - offset)
		return -EINVAL;
	return allocate(r, r->data_offset + offset, len);
}

int region_zero(struct satomic_region *r, size_t offset, size_t len)
{
	if (offset > r->total - r->data_offset ||
	    len > r->total - r->data_offset - offset)
		return -EINVAL;
	if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(r->data_offset + offset), (off_t)len) == 0)
		return 0;
	memset(r->base + r->data_offset + offset, 0, len);
	return 0;
}

/*
 * SATOMIC_REGION_UNPUBLISHED leaves the region as region_create made it:
 * unnamed until satomic_region_publish, so that its creator can fill it
 * first.  It is taken off the flags before region_create, which (like the
 * map's creation and region_open) does not know it.
 */
static int create_named(struct region_place *place, size_t size,
			unsigned int mode, unsigned int flags,
			struct satomic_region **out)
{
	struct satomic_region *r = NULL;
	int err = region_create(place, size, size, mode,
				flags & ~SATOMIC_REGION_UNPUBLISHED, REGION_RAW, &r);

	if (err == 0 && !(flags & SATOMIC_REGION_UNPUBLISHED))
		err = region_publish(r);
	region_place_release(place);
	if (err) {
		if (r)
			satomic_region_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int satomic_region_create(const char *name, size_t size, unsigned int mode,
			  unsigned int flags, struct satomic_region **out)
{
	struct region_place place;
	int err = out ? region_place_shm(name, &place) : -EINVAL;

	return err ? err : create_named(&place, size, mode, flags, out);
}

int satomic_region_create_file(const char *path, size_t size,
			       unsigned int mode, unsigned int flags,
			       struct satomic_region **out)
{
	struct region_place place;
	int err = out ? region_place_file(path, &place) : -EINVAL;

	return err ? err : create_named(&place, size, mode, flags, out);
}

int satomic_region_create_anon(size_t size, unsigned int flags,
			       struct satomic_region **out)
{
	return region_create(NULL, size, size, 0, flags, REGION_RAW, out);
}

/*
 * Link a region made with SATOMIC_REGION_UNPUBLISHED under its name.  Only
 * an unpublished region still has a name to link (region_publish drops it
 * once linked; anonymous and opened regions never have one).  On failure
 * it stays unpublished: -EEXIST if the name was taken meanwhile (linkat
 * never replaces a name), and closing it then leaves nothing behind.
 */
int satomic_region_publish(struct satomic_region *region)
{
	if (region == NULL || region->name == NULL)
		return -EINVAL;
	return region_publish(region);
}

static int open_named(struct region_place *place, unsigned int flags,
		      struct satomic_region **out)
{
	int err = region_open(place, flags, REGION_RAW, out);

	region_place_release(place);
	return err;
}

int satomic_region_open(const char *name, unsigned int flags,
			struct satomic_region **out)
{
	struct region_place place;
	int err = out ? region_place_shm(name, &place) : -EINVAL;

	return err ? err : open_named(&place, flags, out);
}

int satomic_region_open_file(const char *path, unsigned int flags,
			     struct satomic_region **out)
{
	struct region_place place;
	int err = out ? region_place_file(path, &place) : -EINVAL;

	return err ? err : open_named(&place, flags, out);
}

/* How long a removal waits for another's lock on the file (remove_name). */
#define REMOVE_LOCK_WAIT_NS 2000000000ll
/* Times a removal starts over because the name changed under it. */
#define REMOVE_TRIES 100

/* flock(LOCK_EX) on fd, waiting at most REMOVE_LOCK_WAIT_NS: 0, -EBUSY. */
static int remove_lock(int fd)
{
	unsigned waits = 0;
	int64_t since = 0;

	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (!backoff_wait(++waits, &since, REMOVE_LOCK_WAIT_NS))
			return -EBUSY;
	}
	return 0;
}

/* Whether the segment open as fd is one of `kind`, by its header's
 * identity (not the sizes it states: a segment a peer shrank, but not below
 * its header, can still be removed): 0, or -EINVAL. */
static int header_kind_is(int fd, enum region_kind kind)
{
	struct region_header h;
	ssize_t n = pread(fd, &h, sizeof(h), 0);

	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(h) && header_ours(&h, kind) ? 0 : -EINVAL;
}

/*
 * Remove the name at place: if kind is not 0, only while it names a segment
 * of that kind (else -EINVAL, -EISDIR or -ENODEV, and it is left in place).
 *
 * There is no unlink-this-file call, so every removal the library makes
 * holds flock(LOCK_EX) on the file the name names, and checks under it that
 * the name still names that file.  Invariant: a name that exists changes
 * only by being removed (creation links with O_EXCL or linkat, which never
 * replace), and every removal by the library holds the lock of the file it
 * removes.  So once the check passes, the name names the locked file until
 * our unlinkat (the linearization point), unless something outside the
 * library removes it (rm(1), shm_unlink(3)); a removal that finds the
 * name moved to another file starts over on that one.
 *
 * A name that cannot be opened to be locked (unreadable, a symbolic link, a
 * socket, a directory) is never a segment: with kind 0 it is removed
 * without the lock, as unlink(2) would.
 */
static int remove_name(const struct region_place *place, enum region_kind kind)
{
	struct stat locked, named;
	unsigned tries;
	int fd, err;

	for (tries = 0; tries < REMOVE_TRIES; tries++) {
		fd = kind ? open_segment(place, O_RDONLY, &locked)
			  : openat(place->dirfd, place->name, O_RDONLY |
				   O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && kind)
			return fd;
		if (fd < 0 && errno != EACCES && errno != EPERM &&
		    errno != ELOOP && errno != ENXIO)
			return -errno;	/* ENOENT, EMFILE...: nothing removed */
		if (fd >= 0 && !kind &&
		    (fstat(fd, &locked) != 0 || !S_ISREG(locked.st_mode))) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)	/* not a segment: nothing to lock */
			return unlinkat(place->dirfd, place->name, 0) == 0 ? 0 : -errno;
		err = remove_lock(fd);
		if (err == 0 &&
		    fstatat(place->dirfd, place->name, &named, AT_SYMLINK_NOFOLLOW) != 0)
			err = -errno;	/* removed meanwhile */
		if (err == 0 && (named.st_ino != locked.st_ino ||
				 named.st_dev != locked.st_dev)) {
			close(fd);	/* replaced meanwhile: look again */
			continue;
		}
		if (err == 0 && kind)
			err = header_kind_is(fd, kind);
		if (err == 0 && unlinkat(place->dirfd, place->name, 0) != 0)
			err = -errno;
		close(fd);	/* and the lock with it */
		return err;
	}
	return -EAGAIN;
}

int satomic_region_unlink_kind(const char *name, unsigned int kind)
{
	struct region_place place;
	int err;

	if (kind != 0 && kind != REGION_RAW && kind != REGION_MAP)
		return -EINVAL;
	err = region_place_shm(name, &place);
	if (err)
		return err;
	err = remove_name(&place, (enum region_kind)kind);
	region_place_release(&place);
	return err;
}

int satomic_region_unlink(const char *name)
{
	return satomic_region_unlink_kind(name, 0);
}

int satomic_region_close(struct satomic_region *r)
{
	if (r == NULL)
		return -EINVAL;
	if (r->base)
		munmap(r->base, r->total);
	if (r->tmpname) {	/* never published: leave nothing behind */
		if (r->maker == getpid())	/* not a copy inherited by fork */
			unlinkat(r->dirfd, r->tmpname, 0);
		free(r->tmpname);
	}
	if (r->fd >= 0)
		close(r->fd);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->name);
	free(r);
	return 0;
}

void *satomic_region_data(const struct satomic_region *r)
{
	return r ? r->base + r->data_offset : NULL;
}

size_t satomic_region_size(const struct satomic_region *r)
{
	return r ? r->total - r->data_offset : 0;
}

static int info_at(struct region_place *place, struct satomic_region_info *info)
{
	struct region_header h;
	struct stat st;
	size_t total;
	int fd, err;

	fd = open_segment(place, O_RDONLY, &st);
	region_place_release(place);
	if (fd < 0)
		return fd;
	err = read_header(fd, &st, 0, &h, &total);
	close(fd);
	if (err)
		return err;
	memset(info, 0, sizeof(*info));
	info->kind = h.kind;
	info->version = h.version;
	info->data_size = h.data_size;
	info->file_size = h.total_size;
	info->allocated = (uint64_t)st.st_blocks * 512;
	info->created = (int64_t)h.created;
	info->mode = st.st_mode & 07777;
	info->uid = st.st_uid;
	info->gid = st.st_gid;
	return 0;
}

int satomic_region_info(const char *name, struct satomic_region_info *info)
{
	struct region_place place;
	int err = info ? region_place_shm(name, &place) : -EINVAL;

	return err ? err : info_at(&place, info);
}

int satomic_region_info_file(const char *path, struct satomic_region_info *info)
{
	struct region_place place;
	int err = info ? region_place_file(path, &place) : -EINVAL;

	return err ? err : info_at(&place, info);
}

int satomic_memlock_limit(uint64_t *soft, uint64_t *hard)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return -errno;
	if (soft)
		*soft = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	if (hard)
		*hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_max;
	return 0;
}
