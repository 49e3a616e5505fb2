# SATOMIC_SANITIZERS
# ------------------
# --enable-asan (AddressSanitizer and UndefinedBehaviorSanitizer) and
# --enable-tsan (ThreadSanitizer), for the developers' test runs.  The flags
# go into SANITIZER_CFLAGS (also for C++) and SANITIZER_LDFLAGS, which
# Makefile.am adds to AM_CFLAGS, AM_CXXFLAGS and AM_LDFLAGS and exports to
# the shell tests that build programs: never into the user's CFLAGS or
# LDFLAGS.  SANITIZE says which (no, asan or tsan).  Whether the compiler
# links with them is a link test, cached in satomic_cv_asan_links or satomic_cv_tsan_links.
AC_DEFUN([SATOMIC_SANITIZERS], [
AC_ARG_ENABLE([asan],
	[AS_HELP_STRING([--enable-asan],
		[build with AddressSanitizer and UndefinedBehaviorSanitizer])])
AC_ARG_ENABLE([tsan],
	[AS_HELP_STRING([--enable-tsan], [build with ThreadSanitizer])])
SANITIZE=no
SANITIZER_CFLAGS=
AS_IF([test "x$enable_asan" = xyes && test "x$enable_tsan" = xyes],
	[AC_MSG_ERROR([--enable-asan and --enable-tsan exclude each other])])
AS_IF([test "x$enable_asan" = xyes], [SANITIZE=asan
	SANITIZER_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"])
AS_IF([test "x$enable_tsan" = xyes], [SANITIZE=tsan
	SANITIZER_CFLAGS="-fsanitize=thread -fno-omit-frame-pointer"])
SANITIZER_LDFLAGS=$SANITIZER_CFLAGS
AS_IF([test "$SANITIZE" = tsan], [
	# gcc warns that TSan does not model atomic_thread_fence (-Wtsan):
	# true, and said in doc/testing.md; it must not stop --enable-werror.
	AX_CHECK_COMPILE_FLAG([-Wtsan],
		[SANITIZER_CFLAGS="$SANITIZER_CFLAGS -Wno-tsan"], [], [-Werror])])
AS_IF([test "$SANITIZE" != no], [
	AS_VAR_PUSHDEF([satomic_links], [satomic_cv_${SANITIZE}_links])
	AC_CACHE_CHECK([whether $CC links with $SANITIZER_LDFLAGS],
		[satomic_links], [
		satomic_save_CFLAGS=$CFLAGS
		satomic_save_LDFLAGS=$LDFLAGS
		CFLAGS="$CFLAGS $SANITIZER_CFLAGS"
		LDFLAGS="$LDFLAGS $SANITIZER_LDFLAGS"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
			[AS_VAR_SET([satomic_links], [yes])], [AS_VAR_SET([satomic_links], [no])])
		CFLAGS=$satomic_save_CFLAGS
		LDFLAGS=$satomic_save_LDFLAGS])
	AS_VAR_IF([satomic_links], [yes], [],
		[AC_MSG_ERROR([$CC cannot build with $SANITIZER_CFLAGS (Debian: libasan8, libubsan1, libtsan2)])])
	AS_VAR_POPDEF([satomic_links])])
AC_SUBST([SANITIZE])
AC_SUBST([SANITIZER_CFLAGS])
AC_SUBST([SANITIZER_LDFLAGS])
])
