"""Argument checks done before any memory is touched."""

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
    """A POSIX shared-memory name: '/' and up to 255 other characters."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    if not name.startswith("/"):
        name = "/" + name
    return name
