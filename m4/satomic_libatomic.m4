# SATOMIC_CHECK_LIBATOMIC
# -----------------------
# Whether 8-byte atomics link without libatomic (link test; cached in
# satomic_cv_need_libatomic: no, yes or unavailable).  The result goes into
# LIBATOMIC for the record; it is never added to LIBS: the library does not
# use libatomic, and a build that would need it is refused by
# SATOMIC_CHECK_LOCK_FREE.
AC_DEFUN([SATOMIC_CHECK_LIBATOMIC], [
AC_CACHE_CHECK([whether 8-byte atomics need -latomic], [satomic_cv_need_libatomic], [
	AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <stdint.h>
		uint64_t v;]], [[return (int)__atomic_fetch_add(&v, 1, __ATOMIC_SEQ_CST);]])],
		[satomic_cv_need_libatomic=no], [
		satomic_save_LIBS=$LIBS
		LIBS="$LIBS -latomic"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <stdint.h>
			uint64_t v;]], [[return (int)__atomic_fetch_add(&v, 1, __ATOMIC_SEQ_CST);]])],
			[satomic_cv_need_libatomic=yes], [satomic_cv_need_libatomic=unavailable])
		LIBS=$satomic_save_LIBS])])
AS_CASE([$satomic_cv_need_libatomic], [yes], [LIBATOMIC=-latomic], [LIBATOMIC=])
AC_SUBST([LIBATOMIC])
])
