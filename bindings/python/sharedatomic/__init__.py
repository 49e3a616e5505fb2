"""sharedatomic: lock-free atomics and an int -> int dictionary shared by
processes, over the C library libsharedatomic.

    >>> from sharedatomic import AtomicDict, AtomicInt
    >>> with AtomicDict(capacity=1000) as d:       # a fresh, unnamed map
    ...     d[0] = -1                               # any int64 key and value
    ...     d.add(7, 5)                             # absent counts as 0
    0
    >>> with AtomicInt(0) as n:
    ...     n += 2                                  # one atomic add
    ...     int(n)
    2

AtomicDict is a ``collections.abc.MutableMapping`` of int64 to int64;
AtomicInt, AtomicUInt, AtomicFloat and AtomicBool hold one value.  Each
lives in POSIX shared memory (/dev/shm) under a name: give one
(``AtomicDict("/jobs")``) to open it from unrelated processes, or leave it
out for a fresh one that is removed when closed or after its process dies
(SIGKILL included; see AtomicDict for when).  Objects pickle by name: pass them to processes
started with ``spawn``, to ``ProcessPoolExecutor`` or to ``multiprocessing``
pools, and those processes open the same shared memory.  Every operation
on one key or one value is atomic and lock-free.

The hot paths are a C extension, ``sharedatomic._native``, linked against
libsharedatomic.so.1.  The library is found by the dynamic linker, under
the prefix this package is installed in (``<prefix>/lib``), or at the path
in the environment variable ``SATOMIC_LIBRARY`` when that is set (it is
loaded first).  Without it, importing sharedatomic raises ImportError
saying what to install or set.

Not supported (as in ``dict`` they would be): keys and values other than
64-bit signed integers, and snapshots: iteration, ``len``, ``==`` and
``repr`` see each key atomically but not the map as a whole.

See help(AtomicDict), help(AtomicInt).
"""

from ._lib import MapFullError
from ._dict import AtomicDict
from ._values import AtomicBool, AtomicFloat, AtomicInt, AtomicUInt

__all__ = ["AtomicDict", "AtomicInt", "AtomicUInt", "AtomicFloat", "AtomicBool",
           "MapFullError"]
__version__ = "0.1.0"
