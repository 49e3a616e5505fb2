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
