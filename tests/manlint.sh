#!/bin/sh
# Every man page passes `mandoc -Tlint` with no warning, and every .so stub
# resolves, checked in a copy laid out as the installed man tree.
set -eu
srcdir=$(cd "${top_srcdir:-.}" && pwd)
MANDOC=${MANDOC:-$(command -v mandoc || true)}
[ -n "$MANDOC" ] || { echo "SKIP: mandoc not found (install mandoc)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/man1" "$tmp/man3" "$tmp/man7"
cp "$srcdir"/doc/*.3 "$srcdir"/doc/man3/*.3 "$tmp/man3/"
cp "$srcdir"/doc/*.7 "$tmp/man7/"
ls "$srcdir"/doc/*.1 >/dev/null 2>&1 && cp "$srcdir"/doc/*.1 "$tmp/man1/"

cd "$tmp"
fail=0
# Pages proper: no warning at all.  mandoc.db notes are about the system's
# database, not about these pages.
pages=$(cd "$srcdir/doc" && ls ./*.[137] | sed 's|^\./||')
for page in $pages; do
	out=$($MANDOC -Tlint -W warning "man${page##*.}/$page" 2>&1 | grep -v 'mandoc.db' || true)
	[ -z "$out" ] || { echo "$out"; fail=1; }
done
# Stubs: `.so` itself is what mandoc calls fragile; check each one resolves
# to a page that renders and documents the stub's name.
stubs=0
for stub in $(cd "$srcdir/doc" && ls man3); do
	name=${stub%.3}
	$MANDOC -Tascii "man3/$stub" 2>/dev/null | sed "s/.\x08//g" | grep -qw "$name" ||
		{ echo "FAIL: stub man3/$stub does not resolve to a page naming $name"; fail=1; }
	stubs=$((stubs + 1))
done
[ $fail = 0 ] || { echo "FAIL: mandoc reported the above"; exit 1; }
echo "mandoc -Tlint: $(echo "$pages" | wc -w) pages clean; $stubs stubs resolve"
