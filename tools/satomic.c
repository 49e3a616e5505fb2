/*
 * satomic: inspect and operate libsharedatomic segments from the shell.
 * See satomic(1).  Exit status: 0 success, 1 the operation failed (the
 * message says why), 2 bad usage (the message names the argument), 3 no
 * such key (map get, map del).
 *
 * Every command is one row of `commands`: usage, help, argument counts and
 * dispatch all come from that table.  Arguments are checked here before the
 * library sees them, so that each mistake gets its own message; the
 * library's errors are then worded for the command that got them (fail()).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include <sharedatomic.h>

#define SHM_DIR "/dev/shm"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_NO_KEY = 3 };

static const char *prog = "satomic";
/* --foreign-ok: open maps of other users too (SATOMIC_MAP_FOREIGN_OK). */
static unsigned int open_flags;
static bool json;	/* --json */

struct cmd {
	const char *words;	/* "map get" */
	const char *args;	/* "NAME KEY" */
	int min, max;		/* operands after the words; max -1: any */
	bool takes_json;
	int (*run)(const struct cmd *c, int argc, char **argv);
	const char *help;
};

static int cmd_ls(const struct cmd *, int, char **);
static int cmd_map_create(const struct cmd *, int, char **);
static int cmd_map_key(const struct cmd *, int, char **);
static int cmd_map_put(const struct cmd *, int, char **);
static int cmd_map_whole(const struct cmd *, int, char **);
static int cmd_map_rm(const struct cmd *, int, char **);
static int cmd_region_info(const struct cmd *, int, char **);
static int cmd_region_rm(const struct cmd *, int, char **);
static int cmd_bench(const struct cmd *, int, char **);

