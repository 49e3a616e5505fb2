#!/bin/sh
# Build the libFuzzer targets: fuzz/build.sh CLANG SRCDIR BUILDDIR OUTDIR.
# The library's sources are compiled into each target with the fuzzer's
# coverage, AddressSanitizer and UndefinedBehaviorSanitizer; config.h comes
# from BUILDDIR (a configured tree).
set -eu
[ $# = 4 ] || { echo "usage: $0 CLANG SRCDIR BUILDDIR OUTDIR" >&2; exit 2; }
clang=$1 srcdir=$2 builddir=$3 out=$4
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I$builddir -I$srcdir/include -I$srcdir/src -pthread"
case $(uname -m) in x86_64) flags="$flags -mcx16" ;; esac
mkdir -p "$out/obj"
objs=
for c in "$srcdir"/src/*.c "$srcdir"/tests/lincheck.c; do
	case $c in */crash.c) continue ;; esac
	o=$out/obj/$(basename "$c" .c).o
	# -fsanitize=fuzzer-no-link: coverage for the library, no main.
	$clang $flags -fsanitize=fuzzer-no-link -c -o "$o" "$c"
	objs="$objs $o"
done
for t in map_attach map_ops region_name; do
	$clang $flags -o "$out/$t" "$srcdir/fuzz/$t.c" $objs
done
