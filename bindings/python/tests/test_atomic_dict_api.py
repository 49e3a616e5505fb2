"""atomic_dict: the atomic-dict 0.5.0 API, method by method."""

import gc
import os
import unittest

from atomic_dict import AtomicDict

M64 = (1 << 64) - 1


class TestAtomicDictAPI(unittest.TestCase):
    def setUp(self):
        self.d = AtomicDict(64)

    def test_absent_reads_zero_and_becomes_present(self):
        self.assertEqual(self.d[5].load(), 0)
        self.assertEqual(list(self.d), [((5,), 0)])

    def test_ops_return_previous(self):
        v = self.d[7]
        v.store(10)
        self.assertEqual(v.add(5), 10)
        self.assertEqual(v.sub(3), 15)
        self.assertEqual(v.band(0b1100), 12)
        self.assertEqual(v.bor(1), 12)
        self.assertEqual(v.bxor(0xF), 13)
        self.assertEqual(v.swap(99), 2)
        self.assertEqual(v.load(), 99)

    def test_handle_keeps_its_map(self):
        # The dict itself may be gone: its handle keeps the map mapped.
        v = AtomicDict(10)[5]
        gc.collect()
        v.store(3)
        self.assertEqual(v.add(1), 3)
        self.assertEqual(v.load(), 4)

    def test_cas_on_a_full_map_fails(self):
        # cas of a removed key inserts it again; on a full map that must
        # fail, not spin.
        d = AtomicDict(0)
        v = d[1]
        n = 2
        with self.assertRaises(MemoryError):    # MapFullError: filled
            while True:
                d._d[n] = 0
                n += 1
        d._d.pop(1)     # room for one key...
        d[n]            # ...which another key takes
        with self.assertRaises(MemoryError):
            v.cas(0, 5)

    def test_cas_returns_value_seen(self):
        v = self.d[1]
        self.assertEqual(v.cas(0, 4), 0)
        self.assertEqual(v.load(), 4)
        self.assertEqual(v.cas(0, 8), 4)
        self.assertEqual(v.load(), 4)

    def test_unsigned_64_bit(self):
        self.d[M64] = M64
        self.assertEqual(self.d[M64].load(), M64)
        self.assertEqual(self.d[M64].add(1), M64)
        self.assertEqual(self.d[M64].load(), 0)
        self.assertEqual(self.d[2].sub(1), 0)
        self.assertEqual(self.d[2].load(), M64)
        self.assertIn(((M64,), 0), list(self.d))

    def test_bad_keys(self):
        with self.assertRaises(ValueError):
            self.d[0]
        with self.assertRaises(ValueError):
            self.d[-1]
        with self.assertRaises(TypeError):
            self.d["x"]

    def test_v32(self):
        d = AtomicDict(16, v64=0, v32=1)
        v = d[3]
        v.store((1 << 32) - 1)
        self.assertEqual(v.add(2), (1 << 32) - 1)
        self.assertEqual(v.load(), 1)

    def test_32_bit_key_words(self):
        d = AtomicDict(16, k64=0, k32=2)
        d[(1, 2)] = 5
        d[(0, 7)].add(3)
        self.assertEqual(d[(1, 2)].load(), 5)
        self.assertEqual(sorted(d), [((0, 7), 3), ((1, 2), 5)])
        with self.assertRaises(TypeError):
            d[1]
        with self.assertRaises(ValueError):
            d[(1 << 32, 0)]
        with self.assertRaises(ValueError):
            d[(0, 0)]
        e = AtomicDict(16, k64=0, k32=1)
        e[9] = 1
        self.assertEqual(list(e), [((9,), 1)])
        with self.assertRaises(ValueError):
            e[1 << 32]

    def test_unsupported_layouts(self):
        for layout in ({"k64": 2}, {"k64": 1, "k32": 1}, {"k64": 0, "k32": 3},
                       {"k64": 0}):
            with self.assertRaises(NotImplementedError) as cm:
                AtomicDict(16, **layout)
            self.assertIn("at most 64 bits", str(cm.exception))
        with self.assertRaises(NotImplementedError):
            AtomicDict(16, k64=2)
        with self.assertRaises(NotImplementedError):
            AtomicDict(16, v64=0)

    def test_shared_with_fork(self):
        pid = os.fork()
        if pid == 0:
            self.d[9].add(3)
            os._exit(0)
        os.waitpid(pid, 0)
        self.assertEqual(self.d[9].load(), 3)


if __name__ == "__main__":
    unittest.main()
