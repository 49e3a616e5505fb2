# SATOMIC_CHECK_VERSION_SCRIPT
# ----------------------------
# The version script keeps everything but satomic_* out of the ABI: the
# linker must accept -Wl,--version-script (link test, cached in
# satomic_cv_version_script).  Fails configure otherwise.
AC_DEFUN([SATOMIC_CHECK_VERSION_SCRIPT], [
AC_CACHE_CHECK([whether the linker accepts version scripts], [satomic_cv_version_script], [
	echo '{ global: main; local: *; };' > conftest.map
	satomic_save_LDFLAGS=$LDFLAGS
	LDFLAGS="$LDFLAGS -Wl,--version-script=conftest.map"
	AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
		[satomic_cv_version_script=yes], [satomic_cv_version_script=no])
	LDFLAGS=$satomic_save_LDFLAGS
	rm -f conftest.map])
AS_IF([test "$satomic_cv_version_script" != yes],
	[AC_MSG_ERROR([the linker must support --version-script (GNU ld, gold, lld)])])
])
