"""Typed atomic values shared by processes: AtomicInt, AtomicUInt,
AtomicFloat, AtomicBool."""

import os
from typing import Any, Optional

from . import _tracker
from ._checks import name_and_create, shm_name
from ._lib import native

__all__ = ["AtomicInt", "AtomicUInt", "AtomicFloat", "AtomicBool"]

_I64, _U64, _F64, _BOOL = 0, 1, 2, 3


class _Atomic:
    """Life, naming and pickling shared by the value types (a mixin over
    the C cores native.Value / native.IntValue)."""

    __slots__ = ()
    _kind = -1

    def __init__(self, value: Any = 0, name: Optional[str] = None,
                 create: Optional[bool] = None) -> None:
        name, create, owner = name_and_create(name, create)
        self.name = shm_name(name)
        self._owner = owner
        self._pid = os.getpid()
        created = False
        if create is not False:
            if owner:
                _tracker.register(self.name)
            try:
                try:
                    self._create(value)
                    created = True
                except FileExistsError:
                    if create:
                        raise
            except BaseException:
                if owner:
                    _tracker.unregister(self.name)
                raise
        if not created:
            self._attach(self.name, self._kind, 0)

    def _create(self, value: Any) -> None:
        """Create the segment unpublished, write value, then publish the
        name: whoever opens it sees value, never the 0 of a new segment.
        FileExistsError (and nothing left behind) if the name exists."""
        self._attach(self.name, self._kind, 1)
        try:
            self.set(value)
            self._publish(self.name)
        except BaseException:
            self._close()  # unpublished: removed with it
            raise

    @classmethod
    def _reopen(cls, name: str):
        return cls(name=name, create=False)

    def __reduce__(self):
        return (type(self)._reopen, (self.name,))

    load = property(lambda self: self.get, doc="The same as get.")
    store = property(lambda self: self.set, doc="The same as set.")

    @property
    def value(self) -> Any:
        """The value (an atomic load; assigning stores atomically)."""
        return self.get()

    @value.setter
    def value(self, v: Any) -> None:
        self.set(v)

    def close(self) -> None:
        """Detach; a value this object created without a name is removed."""
        if not self.closed:
            self._close()
            if self._owner and os.getpid() == self._pid:
                try:
                    native.region_unlink(self.name)
                except FileNotFoundError:
                    pass
                _tracker.unregister(self.name)

    def unlink(self) -> None:
        """Remove the value's name; processes that have it open keep it."""
        native.region_unlink(self.name)
        if self._owner and os.getpid() == self._pid:
            self._owner = False
            _tracker.unregister(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        if self.closed:
            return f"<{type(self).__name__} {self.name!r} closed>"
        return f"{type(self).__name__}({self.get()!r}, name={self.name!r})"

    # Numbers: a snapshot of the value where that is unambiguous.

    __hash__ = None  # type: ignore[assignment]  # mutable: no hash

    def __eq__(self, other: object) -> bool:
        """Compares the current value (another atomic's value too)."""
        return self.get() == _plain(other)

    def __lt__(self, other):
        return self.get() < _plain(other)

    def __le__(self, other):
        return self.get() <= _plain(other)

    def __gt__(self, other):
        return self.get() > _plain(other)

    def __ge__(self, other):
        return self.get() >= _plain(other)

    def __bool__(self) -> bool:
        return bool(self.get())

    def __float__(self) -> float:
        return float(self.get())

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec)


def _plain(n: Any) -> Any:
    """An operand's value: another atomic's, read once."""
    return n.get() if isinstance(n, _Atomic) else n


class _AtomicNumber(_Atomic):
    """Arithmetic on a snapshot of the value: AtomicInt, AtomicUInt and
    AtomicFloat (AtomicBool is no number: True + 1 would be ambiguous)."""

    __slots__ = ()

    def __int__(self) -> int:
        return int(self.get())

    def __add__(self, n):
        return self.get() + _plain(n)

    __radd__ = __add__

    def __sub__(self, n):
        return self.get() - _plain(n)

    def __rsub__(self, n):
        return n - self.get()


