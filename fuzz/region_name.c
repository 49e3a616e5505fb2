/*
 * Region names: every function that takes a name must accept exactly the
 * valid ones (one leading '/', 1 to NAME_MAX more bytes, no other '/', not
 * "." or "..", not beginning "/.satomic-", the library's temporary names),
 * refuse the others with -EINVAL before touching the file
 * system, and what it creates must be what was asked and go away on unlink.
 */
#include "sharedatomic.h"
#include "fuzz.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static bool valid(const char *name)
{
	size_t len = strlen(name);

	return len >= 2 && len - 1 <= NAME_MAX && name[0] == '/' &&
	       strchr(name + 1, '/') == NULL && strcmp(name, "/.") != 0 &&
	       strcmp(name, "/..") != 0 && strncmp(name, "/.satomic-", 10) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[NAME_MAX + 32], path[NAME_MAX + 64];
	struct satomic_region_info info;
	struct satomic_region *r;
	struct satomic_map *m;
	struct stat st;
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	bool ok;
	int err;

	memcpy(name, data, n);
	name[n] = '\0';
	ok = valid(name);
	if (!ok) {
		REQUIRE(satomic_region_create(name, 64, 0600, 0, &r) == -EINVAL, "create");
		REQUIRE(satomic_region_open(name, 0, &r) == -EINVAL, "open");
		REQUIRE(satomic_region_unlink(name) == -EINVAL, "unlink");
		REQUIRE(satomic_region_info(name, &info) == -EINVAL, "info");
		REQUIRE(satomic_map_create(name, 10, 10, 0600, 0, &m) == -EINVAL, "map");
		REQUIRE(satomic_map_open(name, 0, &m) == -EINVAL, "map_open");
		REQUIRE(satomic_map_unlink(name) == -EINVAL, "map_unlink");
		return 0;
	}
	err = satomic_region_create(name, 64, 0640, 0, &r);
	REQUIRE(err != -EINVAL, "valid name refused");
	if (err != 0)
		return 0;	/* -EEXIST: somebody's; leave it alone */
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	REQUIRE(stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640,
		"created %s mode %o", path, (unsigned)st.st_mode);
	REQUIRE(satomic_region_info(name, &info) == 0 && info.data_size == 64, "info");
	satomic_region_close(r);
	REQUIRE(satomic_region_open(name, 0, &r) == 0, "reopen");
	satomic_region_close(r);
	REQUIRE(satomic_region_unlink(name) == 0, "unlink");
	REQUIRE(stat(path, &st) != 0 && errno == ENOENT, "still there after unlink");
	return 0;
}