static const struct cmd commands[] = {
	{ "ls", "[NAME...]", 0, -1, true, cmd_ls,
	  "list segments: reserved, used bytes" },
	{ "map create", "NAME [CAPACITY [MAX_CAPACITY]]", 1, 3, false,
	  cmd_map_create, "create a map (CAPACITY 1024)" },
	{ "map get", "NAME KEY", 2, 2, false, cmd_map_key, "print a key's value" },
	{ "map put", "NAME KEY VALUE", 3, 3, false, cmd_map_put,
	  "insert or replace a key" },
	{ "map del", "NAME KEY", 2, 2, false, cmd_map_key,
	  "remove a key" },
	{ "map dump", "NAME", 1, 1, true, cmd_map_whole,
	  "print every key and value" },
	{ "map stats", "NAME", 1, 1, true, cmd_map_whole, "print statistics" },
	{ "map check", "NAME", 1, 1, false, cmd_map_whole, "integrity scan" },
	{ "map rm", "NAME", 1, 1, false, cmd_map_rm, "remove a map" },
	{ "region info", "NAME", 1, 1, true, cmd_region_info,
	  "print a segment's header" },
	{ "region rm", "NAME", 1, 1, false, cmd_region_rm,
	  "remove a region (not a map)" },
	{ "bench", "[KEYS]", 0, 1, false, cmd_bench,
	  "quick benchmark (KEYS >= 1000)" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Usage of the commands whose words start with `prefix` ("" for all). */
static void print_usage(FILE *f, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < NCOMMANDS; i++) {
		const struct cmd *c = &commands[i];
		int w;

		if (strncmp(c->words, prefix, n) || (n && c->words[n] && c->words[n] != ' '))
			continue;
		w = fprintf(f, "  %s %s", c->words, c->args);
		if (w >= 44)
			w = fprintf(f, "\n") - 1;
		fprintf(f, "%*s%s\n", 44 - w, "", c->help);
	}
}

static void print_help(FILE *f, const char *prefix)
{
	fprintf(f, "usage: %s [--json] [--foreign-ok] COMMAND [ARGUMENT...]\n"
		"       %s --help | --version | help [COMMAND]\n"
		"commands:\n", prog, prog);
	print_usage(f, prefix);
	if (prefix[0])
		return;
	fprintf(f, "options:\n"
		"  --json        JSON output of ls, map dump, map stats, region info\n"
		"  --foreign-ok  open maps that belong to another user\n"
		"NAME is /name (a file in " SHM_DIR "); numbers are decimal, 0x hex "
		"or 0 octal.\n"
		"exit status: 0 done, 1 failed, 2 bad usage, 3 no such key.\n"
		"`%s help COMMAND` for one command; satomic(1) for all.\n", prog);
}

/* A usage error: the message, then the usage of `prefix`, on stderr. */
static int usage_error(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n");
	print_usage(stderr, prefix);
	return EXIT_USAGE;
}

/*
 * s for a terminal or a line-oriented reader: a name in /dev/shm may hold
 * any byte but '/', newlines and escape sequences included.  As ls -b does,
 * in the user's locale (LC_CTYPE): a character that is not printable (C0
 * and C1 controls, DEL) and a byte that is no character there are written
 * as \ooo, byte by byte, and the backslash as \\.
 */
#define SHOWN_SIZE (4 * (NAME_MAX + 2) + 1)
static const char *show_into(const char *s, char *buf)
{
	const unsigned char *p = (const unsigned char *)s;
	mbstate_t st;
	size_t k = 0, n, i;
	wchar_t wc;

	memset(&st, 0, sizeof(st));
	for (; *p && k + 5 <= SHOWN_SIZE; p += n) {
		n = mbrtowc(&wc, (const char *)p, strlen((const char *)p), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			n = 1;		/* no character: escape the byte */
			memset(&st, 0, sizeof(st));
			wc = L'\0';
		}
		if (wc == L'\\')
			k += (size_t)snprintf(buf + k, 3, "\\\\");
		else if (!iswprint((wint_t)wc))
			for (i = 0; i < n && k + 5 <= SHOWN_SIZE; i++)
				k += (size_t)snprintf(buf + k, 5, "\\%03o", p[i]);
		else if (k + n < SHOWN_SIZE)
			for (i = 0; i < n; i++)
				buf[k++] = (char)p[i];
	}
	buf[k] = '\0';
	return buf;
}

/* s as show_into writes it, in one of four buffers in turn (enough for
 * any one message; the tool has one thread): every name and every other
 * argument that a message repeats. */
static const char *shown(const char *s)
{
	static char buf[4][SHOWN_SIZE];
	static unsigned int turn;

	return show_into(s, buf[turn++ % 4]);
}

/* The library's rules for a segment name (satomic_region_create(3)). */
static int check_name(const struct cmd *c, const char *name)
{
	char why[96];

	if (name[0] != '/')
		snprintf(why, sizeof(why), "must begin with '/'");
	else if (name[1] == '\0')
		snprintf(why, sizeof(why), "is empty after the '/'");
	else if (strchr(name + 1, '/'))
		snprintf(why, sizeof(why), "must not contain '/' after the first "
			 "character");
	else if (strlen(name + 1) > NAME_MAX)
		snprintf(why, sizeof(why), "is too long (%zu bytes after the '/', "
			 "at most %d)", strlen(name + 1), NAME_MAX);
	else if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		snprintf(why, sizeof(why), "cannot be /. or /..");
	else if (strncmp(name, "/.satomic-", 10) == 0)
		snprintf(why, sizeof(why), "is reserved (/.satomic-*: the "
			 "library's temporary names)");
	else
		return 0;
	fprintf(stderr, "%s: %s: name '%s' %s\n", prog, c->words,
		shown(name), why);
	return EXIT_USAGE;
}

/*
 * Parse s as the integer argument `what` of command c, within [min, max]:
 * decimal, 0x hexadecimal or 0 octal, nothing before or after it.
 */
static int parse_int(const struct cmd *c, const char *what, const char *s,
		     int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;
	int range;

	errno = 0;
	v = strtoll(s, &end, 0);
	range = errno == ERANGE;
	if (end == s || isspace((unsigned char)s[0]))
		fprintf(stderr, "%s: %s: %s '%s' is not a number (decimal, 0x "
			"hexadecimal or 0 octal)\n", prog, c->words, what, shown(s));
	else if (*end)
		fprintf(stderr, "%s: %s: %s '%s' has trailing garbage '%s' after "
			"the number\n", prog, c->words, what, shown(s), shown(end));
	else if (range)
		fprintf(stderr, "%s: %s: %s '%s' is out of range (a 64-bit "
			"integer: %" PRId64 " to %" PRId64 ")\n", prog, c->words,
			what, shown(s), INT64_MIN, INT64_MAX);
	else if (v < min && v < 0 && min >= 0)
		fprintf(stderr, "%s: %s: %s '%s' is negative (the minimum is %"
			PRId64 ")\n", prog, c->words, what, shown(s), min);
	else if (v < min)
		fprintf(stderr, "%s: %s: %s '%s' is too small (the minimum is %"
			PRId64 ")\n", prog, c->words, what, shown(s), min);
	else if (v > max)
		fprintf(stderr, "%s: %s: %s '%s' is too large (the maximum is %"
			PRId64 ")\n", prog, c->words, what, shown(s), max);
	else {
		*out = v;
		return 0;
	}
	return EXIT_USAGE;
}

static const char *kind_name(unsigned int kind)
{
	return kind == SATOMIC_REGION_KIND_MAP ? "map" :
	       kind == SATOMIC_REGION_KIND_RAW ? "region" : "?";
}

/* "WHAT: it belongs to uid UID, not to you (uid ME), and WHY", ended. */
static void say_foreign(const char *what, unsigned int uid, const char *why)
{
	fprintf(stderr, "%s: it belongs to uid %u, not to you (uid %u), and %s\n",
		what, uid, (unsigned int)geteuid(), why);
}

static bool sticky_shm(void)
{
	struct stat st;

	return stat(SHM_DIR, &st) == 0 && (st.st_mode & S_ISVTX);
}

/* Whether segment `name` exists and belongs to another user (*uid).  From
 * the directory entry: it answers where the segment itself cannot be read. */
static bool foreign_owner(const char *name, unsigned int *uid)
{
	char path[sizeof(SHM_DIR) + NAME_MAX + 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", SHM_DIR, name);
	if (lstat(path, &st) != 0 || st.st_uid == geteuid())
		return false;
	*uid = (unsigned int)st.st_uid;
	return true;
}

/*
 * Report the library's error err from command c on segment `name`, in words
 * that say which case it is.  -EINVAL covers several: the segment is asked
 * for what it is, without trusting it further than satomic_region_info.
 */
static int fail(const struct cmd *c, const char *name, int err)
{
	struct satomic_region_info info;
	bool is_map_cmd = strncmp(c->words, "map ", 4) == 0;
	bool is_rm = strcmp(c->words, "map rm") == 0 ||
		     strcmp(c->words, "region rm") == 0;
	/* The kind an rm removes. */
	unsigned int wanted = is_map_cmd ? SATOMIC_REGION_KIND_MAP
					 : SATOMIC_REGION_KIND_RAW;
	int ierr = name ? satomic_region_info(name, &info) : -EINVAL;
	unsigned int uid = 0;
	bool foreign = name && foreign_owner(name, &uid);

	fprintf(stderr, "%s: %s%s%s: ", prog, c->words, name ? " " : "",
		name ? shown(name) : "");
	if (err == -ENOENT && name)
		fprintf(stderr, "no segment of that name (see `%s ls`)\n", prog);
	else if (foreign && err == -EACCES)	/* the open, even in an rm */
		say_foreign(is_rm ? "cannot remove it" : "refused", uid,
			    "its mode does not let you open it");
	else if (foreign && err == -EPERM && is_rm)	/* the unlink */
		say_foreign("cannot remove it", uid, sticky_shm() ?
			    SHM_DIR " is sticky: only a file's owner (or root) removes it" :
			    "you may not remove it");
	else if (foreign && err == -EPERM && !(open_flags & SATOMIC_MAP_FOREIGN_OK))
		say_foreign("refused", uid, "its owner can change any value in it; "
			    "use --foreign-ok if you trust that user");
	else if (err == -EINVAL && is_map_cmd && ierr == 0 &&
		 info.kind == SATOMIC_REGION_KIND_RAW)
		fprintf(stderr, "is a plain region, not a map (see `%s region "
			"info %s`%s)\n", prog, shown(name), strcmp(c->words, "map rm") ?
			"" : "; remove it with `satomic region rm`");
	else if (err == -EINVAL && is_rm &&
		 (ierr == -ENOENT || (ierr == 0 && info.kind == wanted)))
		/* Refused, yet what is there now is what it removes: the name
		 * changed since (info is read after the call). */
		fprintf(stderr, "the name changed during the call (%s now); nothing "
			"was removed\n", ierr ? "nothing is there" :
			info.kind == SATOMIC_REGION_KIND_MAP ? "it holds a map" :
			"it holds a plain region");
	else if (err == -EINVAL && is_rm && ierr == 0 &&
		 info.kind == SATOMIC_REGION_KIND_MAP)
		fprintf(stderr, "is a map: remove it with `%s map rm %s`\n", prog,
			shown(name));
	else if (err == -EINVAL && ierr == 0)
		fprintf(stderr, "a %s whose contents do not validate: corrupt, or "
			"from an incompatible version of libsharedatomic\n",
			kind_name(info.kind));
	else if (err == -EINVAL && name)
		fprintf(stderr, "not a libsharedatomic %s, or corrupt (its header "
			"does not validate)\n", is_map_cmd ? "map" : "region");
	else
		fprintf(stderr, "%s\n", satomic_strerror(err));
	return EXIT_FAILED;
}

/* ---- JSON ---- */

/* Bytes of the well-formed UTF-8 sequence at p, 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
	int n, i;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;	/* overlong, surrogate, beyond U+10FFFF */
	return n;
}

/*
 * s as a JSON string: quote, backslash and control characters escaped; a
 * byte that is not part of well-formed UTF-8 (a name in /dev/shm may hold
 * any byte but '/') becomes U+FFFD.
 */
static void json_string(const char *s)
{
	static const char shorts[] = "\bb\ff\nn\rr\tt\"\"\\\\";
	const unsigned char *p = (const unsigned char *)s;
	const char *e;
	int n;

	putchar('"');
	for (; *p; p += n ? n : 1) {
		n = 0;
		if ((e = strchr(shorts, *p)) != NULL && (e - shorts) % 2 == 0)
			printf("\\%c", e[1]);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else if (*p < 0x80)
			putchar(*p);
		else if ((n = utf8_len(p)) == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			printf("\\u%04x", p[1]);	/* a C1 control */
		else if (n != 0)
			fwrite(p, 1, n, stdout);
		else
			fputs("\\ufffd", stdout);
	}
	putchar('"');
}

/*
 * A record printed as "key: value" lines, or as one JSON object: the one
 * list of fields makes both, so they cannot disagree.
 */
struct field {
	const char *key;
	char type;	/* u: uint64, i: int64, f: double, b: bool, s: string,
			   o: mode (octal), t: time (seconds since the epoch) */
	uint64_t u;
	double f;
	const char *s;
};
#define U(k, v) { k, 'u', (v), 0, NULL }
#define F(k, v) { k, 'f', 0, (v), NULL }

static void print_fields(const struct field *f, size_t n)
{
	char when[64];
	size_t i;

	for (i = 0; i < n; i++, f++) {
		time_t t = (time_t)(int64_t)f->u;

		if (json) {
			printf("%s", i ? ", " : "{");
			json_string(f->key);
			printf(": ");
		} else
			printf("%s:%*s", f->key, (int)(16 - strlen(f->key)), "");
		switch (f->type) {
		case 'u': printf("%" PRIu64, f->u); break;
		case 'f': printf("%.3f", f->f); break;
		case 'b': printf("%s", f->u ? (json ? "true" : "yes") :
				 (json ? "false" : "no")); break;
		case 'o': printf(json ? "\"%04" PRIo64 "\"" : "%04" PRIo64, f->u); break;
		case 't':
			if (json)
				printf("%" PRId64, (int64_t)f->u);
			else {
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z",
					 localtime(&t));
				printf("%s", when);
			}
			break;
		default:
			if (json)
				json_string(f->s);
			else
				printf("%s", shown(f->s));
		}
		if (!json)
			putchar('\n');
	}
	if (json)
		printf("}");	/* the caller ends the line */
}

/* ---- regions ---- */

#define INFO_FIELDS(name, i) { \
	{ "name", 's', 0, 0, (name) }, { "kind", 's', 0, 0, kind_name((i)->kind) }, \
	U("layout", (i)->version), U("reserved_bytes", (i)->file_size), \
	U("used_bytes", (i)->allocated), U("data_bytes", (i)->data_size), \
	{ "mode", 'o', (i)->mode, 0, NULL }, U("uid", (i)->uid), U("gid", (i)->gid), \
	{ "created", 't', (uint64_t)(i)->created, 0, NULL } }

