/*
 * satomic_strerror: the library's wording for its negative errno results.
 * Where a code has a cause specific to this library, the text names it and
 * says what to do; for any other negative value it is the C library's
 * description, "Unknown error N" included.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "sharedatomic.h"

static const struct {
	int err;
	const char *text;
} wording[] = {
	{ ENOTSUP, "operation not supported on this machine "
		   "(for 128-bit operations and the map: the CPU has no "
		   "128-bit compare-and-swap)" },
	{ EPERM, "operation not permitted: the segment belongs to another user, "
		 "who could change any value in it (open it with the FOREIGN_OK "
		 "flag if you trust that user); or, for mlock, the locked-memory "
		 "limit RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is missing (raise it "
		 "with `ulimit -l` or limits.conf); or a map iterator that "
		 "another process began (a parent, before fork)" },
	{ ENOMEM, "out of memory, or the locked-memory limit RLIMIT_MEMLOCK "
		  "(`ulimit -l`) is lower than the memory to lock" },
	{ ENOSPC, "no space left: the shared-memory file system is full, or "
		  "the map reached its maximum capacity" },
	{ EINVAL, "invalid argument, or a segment whose header is corrupt, "
		  "foreign or from an incompatible version" },
	{ ENODEV, "not a regular file: a FIFO, socket or device stands where "
		  "a segment was expected" },
	{ EFBIG, "too large: the size does not fit in this process's address "
		 "space (or RLIMIT_AS), or is beyond the file system's largest "
		 "file or RLIMIT_FSIZE" },
	{ EEXIST, "a segment of that name already exists" },
	{ ENOENT, "no segment of that name, or no such key" },
};

/*
 * The C library's text for errno value e, thread-safe: strerror_r into a
 * buffer of the calling thread.  strerror_r is GNU's (returns the text) or
 * POSIX's (fills the buffer, returns 0), depending on the feature macros;
 * _Generic calls the right reader for the one declared.
 */
static _Thread_local char c_library_text[128];

static const char *gnu_text(char *text, char *buf)
{
	(void)buf;
	return text;
}

static const char *xsi_text(int rc, char *buf)
{
	return rc == 0 ? buf : NULL;
}

#define strerror_r_text(rc, buf) \
	_Generic((rc), char *: gnu_text, int: xsi_text)((rc), (buf))

static const char *c_library(int e)
{
	const char *text;

#ifdef HAVE_STRERRORDESC_NP
	text = strerrordesc_np(e);	/* static, thread-safe; NULL if unknown */
	if (text)
		return text;
#endif
	/* A code it has no description of: its "Unknown error N". */
	text = strerror_r_text(strerror_r(e, c_library_text,
					  sizeof(c_library_text)), c_library_text);
	return text && text[0] ? text : "unknown error";
}

const char *satomic_strerror(int err)
{
	size_t i;

	if (err == 0)
		return "success";
	if (err > 0 || err == INT_MIN)
		return "unknown error (not a negative errno value)";
	for (i = 0; i < sizeof(wording) / sizeof(wording[0]); i++)
		if (wording[i].err == -err)
			return wording[i].text;
	return c_library(-err);
}
