"""Tests of the typed atomics: semantics, errors, across processes."""

import ast
import multiprocessing
import os
import pickle
import threading
import time
import unittest

from sharedatomic import AtomicBool, AtomicDict, AtomicFloat, AtomicInt, AtomicUInt


def add_many(a, n):
    for _ in range(n):
        a.fetch_and_add(1)


class SlowToWrite(AtomicInt):
    """An AtomicInt whose stores take 50 ms: a creator descheduled between
    making the segment and writing its initial value, every time."""

    def set(self, value):
        time.sleep(0.05)
        super().set(value)


def read_when_there(name, seen, i):
    """Open name as soon as it exists; record the value read there."""
    deadline = time.monotonic() + 60
    while True:
        try:
            a = AtomicInt(name=name, create=False)
            break
        except FileNotFoundError:
            if time.monotonic() > deadline:
                os._exit(2)
    seen[i] = a.get()
    a.close()
    os._exit(0)


def create_or_open(name, barrier, seen, i):
    """All at once: create-or-open name with 7, read it, add 1."""
    barrier.wait()
    with AtomicInt(7, name=name) as a:
        seen[i] = a.get()
        a.fetch_and_add(1)
    os._exit(0)


def fresh_name(what):
    return "/satomic-test-py-%d-%s" % (os.getpid(), what)