static void print_info(const char *name, const struct satomic_region_info *i)
{
	const struct field f[] = INFO_FIELDS(name, i);

	print_fields(f, sizeof(f) / sizeof(f[0]));
}

/*
 * n bytes as ls -h writes them: 512, 4.0K, 52K, 129M, rounded up (as
 * coreutils does: one decimal below 10 of a unit, and 1024 of one is 1.0 of
 * the next).  In integers, so that no size is off by a rounding of its own.
 */
static const char *human(uint64_t n, char *buf, size_t size)
{
	const char *unit = " KMGTPE";
	uint64_t scale = 1, whole, rest, tenths;

	while (n / scale >= 1024 && unit[1]) {
		scale *= 1024;
		unit++;
	}
	whole = n / scale;
	rest = n % scale;
	if (*unit == ' ') {
		snprintf(buf, size, "%" PRIu64, n);
	} else if (whole < 10) {
		/* rest * 10 < 10 * 2^60: no overflow. */
		tenths = (rest * 10 + scale - 1) / scale;
		if (tenths == 10) {	/* 8.99K: 9.0K; 9.99K: 10K */
			whole++;
			tenths = 0;
		}
		if (whole < 10)
			snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%c", whole, tenths, *unit);
		else
			snprintf(buf, size, "10%c", *unit);
	} else {
		whole += rest != 0;
		if (whole == 1024 && unit[1])	/* 1023.5K: 1.0M */
			snprintf(buf, size, "1.0%c", unit[1]);
		else
			snprintf(buf, size, "%" PRIu64 "%c", whole, *unit);
	}
	return buf;
}

