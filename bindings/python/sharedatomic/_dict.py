"""AtomicDict: an int -> int dictionary shared by processes, lock-free."""

import ctypes
import os
import secrets

from ._checks import int64, shm_name
from ._lib import check, lib

__all__ = ["AtomicDict"]

_i64 = ctypes.c_int64


class AtomicDict:
    """A dictionary from int to int that several processes share.

    It lives in a named shared-memory map of libsharedatomic: any process
    that knows the name can open it, and it pickles by name, so it works
    with ``spawn``, ``ProcessPoolExecutor`` and ``multiprocessing`` pools.
    Every single-key operation is atomic (linearizable) and lock-free, and
    any 64-bit signed integer is a key or a value, 0 and negatives included.
    The map grows as needed; ``capacity`` is a hint.

    ``AtomicDict(name=None, capacity=1024, create=None, max_capacity=0)``:

    - ``name``: the map's name ("/name" or "name").  ``None`` makes a fresh
      map with a random name, removed when this object is closed (other
      processes that already opened it keep it until they close it).
    - ``create``: ``True`` must create (``FileExistsError`` if it exists),
      ``False`` must open (``FileNotFoundError`` if absent), ``None`` opens
      or creates.

    Keys and values outside the int64 range raise ``OverflowError``, other
    types ``TypeError``, before anything is written.  A full map raises
    ``MapFullError`` (a ``MemoryError``).
    """

    def __init__(self, name=None, capacity=1024, create=None, max_capacity=0):
        self._map = None
        owner = name is None
        if owner:
            name = "/sharedatomic-py-%d-%s" % (os.getpid(), secrets.token_hex(6))
            create = True
        self.name = shm_name(name)
        capacity = int64(capacity, "capacity")
        max_capacity = int64(max_capacity, "max_capacity")
        handle = ctypes.c_void_p()
        bname = self.name.encode()
        err = -1
        if create is not False:
            err = lib.satomic_map_create(bname, capacity, max_capacity, 0, 0,
                                         ctypes.byref(handle))
            if err == -17 and create is None:	# EEXIST: open it instead
                err = -1
            else:
                check(err, self.name)
        if err < 0:
            check(lib.satomic_map_open(bname, 0, ctypes.byref(handle)), self.name)
        self._map = handle
        self._owner = owner
        self._pid = os.getpid()

    @classmethod
    def _reopen(cls, name):
        return cls(name, create=False)

    def __reduce__(self):
        return (AtomicDict._reopen, (self.name,))

    def _handle(self):
        if self._map is None:
            raise ValueError("operation on a closed AtomicDict")
        return self._map

    # Single keys ------------------------------------------------------

    def __getitem__(self, key):
        out = _i64()
        err = lib.satomic_map_get(self._handle(), int64(key, "key"), ctypes.byref(out))
        if err == -2:
            raise KeyError(key)
        check(err)
        return out.value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key):
        if not isinstance(key, int):
            return False
        return bool(check(lib.satomic_map_contains(self._handle(), int64(key, "key"))))

    def __setitem__(self, key, value):
        k, v = int64(key, "key"), int64(value)
        check(lib.satomic_map_put(self._handle(), k, v, None))

    def __delitem__(self, key):
        err = lib.satomic_map_remove(self._handle(), int64(key, "key"), None)
        if err == -2:
            raise KeyError(key)
        check(err)

    _NO_DEFAULT = object()

    def pop(self, key, default=_NO_DEFAULT):
        """Remove key and return its value (or default, if given, when absent)."""
        old = _i64()
        err = lib.satomic_map_remove(self._handle(), int64(key, "key"), ctypes.byref(old))
        if err == -2:
            if default is AtomicDict._NO_DEFAULT:
                raise KeyError(key)
            return default
        check(err)
        return old.value

    def setdefault(self, key, default=0):
        """Insert key with default if absent; return its value either way."""
        k, v = int64(key, "key"), int64(default)
        while True:
            err = lib.satomic_map_insert(self._handle(), k, v)
            if err == 0:
                return v
            if err != -17:
                check(err)
            try:
                return self[k]
            except KeyError:	# removed meanwhile: insert again
                continue

    def compare_and_swap(self, key, expected, new):
        """Set key to new if its value is expected; True if it did.
        KeyError if the key is absent."""
        k, exp, n = int64(key, "key"), int64(expected, "expected"), int64(new)
        e = _i64(exp)
        err = lib.satomic_map_cas(self._handle(), k, ctypes.byref(e), n)
        if err == -2:
            raise KeyError(key)
        return check(err) == 1

    def _fetch(self, op, key, arg):
        k, a = int64(key, "key"), int64(arg, "argument")
        old = _i64()
        check(getattr(lib, "satomic_map_" + op)(self._handle(), k, a, ctypes.byref(old)))
        return old.value

    def add(self, key, delta=1):
        """Add delta (an absent key counts as 0); return the value before."""
        return self._fetch("fetch_add", key, delta)

    def sub(self, key, delta=1):
        """Subtract delta (an absent key counts as 0); return the value before."""
        return self._fetch("fetch_sub", key, delta)

    def band(self, key, mask):
        """Bitwise and; return the value before (absent counts as 0)."""
        return self._fetch("fetch_and", key, mask)

    def bor(self, key, mask):
        """Bitwise or; return the value before (absent counts as 0)."""
        return self._fetch("fetch_or", key, mask)

    def bxor(self, key, mask):
        """Bitwise xor; return the value before (absent counts as 0)."""
        return self._fetch("fetch_xor", key, mask)

    def swap(self, key, value):
        """Store value; return the value before (absent counts as 0)."""
        return self._fetch("exchange", key, value)

    # The whole map ----------------------------------------------------

    def __len__(self):
        return check(lib.satomic_map_count(self._handle()))

    def capacity(self):
        """Keys the map holds before it next grows."""
        return check(lib.satomic_map_capacity(self._handle()))

    def clear(self):
        """Remove every key (key by key: not atomic as a whole)."""
        check(lib.satomic_map_clear(self._handle()))

    def items(self):
        """(key, value) pairs, weakly consistent: keys present throughout the
        iteration come exactly once; others may or may not."""
        it = ctypes.c_void_p()
        check(lib.satomic_map_iter_begin(self._handle(), ctypes.byref(it)))
        try:
            k, v = _i64(), _i64()
            while check(lib.satomic_map_iter_next(it, ctypes.byref(k), ctypes.byref(v))):
                yield k.value, v.value
        finally:
            lib.satomic_map_iter_end(it)

    def keys(self):
        return (k for k, _ in self.items())

    def values(self):
        return (v for _, v in self.items())

    def __iter__(self):
        return self.keys()

    def update(self, other=(), **kwargs):
        if kwargs:
            raise TypeError("AtomicDict keys are ints: keyword arguments are not keys")
        pairs = other.items() if hasattr(other, "items") else other
        for k, v in pairs:
            self[k] = v

    def copy(self):
        """A plain dict of the current contents."""
        return dict(self.items())

    def __eq__(self, other):
        if isinstance(other, (AtomicDict, dict)):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        state = "closed" if self._map is None else f"{len(self)} keys"
        return f"<AtomicDict {self.name} {state}>"

    # Life -------------------------------------------------------------

    def close(self):
        """Detach; a map this object created without a name is removed."""
        if self._map is not None:
            lib.satomic_map_close(self._map)
            self._map = None
            if self._owner and os.getpid() == self._pid:
                lib.satomic_map_unlink(self.name.encode())

    def unlink(self):
        """Remove the map's name; processes that have it open keep it."""
        check(lib.satomic_map_unlink(self.name.encode()), self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:	# pragma: no cover - interpreter shutdown
            pass
