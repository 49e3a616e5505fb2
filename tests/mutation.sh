#!/bin/sh
# The unit tests catch a broken primitive.  tests/test_primitives.c is rebuilt
# with one primitive broken on purpose (the header's inline body is forced
# inline and one builtin it uses is redefined), and that build must FAIL.
# An unbroken build made the same way must pass, so a failure means the
# tests caught the mutant, not that the harness is broken.
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
run control grid && run control contention ||
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
mutant contention "fetch_add is a load and a store (not atomic)" \
	'-D__atomic_fetch_add(p,v,o)=({ __typeof__(*(p)) o_ = __atomic_load_n(p, 0); __atomic_store_n(p, o_ + (v), 0); o_; })'
exit $fail
