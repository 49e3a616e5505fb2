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

# Identifiers with a double underscore are reserved to the implementation
# (C and C++): the public headers use only the compiler's own ones (the
# __atomic builtins, __ATOMIC_* orders, attributes, feature macros).  The
# library's private helper macros are named SATOMIC_I_*.  Comments count too.
reserved=$(cat "$srcdir/include/sharedatomic.h" "$srcdir"/include/sharedatomic/*.h |
	grep -oE '[A-Za-z_][A-Za-z0-9_]*' | grep -F __ | sort -u |
	grep -vE '^(__atomic_[a-z0-9_]*|__atomic|__ATOMIC_[A-Z_]*|__attribute__|__aligned__|__gnu_inline__|__inline__|__always_inline__|__unused__|__cplusplus|__STDC_VERSION__|__STDC__|__GNUC__|__GNUC_MINOR__|__clang__|__x86_64__|__aarch64__|__i386__|__has_[a-z_]*|__VA_ARGS__|__int128|__SIZEOF_INT128__|__BYTE_ORDER__|__ORDER_[A-Z_]*__)$' || true)
if [ -n "$reserved" ]; then
	echo "FAIL: reserved identifiers (containing __) in the public headers:"
	echo "$reserved"
	exit 1
fi
echo "ok: no reserved identifiers in the public headers"
