# SATOMIC_CHECK_LOCK_FREE
# -----------------------
# The library must be address-free: every width it offers must be always
# lock-free, because libatomic's fallback locks live in each process's own
# memory and do not exclude another process.  A compile-time question
# (__atomic_always_lock_free), so a compile test; cached per size in
# satomic_cv_always_lock_free_1, _2, _4 and _8.  Fails configure otherwise.
AC_DEFUN([SATOMIC_CHECK_LOCK_FREE], [
for satomic_size in 1 2 4 8; do
	AS_VAR_PUSHDEF([satomic_lf], [satomic_cv_always_lock_free_$satomic_size])
	AC_CACHE_CHECK([whether $satomic_size-byte atomics are always lock-free],
		[satomic_lf], [
		AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[
			_Static_assert(__atomic_always_lock_free($satomic_size, 0),
				       "not lock-free");]], [])],
			[AS_VAR_SET([satomic_lf], [yes])], [AS_VAR_SET([satomic_lf], [no])])])
	AS_VAR_IF([satomic_lf], [yes], [], [AC_MSG_ERROR([$satomic_size-byte atomics are not always lock-free on $host.
libatomic would serve them with locks private to each process, which do not
exclude other processes mapping the same memory: operations would not be
atomic across processes.  libsharedatomic refuses to build here.])])
	AS_VAR_POPDEF([satomic_lf])
done
])
