"""Tests of the typed atomics: semantics, errors, across processes."""

import multiprocessing
import pickle
import threading
import unittest

from sharedatomic import AtomicBool, AtomicFloat, AtomicInt, AtomicUInt


def add_many(a, n):
    for _ in range(n):
        a.fetch_and_add(1)


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