class Values(unittest.TestCase):
    def test_int(self):
        with AtomicInt(5) as a:
            self.assertEqual(a.get(), 5)
            self.assertEqual(a.value, 5)
            a.set(-(1 << 63))
            self.assertEqual(a.fetch_and_sub(1), -(1 << 63))
            self.assertEqual(a.get(), (1 << 63) - 1)	# wraps around
            self.assertEqual(a.get_and_set(3), (1 << 63) - 1)
            self.assertTrue(a.compare_and_set(3, 4))
            self.assertFalse(a.compare_and_set(3, 5))
            self.assertEqual(a.add_and_fetch(6), 10)
            self.assertEqual(a.sub_and_fetch(1), 9)
            self.assertEqual(a.and_and_fetch(0b1100), 8)
            self.assertEqual(a.or_and_fetch(1), 9)
            self.assertEqual(a.xor_and_fetch(0xFF), 0xF6)
            self.assertEqual(a.nand_and_fetch(0xF0), ~0xF0)
            self.assertEqual(a.fetch_and_and(0), ~0xF0)
            self.assertEqual(a.fetch_and_or(3), 0)
            self.assertEqual(a.fetch_and_xor(1), 3)
            self.assertEqual(a.fetch_and_nand(0), 2)
            self.assertEqual(a.get(), -1)
            with self.assertRaises(TypeError):
                a.set(1.5)
            with self.assertRaises(OverflowError):
                a.set(1 << 63)
            self.assertEqual(a.get(), -1)	# nothing written

    def test_uint(self):
        with AtomicUInt() as a:
            self.assertEqual(a.fetch_and_sub(1), 0)
            self.assertEqual(a.get(), (1 << 64) - 1)
            with self.assertRaises(OverflowError):
                a.set(-1)
            # An operand may be negative, as in C: -1 is 2**64 - 1.
            a += -1
            self.assertEqual(a.get(), (1 << 64) - 2)
            self.assertEqual(a.add_and_fetch(-(1 << 63)), (1 << 63) - 2)
            self.assertEqual(a.fetch_and_sub(-2), (1 << 63) - 2)
            self.assertEqual(a.and_and_fetch(-1), 1 << 63)
            with self.assertRaises(OverflowError):
                a.add_and_fetch(-(1 << 63) - 1)
            with self.assertRaises(OverflowError):
                a.compare_and_set(-1, 0)        # a value, not an operand
            self.assertEqual(a.get(), 1 << 63)

    def test_float(self):
        with AtomicFloat(1.5) as f:
            self.assertEqual(f.fetch_and_add(0.25), 1.5)
            self.assertEqual(f.add_and_fetch(1), 2.75)
            self.assertTrue(f.compare_and_set(2.75, -0.0))
            self.assertFalse(f.compare_and_set(0.0, 1.0))	# bit patterns
            with self.assertRaises(TypeError):
                f.set("1")

    def test_bool(self):
        with AtomicBool() as b:
            self.assertIs(b.get(), False)
            self.assertIs(b.get_and_set(True), False)
            self.assertTrue(b.compare_and_set(True, False))
            with self.assertRaises(TypeError):
                b.set(2)

    def test_as_numbers(self):
        """The README: the numeric ones behave as numbers (int(a),
        float(a), a == 3, a < b, a + 1 read the value; a += 1 and a -= 1
        are atomic, and &=, |=, ^= on the integers); AtomicBool is read
        with bool(a) or a == True, and has no arithmetic."""
        for kind, start in ((AtomicInt, 6), (AtomicUInt, 6), (AtomicFloat, 6.0)):
            with self.subTest(kind=kind.__name__), kind(start) as a, kind(start + 1) as b:
                self.assertEqual((int(a), float(a)), (6, 6.0))
                self.assertTrue(a == 6 and a != 7 and a < b and b > a and a <= 6 <= a)
                self.assertEqual((a + 1, 1 + a, a - 1, 10 - a, a + b), (7, 7, 5, 4, 13))
                same = a
                a += 2
                a -= 1
                with kind(1) as one:  # another atomic as the operand
                    a += one
                    a -= one
                self.assertIs(a, same)  # in place: the same shared value
                self.assertEqual(a.get(), 7)
                if kind is not AtomicFloat:
                    a &= 0b110
                    a |= 0b1000
                    a ^= 1
                    self.assertEqual(a.get(), 0b1111)
                    self.assertEqual(range(20)[a], 15)  # __index__
        with AtomicBool(True) as t:
            self.assertTrue(bool(t) and t == True)  # noqa: E712
            t.set(False)
            self.assertFalse(bool(t) or t == True)  # noqa: E712
            with self.assertRaises(TypeError):
                t + 1
            with self.assertRaises(TypeError):
                t += 1

    def test_opened_as_its_own_type(self):
        """Opening a name as another type than it was made with raises
        TypeError naming both (it used to read an int's bits as a float)."""
        name = "/sharedatomic-test-%d-kind" % os.getpid()
        with AtomicInt(7, name=name) as a:
            try:
                for other in (AtomicUInt, AtomicFloat, AtomicBool):
                    with self.assertRaisesRegex(TypeError, "holds an AtomicInt, not an " + other.__name__):
                        other(name=name)
                with AtomicInt(name=name, create=False) as same:
                    self.assertEqual(same.get(), 7)
            finally:
                a.unlink()

    def test_map_and_value_names_apart(self):
        """A value's name opened as an AtomicDict, or a map's as a value:
        TypeError, as for a value of another type."""
        name = "/sharedatomic-test-%d-apart" % os.getpid()
        with AtomicInt(7, name=name) as a:
            try:
                with self.assertRaisesRegex(TypeError, "holds an atomic value, not an AtomicDict"):
                    AtomicDict(name, create=False)
            finally:
                a.unlink()
        with AtomicDict(name, create=True) as d:
            try:
                with self.assertRaisesRegex(TypeError, "holds an AtomicDict, not an AtomicInt"):
                    AtomicInt(name=name, create=False)
            finally:
                d.unlink()

    def test_stubs_are_positional_only(self):
        """The C methods take no keywords, and _native.pyi says so ('/'),
        so that a type checker rejects what would raise TypeError."""
        stub = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            os.pardir, "sharedatomic", "_native.pyi")
        with open(stub) as f:
            tree = ast.parse(f.read())
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        self.assertGreater(len(defs), 30)
        for d in defs:  # self alone needs no '/'
            a = d.args
            self.assertIn([x.arg for x in a.args], ([], ["self"]), d.name)
            self.assertEqual((a.kwonlyargs, a.vararg, a.kwarg), ([], None, None), d.name)
        with AtomicDict() as m, AtomicInt(1) as i:
            with self.assertRaises(TypeError):
                m.add(1, delta=5)
            with self.assertRaises(TypeError):
                i.compare_and_set(expected=1, new=2)

    def test_named_and_pickled(self):
        with AtomicInt(7) as a:
            b = pickle.loads(pickle.dumps(a))
            b.fetch_and_add(1)
            self.assertEqual(a.get(), 8)
            self.assertEqual(type(b), AtomicInt)
            b.close()
            with self.assertRaises(FileExistsError):
                AtomicInt(name=a.name, create=True)
            with AtomicInt(name=a.name, create=False) as c:
                self.assertEqual(c.get(), 8)

    def test_initial_value_before_the_name(self):
        # Readers that open the name the moment it appears see the initial
        # value, however long the creator takes to write it (issue 18:
        # they read 0 when the name was published before the value).
        ctx = multiprocessing.get_context("fork")
        name = fresh_name("slow")
        for _ in range(3):
            seen = ctx.Array("q", [-1] * 4, lock=False)
            ps = [ctx.Process(target=read_when_there, args=(name, seen, i))
                  for i in range(4)]
            for p in ps:
                p.start()
            time.sleep(0.02)	# readers polling for the name
            a = SlowToWrite(7, name=name, create=True)
            for p in ps:
                p.join()
                self.assertEqual(p.exitcode, 0)
            self.assertEqual(list(seen), [7] * 4)
            self.assertEqual(a.get(), 7)
            a.close()
            a.unlink()

    def test_create_or_open_race(self):
        # Many processes doing AtomicInt(7, name=n) at once: one creates,
        # the others open; every one reads 7 or more (the others' adds),
        # never 0, and no add is overwritten by the creator's 7.
        ctx = multiprocessing.get_context("fork")
        procs = 6
        for r in range(20):
            name = fresh_name("race%d" % r)
            seen = ctx.Array("q", [-1] * procs, lock=False)
            barrier = ctx.Barrier(procs)
            ps = [ctx.Process(target=create_or_open, args=(name, barrier, seen, i))
                  for i in range(procs)]
            for p in ps:
                p.start()
            for p in ps:
                p.join()
                self.assertEqual(p.exitcode, 0)
            for v in seen:
                self.assertGreaterEqual(v, 7, list(seen))
                self.assertLess(v, 7 + procs, list(seen))
            with AtomicInt(name=name, create=False) as a:
                self.assertEqual(a.get(), 7 + procs)
                a.unlink()

    def test_create_failures_leave_nothing(self):
        # A bad initial value: nothing is published, nothing is left.
        name = fresh_name("badvalue")
        with self.assertRaises(TypeError):
            AtomicInt(1.5, name=name)
        with self.assertRaises(FileNotFoundError):
            AtomicInt(name=name, create=False)
        self.assertFalse([f for f in os.listdir("/dev/shm")
                          if f.startswith(".satomic-%d-" % os.getpid())])
        # create=True on an existing name: FileExistsError, the value
        # there untouched.
        with AtomicInt(3, name=name) as a:
            with self.assertRaises(FileExistsError):
                AtomicInt(9, name=name, create=True)
            self.assertEqual(a.get(), 3)
            with AtomicInt(9, name=name) as b:	# create=None: opens it
                self.assertEqual(b.get(), 3)
            a.unlink()

    def test_threads(self):
        with AtomicInt() as a:
            ts = [threading.Thread(target=add_many, args=(a, 2000)) for _ in range(8)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.assertEqual(a.get(), 16000)

    def test_spawned_processes(self):
        ctx = multiprocessing.get_context("spawn")
        with AtomicInt() as a:
            ps = [ctx.Process(target=add_many, args=(a, 1000)) for _ in range(3)]
            for p in ps:
                p.start()
            for p in ps:
                p.join()
                self.assertEqual(p.exitcode, 0)
            self.assertEqual(a.get(), 3000)


if __name__ == "__main__":
    unittest.main()
