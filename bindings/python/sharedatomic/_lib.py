"""Loading libsharedatomic.so.1 and the C extension over it.

The extension ``sharedatomic._native`` is linked against
libsharedatomic.so.1 and holds the hot paths.  The library is looked up:

1. at ``$SATOMIC_LIBRARY`` when that is set (a path to the .so: it is
   loaded first, and the extension then uses it);
2. by the dynamic linker (the extension's run path, ``LD_LIBRARY_PATH``,
   the system directories);
3. under the prefix the package is installed in (``<prefix>/lib`` and
   ``<prefix>/lib64``, and ``sys.prefix``'s), so a ``./configure
   --prefix=P && make install`` next to a package installed in P works.

``lib`` (the library through ctypes, for the ``atomic_dict`` module and
for C functions the extension does not wrap) is loaded on first use.
"""

import ctypes
import ctypes.util
import errno
import os
import sys

__all__ = ["native", "lib", "check", "MapFullError", "LIBRARY"]

LIBRARY = "libsharedatomic.so.1"

_HELP = (
    "sharedatomic needs the C library libsharedatomic.so.1: install it "
    "(Debian: apt install libsharedatomic1; from source: ./configure && "
    "make install), or set SATOMIC_LIBRARY to the path of "
    "libsharedatomic.so.1")


def _candidates():
    """libsharedatomic.so.1 under the prefixes this package may live in."""
    here = os.path.dirname(os.path.abspath(__file__))
    prefixes = []
    # <prefix>/lib*/pythonX.Y/site-packages/sharedatomic -> <prefix>
    p = here
    for _ in range(4):
        p = os.path.dirname(p)
    prefixes.append(p)
    prefixes += [sys.prefix, sys.base_prefix]
    seen = []
    for prefix in prefixes:
        for sub in ("lib", "lib64"):
            path = os.path.join(prefix, sub, LIBRARY)
            if path not in seen:
                seen.append(path)
    return seen


def _preload(path):
    """Load the library globally: the extension's DT_NEEDED then binds to it."""
    try:
        return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError as e:
        raise ImportError(f"SATOMIC_LIBRARY={path} cannot be loaded ({e}); "
                          + _HELP) from None


def _load_native():
    explicit = os.environ.get("SATOMIC_LIBRARY")
    if explicit:
        _preload(explicit)
    try:
        from . import _native
        return _native
    except ImportError as e:
        if explicit or LIBRARY not in str(e):
            if "_native" in str(e) or "No module named" in str(e):
                raise ImportError(
                    "sharedatomic's C extension sharedatomic._native is not "
                    f"in {os.path.dirname(os.path.abspath(__file__))}: "
                    "install the package with pip (it compiles it), or "
                    "make install libsharedatomic configured with Python's "
                    "headers present; the source tree's package has no "
                    f"built extension, so do not import it from there ({e})"
                ) from None
            raise
        first = e
    for path in _candidates():
        if os.path.exists(path):
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            from . import _native
            return _native
    raise ImportError(f"{_HELP} (loading it failed: {first})") from None


native = _load_native()
MapFullError = native.MapFullError

_lib = None


def _load_ctypes():
    global _lib
    if _lib is None:
        path = os.environ.get("SATOMIC_LIBRARY") or LIBRARY
        try:
            handle = ctypes.CDLL(path)
        except OSError:
            found = ctypes.util.find_library("sharedatomic")
            if found is None:
                raise ImportError(_HELP) from None
            handle = ctypes.CDLL(found)
        _declare_all(handle)
        _lib = handle
    return _lib


def __getattr__(name):
    if name == "lib":
        return _load_ctypes()
    raise AttributeError(name)


def _declare_all(lib):
    i64, u64, cint, p = ctypes.c_int64, ctypes.c_uint64, ctypes.c_int, ctypes.c_void_p
    pi64 = ctypes.POINTER(i64)

    def declare(name, restype, *argtypes):
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = list(argtypes)

    declare("satomic_strerror", ctypes.c_char_p, cint)
    declare("satomic_map_get", cint, p, i64, pi64)
    declare("satomic_map_contains", cint, p, i64)
    declare("satomic_map_insert", cint, p, i64, i64)
    declare("satomic_map_put", cint, p, i64, i64, pi64)
    declare("satomic_map_replace", cint, p, i64, i64, pi64)
    declare("satomic_map_cas", cint, p, i64, pi64, i64)
    declare("satomic_map_remove", cint, p, i64, pi64)
    declare("satomic_map_remove_if", cint, p, i64, i64)
    for op in ("exchange", "fetch_add", "fetch_sub", "fetch_and", "fetch_or", "fetch_xor"):
        declare("satomic_map_" + op, cint, p, i64, i64, pi64)
    declare("satomic_map_count", i64, p)
    del u64


def check(err, what=""):
    """Raise the Python exception matching a negative errno result."""
    if err >= 0:
        return err
    code = -err
    text = _load_ctypes().satomic_strerror(err).decode()
    message = f"{what}: {text}" if what else text
    if code == errno.EEXIST:
        raise FileExistsError(code, message)
    if code == errno.ENOENT:
        raise FileNotFoundError(code, message)
    if code in (errno.EPERM, errno.EACCES):
        raise PermissionError(code, message)
    if code == errno.ENOSPC:
        raise MapFullError(message)
    if code == errno.ENOMEM:
        raise MemoryError(message)
    raise OSError(code, message)
