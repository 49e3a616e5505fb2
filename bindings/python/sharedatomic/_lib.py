"""The ctypes binding of libsharedatomic.so.1, and its errors as exceptions."""

import ctypes
import ctypes.util
import errno
import os

__all__ = ["lib", "check", "MapFullError"]


class MapFullError(MemoryError):
    """The map holds as many keys as it may (its max_capacity), or the
    shared-memory file system under it is full.  Nothing was lost."""


def _load():
    # SATOMIC_LIBRARY names the library explicitly (the build tree's tests use it).
    path = os.environ.get("SATOMIC_LIBRARY") or "libsharedatomic.so.1"
    try:
        return ctypes.CDLL(path)
    except OSError:
        found = ctypes.util.find_library("sharedatomic")
        if found is None:
            raise
        return ctypes.CDLL(found)


lib = _load()

_i64, _u64, _int, _p = ctypes.c_int64, ctypes.c_uint64, ctypes.c_int, ctypes.c_void_p
_pi64 = ctypes.POINTER(_i64)


def _declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_declare("satomic_strerror", ctypes.c_char_p, _int)
_declare("satomic_cas128_supported", ctypes.c_bool)
for _name in ("satomic_map_create",):
    _declare(_name, _int, ctypes.c_char_p, _u64, _u64, ctypes.c_uint, ctypes.c_uint,
             ctypes.POINTER(_p))
_declare("satomic_map_open", _int, ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(_p))
_declare("satomic_map_close", _int, _p)
_declare("satomic_map_unlink", _int, ctypes.c_char_p)
_declare("satomic_map_get", _int, _p, _i64, _pi64)
_declare("satomic_map_contains", _int, _p, _i64)
_declare("satomic_map_insert", _int, _p, _i64, _i64)
_declare("satomic_map_put", _int, _p, _i64, _i64, _pi64)
_declare("satomic_map_replace", _int, _p, _i64, _i64, _pi64)
_declare("satomic_map_cas", _int, _p, _i64, _pi64, _i64)
_declare("satomic_map_remove", _int, _p, _i64, _pi64)
_declare("satomic_map_remove_if", _int, _p, _i64, _i64)
for _op in ("exchange", "fetch_add", "fetch_sub", "fetch_and", "fetch_or", "fetch_xor"):
    _declare("satomic_map_" + _op, _int, _p, _i64, _i64, _pi64)
_declare("satomic_map_count", _i64, _p)
_declare("satomic_map_capacity", _i64, _p)
_declare("satomic_map_clear", _int, _p)
_declare("satomic_map_iter_begin", _int, _p, ctypes.POINTER(_p))
_declare("satomic_map_iter_next", _int, _p, _pi64, _pi64)
_declare("satomic_map_iter_end", None, _p)
_declare("satomic_region_create", _int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
         ctypes.c_uint, ctypes.POINTER(_p))
_declare("satomic_region_open", _int, ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(_p))
_declare("satomic_region_create_anon", _int, ctypes.c_size_t, ctypes.c_uint, ctypes.POINTER(_p))
_declare("satomic_region_close", _int, _p)
_declare("satomic_region_unlink", _int, ctypes.c_char_p)
_declare("satomic_region_data", _p, _p)


def check(err, what=""):
    """Raise the Python exception matching a negative errno result."""
    if err >= 0:
        return err
    code = -err
    text = lib.satomic_strerror(err).decode()
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
