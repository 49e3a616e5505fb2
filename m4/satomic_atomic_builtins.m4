# SATOMIC_CHECK_ATOMIC_BUILTINS
# -----------------------------
# The __atomic builtins (GCC >= 4.7, clang), link-tested: a compiler that
# accepts them but emits calls nobody provides must fail here, not later.
# Cached in satomic_cv_atomic_builtins; fails configure without them.
AC_DEFUN([SATOMIC_CHECK_ATOMIC_BUILTINS], [
AC_CACHE_CHECK([for the __atomic builtins], [satomic_cv_atomic_builtins], [
	AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <stdint.h>
		uint64_t v;]], [[
		uint64_t e = 0;
		__atomic_fetch_add(&v, 1, __ATOMIC_SEQ_CST);
		__atomic_compare_exchange_n(&v, &e, 2, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return (int)__atomic_load_n(&v, __ATOMIC_ACQUIRE);]])],
		[satomic_cv_atomic_builtins=yes], [satomic_cv_atomic_builtins=no])])
AS_IF([test "$satomic_cv_atomic_builtins" != yes],
	[AC_MSG_ERROR([the compiler lacks the __atomic builtins (GCC >= 4.7 or clang)])])
])
