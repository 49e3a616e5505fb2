"""Tests of shared_atomic.so, the compatibility module for code written
against the shared_atomic package's C functions: every one of the 221
functions at least once, then exact totals from 10,000 threads and from
hundreds of processes.  SATOMIC_COMPAT names the module."""

import ctypes
import multiprocessing
import os
import platform
import threading
import unittest

PATH = os.environ.get("SATOMIC_COMPAT")
# char and wchar_t are signed on x86, unsigned on Arm: the same-ABI integers.
_X86 = platform.machine() in ("x86_64", "i386", "i686")
CHAR = ctypes.c_byte if _X86 else ctypes.c_ubyte
WCHAR = ctypes.c_int32 if _X86 else ctypes.c_uint32
INTEGER = {
    "byte": CHAR, "ubyte": ctypes.c_ubyte, "short": ctypes.c_short,
    "ushort": ctypes.c_ushort, "int": ctypes.c_int, "uint": ctypes.c_uint,
    "long": ctypes.c_long, "ulong": ctypes.c_ulong, "size_t": ctypes.c_size_t,
    "ssize_t": ctypes.c_ssize_t, "longlong": ctypes.c_longlong,
    "ulonglong": ctypes.c_ulonglong,
}
OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
       "and": lambda a, b: a & b, "or": lambda a, b: a | b,
       "xor": lambda a, b: a ^ b, "nand": lambda a, b: ~(a & b)}


def wrap(t, x):
    """x as ctypes type t holds it (two's complement, modulo its size)."""
    return t(x).value


def load_module():
    lib = ctypes.CDLL(PATH)
    return lib


def bump_long(v, n):
    lib = load_module()
    lib.long_add_and_fetch.argtypes = [ctypes.POINTER(ctypes.c_long), ctypes.c_long]
    for _ in range(n):
        lib.long_add_and_fetch(ctypes.byref(v), 1)


def store_longdouble(v, value):
    lib = load_module()
    lib.longdouble_store.argtypes = [ctypes.POINTER(ctypes.c_longdouble)] * 2
    lib.longdouble_store(ctypes.byref(v), ctypes.byref(ctypes.c_longdouble(value)))


