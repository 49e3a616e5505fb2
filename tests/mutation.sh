#!/bin/sh
# The unit tests catch a broken primitive.  tests/test_primitives.c is rebuilt
# with one primitive broken on purpose (the header's inline body is forced
# inline and one builtin it uses is redefined), and that build must FAIL.
# An unbroken build made the same way must pass, so a failure means the
# tests caught the mutant, not that the harness is broken.
#
# Deterministic: each mutant is run against the test case that catches it
# every time.  A non-atomic read-modify-write is caught by the "interrupted"
# case (a signal handler interrupts one thread thousands of times), not by
# the "contention" one: a race between threads or processes shows only when
# the scheduler interleaves them at the right instruction, which a busy
# machine or `taskset -c 0` may never do (it once failed a Debian build).
set -eu
srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
[ -x "$top_builddir/tests/test_primitives" ] ||
	{ echo "SKIP: unit tests not built"; exit 77; }
# It measures the suite, which a sanitizer does not change: the plain and
# cross builds run it (and seven sanitized builds of the grid take long).
[ "${SANITIZE:-no}" = no ] ||
	{ echo "SKIP: mutation testing runs in the builds without sanitizers"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libtool=$top_builddir/libtool
inline='-DSATOMIC_API_INLINE=extern __inline__ __attribute__((__gnu_inline__, __always_inline__))'

build() {	# build NAME [-Dmutation]: compile tests/test_primitives.c
	name=$1; shift
	$libtool --mode=link --quiet ${CC:-cc} ${CFLAGS:-} -O2 -w -I"$srcdir/include" \
		$CHECK_CFLAGS $PTHREAD_CFLAGS ${LDFLAGS:-} "$inline" "$@" \
		-o "$tmp/$name" "$srcdir/tests/test_primitives.c" \
		"$top_builddir/src/libsharedatomic.la" $CHECK_LIBS $DL_LIBS $PTHREAD_LIBS
}
run() {		# run NAME TCASE: the Check test case TCASE of build NAME
	CK_RUN_CASE=$2 CK_VERBOSITY=silent $libtool --mode=execute "$tmp/$1" >/dev/null 2>&1
}

build control
run control grid && run control interrupted && run control contention ||
	{ echo "FAIL: the unmutated forced-inline build does not pass"; exit 1; }
echo "ok: unmutated build passes"

fail=0
mutant() {	# mutant TCASE DESCRIPTION -Dmacro
	tcase=$1; what=$2; shift 2
	build mutant "$@"
	if run mutant "$tcase"; then
		echo "FAIL: tests did not notice: $what"; fail=1
	else
		echo "ok: caught ($tcase): $what"
	fi
}
mutant grid "fetch_add subtracts" \
	'-D__atomic_fetch_add(p,v,o)=__atomic_fetch_sub(p,v,o)'
mutant grid "cas does not report the value it saw" \
	'-D__atomic_compare_exchange_n(p,e,d,w,s,f)=__sync_bool_compare_and_swap(p,*(e),d)'
mutant grid "exchange returns the new value" \
	'-D__atomic_exchange_n(p,v,o)=(__atomic_store_n(p,v,o),(v))'
mutant grid "nand_fetch computes and" \
	'-D__atomic_nand_fetch(p,v,o)=__atomic_and_fetch(p,v,o)'
mutant grid "store does nothing" \
	'-D__atomic_store_n(p,v,o)=((void)(p),(void)(v))'
# qemu-user (a cross build run emulated) delivers a signal between
# translated blocks only, never between two instructions of one: there the
# interrupts cannot show the race; native builds, i386 included, check it.
case ${CROSS_COMPILING:-no}:${HOST_CPU:-}:$(uname -m) in
yes:i?86:x86_64 | no:*) emulated=no ;;
yes:*:*) [ "$HOST_CPU" = "$(uname -m)" ] && emulated=no || emulated=yes ;;
esac
if [ $emulated = yes ]; then
	echo "SKIP (part): fetch_add is a load and a store: under emulation (${HOST_CPU}) signals cannot land between two instructions"
else
mutant interrupted "fetch_add is a load and a store (not atomic)" \
	'-D__atomic_fetch_add(p,v,o)=({ __typeof__(*(p)) o_ = __atomic_load_n(p, 0); __atomic_store_n(p, o_ + (v), 0); o_; })'
fi
# The long tiers (SATOMIC_TORTURE=ci: make check-long, CI; =long: make
# stress) also require the contention case to catch it, as a race between
# threads and processes: probabilistic, so up to five runs, one failing is
# enough.
case ${SATOMIC_TORTURE:-} in
ci | long)
	build mutant '-D__atomic_fetch_add(p,v,o)=({ __typeof__(*(p)) o_ = __atomic_load_n(p, 0); __atomic_store_n(p, o_ + (v), 0); o_; })'
	caught=no
	for try in 1 2 3 4 5; do
		run mutant contention || { caught=$try; break; }
	done
	if [ $caught = no ]; then
		echo "FAIL: 5 contention runs did not notice: fetch_add is a load and a store"; fail=1
	else
		echo "ok: caught (contention, run $caught of at most 5): fetch_add is a load and a store"
	fi ;;
esac
exit $fail