static int list_one(const struct cmd *c, const char *name, bool quiet, int *n)
{
	struct satomic_region_info i;
	char when[32], r[16], u[16];
	time_t t;
	int err = satomic_region_info(name, &i);

	if (err)	/* In a directory listing: not ours, or not readable. */
		return quiet ? 0 : fail(c, name, err);
	if (json) {
		printf("%s", (*n)++ ? ",\n " : "");
		print_info(name, &i);
		return 0;
	}
	t = (time_t)i.created;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
	printf("%-32s %-6s %8s %8s  %04o %5u  %s\n", shown(name),
	       kind_name(i.kind),
	       human(i.file_size, r, sizeof(r)), human(i.allocated, u, sizeof(u)),
	       i.mode, i.uid, when);
	(*n)++;
	return 0;
}

static int cmd_ls(const struct cmd *c, int argc, char **argv)
{
	struct dirent *e;
	char name[NAME_MAX + 2];
	DIR *d = NULL;
	int n = 0, rc = 0, k;

	if (argc == 0 && (d = opendir(SHM_DIR)) == NULL) {
		fprintf(stderr, "%s: ls: %s: %s\n", prog, SHM_DIR, strerror(errno));
		return EXIT_FAILED;
	}
	if (json)
		printf("[");
	else
		printf("%-32s %-6s %8s %8s  %-4s %5s  %s\n", "NAME", "KIND",
		       "RESERVED", "USED", "MODE", "UID", "CREATED");
	for (k = 0; k < argc; k++)
		rc |= list_one(c, argv[k], false, &n);
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "/%s", e->d_name);
		list_one(c, name, true, &n);
	}
	if (d)
		closedir(d);
	if (json)
		printf("]\n");
	else
		printf("%d segment%s\n", n, n == 1 ? "" : "s");
	return rc;
}

