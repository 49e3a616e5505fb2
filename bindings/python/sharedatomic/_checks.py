"""Argument checks done before any memory is touched."""

import os
import secrets

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1


def int64(x, what="value"):
    """x as an int64, or TypeError / OverflowError."""
    if not isinstance(x, int):
        raise TypeError(f"{what} must be an int, not {type(x).__name__}")
    if not INT64_MIN <= x <= INT64_MAX:
        raise OverflowError(f"{what} {x} does not fit in a signed 64-bit integer")
    return x


def uint64(x, what="value"):
    if not isinstance(x, int):
        raise TypeError(f"{what} must be an int, not {type(x).__name__}")
    if not 0 <= x <= UINT64_MAX:
        raise OverflowError(f"{what} {x} does not fit in an unsigned 64-bit integer")
    return x


def shm_name(name):
    """A POSIX shared-memory name: '/' and 1 to 255 bytes without '/'
    ("name" becomes "/name"); ValueError says what is wrong."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    full = name if name.startswith("/") else "/" + name
    rest = full[1:]
    if not rest:
        raise ValueError("name must not be empty")
    if "/" in rest:
        raise ValueError(f"name {name!r} must not contain '/' after the first "
                         "character (it names a file in /dev/shm)")
    if "\0" in rest:
        raise ValueError(f"name {name!r} contains a NUL character")
    if rest in (".", ".."):
        raise ValueError(f"name {name!r} is not a valid file name")
    if rest.startswith(".satomic-"):
        # The library's own, for the regions it builds under a hidden name
        # (satomic_region_create(3)).
        raise ValueError(f"name {name!r} is reserved: names beginning with "
                         "'.satomic-' are the library's own")
    if len(rest.encode()) > 255:
        raise ValueError(f"name {name[:20]!r}... is longer than 255 bytes")
    return full


def count(x, what):
    """A non-negative int64 size argument (capacity and the like)."""
    int64(x, what)
    if x < 0:
        raise ValueError(f"{what} must be >= 0, not {x}")
    return x


def name_and_create(name, create):
    """(name, create, owner) for a constructor's arguments: create as None,
    True or False (0 and 1 mean False and True, as to `if`); without a
    name, a fresh random one that this process owns, to create.
    create=False (open, never create) has nothing to open without one."""
    if create is not None:
        create = bool(create)
    if name is not None:
        return name, create, False
    if create is False:
        raise ValueError("create=False opens an existing object: give its name")
    return "/sharedatomic-py-%d-%s" % (os.getpid(), secrets.token_hex(6)), True, True