class _AtomicInteger(_AtomicNumber):
    __slots__ = ()

    __index__ = _AtomicNumber.__int__

    def __iadd__(self, n: int):
        """a += n: one atomic add (not a load and a store)."""
        self.add_and_fetch(_plain(n))
        return self

    def __isub__(self, n: int):
        """a -= n: one atomic subtract."""
        self.sub_and_fetch(_plain(n))
        return self

    def __iand__(self, n: int):
        """a &= n: one atomic and."""
        self.and_and_fetch(_plain(n))
        return self

    def __ior__(self, n: int):
        """a |= n: one atomic or."""
        self.or_and_fetch(_plain(n))
        return self

    def __ixor__(self, n: int):
        """a ^= n: one atomic xor."""
        self.xor_and_fetch(_plain(n))
        return self


class AtomicInt(_AtomicInteger, native.IntValue):
    """A signed 64-bit integer in shared memory; arithmetic wraps around.

    ``AtomicInt(value=0, name=None, create=None)``: ``name=None`` makes a
    fresh one with a random name, removed when closed (or when this process
    dies); ``create`` as for AtomicDict.  It pickles by name.  ``value`` is
    written before the name appears, so every process that opens the name
    sees it (or what was stored since), never 0: many processes may all
    call ``AtomicInt(7, name=n)``; one creates it, the others open it, and
    the others' ``value`` is ignored.  Opening the name as another type
    (``AtomicFloat(name=n)``) raises ``TypeError``.

    Atomic operations: get/set (and the ``value`` property), get_and_set,
    compare_and_set, add_and_fetch ... nand_and_fetch (return the new
    value), fetch_and_add ... fetch_and_nand (return the old one).
    ``a += n`` (also -=, &=, |=, ^=) is one atomic operation.  As a number:
    ``int(a)``, ``a == 3``, ``a < b``, ``a + 1`` read the current value.
    """

    __slots__ = ("name", "_owner", "_pid", "__weakref__")
    _kind = _I64


class AtomicUInt(_AtomicInteger, native.IntValue):
    """An unsigned 64-bit integer in shared memory; arithmetic wraps
    around.  The same operations as AtomicInt; their operand may be
    negative, as in C (``u += -1`` and ``u.add_and_fetch(-1)`` subtract
    one), where a value stored must not be."""

    __slots__ = ("name", "_owner", "_pid", "__weakref__")
    _kind = _U64


class AtomicFloat(_AtomicNumber, native.Value):
    """A double in shared memory: get/set, get_and_set, compare_and_set
    (compares bit patterns: -0.0 differs from 0.0), add_and_fetch and
    fetch_and_add (a compare-and-swap loop); ``a += x`` and ``a -= x`` are
    atomic.  As a number: ``float(a)``, ``int(a)``, ``a == 0.5``,
    ``a < b``, ``a + 1`` read the current value."""

    __slots__ = ("name", "_owner", "_pid", "__weakref__")
    _kind = _F64

    def fetch_and_add(self, n: float) -> float:
        """Add n atomically; return the value before."""
        return self._fetch_add_float(n)

    def add_and_fetch(self, n: float) -> float:
        """Add n atomically; return the value after."""
        return self._fetch_add_float(n) + float(n)

    def __iadd__(self, n: float):
        """a += n: one atomic add."""
        self._fetch_add_float(_plain(n))
        return self

    def __isub__(self, n: float):
        """a -= n: one atomic add of -n."""
        n = _plain(n)
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            raise TypeError(f"a number is needed, not {type(n).__name__}")
        self._fetch_add_float(-float(n))
        return self


class AtomicBool(_Atomic, native.Value):
    """A boolean in shared memory: get/set, get_and_set, compare_and_set;
    ``bool(a)``, ``a == True`` read it.  No arithmetic and no in-place
    operators: use compare_and_set or get_and_set to change it."""

    __slots__ = ("name", "_owner", "_pid", "__weakref__")
    _kind = _BOOL

    def __init__(self, value: bool = False, name: Optional[str] = None,
                 create: Optional[bool] = None) -> None:
        super().__init__(value, name, create)
