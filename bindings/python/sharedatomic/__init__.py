"""sharedatomic: lock-free atomics and an int -> int dictionary shared by
processes, over libsharedatomic (ctypes, standard library only).

    >>> from sharedatomic import AtomicDict, AtomicInt
    >>> with AtomicDict(capacity=1000) as d:       # a fresh, named map
    ...     d[0] = -1                               # any int64 key and value
    ...     d.add(7, 5)                             # absent counts as 0
    0

Objects pickle by name: pass them to processes started with ``spawn``, to
``ProcessPoolExecutor`` or to ``multiprocessing`` pools, and those processes
open the same shared memory.  See help(AtomicDict) and help(AtomicInt).
"""

from ._dict import AtomicDict
from ._lib import MapFullError
from ._values import AtomicBool, AtomicFloat, AtomicInt, AtomicUInt

__all__ = ["AtomicDict", "AtomicInt", "AtomicUInt", "AtomicFloat", "AtomicBool",
           "MapFullError"]
__version__ = "0.1.0"
