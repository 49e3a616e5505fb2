#!/bin/sh
# `pip install ./bindings/python` in a fresh venv, as README.md tells Python
# users, against this build's library: the package installs, imports from
# the venv (not from the tree), finds libsharedatomic.so.1 without
# LD_LIBRARY_PATH, and works; installed again against a library elsewhere,
# it is built afresh (a stale build/ is not reused).  No index is used (--no-index
# --no-build-isolation): setuptools and wheel come from the system's
# packages through --system-site-packages.  In make check-long: pip takes
# a while.
set -u
srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
PYTHON=${PYTHON:-python3}
case $PYTHON in ""|:) echo "SKIP: no Python >= 3.9 found by configure"; exit 77 ;; esac
[ "${PYTHON_BINDING:-yes}" = yes ] ||
	{ echo "SKIP: configure did not build the Python binding"; exit 77; }
[ "${SANITIZE:-no}" = no ] || { echo "SKIP: a sanitized library in an unsanitized Python"; exit 77; }
# setuptools builds wheels itself from 70.1 on, with the wheel package before.
"$PYTHON" -c 'import ensurepip, setuptools
try:
    import setuptools.command.bdist_wheel
except ImportError:
    import wheel' 2>/dev/null ||
	{ echo "SKIP: $PYTHON lacks venv, setuptools or wheel (Debian: python3-venv python3-setuptools python3-wheel)"; exit 77; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# A copy: pip writes build/ and *.egg-info beside setup.py, and the source
# tree may be read-only (make distcheck).
cp -R "$srcdir/bindings/python" "$tmp/src" && chmod -R u+w "$tmp/src" &&
	rm -rf "$tmp/src/tests" || exit 1
"$PYTHON" -m venv --system-site-packages "$tmp/venv" || { echo "FAIL: venv"; exit 1; }
SATOMIC_CFLAGS="-I$srcdir/include -I$top_builddir/include" \
SATOMIC_LIBS="-L$top_builddir/src/.libs -lsharedatomic" \
	"$tmp/venv/bin/pip" install -q --no-index --no-build-isolation "$tmp/src" \
	>"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; echo "FAIL: pip install"; exit 1; }

cd "$tmp" || exit 1
out=$(env -u SATOMIC_LIBRARY -u LD_LIBRARY_PATH -u PYTHONPATH "$tmp/venv/bin/python" -c '
import sharedatomic, atomic_dict
d = sharedatomic.AtomicDict(capacity=64)
d[0] = -1
d[-5] = 7
n = sharedatomic.AtomicInt()
n += 41
n += 1
print(sharedatomic.__file__)
print(sorted(d.items()), int(n), sharedatomic.__version__)
d.close()
n.close()
') || { printf '%s\n' "$out"; echo "FAIL: the installed package does not work"; exit 1; }
printf '%s\n' "$out"
case $out in
"$tmp/venv/"*"/sharedatomic/__init__.py
[(-5, 7), (0, -1)] 42 "*) echo "ok: pip-installed package works from the venv" ;;
*) echo "FAIL: unexpected output"; exit 1 ;;
esac

# Installed again from the same directory (its build/ kept) against the
# library in another place: the new extension's run path is the new place,
# not the one a stale build/ would keep.
mkdir "$tmp/other" && cp -P "$top_builddir"/src/.libs/libsharedatomic.so* "$tmp/other/" || exit 1
"$PYTHON" -m venv --system-site-packages "$tmp/venv2" || { echo "FAIL: venv"; exit 1; }
SATOMIC_CFLAGS="-I$srcdir/include -I$top_builddir/include" \
SATOMIC_LIBS="-L$tmp/other -lsharedatomic" \
	"$tmp/venv2/bin/pip" install -q --no-index --no-build-isolation "$tmp/src" \
	>"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; echo "FAIL: pip install again"; exit 1; }
ext=$(ls "$tmp"/venv2/lib/python*/site-packages/sharedatomic/_native*.so) || exit 1
runpath=$(readelf -d "$ext" | sed -n 's/.*R.*PATH.*\[\(.*\)\]/\1/p')
case $runpath in
"$tmp/other") echo "ok: a second install is built afresh (run path $runpath)" ;;
*) echo "FAIL: the second install kept a stale build: run path '$runpath'"; exit 1 ;;
esac
