#!/bin/sh
# shared_atomic.so exports exactly the 221 functions of shared_atomic 2.1.6
# (compat/names.txt), and libsharedatomic.so.1 exports none of them.
set -eu
srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
NM=${NM:-nm}
module=$top_builddir/compat/.libs/shared_atomic.so
lib=$top_builddir/src/.libs/libsharedatomic.so
[ -f "$module" ] || { echo "SKIP: $module not built"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$NM -D --defined-only "$module" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort > "$tmp/module"
sort "$srcdir/compat/names.txt" > "$tmp/names"
if ! diff -u "$tmp/names" "$tmp/module"; then
	echo "FAIL: shared_atomic.so exports differ from compat/names.txt ('+' extra)"
	exit 1
fi
$NM -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort > "$tmp/lib"
leaked=$(comm -12 "$tmp/names" "$tmp/lib")
[ -z "$leaked" ] || { echo "FAIL: libsharedatomic exports compat names: $leaked"; exit 1; }
echo "shared_atomic.so exports the $(wc -l < "$tmp/module") functions of compat/names.txt; libsharedatomic none of them"
