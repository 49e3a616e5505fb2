"""Cleaning up unnamed objects whose process dies without closing them.

An unnamed AtomicDict or AtomicInt still lives in a file in /dev/shm (it
has a random name, so it can be pickled to other processes).  Its name is
registered with the ``multiprocessing`` resource tracker, a helper process
that removes (``shm_unlink``) what is still registered when the last
process using it exits, however it exits: SIGKILL included.  This is what
``multiprocessing.shared_memory`` does.  close() unregisters it.
"""

from multiprocessing import resource_tracker

_KIND = "shared_memory"	# the tracker's cleanup for this kind is shm_unlink


def register(name: str) -> None:
    """Have the tracker remove /dev/shm/name if this process dies first."""
    resource_tracker.register(name, _KIND)


def unregister(name: str) -> None:
    """The object was removed (or handed over): forget it."""
    try:
        resource_tracker.unregister(name, _KIND)
    except Exception:  # pragma: no cover - tracker gone at shutdown
        pass
