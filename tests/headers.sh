#!/bin/sh
# The public headers compile cleanly as C99, C11 and C++ (gcc and clang,
# -Wall -Wextra -Werror, -pedantic for C), and C++ callers get them inlined too.
set -eu
srcdir=${top_srcdir:-.}
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$srcdir/tests/header_user.c
ran=0

for cc in "$CC" clang; do
	command -v "${cc%% *}" >/dev/null 2>&1 || continue
	for std in c99 c11 gnu89; do
		pedantic=-pedantic
		[ $std = gnu89 ] && pedantic=
		$cc -std=$std $pedantic -Wall -Wextra -Wmissing-prototypes -Werror \
			-I"$srcdir/include" -c "$src" -o "$tmp/c.o"
		echo "ok: $cc -std=$std"
		ran=$((ran + 1))
	done
done
for cxx in ${CXX:-} g++ clang++; do
	command -v "$cxx" >/dev/null 2>&1 || continue
	cp "$src" "$tmp/user.cc"
	for std in c++11 c++17; do
		$cxx -std=$std -Wall -Wextra -Werror -I"$srcdir/include" -c "$tmp/user.cc" -o "$tmp/cc.o"
		echo "ok: $cxx -std=$std"
		ran=$((ran + 1))
	done
done
[ $ran -gt 0 ] || { echo "SKIP: no compiler found"; exit 77; }
