"""AtomicDict: an int -> int dictionary shared by processes, lock-free."""

import errno
import os
from collections.abc import ItemsView, Iterable, Iterator, Mapping, MutableMapping, ValuesView
from typing import Any, Optional, Tuple, Union

from . import _tracker
from ._checks import count, name_and_create, shm_name
from ._lib import native

__all__ = ["AtomicDict"]


class _Values(ValuesView):
    """The values of an AtomicDict (a live view, weakly consistent)."""

    __slots__ = ()

    def __iter__(self):
        return self._mapping._iterate(1)

    def __contains__(self, value):
        # Not ValuesView's (a lookup per key, which raises KeyError when
        # another process removes that key meanwhile): one iteration.
        return any(v is value or v == value for v in self._mapping._iterate(1))


class _Items(ItemsView):
    """The (key, value) pairs of an AtomicDict (a live view, weakly
    consistent: each pair is read atomically)."""

    __slots__ = ()

    def __iter__(self):
        return self._mapping._iterate(2)


class AtomicDict(native.Map, MutableMapping):
    """A dictionary from int to int that several processes share.

    It lives in a named shared-memory map of libsharedatomic: any process
    that knows the name can open it, and it pickles by name, so it works
    with ``spawn``, ``ProcessPoolExecutor`` and ``multiprocessing`` pools.
    So ``copy.copy(d)`` and ``copy.deepcopy(d)`` are another handle on the
    same map; ``d.copy()`` is a plain dict of its contents.  Every single-key operation is atomic (linearizable) and lock-free, and
    any 64-bit signed integer is a key or a value, 0 and negatives included.
    The map grows as needed; ``capacity`` is a hint.

    ``AtomicDict(name=None, capacity=1024, create=None, max_capacity=0)``:

    - ``name``: the map's name ("/name" or "name": up to 255 bytes, no
      other "/").  ``None`` makes a fresh map with a random name, removed
      when this object is closed or garbage-collected, and also after this
      process dies without closing it (even by SIGKILL: the
      ``multiprocessing`` resource tracker removes it once every process
      sharing the tracker has ended: a child that shares its parent's
      tracker leaves it until the parent program ends).  Processes that
      already opened it keep it until they close it.
    - ``create``: ``True`` must create (``FileExistsError`` if it exists),
      ``False`` must open (``FileNotFoundError`` if absent; ``ValueError``
      without a name), ``None`` opens or creates.
    - ``capacity``: keys expected (a hint; >= 0; default 1024).
      ``max_capacity``: the most keys it may ever hold (0: 64 times
      capacity, at least 2**20; below capacity: ``ValueError``).

    It is a ``collections.abc.MutableMapping``: ``d[k]``, ``d[k] = v``,
    ``del d[k]``, ``k in d``, ``len``, ``get``, ``pop``, ``popitem``,
    ``setdefault``, ``update``, ``clear``, the ``keys()``, ``values()`` and
    ``items()`` views, ``==`` with any mapping, ``|`` and ``|=``.  Atomic
    extras: ``add``, ``sub``, ``band``, ``bor``, ``bxor``, ``swap``,
    ``insert`` and ``compare_and_swap``.

    Writing a key or value that is not an int raises ``TypeError``, one
    outside the int64 range ``OverflowError``, before that pair is written
    (``update`` and ``|=`` store pair by pair: the pairs before it stay).
    Looking up such a key finds nothing (``KeyError``, ``get`` returns the
    default, ``in`` is False), as a dict of ints would answer for a str.
    Unlike a dict, it also finds nothing for a key that equals an int
    without being one (``1.0``, ``Decimal(3)``).  A full map
    raises ``MapFullError`` (a ``MemoryError``).  Iteration is weakly
    consistent: keys present throughout come exactly once, others may or
    may not; it never raises because of concurrent writers.  An iterator
    holds one of the map's 512 registry slots (shared by every process's
    writer threads) only from its first ``next()`` until it is exhausted
    or collected: ``iter(d)`` alone holds none, but with hundreds of
    iterators started and not finished, writers anywhere get
    ``BlockingIOError`` (and so does the ``next()`` that would start one
    more).  After ``close()``, an iterator raises ``ValueError`` at its
    next ``next()``, started or not.  A started iterator belongs to its
    process: in a child that ``fork`` copied it into, ``next()`` raises
    ``PermissionError`` and the parent's iteration goes on unharmed (one
    not yet started starts in the child as usual).
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: Optional[str] = None, capacity: int = 1024,
                 create: Optional[bool] = None, max_capacity: int = 0) -> None:
        name, create, owner = name_and_create(name, create)
        self.name = shm_name(name)
        capacity = count(capacity, "capacity")
        max_capacity = count(max_capacity, "max_capacity")
        if max_capacity and max_capacity < capacity:
            raise ValueError(f"max_capacity {max_capacity} is below capacity {capacity}")
        self._owner = owner
        self._pid = os.getpid()
        if create is not False:
            try:
                if owner:
                    _tracker.register(self.name)
                self._create(self.name, capacity, max_capacity)
                return
            except FileExistsError:
                if owner:
                    _tracker.unregister(self.name)
                if create:
                    raise
            except OSError as e:
                if owner:
                    _tracker.unregister(self.name)
                if e.errno in (errno.EINVAL, errno.EFBIG):
                    # name and sizes were checked: the sizes are too large
                    raise ValueError(
                        f"capacity {capacity} / max_capacity {max_capacity}: too "
                        "large for this process's address space or its limits "
                        "(RLIMIT_AS: ulimit -v; RLIMIT_FSIZE: ulimit -f)") from e
                raise
            except BaseException:
                if owner:
                    _tracker.unregister(self.name)
                raise
        self._open(self.name)

    @classmethod
    def _reopen(cls, name: str) -> "AtomicDict":
        return cls(name, create=False)

    def __reduce__(self):
        return (type(self)._reopen, (self.name,))

    @classmethod
    def fromkeys(cls, iterable: Iterable[int], value: int = 0, **kwargs: Any) -> "AtomicDict":
        """A new AtomicDict (unnamed unless ``name=`` is given in kwargs)
        with every key of iterable set to value."""
        d = cls(**kwargs)
        for k in iterable:
            d[k] = value
        return d

    # The views and the mixins that need care under concurrency --------

    def keys(self):
        """A live view of the keys: len, in, iteration, set operations."""
        return super().keys()

    def values(self):
        """A live view of the values: len, in, iteration."""
        return _Values(self)

    def items(self):
        """A live view of the (key, value) pairs: len, in, iteration, set
        operations.  Each pair is read atomically; the whole is weakly
        consistent."""
        return _Items(self)

    def popitem(self) -> Tuple[int, int]:
        """Remove and return some (key, value) pair; KeyError when empty.
        Atomic: the pair returned was removed by this call."""
        for k in self._iterate(0):
            try:
                return k, self.pop(k)
            except KeyError:  # removed meanwhile by someone else
                continue
        raise KeyError("popitem(): AtomicDict is empty")

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Set every (key, value) of other (a mapping or pairs); each store
        is atomic, the whole is not.  Keyword arguments would be str keys:
        TypeError."""
        if kwargs:
            raise TypeError("AtomicDict keys are ints: keyword arguments are not keys")
        # As dict.update: a Mapping's items, else an object's keys() and
        # [key] (sqlite3.Row, ...), else (key, value) pairs.
        if isinstance(other, Mapping):
            pairs = other.items()
        elif hasattr(other, "keys"):
            pairs = ((k, other[k]) for k in other.keys())
        else:
            pairs = other
        for k, v in pairs:
            self[k] = v

    def copy(self) -> dict:
        """A plain dict of the current contents (weakly consistent)."""
        return dict(self._iterate(2))

    def __or__(self, other: Mapping) -> dict:
        """self | other: a plain dict of both (other's values win)."""
        if not isinstance(other, Mapping):
            return NotImplemented
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other: Mapping) -> dict:
        """other | self: a plain dict of both (self's values win)."""
        if not isinstance(other, Mapping):
            return NotImplemented
        out = dict(other)
        out.update(self._iterate(2))
        return out

    def __ior__(self, other: Union[Mapping, Iterable]) -> "AtomicDict":
        """self |= other: update in place."""
        self.update(other)
        return self

    def __eq__(self, other: object) -> bool:
        """Equal to any mapping with the same pairs (compares snapshots)."""
        if not isinstance(other, Mapping):
            return NotImplemented
        return self.copy() == dict(other.items())

    def __repr__(self) -> str:
        if self.closed:
            return f"<AtomicDict {self.name!r} closed>"
        shown, more = [], False
        for i, (k, v) in enumerate(self._iterate(2)):
            if i == 20:
                more = True
                break
            shown.append(f"{k}: {v}")
        body = ", ".join(shown) + (", ..." if more else "")
        return f"AtomicDict({{{body}}}, name={self.name!r}, len={len(self)})"

    # Life -------------------------------------------------------------

    def close(self) -> None:
        """Detach; a map this object created without a name is removed."""
        if not self.closed:
            self._close()
            if getattr(self, "_owner", False) and os.getpid() == self._pid:
                try:
                    native.map_unlink(self.name)
                except FileNotFoundError:
                    pass
                _tracker.unregister(self.name)

    def unlink(self) -> None:
        """Remove the map's name; processes that have it open keep it."""
        native.map_unlink(self.name)
        if getattr(self, "_owner", False) and os.getpid() == self._pid:
            self._owner = False
            _tracker.unregister(self.name)

    def _handle(self):
        """The map pointer as a ctypes c_void_p (for atomic_dict)."""
        import ctypes
        return ctypes.c_void_p(self._address)

    def __enter__(self) -> "AtomicDict":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __iter__(self) -> Iterator[int]:
        """The keys (weakly consistent)."""
        return self._iterate(0)
