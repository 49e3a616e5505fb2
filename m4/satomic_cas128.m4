# SATOMIC_CHECK_CAS128
# --------------------
# An inline 128-bit CAS, linked WITHOUT libatomic to prove no lock is used:
# cmpxchg16b on x86-64 (with -mcx16; chosen at run time after a CPUID check),
# the architecture's own pair instructions elsewhere.  Link test, cached in
# satomic_cv_cas128.  Defines HAVE_CAS128 and substitutes CAS128_CFLAGS
# (empty without one: the u128 functions then fail cleanly at run time).
AC_DEFUN([SATOMIC_CHECK_CAS128], [
AC_REQUIRE([AC_CANONICAL_HOST])
AS_CASE([$host_cpu], [x86_64], [CAS128_CFLAGS=-mcx16], [CAS128_CFLAGS=])
AC_CACHE_CHECK([for an inline 128-bit CAS], [satomic_cv_cas128], [
	satomic_save_CFLAGS=$CFLAGS
	CFLAGS="$CFLAGS $CAS128_CFLAGS"
	AC_LINK_IFELSE([AC_LANG_PROGRAM([[
		unsigned __int128 v __attribute__((aligned(16)));]], [[
		return (int)__sync_val_compare_and_swap(&v, (unsigned __int128)0,
							(unsigned __int128)1);]])],
		[satomic_cv_cas128=yes], [satomic_cv_cas128=no])
	CFLAGS=$satomic_save_CFLAGS])
AS_IF([test "$satomic_cv_cas128" = yes],
	[AC_DEFINE([HAVE_CAS128], [1], [Define if an inline 128-bit CAS exists])],
	[CAS128_CFLAGS=])
AC_SUBST([CAS128_CFLAGS])
])
