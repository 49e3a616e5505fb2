# SATOMIC_CHECK_DL
# ----------------
# dlsym lets the tests call each exported symbol by name (not the inline
# copy).  Link test through AC_SEARCH_LIBS (cached in ac_cv_search_dlsym);
# substitutes DL_LIBS and leaves LIBS as it was: only the tests link it.
AC_DEFUN([SATOMIC_CHECK_DL], [
satomic_save_LIBS=$LIBS
AC_SEARCH_LIBS([dlsym], [dl], [], [AC_MSG_ERROR([dlsym is needed by the tests])])
AS_CASE([$ac_cv_search_dlsym], ["none required"], [DL_LIBS=], [DL_LIBS=$ac_cv_search_dlsym])
LIBS=$satomic_save_LIBS
AC_SUBST([DL_LIBS])
])
