# SATOMIC_CHECK_LIBCUCKOO
# -----------------------
# libcuckoo (header-only C++), one of the benchmark's optional peers:
# compile test with -std=c++17, cached in satomic_cv_libcuckoo.
AC_DEFUN([SATOMIC_CHECK_LIBCUCKOO], [
AC_LANG_PUSH([C++])
AC_CACHE_CHECK([for libcuckoo], [satomic_cv_libcuckoo], [
	satomic_save_CXXFLAGS=$CXXFLAGS
	CXXFLAGS="$CXXFLAGS -std=c++17 $PTHREAD_CFLAGS"
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <libcuckoo/cuckoohash_map.hh>]],
		[[libcuckoo::cuckoohash_map<long, long> m; return (int)m.size();]])],
		[satomic_cv_libcuckoo=yes], [satomic_cv_libcuckoo=no])
	CXXFLAGS=$satomic_save_CXXFLAGS])
AC_LANG_POP([C++])
])
