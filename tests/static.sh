#!/bin/sh
# The static library links with the flags sharedatomic.pc gives for static
# linking (pkg-config --static): the .pc of this build, its libdir and
# includedir pointed at the build tree (src/.libs, include/), a program that
# uses the primitives, a named region and a map.  Linked twice:
# libsharedatomic.a alone static (-Wl,-Bstatic), and, without sanitizers
# and where libc.a exists, fully static (-static), which fails if
# Libs.private misses a library.  Both are run; neither may need
# libsharedatomic.so.
set -eu
srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
archive=$top_builddir/src/.libs/libsharedatomic.a
[ -f "$archive" ] || { echo "SKIP: no $archive (configured with --disable-static)"; exit 77; }
command -v "${PKG_CONFIG%% *}" >/dev/null 2>&1 || { echo "SKIP: no pkg-config"; exit 77; }
pc="$PKG_CONFIG --define-variable=libdir=$top_builddir/src/.libs --define-variable=includedir=$srcdir/include"
PKG_CONFIG_PATH=$top_builddir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
cflags=$($pc --cflags sharedatomic)
libs=$($pc --static --libs sharedatomic)
echo "pkg-config --static --libs sharedatomic: $libs"
case " $libs " in
*" -L$top_builddir/src/.libs "*"-lsharedatomic "*) ;;
*) echo "FAIL: the static flags do not link libsharedatomic from the build tree"; exit 1 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/prog.c" <<'EOC'
#include <sharedatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	uint64_t c = 40;
	int64_t v = 0;
	char name[64];
	struct satomic_map *m;
	int r;

	satomic_fetch_add_u64(&c, 2);
	if (satomic_load_u64(&c) != 42)
		return 1;
	if (!satomic_cas128_supported()) {
		puts("ok (no 128-bit CAS: map not tried)");
		return 0;
	}
	snprintf(name, sizeof name, "/satomic-static-%ld", (long)getpid());
	r = satomic_map_create(name, 64, 0, 0600, 0, &m);
	if (r < 0) {
		fprintf(stderr, "satomic_map_create: %s\n", satomic_strerror(r));
		return 1;
	}
	r = satomic_map_put(m, 7, 42, NULL);
	if (r < 0 || satomic_map_get(m, 7, &v) != 0 || v != 42)
		return 1;
	satomic_map_close(m);
	satomic_map_unlink(name);
	puts("ok");
	return 0;
}
EOC
$CC $cflags ${CFLAGS:-} ${SANITIZER_CFLAGS:-} -c -o "$tmp/prog.o" "$tmp/prog.c"

check_run() {	# check_run PROG: not linked to libsharedatomic.so; runs
	if command -v readelf >/dev/null 2>&1 &&
	   readelf -d "$1" 2>/dev/null | grep -q 'NEEDED.*libsharedatomic'; then
		echo "FAIL: $1 needs libsharedatomic.so"; exit 1
	fi
	[ "${CROSS_COMPILING:-no}" = no ] || { echo "ok: linked (cross build: not run)"; return; }
	"$1"
}

# libsharedatomic.a static, the rest as usual.
arch_libs=$(printf '%s\n' "$libs" | sed 's/-lsharedatomic/-Wl,-Bstatic -lsharedatomic -Wl,-Bdynamic/')
$CC ${CFLAGS:-} ${LDFLAGS:-} ${SANITIZER_LDFLAGS:-} -o "$tmp/prog-a" "$tmp/prog.o" $arch_libs
check_run "$tmp/prog-a"
echo "ok: linked with libsharedatomic.a"

# Everything static: Libs.private must name every library it needs.
if [ "${SANITIZE:-no}" != no ]; then
	echo "not tried: fully static (-static) with the sanitizers ($SANITIZE)"
elif [ "$($CC -print-file-name=libc.a)" = libc.a ]; then
	echo "not tried: fully static (-static): no libc.a (Debian: libc6-dev)"
else
	$CC ${CFLAGS:-} ${LDFLAGS:-} -static -o "$tmp/prog-static" "$tmp/prog.o" $libs
	check_run "$tmp/prog-static"
	echo "ok: linked fully static (-static)"
fi
