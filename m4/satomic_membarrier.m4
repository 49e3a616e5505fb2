# SATOMIC_CHECK_MEMBARRIER
# ------------------------
# membarrier(2) lets map writers announce themselves without a fence.  The
# library calls it through syscall(2), so only the declaration of
# MEMBARRIER_CMD_GLOBAL_EXPEDITED matters (cached in
# ac_cv_have_decl_MEMBARRIER_CMD_GLOBAL_EXPEDITED).
AC_DEFUN([SATOMIC_CHECK_MEMBARRIER], [
AC_CHECK_DECLS([MEMBARRIER_CMD_GLOBAL_EXPEDITED], [], [],
	[[#include <linux/membarrier.h>]])
])
