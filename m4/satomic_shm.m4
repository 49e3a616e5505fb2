# SATOMIC_CHECK_SHM_OPEN
# ----------------------
# shm_open and shm_unlink are in libc since glibc 2.34, in librt before, and
# elsewhere on other systems.  Link test through AC_SEARCH_LIBS (cached in
# ac_cv_search_shm_open); the library it needs, if any, goes into SHM_LIBS
# (linked into the library and listed in sharedatomic.pc's Libs.private for
# static links), not into LIBS.
AC_DEFUN([SATOMIC_CHECK_SHM_OPEN], [
satomic_save_LIBS=$LIBS
AC_SEARCH_LIBS([shm_open], [rt], [],
	[AC_MSG_ERROR([shm_open is needed (POSIX shared memory)])])
AS_CASE([$ac_cv_search_shm_open], ["none required"], [SHM_LIBS=], [SHM_LIBS=$ac_cv_search_shm_open])
LIBS=$satomic_save_LIBS
AC_SUBST([SHM_LIBS])
])
