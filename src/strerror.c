/*
 * satomic_strerror: the library's wording for its negative errno results.
 * Where a code has a cause specific to this library, the text names it and
 * says what to do; otherwise it is the C library's description.
 */
#include "config.h"

#include <errno.h>
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
		 "with `ulimit -l` or limits.conf)" },
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
		 "file" },
	{ EEXIST, "a segment of that name already exists" },
	{ ENOENT, "no segment of that name, or no such key" },
};

const char *satomic_strerror(int err)
{
	size_t i;
	const char *text;

	if (err == 0)
		return "success";
	for (i = 0; i < sizeof(wording) / sizeof(wording[0]); i++)
		if (wording[i].err == -err)
			return wording[i].text;
#ifdef HAVE_STRERRORDESC_NP
	text = err < 0 ? strerrordesc_np(-err) : NULL;	/* static, thread-safe */
#else
	text = err < 0 ? strerror(-err) : NULL;
#endif
	return text ? text : "unknown error (not a negative errno value)";
}