static int cmd_region_info(const struct cmd *c, int argc, char **argv)
{
	struct satomic_region_info info;
	int err = satomic_region_info(argv[0], &info);

	(void)argc;
	if (err)
		return fail(c, argv[0], err);
	print_info(argv[0], &info);
	if (json)
		putchar('\n');
	return 0;
}

/* An rm of another user's segment needs --foreign-ok (root could remove
 * it, and nothing else would stop a mistyped name). */
static bool refuse_foreign_rm(const struct cmd *c, const char *name)
{
	unsigned int uid;

	if ((open_flags & SATOMIC_MAP_FOREIGN_OK) || !foreign_owner(name, &uid))
		return false;
	fprintf(stderr, "%s: %s %s: ", prog, c->words, shown(name));
	say_foreign("refused", uid, "only --foreign-ok removes it");
	return true;
}

static int cmd_region_rm(const struct cmd *c, int argc, char **argv)
{
	int err;

	(void)argc;
	/* Never remove what is not a region (use rm(1) for that), nor a map:
	 * like satomic_map_unlink, which removes only maps, each kind has its
	 * rm.  The kind is checked under the file's lock, in the library. */
	if (refuse_foreign_rm(c, argv[0]))
		return EXIT_FAILED;
	err = satomic_region_unlink_kind(argv[0], SATOMIC_REGION_KIND_RAW);
	return err ? fail(c, argv[0], err) : 0;
}

