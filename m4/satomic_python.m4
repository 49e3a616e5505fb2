# SATOMIC_PYTHON_SITEDIR: where the Python modules are installed.
#
# Call after AM_PATH_PYTHON.  --with-python-sitedir=DIR sets pythondir and
# pyexecdir.  Without it, on a Debian-patched Python (its sys.path has dist-packages
# directories) a site-packages directory becomes dist-packages: Debian's
# python3 searches /usr/local/lib/python3.X/dist-packages, never
# site-packages, so `./configure && make install` would give an unimportable
# package.  An explicit am_cv_python_pythondir (debian/rules) is kept as is.
AC_DEFUN([SATOMIC_PYTHON_SITEDIR], [
AC_ARG_WITH([python-sitedir],
  [AS_HELP_STRING([--with-python-sitedir=DIR],
    [install the Python modules in DIR @<:@default: the interpreter's, dist-packages on Debian@:>@])],
  [pythondir=$withval; pyexecdir=$withval],
  [AS_IF([test "$have_python" = yes &&
          $PYTHON -c 'import sys; sys.exit(not any(p.endswith("/dist-packages") for p in sys.path))' 2>/dev/null],
     [pythondir=`echo "$pythondir" | sed 's,/site-packages$,/dist-packages,'`
      pyexecdir=`echo "$pyexecdir" | sed 's,/site-packages$,/dist-packages,'`])])
])

# SATOMIC_PYTHON: the Python binding (--disable-python turns it off).
#
# The binding is the sharedatomic package and its C extension
# sharedatomic._native, so it needs Python >= 3.9 and Python.h.  Sets
# have_python (yes, or "no (why)"), PYTHON_CPPFLAGS, and the conditional
# HAVE_PYTHON.  Python's include directory comes from sysconfig (as pip
# builds extensions), python3-config --includes as a fallback; PYTHON_CPPFLAGS
# overrides both.  Cross builds leave it off: the extension must be built
# against the host's Python, which the build machine's cannot describe.
AC_DEFUN([SATOMIC_PYTHON], [
AC_ARG_ENABLE([python],
  [AS_HELP_STRING([--disable-python],
    [do not build, install or test the Python binding @<:@default: build it when Python >= 3.9 and its headers are found@:>@])],
  [], [enable_python=auto])
AC_ARG_VAR([PYTHON_CPPFLAGS], [flags to find Python.h (default: from sysconfig)])
have_python=no
AS_IF([test "x$enable_python" = xno],
  [have_python="no (--disable-python)"; PYTHON=:],
  [AM_PATH_PYTHON([3.9], [have_python=yes], [have_python="no (no Python >= 3.9)"])])
AS_IF([test "$have_python" = yes && test "$cross_compiling" = yes],
  [have_python="no (cross compiling)"])
AS_IF([test "$have_python" = yes], [
  AS_IF([test -z "$PYTHON_CPPFLAGS"], [
    satomic_py_inc=`$PYTHON -c 'import sysconfig; print(sysconfig.get_paths()[["include"]])' 2>/dev/null`
    AS_IF([test -n "$satomic_py_inc"], [PYTHON_CPPFLAGS="-I$satomic_py_inc"],
      [PYTHON_CPPFLAGS=`$PYTHON-config --includes 2>/dev/null`])])
  satomic_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $PYTHON_CPPFLAGS"
  AC_CACHE_CHECK([for Python.h], [satomic_cv_python_h],
    [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <Python.h>]],
        [[return PyLong_Check(Py_None);]])],
      [satomic_cv_python_h=yes], [satomic_cv_python_h=no])])
  CPPFLAGS=$satomic_save_CPPFLAGS
  AS_IF([test "$satomic_cv_python_h" != yes],
    [AS_IF([test "x$enable_python" = xyes],
       [AC_MSG_ERROR([--enable-python: Python.h not found (install python3-dev, or set PYTHON_CPPFLAGS)])])
     have_python="no (Python.h not found: install python3-dev)"])])
AS_IF([test "x$enable_python" = xyes && test "$have_python" != yes],
  [AC_MSG_ERROR([--enable-python: $have_python])])
AS_IF([test "$have_python" = yes], [satomic_python_yes=yes], [satomic_python_yes=])
AC_SUBST([PYTHON_CPPFLAGS])
AM_CONDITIONAL([HAVE_PYTHON], [test "$have_python" = yes])
])
