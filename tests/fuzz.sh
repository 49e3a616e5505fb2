#!/bin/sh
# The libFuzzer targets (fuzz/): built with clang, ASan and UBSan, they
# replay the committed corpus, every input of which must pass; with
# FUZZ_SECONDS=N (CI, make fuzz) each target then fuzzes for N seconds more.
set -u
srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
clang=${CLANG:-}
[ -n "$clang" ] || { echo "SKIP: no clang with libFuzzer found by configure (Debian: clang, libclang-rt-14-dev)"; exit 77; }
[ "${CROSS_COMPILING:-no}" = no ] ||
	{ echo "SKIP: the fuzz targets are built for the build machine (cross build)"; exit 77; }
case ${SANITIZE:-no} in
no) ;;
*) echo "SKIP: the fuzz targets bring their own sanitizers (this is a $SANITIZE build)"; exit 77 ;;
esac
out=$top_builddir/tests/fuzz-bin
"$srcdir/fuzz/build.sh" "$clang" "$srcdir" "$top_builddir" "$out" ||
	{ echo "FAIL: cannot build the fuzz targets"; exit 1; }
fail=0
for t in map_attach map_ops region_name; do
	corpus=$srcdir/fuzz/corpus/$t
	n=$(ls "$corpus" | wc -l)
	if "$out/$t" -runs=0 -timeout=60 -artifact_prefix="$out/$t-" "$corpus" \
		>"$out/$t.log" 2>&1; then
		echo "ok: $t: replayed $n inputs"
	else
		echo "FAIL: $t: an input of the corpus fails:"; tail -40 "$out/$t.log"; fail=1
		continue
	fi
	[ -n "${FUZZ_SECONDS:-}" ] || continue
	mkdir -p "$out/corpus-$t"
	if "$out/$t" -max_total_time="$FUZZ_SECONDS" -timeout=60 \
		-artifact_prefix="$out/$t-" "$out/corpus-$t" "$corpus" \
		>"$out/$t.log" 2>&1; then
		echo "ok: $t: fuzzed ${FUZZ_SECONDS}s: $(grep -o 'Done [0-9]* runs' "$out/$t.log")," \
			"$(ls "$out/corpus-$t" | wc -l) new inputs in $out/corpus-$t"
	else
		echo "FAIL: $t: fuzzing found a failing input (in $out):"; tail -40 "$out/$t.log"; fail=1
	fi
done
exit $fail
