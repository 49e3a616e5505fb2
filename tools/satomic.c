/*
 * satomic: inspect and operate libsharedatomic segments from the shell.
 * See satomic(1).  Exit status: 0 success, 1 the operation failed (the
 * message says why), 2 bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sharedatomic.h>

#define SHM_DIR "/dev/shm"

static const char *prog = "satomic";
/* --foreign-ok: open maps of other users too (SATOMIC_MAP_FOREIGN_OK). */
static unsigned int open_flags;

static int usage(void)
{
	fprintf(stderr,
		"usage: %s [--foreign-ok] COMMAND ...\n"
		"       %s ls\n"
		"       %s map create NAME [CAPACITY [MAX_CAPACITY]]\n"
		"       %s map get|del NAME KEY\n"
		"       %s map put NAME KEY VALUE\n"
		"       %s map dump|stats|check|rm NAME\n"
		"       %s region info|rm NAME\n"
		"       %s bench [KEYS]\n",
		prog, prog, prog, prog, prog, prog, prog, prog);
	return 2;
}

/* Report err about `what`, naming a foreign or corrupt segment plainly. */
static int fail(const char *what, const char *name, int err)
{
	struct satomic_region_info info;

	if (err == -EPERM && name && satomic_region_info(name, &info) == 0 &&
	    info.uid != (unsigned int)geteuid())
		fprintf(stderr, "%s: %s %s: refused: it belongs to uid %u, not to "
			"you (uid %u), and its owner can change any value in it; "
			"use --foreign-ok if you trust that user\n", prog, what,
			name, info.uid, (unsigned int)geteuid());
	else if (err == -EINVAL && name)
		fprintf(stderr, "%s: %s %s: not a libsharedatomic %s, or corrupt "
			"(its header does not validate)\n", prog, what, name,
			strcmp(what, "region") ? "map" : "region");
	else
		fprintf(stderr, "%s: %s%s%s: %s\n", prog, what, name ? " " : "",
			name ? name : "", satomic_strerror(err));
	return 1;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "%s: not a 64-bit integer: %s\n", prog, s);
		return -1;
	}
	*out = v;
	return 0;
}

static const char *kind_name(unsigned int kind)
{
	return kind == SATOMIC_REGION_KIND_MAP ? "map" :
	       kind == SATOMIC_REGION_KIND_RAW ? "region" : "?";
}

static void print_info(const char *name, const struct satomic_region_info *i)
{
	char when[32];
	time_t t = (time_t)i->created;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
	printf("%-32s %-6s %12" PRIu64 " %12" PRIu64 "  %04o %5u  %s\n", name,
	       kind_name(i->kind), i->data_size, i->allocated, i->mode, i->uid, when);
}

