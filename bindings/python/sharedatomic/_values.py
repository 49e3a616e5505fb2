"""Typed atomic values shared by processes: AtomicInt, AtomicUInt,
AtomicFloat, AtomicBool."""

import ctypes
import os
import secrets

from ._checks import int64, shm_name, uint64
from ._lib import check, lib

__all__ = ["AtomicInt", "AtomicUInt", "AtomicFloat", "AtomicBool"]


def _fn(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


class _Atomic:
    """One value in its own named shared-memory region (a few KiB), so any
    process can open it by name and it pickles by name.  ``name=None``
    makes one with a random name, removed when this object is closed."""

    _ctype = None		# the value's ctypes type
    _width = None		# the library's width suffix

    def __init__(self, value=0, name=None, create=None):
        self._region = None
        owner = name is None
        if owner:
            name = "/sharedatomic-py-%d-%s" % (os.getpid(), secrets.token_hex(6))
            create = True
        self.name = shm_name(name)
        value = self._check(value)
        handle = ctypes.c_void_p()
        bname = self.name.encode()
        created = False
        if create is not False:
            err = lib.satomic_region_create(bname, 64, 0, 0, ctypes.byref(handle))
            if err == 0:
                created = True
            elif not (err == -17 and create is None):	# EEXIST
                check(err, self.name)
        if not created:
            check(lib.satomic_region_open(bname, 0, ctypes.byref(handle)), self.name)
        self._region = handle
        self._owner = owner
        self._pid = os.getpid()
        self._ptr = ctypes.cast(lib.satomic_region_data(handle),
                                ctypes.POINTER(self._ctype))
        if created:
            self.set(value)

    @classmethod
    def _reopen(cls, name):
        return cls(name=name, create=False)

    def __reduce__(self):
        return (type(self)._reopen, (self.name,))

    def _p(self):
        if self._region is None:
            raise ValueError(f"operation on a closed {type(self).__name__}")
        return self._ptr

    def _call(self, op, *args):
        fn = getattr(lib, f"satomic_{op}_{self._width}")
        return fn(self._p(), *args)

    def get(self):
        """Load the value."""
        return self._call("load")

    load = get

    def set(self, value):
        """Store value."""
        self._call("store", self._check(value))

    store = set

    def get_and_set(self, value):
        """Store value and return the one it replaced."""
        return self._call("exchange", self._check(value))

    def compare_and_set(self, expected, new):
        """Store new if the value is expected; True if it did."""
        e = self._ctype(self._check(expected))
        return bool(self._call("cas", ctypes.byref(e), self._check(new)))

    @property
    def value(self):
        return self.get()

    @value.setter
    def value(self, v):
        self.set(v)

    def close(self):
        if self._region is not None:
            lib.satomic_region_close(self._region)
            self._region = None
            if self._owner and os.getpid() == self._pid:
                lib.satomic_region_unlink(self.name.encode())

    def unlink(self):
        check(lib.satomic_region_unlink(self.name.encode()), self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:	# pragma: no cover - interpreter shutdown
            pass

    def __repr__(self):
        if self._region is None:
            return f"<{type(self).__name__} {self.name} closed>"
        return f"<{type(self).__name__} {self.name} = {self.get()!r}>"


class _AtomicInteger(_Atomic):
    def _op(self, op, n):
        return self._call(op, self._check(n))

    def add_and_fetch(self, n):
        return self._op("add_fetch", n)

    def sub_and_fetch(self, n):
        return self._op("sub_fetch", n)

    def and_and_fetch(self, n):
        return self._op("and_fetch", n)

    def or_and_fetch(self, n):
        return self._op("or_fetch", n)

    def xor_and_fetch(self, n):
        return self._op("xor_fetch", n)

    def nand_and_fetch(self, n):
        return self._op("nand_fetch", n)

    def fetch_and_add(self, n):
        return self._op("fetch_add", n)

    def fetch_and_sub(self, n):
        return self._op("fetch_sub", n)

    def fetch_and_and(self, n):
        return self._op("fetch_and", n)

    def fetch_and_or(self, n):
        return self._op("fetch_or", n)

    def fetch_and_xor(self, n):
        return self._op("fetch_xor", n)

    def fetch_and_nand(self, n):
        return self._op("fetch_nand", n)


class AtomicInt(_AtomicInteger):
    """A signed 64-bit integer; arithmetic wraps around."""
    _ctype = ctypes.c_int64
    _width = "i64"

    @staticmethod
    def _check(v):
        return int64(v)


class AtomicUInt(_AtomicInteger):
    """An unsigned 64-bit integer; arithmetic wraps around."""
    _ctype = ctypes.c_uint64
    _width = "u64"

    @staticmethod
    def _check(v):
        return uint64(v)


class AtomicFloat(_Atomic):
    """A double; compare_and_set compares bit patterns."""
    _ctype = ctypes.c_double
    _width = "f64"

    @staticmethod
    def _check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"value must be a float, not {type(v).__name__}")
        return float(v)

    def add_and_fetch(self, n):
        return self.fetch_and_add(n) + self._check(n)

    def fetch_and_add(self, n):
        return self._call("fetch_add", self._check(n))


class AtomicBool(_Atomic):
    """A boolean."""
    _ctype = ctypes.c_uint8
    _width = "u8"

    @staticmethod
    def _check(v):
        if not isinstance(v, (bool, int)) or v not in (0, 1):
            raise TypeError("value must be a bool")
        return int(v)

    def get(self):
        return bool(super().get())

    load = get

    def get_and_set(self, value):
        return bool(super().get_and_set(value))


def _declare_primitives():
    types = {"i64": ctypes.c_int64, "u64": ctypes.c_uint64,
             "f64": ctypes.c_double, "u8": ctypes.c_uint8}
    for w, t in types.items():
        p = ctypes.POINTER(t)
        _fn(f"satomic_load_{w}", t, p)
        _fn(f"satomic_store_{w}", None, p, t)
        _fn(f"satomic_exchange_{w}", t, p, t)
        _fn(f"satomic_cas_{w}", ctypes.c_bool, p, p, t)
    for w in ("i64", "u64"):
        t = types[w]
        for op in ("add", "sub", "and", "or", "xor", "nand"):
            _fn(f"satomic_fetch_{op}_{w}", t, ctypes.POINTER(t), t)
            _fn(f"satomic_{op}_fetch_{w}", t, ctypes.POINTER(t), t)
    _fn("satomic_fetch_add_f64", ctypes.c_double, ctypes.POINTER(ctypes.c_double),
        ctypes.c_double)


_declare_primitives()
