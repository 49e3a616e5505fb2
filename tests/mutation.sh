#!/bin/sh
# The unit tests catch a broken primitive.  tests/test_primitives.c is rebuilt
# with one primitive broken on purpose (the header's inline body is forced
# inline and one builtin it uses is redefined), and that build must FAIL.
# An unbroken build made the same way must pass, so a failure means the
# tests caught the mutant, not that the harness is broken.
#
# Deterministic: each mutant is run against the test case that catches it
# every time.  A non-atomic read-modify-write is caught by the "interrupted"
# case (a signal handler interrupts one thread, single-stepped on x86, so
# that it lands between a load and its store: timer signals alone never did
# on an Intel guest, where they land after locked instructions), not by
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
	mkdir "$tmp/$name.d"	# one each: libtool's .libs/ of parallel builds apart
	$libtool --mode=link --quiet ${CC:-cc} ${CFLAGS:-} -O2 -w -I"$srcdir/include" \
		$CHECK_CFLAGS $PTHREAD_CFLAGS ${LDFLAGS:-} "$inline" "$@" \
		-o "$tmp/$name.d/prog" "$srcdir/tests/test_primitives.c" \
		"$top_builddir/src/libsharedatomic.la" $CHECK_LIBS $DL_LIBS $PTHREAD_LIBS
}
run() {		# run NAME TCASE: the Check test case TCASE of build NAME
	CK_RUN_CASE=$2 CK_VERBOSITY=silent $libtool --mode=execute "$tmp/$1.d/prog" >/dev/null 2>&1
}

racy='-D__atomic_fetch_add(p,v,o)=({ __typeof__(*(p)) o_ = __atomic_load_n(p, 0); __atomic_store_n(p, o_ + (v), 0); o_; })'

# qemu-user (a cross build run emulated) delivers a signal between
# translated blocks only, never between two instructions of one: there the
# interrupts cannot show the race; native builds, i386 included, check it.
case ${CROSS_COMPILING:-no}:${HOST_CPU:-}:$(uname -m) in
yes:i?86:x86_64 | no:*) emulated=no ;;
yes:*:*) [ "$HOST_CPU" = "$(uname -m)" ] && emulated=no || emulated=yes ;;
esac

# The builds take most of the time: two at a time, so that a serial
# make check (dpkg-buildpackage) still uses two CPUs.  A build that fails
# leaves no program, which is a failure of this test, never a catch.
build control & build sub '-D__atomic_fetch_add(p,v,o)=__atomic_fetch_sub(p,v,o)' & wait
build cas '-D__atomic_compare_exchange_n(p,e,d,w,s,f)=__sync_bool_compare_and_swap(p,*(e),d)' &
build xchg '-D__atomic_exchange_n(p,v,o)=(__atomic_store_n(p,v,o),(v))' & wait
build nand '-D__atomic_nand_fetch(p,v,o)=__atomic_and_fetch(p,v,o)' &
build store '-D__atomic_store_n(p,v,o)=((void)(p),(void)(v))' & wait
build racy "$racy"
for name in control sub cas xchg nand store racy; do
	[ -x "$tmp/$name.d/prog" ] || { echo "FAIL: cannot build the $name variant"; exit 1; }
done

run control grid && run control interrupted && run control contention ||
	{ echo "FAIL: the unmutated forced-inline build does not pass"; exit 1; }
echo "ok: unmutated build passes"

fail=0
mutant() {	# mutant NAME TCASE DESCRIPTION
	if run "$1" "$2"; then
		echo "FAIL: tests did not notice: $3"; fail=1
	else
		echo "ok: caught ($2): $3"
	fi
}
mutant sub grid "fetch_add subtracts"
mutant cas grid "cas does not report the value it saw"
mutant xchg grid "exchange returns the new value"
mutant nand grid "nand_fetch computes and"
mutant store grid "store does nothing"
if [ $emulated = yes ]; then
	echo "SKIP (part): fetch_add is a load and a store: under emulation (${HOST_CPU}) signals cannot land between two instructions"
else
	mutant racy interrupted "fetch_add is a load and a store (not atomic)"
fi
# The long tiers (SATOMIC_TORTURE=ci: make check-long, CI; =long: make
# stress) also require the contention case to catch it, as a race between
# threads and processes: probabilistic (on a busy 2-core machine it took
# five runs), so up to twenty runs, one failing is enough.
case ${SATOMIC_TORTURE:-} in
ci | long)
	caught=no
	for try in $(seq 20); do
		run racy contention || { caught=$try; break; }
	done
	if [ $caught = no ]; then
		echo "FAIL: 20 contention runs did not notice: fetch_add is a load and a store"; fail=1
	else
		echo "ok: caught (contention, run $caught of at most 20): fetch_add is a load and a store"
	fi ;;
esac
exit $fail
