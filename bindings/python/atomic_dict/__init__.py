"""atomic_dict: the API of the ``atomic-dict`` package (0.5.0) over libsharedatomic.

Code written against ``atomic-dict`` runs unchanged: ``AtomicDict(max_entries)``
shares with processes ``fork``ed after it was made; ``d[k]`` makes key ``k``
present (value 0 when new) and returns a handle whose ``load``, ``store``,
``swap``, ``add``, ``sub``, ``band``, ``bor``, ``bxor`` and ``cas`` act on
that key atomically; ``add`` ... ``swap`` return the value before, and
``cas(expected, desired)`` returns the value it saw (``expected`` when it
swapped); ``d[k] = v`` stores; iteration yields ``((key,), value)`` pairs,
key as a one-element tuple as in atomic-dict, and is not atomic as a whole.
Keys are non-zero unsigned 64-bit integers, values unsigned 64-bit (32-bit
with ``v64=0, v32=1``) and arithmetic wraps around as in C.

Differences, on purpose: ``max_entries`` is a hint (the map grows, up to
16 times ``max_entries`` keys, at least 2**20, then raises
``MapFullError``, where atomic-dict stops at ``max_entries``; it reserves
address space for that many, 1.5 to 3 KiB a key of ``max_entries`` and
at least 128 MiB, so that ``AtomicDict(2**20)`` fits under a ``ulimit -v``
of 4 GiB).  Each dict
or set holds one open file descriptor, where atomic-dict's anonymous
``mmap`` holds none: the map's memory is a shared-memory file of a random
name (``/dev/shm/sharedatomic-py-*``, removed as an unnamed
``sharedatomic.AtomicDict`` is) that it grows into (allocating
first, so that a full ``/dev/shm`` is an error, not a ``SIGBUS``); so at
most ``ulimit -n`` of them, less the process's other files, are open at
once, and one more raises ``OSError`` (``EMFILE``).  Keys of up to 64 bits work: one
64-bit word (``k64=1``) or one or two 32-bit words (``k64=0, k32=1`` or
``2``; two words are packed into one map key, the first in the high bits).
``AtomicSet(max_entries, k64=1, k32=0)`` holds keys alone: ``add(key)`` is
True when that call added the key, and iteration yields ``((key,), True)``.
Not supported: longer keys (``k64`` > 1, or ``k64=1`` with ``k32`` > 0) and
an ``AtomicDict`` without one value word: they raise
``NotImplementedError``.  For more than
this (names, pickling, ``len``, ``del``), use :class:`sharedatomic.AtomicDict`.
"""

import ctypes

from sharedatomic import AtomicDict as _SharedDict
from sharedatomic._lib import check as _check, lib as _lib

__all__ = ["AtomicDict", "AtomicSet", "AtomicValue64", "AtomicValue32"]
__version__ = "0.5.0"

_ENOENT, _EEXIST = -2, -17
_M64 = (1 << 64) - 1
# How far past max_entries a dict grows.  The library's default, 64 times,
# would reserve 8 GiB of address space for 2**20: too much for a ulimit -v.
_GROWTH, _MIN_MAX = 16, 1 << 20


def _key(k):
    if not isinstance(k, int):
        raise TypeError(f"key must be an int, not {type(k).__name__}")
    if not 0 < k <= _M64:
        raise ValueError(f"key {k} is not a non-zero unsigned 64-bit integer")
    return k - (1 << 64) if k >> 63 else k


def _signed(v, mask):
    if not isinstance(v, int):
        raise TypeError(f"value must be an int, not {type(v).__name__}")
    v &= mask
    return v - (1 << 64) if v >> 63 else v


class AtomicValue64:
    """The value of one key of an :class:`AtomicDict`; every method is atomic."""

    __slots__ = ("_m", "_k", "_owner")
    _mask = _M64

    def __init__(self, m, k, owner):
        # owner: the map's Python object, kept alive while a handle is, so
        # that the map cannot be closed (unmapped) under it.
        self._m, self._k, self._owner = m, k, owner

    def _op(self, op, x):
        old = ctypes.c_int64()
        _check(getattr(_lib, "satomic_map_" + op)(self._m, self._k, _signed(x, self._mask),
                                                  ctypes.byref(old)))
        return old.value & self._mask

    def load(self) -> int:
        """The current value."""
        out = ctypes.c_int64()
        err = _lib.satomic_map_get(self._m, self._k, ctypes.byref(out))
        if err == _ENOENT:
            return 0
        _check(err)
        return out.value & self._mask

    def store(self, x: int) -> None:
        """Set the value to x."""
        _check(_lib.satomic_map_put(self._m, self._k, _signed(x, self._mask), None))

    def swap(self, x: int) -> int:
        """Set the value to x; return the value before."""
        return self._op("exchange", x)

    def add(self, x: int) -> int:
        """Add x (wrapping around); return the value before."""
        if self._mask != _M64:
            return self._cas_loop(lambda v: v + x)
        return self._op("fetch_add", x)

    def sub(self, x: int) -> int:
        """Subtract x (wrapping around); return the value before."""
        if self._mask != _M64:
            return self._cas_loop(lambda v: v - x)
        return self._op("fetch_sub", x)

    def band(self, x: int) -> int:
        """Bitwise and with x; return the value before."""
        return self._op("fetch_and", x)

    def bor(self, x: int) -> int:
        """Bitwise or with x; return the value before."""
        return self._op("fetch_or", x)

    def bxor(self, x: int) -> int:
        """Bitwise xor with x; return the value before."""
        return self._op("fetch_xor", x)

    def cas(self, expected: int, desired: int) -> int:
        """Set the value to desired if it is expected; return the value seen
        (equal to expected exactly when it was set)."""
        e0, d = _signed(expected, self._mask), _signed(desired, self._mask)
        while True:
            e = ctypes.c_int64(e0)
            err = _lib.satomic_map_cas(self._m, self._k, ctypes.byref(e), d)
            if err != _ENOENT:
                # Swapped: expected itself, also where it was out of range
                # and wrapped (cas(-1, x) of 2**64 - 1 returns -1).
                return expected if _check(err) == 1 else e.value & self._mask
            # Removed meanwhile (not by this API): absent reads 0.
            if e0 != 0:
                return 0
            err = _lib.satomic_map_insert(self._m, self._k, d)
            if err == 0:
                return expected
            if err != _EEXIST:      # e.g. a full map: no use trying again
                _check(err)

    def _cas_loop(self, f):
        # Only the 32-bit values need it: the map's words are 64-bit.
        while True:
            old = self.load()
            if self.cas(old, f(old) & self._mask) == old:
                return old

    def __repr__(self):
        return f"<{type(self).__name__} {self.load()}>"


