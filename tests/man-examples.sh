#!/bin/sh
# The EXAMPLES of the man pages are programs that work.  In every page of
# doc/*.3 and doc/*.7 the `.Bd -literal` blocks under `.Sh EXAMPLES`,
# concatenated in order, are one complete C program (doc/testing.md).  Each
# is taken from the page as mandoc renders it, so what is compiled is what a
# reader of man(1) copies, escapes (\e, \(aq...) included; compiled as C99
# with -pedantic -Wall -Wextra -Werror and as C++ with -Wall -Wextra -Werror
# against the in-tree headers and library, and both programs run: exit 0
# required.  Without a 128-bit CAS the programs that use the map or the u128
# functions are compiled but not run.
set -eu
srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
CC=${CC:-cc}
MANDOC=${MANDOC:-$(command -v mandoc || true)}
[ -n "$MANDOC" ] || { echo "SKIP: mandoc not found (install mandoc)"; exit 77; }
# The library's own build: SANITIZER_CFLAGS and SANITIZER_LDFLAGS carry the
# sanitizers, if any (configure keeps them out of CFLAGS and LDFLAGS).
libtool="$top_builddir/libtool"
lib="$top_builddir/src/libsharedatomic.la"
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 99; }
# configure's C++ compiler (it may carry flags: "g++ -m32"), g++ without
# one; never the host's g++ in place of a cross compiler that is missing.
cxx=${CXX:-g++}
command -v "${cxx%% *}" >/dev/null 2>&1 || cxx=

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A program to ask whether this CPU has a 128-bit CAS.
printf '#include <sharedatomic.h>\nint main(void) { return !satomic_cas128_supported(); }\n' \
	> "$tmp/cas128.c"
$CC -I"$srcdir/include" ${CFLAGS:-} ${SANITIZER_CFLAGS:-} -c -o "$tmp/cas128.o" "$tmp/cas128.c"
$libtool --silent --tag=CC --mode=link $CC ${CFLAGS:-} ${SANITIZER_CFLAGS:-} ${LDFLAGS:-} ${SANITIZER_LDFLAGS:-} \
	-o "$tmp/cas128" "$tmp/cas128.o" "$lib"
cas128=yes
$libtool --mode=execute "$tmp/cas128" || cas128=no

# extract PAGE: the page rendered by mandoc, with a marker line before and
# after each literal block of EXAMPLES; print the lines between the markers,
# less the indentation they all share.
extract() {
	awk '/^\.Sh /{ex = ($0 ~ /^\.Sh[ \t]+EXAMPLES[ \t]*$/)}
	ex && /^\.Bd[ \t]+-literal/{print ".Pp"; print "@@MANEX-BEGIN@@"; print; lit = 1; next}
	ex && lit && /^\.Ed/{print; print ".Pp"; print "@@MANEX-END@@"; lit = 0; next}
	{print}' "$1" > "$tmp/page"
	$MANDOC -Tutf8 -Owidth=200 "$tmp/page" | sed 's/.\x08//g' |
	awk '/^[ \t]*@@MANEX-BEGIN@@$/ {on = 1; next}
	/^[ \t]*@@MANEX-END@@$/ {on = 0; next}
	on {line[++n] = $0
		if ($0 ~ /[^ ]/) {
			match($0, /^ */)
			if (min == "" || RLENGTH < min) min = RLENGTH
		}}
	END {for (i = 1; i <= n; i++) print substr(line[i], min + 1)}'
}

fail=0 ran=0 compiled=0
for page in "$srcdir"/doc/*.3 "$srcdir"/doc/*.7; do
	name=${page##*/}
	grep -q '^\.Sh[[:space:]]*EXAMPLES' "$page" || { echo "--: $name has no EXAMPLES"; continue; }
	ex=$tmp/${name%.*}
	extract "$page" > "$ex.c"
	if ! grep -q 'int main(' "$ex.c"; then
		echo "FAIL: $name: its EXAMPLES blocks are no complete program (no main)"
		fail=1; continue
	fi
	# Rendered for a UTF-8 terminal, the code must still be ASCII: a quote
	# or a minus sign typeset as a Unicode character is no C.
	if LC_ALL=C grep -n '[^ -~	]' "$ex.c"; then
		echo "FAIL: $name: the lines above render as non-ASCII characters"
		fail=1; continue
	fi
	step() {	# step WHAT COMMAND...: run it, show the program on failure
		what=$1; shift
		if ! "$@" > "$ex.out" 2>&1; then
			cat "$ex.out"
			echo "FAIL: $name: $what (the program, as extracted:)"
			cat -n "$ex.c"
			fail=1
			return 1
		fi
	}
	needs128=no
	grep -Eq 'satomic_map_|_u128' "$ex.c" && needs128=yes
	step "compiling as C99" $CC -std=c99 -pedantic -Wall -Wextra -Werror \
		-I"$srcdir/include" ${CFLAGS:-} ${SANITIZER_CFLAGS:-} -c -o "$ex.o" "$ex.c" || continue
	step "linking" $libtool --silent --tag=CC --mode=link $CC ${CFLAGS:-} ${SANITIZER_CFLAGS:-} \
		${LDFLAGS:-} ${SANITIZER_LDFLAGS:-} -o "$ex" "$ex.o" "$lib" || continue
	progs=$ex
	if [ -n "$cxx" ]; then
		step "compiling as C++" $cxx -x c++ -Wall -Wextra -Werror \
			-I"$srcdir/include" ${CXXFLAGS:-} ${SANITIZER_CFLAGS:-} -c -o "$ex-cxx.o" "$ex.c" || continue
		step "linking as C++" $libtool --silent --tag=CC --mode=link $cxx \
			${CXXFLAGS:-} ${SANITIZER_CFLAGS:-} ${LDFLAGS:-} ${SANITIZER_LDFLAGS:-} -o "$ex-cxx" "$ex-cxx.o" "$lib" || continue
		progs="$progs $ex-cxx"
	fi
	compiled=$((compiled + 1))
	if [ $needs128 = yes ] && [ $cas128 = no ]; then
		echo "ok: $name compiles; not run: no 128-bit CAS on this CPU"
		continue
	fi
	for prog in $progs; do
		step "running ${prog##*/}" $libtool --mode=execute "$prog" || continue 2
	done
	# What a program creates it unlinks: its segments are named
	# /satomic-example-*, unique to each page.
	for seg in $(grep -o '"/satomic-example-[A-Za-z0-9_.-]*"' "$ex.c" | tr -d '"' | sort -u); do
		[ ! -e "/dev/shm$seg" ] ||
			{ echo "FAIL: $name: leaves $seg behind"; rm -f "/dev/shm$seg"; fail=1; continue 2; }
	done
	ran=$((ran + 1))
	echo "ok: $name compiles as C99${cxx:+ and C++} and runs: $(head -n 1 "$ex.out")"
done
[ -n "$cxx" ] || echo "SKIP (C++ part): no C++ compiler (${CXX:-g++}) found"
[ $fail = 0 ] || exit 1
[ $compiled -gt 0 ] || { echo "FAIL: no EXAMPLES found"; exit 1; }
echo "$compiled examples compiled, $ran run"
[ $ran -gt 0 ] || exit 77