static int cmd_ls(void)
{
	struct satomic_region_info info;
	struct dirent *e;
	char name[NAME_MAX + 2];
	DIR *d = opendir(SHM_DIR);
	int n = 0;

	if (d == NULL)
		return fail("ls", SHM_DIR, -errno);
	printf("%-32s %-6s %12s %12s  %-4s %5s  %s\n", "NAME", "KIND", "BYTES",
	       "ALLOCATED", "MODE", "UID", "CREATED");
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "/%s", e->d_name);
		/* Not ours, or not readable: not listed. */
		if (satomic_region_info(name, &info) == 0) {
			print_info(name, &info);
			n++;
		}
	}
	closedir(d);
	printf("%d segment%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int cmd_region(int argc, char **argv)
{
	struct satomic_region_info info;
	int err;

	if (argc != 2)
		return usage();
	err = satomic_region_info(argv[1], &info);
	if (strcmp(argv[0], "info") == 0) {
		if (err)
			return fail("region", argv[1], err);
		printf("name:      %s\nkind:      %s\nlayout:    %u\n"
		       "data:      %" PRIu64 " bytes\nfile:      %" PRIu64 " bytes, "
		       "%" PRIu64 " allocated\nmode:      %04o, uid %u, gid %u\n"
		       "created:   %s", argv[1], kind_name(info.kind), info.version,
		       info.data_size, info.file_size, info.allocated, info.mode,
		       info.uid, info.gid, ctime(&(time_t){ (time_t)info.created }));
		return 0;
	}
	if (strcmp(argv[0], "rm") == 0) {
		/* Never remove what is not ours (use rm(1) for that). */
		if (err)
			return fail("region", argv[1], err);
		err = satomic_region_unlink(argv[1]);
		return err ? fail("region rm", argv[1], err) : 0;
	}
	return usage();
}

static int open_map(const char *name, struct satomic_map **m)
{
	int err = satomic_map_open(name, open_flags, m);

	return err ? fail("map", name, err) : 0;
}

static int cmd_map(int argc, char **argv)
{
	const char *cmd, *name;
	struct satomic_map *m;
	int64_t key = 0, value = 0, old;
	int err, rc = 0;

	if (argc < 2)
		return usage();
	cmd = argv[0];
	name = argv[1];
	if (strcmp(cmd, "create") == 0) {
		int64_t cap = 1024, max = 0;

		if (argc > 4 || (argc > 2 && parse_i64(argv[2], &cap)) ||
		    (argc > 3 && parse_i64(argv[3], &max)) || cap < 0 || max < 0)
			return argc > 4 ? usage() : 2;
		err = satomic_map_create(name, (uint64_t)cap, (uint64_t)max, 0, 0, &m);
		if (err)
			return fail("map create", name, err);
		printf("created %s: capacity %" PRId64 "\n", name, satomic_map_capacity(m));
		satomic_map_close(m);
		return 0;
	}
	if (strcmp(cmd, "rm") == 0) {
		/* The library removes only a map's segment. */
		if (argc != 2)
			return usage();
		err = satomic_map_unlink(name);
		return err ? fail("map", name, err) : 0;
	}
	if ((strcmp(cmd, "get") == 0 || strcmp(cmd, "del") == 0) &&
	    (argc != 3 || parse_i64(argv[2], &key)))
		return argc != 3 ? usage() : 2;
	if (strcmp(cmd, "put") == 0 &&
	    (argc != 4 || parse_i64(argv[2], &key) || parse_i64(argv[3], &value)))
		return argc != 4 ? usage() : 2;
	if ((strcmp(cmd, "dump") == 0 || strcmp(cmd, "stats") == 0 ||
	     strcmp(cmd, "check") == 0) && argc != 2)
		return usage();
	if (strcmp(cmd, "get") && strcmp(cmd, "del") && strcmp(cmd, "put") &&
	    strcmp(cmd, "dump") && strcmp(cmd, "stats") && strcmp(cmd, "check"))
		return usage();
	if (open_map(name, &m))
		return 1;
	if (strcmp(cmd, "get") == 0) {
		err = satomic_map_get(m, key, &value);
		if (err == 0)
			printf("%" PRId64 "\n", value);
		else
			rc = fail("map get", name, err);
	} else if (strcmp(cmd, "put") == 0) {
		err = satomic_map_put(m, key, value, &old);
		if (err < 0)
			rc = fail("map put", name, err);
		else if (err == 1)
			printf("replaced %" PRId64 "\n", old);
	} else if (strcmp(cmd, "del") == 0) {
		err = satomic_map_remove(m, key, &old);
		if (err == 0)
			printf("removed %" PRId64 "\n", old);
		else
			rc = fail("map del", name, err);
	} else if (strcmp(cmd, "dump") == 0) {
		struct satomic_map_iter *it;

		err = satomic_map_iter_begin(m, &it);
		if (err)
			rc = fail("map dump", name, err);
		else {
			while ((err = satomic_map_iter_next(it, &key, &value)) == 1)
				printf("%" PRId64 " %" PRId64 "\n", key, value);
			satomic_map_iter_end(it);
			if (err < 0)
				rc = fail("map dump", name, err);
		}
	} else if (strcmp(cmd, "stats") == 0) {
		struct satomic_map_stats st;

		err = satomic_map_stats(m, &st);
		if (err)
			rc = fail("map stats", name, err);
		else
			printf("count:        %" PRIu64 "\ncapacity:     %" PRIu64
			       "\nmax_capacity: %" PRIu64 "\nslots:        %" PRIu64
			       "\nlive:         %" PRIu64 "\ntombstones:   %" PRIu64
			       "\nload:         %.3f\nmean probe:   %.3f\nmax probe:    %"
			       PRIu64 "\ngeneration:   %" PRIu64 "\nmigrations:   %" PRIu64
			       "\nmigrating:    %s\nreserved:     %" PRIu64 " bytes\n",
			       st.count, st.capacity, st.max_capacity, st.slots, st.live,
			       st.tombstones, st.load, st.mean_probe, st.max_probe,
			       st.generation, st.migrations, st.migrating ? "yes" : "no",
			       st.bytes_reserved);
	} else {	/* check */
		char report[512];

		err = satomic_map_check(m, report, sizeof(report));
		printf("%s: %s\n", name, report[0] ? report : satomic_strerror(err));
		rc = err ? 1 : 0;
	}
	satomic_map_close(m);
	return rc;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A quick look at this machine: one thread, a map of KEYS keys. */
static int cmd_bench(int argc, char **argv)
{
	int64_t n = 1000000, k, v, sum = 0;
	struct satomic_map *m;
	uint64_t counter = 0;
	double t0, t1, t2, t3, t4;
	int err;

	if (argc > 1 || (argc == 1 && (parse_i64(argv[0], &n) || n < 1000)))
		return usage();
	err = satomic_map_create_anon((uint64_t)n, 0, 0, &m);
	if (err)
		return fail("bench", NULL, err);
	t0 = now();
	for (k = 0; k < n; k++)
		satomic_map_insert(m, k * 0x9e3779b97f4a7c15ll, k);
	t1 = now();
	for (k = 0; k < n; k++)
		if (satomic_map_get(m, ((k * 7919) % n) * 0x9e3779b97f4a7c15ll, &v) == 0)
			sum += v;
	t2 = now();
	for (k = 0; k < n; k++)
		satomic_map_fetch_add(m, ((k * 7919) % n) * 0x9e3779b97f4a7c15ll, 1, NULL);
	t3 = now();
	for (k = 0; k < n * 10; k++)
		satomic_fetch_add_u64(&counter, 1);
	t4 = now();
	printf("map of %" PRId64 " keys, one thread:\n", n);
	printf("  insert     %8.1f M ops/s\n", n / (t1 - t0) / 1e6);
	printf("  get        %8.1f M ops/s\n", n / (t2 - t1) / 1e6);
	printf("  fetch_add  %8.1f M ops/s\n", n / (t3 - t2) / 1e6);
	printf("primitive fetch_add_u64: %.1f M ops/s\n", n * 10 / (t4 - t3) / 1e6);
	satomic_map_close(m);
	return sum == -1 || counter != (uint64_t)n * 10;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--foreign-ok") == 0) {
		open_flags |= SATOMIC_MAP_FOREIGN_OK;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "ls") == 0 && argc == 2)
		return cmd_ls();
	if (strcmp(argv[1], "map") == 0)
		return cmd_map(argc - 2, argv + 2);
	if (strcmp(argv[1], "region") == 0)
		return cmd_region(argc - 2, argv + 2);
	if (strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 2, argv + 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage();
		return 0;
	}
	return usage();
}
