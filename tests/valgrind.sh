#!/bin/sh
# valgrind memcheck over the unit tests: no invalid access, no use of
# uninitialized memory, no leak (definite or indirect), in the test
# processes and in every process they fork.  No suppression file.
# By default (make check-long, CI) the quick suites; SATOMIC_TORTURE=long
# (make stress) runs all, each at its CI size (SATOMIC_TORTURE=ci): valgrind
# is here for memory errors, and the long tier's 100M operations run
# natively in the same make stress.  Not in make check: it takes long.
set -u
top_builddir=${top_builddir:-.}
command -v valgrind >/dev/null 2>&1 ||
	{ echo "SKIP: valgrind not found (Debian: valgrind)"; exit 77; }
# Cross builds: valgrind runs the build machine's binaries (for i386 ones
# it would need libc6-dbg:i386, a foreign package CI does not install).
[ "${CROSS_COMPILING:-no}" = no ] ||
	{ echo "SKIP: valgrind runs the build machine's binaries, not ${HOST_CPU:-these}"; exit 77; }
case ${SANITIZE:-no} in
no) ;;
*) echo "SKIP: a $SANITIZE build cannot run under valgrind"; exit 77 ;;
esac
[ -x "$top_builddir/tests/test_map" ] || { echo "SKIP: unit tests not built"; exit 77; }

if [ "${SATOMIC_TORTURE:-}" = long ]; then
	suites="test_primitives test_cas128 test_region test_map test_lincheck
		test_map_concurrency test_crashpoints test_growth test_torture"
else
	suites="test_primitives:grid test_primitives:misc test_cas128 test_region
		test_map test_lincheck"
fi
fail=0
for s in $suites; do
	prog=${s%%:*}
	case $s in *:*) case=${s#*:} ;; *) case= ;; esac
	log=valgrind-$prog${case:+-$case}.log
	# At their CI sizes, valgrind being 20-50 times slower; Check's
	# timeouts are for native speed.
	if env -u SATOMIC_TEST_PROCS SATOMIC_TORTURE=ci ${case:+CK_RUN_CASE=$case} CK_TIMEOUT_MULTIPLIER=50 \
	   "$top_builddir/libtool" --mode=execute valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$top_builddir/tests/$prog" >"$log" 2>&1; then
		echo "ok: $s: $(grep -E '^[0-9]+%: Checks' "$log")"
	else
		echo "FAIL: $s under valgrind:"; cat "$log"; fail=1
	fi
	rm -f "$log"
done
exit $fail