class AtomicValue32(AtomicValue64):
    """An :class:`AtomicValue64` whose value is unsigned 32-bit."""

    __slots__ = ()
    _mask = (1 << 32) - 1


class _AtomicBase:
    """What AtomicDict and AtomicSet share, as in atomic-dict: the key
    layout (k64 64-bit words, or k32 32-bit ones) and the map beneath."""

    def __init__(self, max_entries, k64, k32, v64, v32):
        for name, n in (("k64", k64), ("k32", k32), ("v64", v64), ("v32", v32)):
            if not isinstance(n, int) or n < 0:
                raise ValueError(f"{name} must be a non-negative int, not {n!r}")
        if 64 * k64 + 32 * k32 > 64 or k64 + k32 == 0:
            raise NotImplementedError(
                "keys of at most 64 bits are supported (k64=1, or k32=1 or 2 with "
                f"k64=0), not k64={k64}, k32={k32}: libsharedatomic's map has "
                "int64 keys")
        if v64 + v32 != self._value_words:
            raise NotImplementedError(
                "exactly one value word (v64=1 or v32=1) is supported; "
                "for a set use AtomicSet")
        if not isinstance(max_entries, int) or max_entries < 0:
            raise ValueError(f"max_entries must be a non-negative int, not {max_entries!r}")
        capacity = max(max_entries, 1)
        self._d = _SharedDict(capacity=capacity,
                              max_capacity=max(capacity * _GROWTH, _MIN_MAX))
        self._m = self._d._handle()
        self._widths = (64,) * k64 + (32,) * k32

    def _pack(self, key):
        """The map's int64 key for an atomic-dict key (an int when it is one
        word, else a tuple of words, the first in the high bits)."""
        words = key if isinstance(key, tuple) else (key,)
        if len(words) != len(self._widths):
            raise TypeError(f"expected {len(self._widths)} key word(s), got {len(words)}")
        if self._widths == (64,):
            return _key(words[0])
        k = 0
        for w, width in zip(words, self._widths):
            if not isinstance(w, int):
                raise TypeError(f"key word must be an int, not {type(w).__name__}")
            if not 0 <= w < (1 << width):
                raise ValueError(f"key word {w} is not an unsigned {width}-bit integer")
            k = (k << width) | w
        return _key(k)

    def _unpack(self, k):
        k &= _M64
        if self._widths == (64,):
            return (k,)
        return (k >> 32, k & 0xFFFFFFFF) if len(self._widths) == 2 else (k,)

    def _insert(self, key):
        """Make key present (value 0 if new); its map key, and whether it
        was new."""
        k = self._pack(key)
        err = _lib.satomic_map_insert(self._m, k, 0)
        if err != _EEXIST:
            _check(err)
        return k, err == 0


class AtomicDict(_AtomicBase):
    """An unsigned-int -> unsigned-int dictionary shared with forked children.

    ``AtomicDict(max_entries, k64=1, k32=0, v64=1, v32=0)``: see the module's
    documentation.
    """

    _value_words = 1

    def __init__(self, max_entries: int, k64: int = 1, k32: int = 0,
                 v64: int = 1, v32: int = 0) -> None:
        super().__init__(max_entries, k64, k32, v64, v32)
        self._value = AtomicValue32 if v32 else AtomicValue64

    def __getitem__(self, key):
        """The value handle of key, which becomes present (0 if new)."""
        k, _ = self._insert(key)
        return self._value(self._m, k, self._d)

    def __setitem__(self, key, value: int) -> None:
        """Store value under key."""
        _check(_lib.satomic_map_put(self._m, self._pack(key), _signed(value, self._value._mask), None))

    def __iter__(self):
        """((key,), value) pairs; NOT atomic as a whole (weakly consistent)."""
        mask = self._value._mask
        for k, v in self._d.items():
            yield (self._unpack(k), v & mask)


class AtomicSet(_AtomicBase):
    """A set of unsigned ints shared with forked children (no removal).

    ``AtomicSet(max_entries, k64=1, k32=0)``: keys as in :class:`AtomicDict`.
    """

    _value_words = 0

    def __init__(self, max_entries: int, k64: int = 1, k32: int = 0) -> None:
        super().__init__(max_entries, k64, k32, 0, 0)

    def add(self, key) -> bool:
        """Make key a member; True if this call added it, False if it was
        one already (atomic: of racing adds of one key, one gets True)."""
        return self._insert(key)[1]

    def __iter__(self):
        """((key,), True) pairs, as atomic-dict's; NOT atomic as a whole."""
        for k in self._d.keys():
            yield (self._unpack(k), True)
