# SATOMIC_CHECK_MEMLOCK
# ---------------------
# Memory locking: mlock, munlock and getrlimit (link tests, cached by
# AC_CHECK_FUNCS in ac_cv_func_*), RLIMIT_MEMLOCK (ac_cv_have_decl_*), and
# the memlock limit of the shell running configure, for the summary only
# (cached in satomic_cv_memlock_limit; the library asks at run time).
AC_DEFUN([SATOMIC_CHECK_MEMLOCK], [
AC_CHECK_FUNCS([mlock munlock getrlimit])
AC_CHECK_DECLS([RLIMIT_MEMLOCK], [], [], [[#include <sys/resource.h>]])
AC_CACHE_CHECK([the current memlock limit], [satomic_cv_memlock_limit],
	[satomic_cv_memlock_limit=`(ulimit -l) 2>/dev/null || echo unknown`
	 AS_CASE([$satomic_cv_memlock_limit], [unlimited|unknown], [],
		 [satomic_cv_memlock_limit="$satomic_cv_memlock_limit KiB"])])
])
