#!/bin/sh
# The Python binding's unittest suite, and the compat module's, against this
# build (not an installed copy).
set -u
srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
PYTHON=${PYTHON:-python3}
# pip's metadata and the module carry the library's version.
version=$(sed -n 's/^m4_define(\[SATOMIC_VERSION\], \[\(.*\)\])$/\1/p' "$srcdir/configure.ac")
grep -qx "version = \"$version\"" "$srcdir/bindings/python/pyproject.toml" &&
grep -qx "__version__ = \"$version\"" "$srcdir/bindings/python/sharedatomic/__init__.py" ||
	{ echo "FAIL: pyproject.toml or __version__ is not $version (configure.ac)"; exit 1; }
case $PYTHON in ""|:) echo "SKIP: no Python >= 3.9 found by configure"; exit 77 ;; esac
[ "${CROSS_COMPILING:-no}" = no ] ||
	{ echo "SKIP: the build machine's Python cannot load a ${HOST_CPU:-cross-built} library"; exit 77; }
command -v "$PYTHON" >/dev/null || { echo "SKIP: $PYTHON not found"; exit 77; }
[ "${PYTHON_BINDING:-yes}" = yes ] ||
	{ echo "SKIP: configure did not build the Python binding (--disable-python, or no Python.h: install python3-dev)"; exit 77; }
SATOMIC_LIBRARY=$top_builddir/src/.libs/libsharedatomic.so.1
SATOMIC_COMPAT=$top_builddir/compat/.libs/shared_atomic.so
# The package as installed: the source's modules beside the built extension.
native=$top_builddir/bindings/python/sharedatomic/.libs/_native.so
[ -f "$native" ] || { echo "FAIL: $native not built"; exit 1; }
stage=$top_builddir/bindings/python/.tests
rm -rf "$stage" && mkdir -p "$stage/sharedatomic" "$stage/atomic_dict" || exit 1
cp "$srcdir"/bindings/python/sharedatomic/*.py "$srcdir"/bindings/python/sharedatomic/py.typed \
	"$native" "$stage/sharedatomic/" &&
cp "$srcdir"/bindings/python/atomic_dict/*.py "$stage/atomic_dict/" || exit 1
PYTHONPATH=$stage${PYTHONPATH:+:$PYTHONPATH}
export SATOMIC_LIBRARY SATOMIC_COMPAT PYTHONPATH
# A sanitized library in an interpreter that is not: its runtime must be
# loaded first.  The interpreter's own allocations at exit are not ours.
case ${SANITIZE:-no} in
asan)	LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
	ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	export LD_PRELOAD ASAN_OPTIONS ;;
tsan)	echo "SKIP: ThreadSanitizer's runtime crashes Python at start (even alone)"
	exit 77 ;;
esac
# README: `python3 bindings/python/bench.py` measures the hot paths (the
# package it finds, never the unbuilt source package beside it).
"$PYTHON" "$srcdir/bindings/python/bench.py" --ops 2000 --procs 1 --repeat 1 \
	>"$stage/bench.out" 2>&1 && grep -q "AtomicInt" "$stage/bench.out" ||
	{ echo "FAIL: bench.py:"; cat "$stage/bench.out"; exit 1; }
echo "ok: bindings/python/bench.py runs"
cd "$srcdir/bindings/python/tests"
"$PYTHON" -m unittest -v test_dict test_values test_compat test_atomic_dict_api test_mapping || exit 1
# atomic-dict 0.5.0's own test, verbatim, against our atomic_dict module.
# Its AtomicDict(1024*1024) reserves 2 GiB of address space (atomic_dict's
# documentation): below 3 GiB of ulimit -v it cannot run here.
limit=$(ulimit -v)
if [ "$limit" != unlimited ] && [ "$limit" -lt 3145728 ]; then
	echo "SKIP (part): atomic-dict's test needs 2 GiB of address space; ulimit -v is $limit KiB"
else
	echo "atomic-dict's tests/test_atomic_dict.py:"
	out=$("$PYTHON" atomic-dict/test_atomic_dict.py) || { printf '%s\n' "$out"; exit 1; }
	printf '%s\n' "$out"
	case $out in *"OK!"*) ;; *) echo "FAIL: no OK! from test_atomic_dict.py"; exit 1 ;; esac
fi