/* ---- maps ---- */

static int cmd_map_create(const struct cmd *c, int argc, char **argv)
{
	int64_t cap = 1024, max = 0;
	struct satomic_map *m;
	size_t bytes;
	int err;

	if ((argc > 1 && parse_int(c, "capacity", argv[1], 0, INT64_MAX, &cap)) ||
	    (argc > 2 && parse_int(c, "max_capacity", argv[2], 0, INT64_MAX, &max)))
		return EXIT_USAGE;
	if (max != 0 && max < cap) {
		fprintf(stderr, "%s: %s: max_capacity %" PRId64 " is below capacity %"
			PRId64 " (0 chooses the default: 64 x capacity, at least "
			"1048576)\n", prog, c->words, max, cap);
		return EXIT_USAGE;
	}
	if (satomic_map_footprint((uint64_t)cap, (uint64_t)max, &bytes) == -EINVAL) {
		bool cap_alone = satomic_map_footprint((uint64_t)cap, (uint64_t)cap,
						      &bytes) == 0;

		fprintf(stderr, "%s: %s: %s %" PRId64 " is too large: the map would "
			"not fit in this machine's address space%s\n", prog, c->words,
			cap_alone ? "max_capacity" : "capacity", cap_alone && max ? max :
			cap, cap_alone && !max ? " (the default max_capacity is 64 x "
			"capacity: give a smaller one)" : "");
		return EXIT_USAGE;
	}
	err = satomic_map_create(argv[0], (uint64_t)cap, (uint64_t)max, 0, 0, &m);
	if (err)
		return fail(c, argv[0], err);
	printf("created %s: capacity %" PRId64 "\n", shown(argv[0]),
	       satomic_map_capacity(m));
	satomic_map_close(m);
	return 0;
}

static int cmd_map_rm(const struct cmd *c, int argc, char **argv)
{
	int err;

	(void)argc;
	if (refuse_foreign_rm(c, argv[0]))
		return EXIT_FAILED;
	err = satomic_map_unlink(argv[0]);	/* removes only a map's segment */
	return err ? fail(c, argv[0], err) : 0;
}

static int open_map(const struct cmd *c, const char *name, struct satomic_map **m)
{
	int err = satomic_map_open(name, open_flags, m);

	return err ? fail(c, name, err) : 0;
}

/* map get / map del NAME KEY: exit 3 for a key that is not there. */
static int cmd_map_key(const struct cmd *c, int argc, char **argv)
{
	struct satomic_map *m;
	int64_t key, value;
	bool get = strcmp(c->words, "map get") == 0;
	int err;

	(void)argc;
	if (parse_int(c, "key", argv[1], INT64_MIN, INT64_MAX, &key))
		return EXIT_USAGE;
	if (open_map(c, argv[0], &m))
		return EXIT_FAILED;
	err = get ? satomic_map_get(m, key, &value) : satomic_map_remove(m, key, &value);
	satomic_map_close(m);
	if (err == 0)
		printf(get ? "%" PRId64 "\n" : "removed %" PRId64 "\n", value);
	else if (err == -ENOENT) {
		fprintf(stderr, "%s: %s %s: no such key: %" PRId64 "\n", prog,
			c->words, shown(argv[0]), key);
		return EXIT_NO_KEY;
	}
	return err ? fail(c, argv[0], err) : 0;
}

