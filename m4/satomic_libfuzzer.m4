# SATOMIC_CHECK_LIBFUZZER
# -----------------------
# clang with libFuzzer, for the fuzz targets (fuzz/, tests/fuzz.sh): CLANG
# (precious) and, where it links a libFuzzer target with ASan and UBSan
# (link test, cached in satomic_cv_libfuzzer), CLANG_FUZZER.
AC_DEFUN([SATOMIC_CHECK_LIBFUZZER], [
AC_PATH_PROGS([CLANG], [clang clang-14])
AC_ARG_VAR([CLANG], [clang, to build the libFuzzer targets])
CLANG_FUZZER=
AS_IF([test -n "$CLANG"], [
	AC_CACHE_CHECK([whether $CLANG builds libFuzzer targets], [satomic_cv_libfuzzer], [
		cat > conftest.c <<_SAT_EOF
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return d && n ? 0 : 0; }
_SAT_EOF
		AS_IF([$CLANG -fsanitize=fuzzer,address,undefined -o conftest$EXEEXT conftest.c \
			>&AS_MESSAGE_LOG_FD 2>&1],
			[satomic_cv_libfuzzer=yes], [satomic_cv_libfuzzer=no])
		rm -f conftest.c conftest$EXEEXT])
	AS_IF([test "$satomic_cv_libfuzzer" = yes], [CLANG_FUZZER=$CLANG])])
AC_SUBST([CLANG_FUZZER])
])