@unittest.skipUnless(PATH, "SATOMIC_COMPAT not set (shared_atomic.so not built)")
class Compat(unittest.TestCase):
    def setUp(self):
        self.lib = load_module()
        self.called = set()

    def fn(self, name, restype, *argtypes):
        f = getattr(self.lib, name)
        f.restype = restype
        f.argtypes = list(argtypes)
        self.called.add(name)
        return f

    def check_integer(self, prefix, t, ops):
        p = ctypes.POINTER(t)
        num = lambda c: c.value	# noqa: E731
        mk = t
        v, n, r = mk(5), mk(3), mk(0)
        self.assertEqual(num(t(self.fn(f"{prefix}_load", t, p)(ctypes.byref(v)))), 5)
        self.fn(f"{prefix}_store", None, p, p)(ctypes.byref(v), ctypes.byref(n))
        self.assertEqual(num(v), 3)
        old = self.fn(f"{prefix}_get_and_set", t, p, t)(ctypes.byref(v), mk(9))
        self.assertEqual(num(t(old)), 3)
        self.assertEqual(num(v), 9)
        n = mk(4)
        self.fn(f"{prefix}_shift", None, p, p, p)(ctypes.byref(v), ctypes.byref(n),
                                                  ctypes.byref(r))
        self.assertEqual((num(v), num(r)), (4, 9))
        cas = self.fn(f"{prefix}_compare_and_set", ctypes.c_bool, p, p, t)
        e = mk(4)
        self.assertTrue(cas(ctypes.byref(v), ctypes.byref(e), mk(6)))
        e = mk(4)
        self.assertFalse(cas(ctypes.byref(v), ctypes.byref(e), mk(7)))
        self.assertEqual(num(e), 6)	# the value seen comes back
        for op in ops:
            f = OPS[op]
            v = mk(12)
            after = self.fn(f"{prefix}_{op}_and_fetch", t, p, t)(ctypes.byref(v), mk(10))
            self.assertEqual(num(t(after)), wrap(t, f(12, 10)), f"{prefix} {op}")
            v = mk(12)
            before = self.fn(f"{prefix}_fetch_and_{op}", t, p, t)(ctypes.byref(v), mk(10))
            self.assertEqual(num(t(before)), 12)
            self.assertEqual(num(v), wrap(t, f(12, 10)))

    def test_every_function(self):
        for prefix, t in INTEGER.items():
            self.check_integer(prefix, t, OPS)
        self.check_integer("wchar", WCHAR, ())
        # wchar's own arithmetic: add and sub only.
        wp = ctypes.POINTER(WCHAR)
        w = WCHAR(100)
        self.assertEqual(self.fn("wchar_add_and_fetch", WCHAR, wp, WCHAR)(
            ctypes.byref(w), 5), 105)
        self.assertEqual(self.fn("wchar_sub_and_fetch", WCHAR, wp, WCHAR)(
            ctypes.byref(w), 10), 95)
        self.assertEqual(self.fn("wchar_fetch_and_add", WCHAR, wp, WCHAR)(
            ctypes.byref(w), 1), 95)
        self.assertEqual(self.fn("wchar_fetch_and_sub", WCHAR, wp, WCHAR)(
            ctypes.byref(w), 1), 96)
        self.assertEqual(w.value, 95)
        # bool.
        bp = ctypes.POINTER(ctypes.c_bool)
        b, nb, rb = ctypes.c_bool(False), ctypes.c_bool(True), ctypes.c_bool(False)
        self.assertFalse(self.fn("bool_load", ctypes.c_bool, bp)(ctypes.byref(b)))
        self.fn("bool_store", None, bp, bp)(ctypes.byref(b), ctypes.byref(nb))
        self.assertTrue(b.value)
        self.assertTrue(self.fn("bool_get_and_set", ctypes.c_bool, bp, ctypes.c_bool)(
            ctypes.byref(b), False))
        self.fn("bool_shift", None, bp, bp, bp)(ctypes.byref(b), ctypes.byref(nb),
                                              ctypes.byref(rb))
        self.assertEqual((b.value, rb.value), (True, False))
        e = ctypes.c_bool(True)
        self.assertTrue(self.fn("bool_compare_and_set", ctypes.c_bool, bp, bp,
                                ctypes.c_bool)(ctypes.byref(b), ctypes.byref(e), False))
        # Floating point: store only.
        for name, t in (("float", ctypes.c_float), ("double", ctypes.c_double),
                        ("longdouble", ctypes.c_longdouble)):
            x, y = t(0), t(2.5)
            self.fn(f"{name}_store", None, ctypes.POINTER(t), ctypes.POINTER(t))(
                ctypes.byref(x), ctypes.byref(y))
            self.assertEqual(x.value, 2.5)
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "..",
                               "compat", "names.txt")) as f:
            names = f.read().split()
        self.assertEqual(len(names), 221)
        self.assertEqual(sorted(self.called), sorted(names))

    def test_longdouble_any_alignment(self):
        # multiprocessing's heap aligns to 8: a long double Value after any
        # other lands 8 bytes off 16, where the 128-bit CAS cannot store it.
        # It is stored all the same (under a lock of this process), never
        # an abort of the interpreter.
        store = self.fn("longdouble_store", None, ctypes.c_void_p,
                        ctypes.POINTER(ctypes.c_longdouble))
        size = ctypes.sizeof(ctypes.c_longdouble)
        buf = (ctypes.c_char * (size + 32))()
        base = (ctypes.addressof(buf) + 15) & ~15
        for off in (0, 8, 4) if size % 8 else (0, 8):
            at = base + off
            for value in (2.5, -1e300, float("inf")):
                store(at, ctypes.byref(ctypes.c_longdouble(value)))
                self.assertEqual(ctypes.c_longdouble.from_address(at).value,
                                 value, "offset %d" % off)
        # The multiprocessing case itself, shared with a forked child (pad
        # kept, so that v lands after it, 8 bytes off 16).
        pad = multiprocessing.Value(ctypes.c_byte, 0, lock=False)
        v = multiprocessing.Value(ctypes.c_longdouble, 0.0, lock=False)
        self.assertEqual(ctypes.addressof(v) % 16, 8, "heap layout changed")
        ctx = multiprocessing.get_context("fork")
        child = ctx.Process(target=store_longdouble, args=(v, 7.25))
        child.start()
        child.join()
        self.assertEqual(child.exitcode, 0)
        self.assertEqual(v.value, 7.25)
        del pad

    def test_ten_thousand_threads(self):
        f = self.fn("size_t_add_and_fetch", ctypes.c_size_t,
                    ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t)
        v = ctypes.c_size_t(0)

        def work():
            for _ in range(20):
                f(ctypes.byref(v), 1)
        threads = [threading.Thread(target=work) for _ in range(10000)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(v.value, 200000)

    def test_hundreds_of_processes(self):
        ctx = multiprocessing.get_context("fork")
        v = ctx.Value(ctypes.c_long, 0, lock=False)
        procs = [ctx.Process(target=bump_long, args=(v, 500)) for _ in range(200)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
            self.assertEqual(p.exitcode, 0)
        self.assertEqual(v.value, 100000)


if __name__ == "__main__":
    unittest.main()