static int cmd_map_put(const struct cmd *c, int argc, char **argv)
{
	struct satomic_map *m;
	int64_t key, value, old;
	int err;

	(void)argc;
	if (parse_int(c, "key", argv[1], INT64_MIN, INT64_MAX, &key) ||
	    parse_int(c, "value", argv[2], INT64_MIN, INT64_MAX, &value))
		return EXIT_USAGE;
	if (open_map(c, argv[0], &m))
		return EXIT_FAILED;
	err = satomic_map_put(m, key, value, &old);
	satomic_map_close(m);
	if (err == 1)
		printf("replaced %" PRId64 "\n", old);
	return err < 0 ? fail(c, argv[0], err) : 0;
}

static int map_dump(struct satomic_map *m)
{
	struct satomic_map_iter *it;
	int64_t key, value;
	int err, n = 0;

	if ((err = satomic_map_iter_begin(m, &it)) != 0)
		return err;
	if (json)
		printf("[");
	while ((err = satomic_map_iter_next(it, &key, &value)) == 1)
		printf(json ? "%s{\"key\": %" PRId64 ", \"value\": %" PRId64 "}" :
		       "%s%" PRId64 " %" PRId64 "\n", json && n++ ? ",\n " : "",
		       key, value);
	if (json)
		printf("]\n");
	satomic_map_iter_end(it);
	return err;
}

static int map_stats(struct satomic_map *m)
{
	struct satomic_map_stats st;
	int err = satomic_map_stats(m, &st);

	if (err == 0) {
		const struct field f[] = {
			U("count", st.count), U("capacity", st.capacity),
			U("max_capacity", st.max_capacity), U("slots", st.slots),
			U("live", st.live), U("tombstones", st.tombstones),
			F("load", st.load), F("mean_probe", st.mean_probe),
			U("max_probe", st.max_probe), U("generation", st.generation),
			U("migrations", st.migrations),
			{ "migrating", 'b', (uint64_t)st.migrating, 0, NULL },
			U("reserved_bytes", st.bytes_reserved),
		};
		print_fields(f, sizeof(f) / sizeof(f[0]));
		if (json)
			putchar('\n');
	}
	return err;
}

/* map dump / stats / check NAME */
static int cmd_map_whole(const struct cmd *c, int argc, char **argv)
{
	struct satomic_map *m;
	char report[512];
	int err;

	(void)argc;
	if (open_map(c, argv[0], &m))
		return EXIT_FAILED;
	if (strcmp(c->words, "map dump") == 0)
		err = map_dump(m);
	else if (strcmp(c->words, "map stats") == 0)
		err = map_stats(m);
	else {
		err = satomic_map_check(m, report, sizeof(report));
		printf("%s: %s\n", shown(argv[0]),
		       report[0] ? report : satomic_strerror(err));
		satomic_map_close(m);
		return err ? EXIT_FAILED : 0;
	}
	satomic_map_close(m);
	return err ? fail(c, argv[0], err) : 0;
}

/* ---- bench ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A quick look at this machine: one thread, a map of KEYS keys. */
static int cmd_bench(const struct cmd *c, int argc, char **argv)
{
	int64_t n = 1000000, k, v, sum = 0;
	struct satomic_map *m;
	uint64_t counter = 0;
	double t0, t1, t2, t3, t4;
	int err;

	if (argc == 1 && parse_int(c, "keys", argv[0], 1000, INT64_MAX / 64, &n))
		return EXIT_USAGE;
	/* Room for twice its n keys: the default max_capacity (64 x) would
	 * reserve 8 GiB of address space for a million, more than a ulimit -v
	 * may leave, and an exact one would count keys on every insert
	 * (satomic_map_create(3)). */
	err = satomic_map_create_anon((uint64_t)n, 2 * (uint64_t)n, 0, &m);
	if (err)
		return fail(c, NULL, err);
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

/* ---- dispatch ---- */

/* The command named by the first words of argv; *nwords says how many. */
static const struct cmd *find(int argc, char **argv, int *nwords)
{
	char words[64];
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		const char *c = commands[i].words;

		*nwords = strchr(c, ' ') ? 2 : 1;
		if (argc < *nwords)
			continue;
		snprintf(words, sizeof(words), *nwords == 2 ? "%s %s" : "%s",
			 argv[0], argv[1]);
		if (strcmp(words, c) == 0)
			return &commands[i];
	}
	return NULL;
}

