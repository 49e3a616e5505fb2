# SATOMIC_WARN_CFLAGS
# -------------------
# The warnings the compiler accepts (AX_APPEND_COMPILE_FLAGS, bundled in
# m4/, each flag tried with -Werror so that clang's "unknown option" warning
# counts; cached in ax_cv_check_cflags_*), into WARN_CFLAGS: never into the
# user's CFLAGS.  --enable-werror adds -Werror.
AC_DEFUN([SATOMIC_WARN_CFLAGS], [
AC_ARG_ENABLE([werror],
	[AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])])
WARN_CFLAGS=
AX_APPEND_COMPILE_FLAGS([-Wall -Wextra -Wshadow -Wstrict-prototypes dnl
	-Wmissing-prototypes -Wpointer-arith -Wformat=2],
	[WARN_CFLAGS], [-Werror])
AS_IF([test "x$enable_werror" = xyes], [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
AC_SUBST([WARN_CFLAGS])
])
