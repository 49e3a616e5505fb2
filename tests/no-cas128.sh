#!/bin/sh
# On a CPU without a 128-bit CAS the u128 functions fail cleanly: run the
# cas128 tests on an emulated x86-64 CPU lacking cmpxchg16b (qemu-user,
# `-cpu qemu64,-cx16`, where executing the instruction would raise SIGILL);
# every u128 function must return -ENOTSUP and leave memory alone, and the
# demo must still get every other total exact.
set -eu
top_builddir=${top_builddir:-.}
case ${HOST_CPU:-$(uname -m)} in
x86_64) ;;
*) echo "SKIP: the emulated CPU test is for x86-64 builds"; exit 77 ;;
esac
case ${SANITIZE:-no} in
no) ;;
*) echo "SKIP: qemu-user cannot run a $SANITIZE build (its shadow memory)"; exit 77 ;;
esac
command -v qemu-x86_64 >/dev/null 2>&1 ||
	{ echo "SKIP: qemu-x86_64 not found (install qemu-user)"; exit 77; }
libtool="$top_builddir/libtool --mode=execute"
cpu="qemu-x86_64 -cpu qemu64,-cx16"

$libtool $cpu "$top_builddir/tests/test_cas128" --expect-unsupported
$libtool $cpu "$top_builddir/examples/counters" -p 2 -n 2000 | tee out.$$
grep -q 'cas_u128 (loop)    skipped' out.$$ && grep -q 'all totals exact' out.$$
rc=$?
rm -f out.$$
exit $rc