static bool is_group(const char *word)
{
	return strcmp(word, "map") == 0 || strcmp(word, "region") == 0;
}

/* The words of argv a help request names ("map", "map get"), or NULL. */
static const char *help_prefix(int argc, char **argv, char *buf, size_t size)
{
	const struct cmd *c;
	int n;

	if (argc == 0 || (argc == 1 && strcmp(argv[0], "help") == 0))
		return "";	/* help's own usage is the whole usage */
	if ((c = find(argc, argv, &n)) != NULL)
		return c->words;
	if (argc == 1 && is_group(argv[0]))	/* `help map`, not `help map bogus` */
		return snprintf(buf, size, "%s", argv[0]), buf;
	return NULL;
}

/* What main() names when the output cannot be written, as every other
 * message does: the command and its segment, "help" or "--version". */
static char running[64 + SHOWN_SIZE];

static int run_command(int argc, char **argv)
{
	const struct cmd *c;
	const char *prefix;
	char buf[64];
	bool help = false;
	int i, n = 0, k;

	/* Options anywhere before `--`: no name or number begins with "--". */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc; i++)
				argv[n++] = argv[i];
			break;
		}
		if (strcmp(argv[i], "--foreign-ok") == 0)
			open_flags |= SATOMIC_MAP_FOREIGN_OK;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			help = true;
		else if (strcmp(argv[i], "--version") == 0) {
			snprintf(running, sizeof(running), "--version");
			printf("satomic (libsharedatomic) %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strncmp(argv[i], "--", 2) == 0)
			return usage_error("", "unknown option '%s'", shown(argv[i]));
		else
			argv[n++] = argv[i];
	}
	argc = n;
	if (!help && argc >= 1 && strcmp(argv[0], "help") == 0) {
		help = true;
		argv++;
		argc--;
	}
	if (help) {
		snprintf(running, sizeof(running), "help");
		prefix = help_prefix(argc, argv, buf, sizeof(buf));
		if (prefix == NULL && is_group(argv[0]))
			return usage_error(argv[0], "help: unknown %s command '%s'",
					   argv[0], shown(argv[1]));
		if (prefix == NULL)
			return usage_error("", "help: unknown command '%s'", shown(argv[0]));
		print_help(stdout, prefix);
		return 0;
	}
	if (argc == 0)
		return usage_error("", "no command given (try `%s --help`)", prog);
	if ((c = find(argc, argv, &k)) == NULL) {
		if (!is_group(argv[0]))
			return usage_error("", "unknown command '%s'", shown(argv[0]));
		if (argc == 1)
			return usage_error(argv[0], "%s: no %s command given", argv[0],
					   argv[0]);
		return usage_error(argv[0], "unknown %s command '%s'", argv[0],
				   shown(argv[1]));
	}
	argc -= k;
	argv += k;
	if (argc < c->min || (c->max >= 0 && argc > c->max))
		return usage_error(c->words, "%s: %s arguments (it takes %s)",
				   c->words, argc < c->min ? "missing" : "too many",
				   c->args);
	if (json && !c->takes_json)
		return usage_error("", "%s: --json is for ls, map dump, map stats "
				   "and region info", c->words);
	/* Every argument called NAME is checked before the library sees it. */
	for (i = 0; i < argc && strstr(c->args, "NAME") && (i == 0 || c->max < 0);
	     i++)
		if (check_name(c, argv[i]))
			return EXIT_USAGE;
	if (strstr(c->args, "NAME") && argc > 0)
		snprintf(running, sizeof(running), "%s %s", c->words, shown(argv[0]));
	else
		snprintf(running, sizeof(running), "%s", c->words);
	return c->run(c, argc, argv);
}

int main(int argc, char **argv)
{
	int status;

	setlocale(LC_CTYPE, "");	/* which characters shown() may print */
	status = run_command(argc, argv);

	/* Output that could not be written (a full disk, a closed stdout)
	 * fails the command, as in coreutils: `satomic map dump >/dev/full`
	 * must not exit 0.  (errno: the flush's, if it failed.) */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: %s%scannot write the output: %s\n", prog,
			running, *running ? ": " : "", strerror(errno ? errno : EIO));
		return status ? status : EXIT_FAILED;
	}
	return status;
}
