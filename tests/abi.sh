#!/bin/sh
# The ABI in step: the library's exports, the version script, the man pages'
# NAME sections (and a stub or page for each name) and SYNOPSIS sections
# (a prototype for each, maybe through W and OP), doc/manpages.am and the
# Debian symbols file name exactly the same functions; the library exports
# nothing else and imports no __atomic_* function from libatomic.
set -eu
srcdir=${top_srcdir:-.}
lib=${top_builddir:-.}/src/.libs/libsharedatomic.so
NM=${NM:-nm}
[ -f "$lib" ] || { echo "SKIP: no shared library at $lib (static build?)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

$NM -D --defined-only "$lib" | awk '$2 == "T" || $2 == "W" || $2 == "D" || $2 == "B" {print $3}' |
	sed 's/@.*//' | sort -u > "$tmp/exports"
sed -n '/global:/,/local:/p' "$srcdir/src/libsharedatomic.map" |
	grep -o 'satomic_[A-Za-z0-9_]*' | sort > "$tmp/script"
sed -n '/^\.Sh NAME/,/^\.Nd/s/^\.Nm \([A-Za-z0-9_]*\).*/\1/p' "$srcdir"/doc/*.3 |
	sort > "$tmp/man"
grep -o '^ satomic_[A-Za-z0-9_]*' "$srcdir/debian/libsharedatomic1.symbols" |
	sed 's/^ //' | sort > "$tmp/symbols"

compare() {	# compare NAME FILE
	if ! diff -u "$tmp/exports" "$2" > "$tmp/diff"; then
		echo "FAIL: library exports and $1 differ ('-' only exported, '+' only in $1):"
		sed -n '3,$p' "$tmp/diff" | grep '^[-+]'
		fail=1
	fi
}
compare "the version script" "$tmp/script"
compare "the man pages" "$tmp/man"
compare "debian/libsharedatomic1.symbols" "$tmp/symbols"

# Every export has a prototype in a SYNOPSIS: its own, or one of a page's
# placeholders, W (from the page's table of widths, ".It Li u8 Ta Vt ...")
# and OP (its list of operations, ".It Li add").
for page in "$srcdir"/doc/*.3; do
	awk '
	/^\.Sh / { synopsis = ($2 == "SYNOPSIS") }
	synopsis && /^\.Fn / { fn[++nf] = $2 }
	/^\.It Li [^ ]+ Ta Vt / { w[++nw] = $3 }
	/^\.It Li [^ ]+$/ { op[++no] = $3 }
	END {
		for (f = 1; f <= nf; f++) {
			has_op = fn[f] ~ /_OP_/
			has_w = fn[f] ~ /_W(_|$)/
			for (i = 1; i <= (has_op ? no : 1); i++)
				for (j = 1; j <= (has_w ? nw : 1); j++) {
					s = fn[f]
					if (has_op)
						sub(/_OP_/, "_" op[i] "_", s)
					if (has_w && !sub(/_W_/, "_" w[j] "_", s))
						sub(/_W$/, "_" w[j], s)
					print s
				}
		}
	}' "$page"
done | sort -u > "$tmp/synopsis"
missing=$(comm -23 "$tmp/exports" "$tmp/synopsis")
[ -z "$missing" ] || { echo "FAIL: exported, in no SYNOPSIS:" $missing; fail=1; }

others=$(grep -v '^satomic_' "$tmp/exports" || true)
[ -z "$others" ] || { echo "FAIL: exported outside satomic_*: $others"; fail=1; }

atomics=$($NM -D --undefined-only "$lib" | grep '__atomic_' || true)
[ -z "$atomics" ] || { echo "FAIL: the library calls libatomic: $atomics"; fail=1; }

# Each name has its page or a stub that points at a page listing it.
while read -r name; do
	if [ -f "$srcdir/doc/$name.3" ]; then continue; fi
	stub="$srcdir/doc/man3/$name.3"
	if [ ! -f "$stub" ]; then
		echo "FAIL: no man page or stub for $name (run doc/update-stubs.sh)"
		fail=1; continue
	fi
	target=$(sed -n 's|^\.so man3/||p' "$stub")
	grep -q "^\.Nm $name\( ,\)\{0,1\}\$" "$srcdir/doc/$target" 2>/dev/null ||
		{ echo "FAIL: stub $stub points at $target, which does not list $name"; fail=1; }
	grep -q "doc/man3/$name.3" "$srcdir/doc/manpages.am" ||
		{ echo "FAIL: doc/manpages.am does not install $name.3 (run doc/update-stubs.sh)"; fail=1; }
done < "$tmp/man"
for stub in "$srcdir"/doc/man3/*.3; do
	name=$(basename "$stub" .3)
	grep -qx "$name" "$tmp/man" || { echo "FAIL: stale stub $stub"; fail=1; }
done

[ $fail = 0 ] && echo "ABI in step: $(wc -l < "$tmp/exports") functions exported, in the version script, man pages and symbols file; no __atomic_* imports"
exit $fail
