"""atomic_dict: the atomic-dict 0.5.0 API, method by method."""

import gc
import os
import resource
import subprocess
import sys
import unittest

import atomic_dict
from atomic_dict import AtomicDict, AtomicSet
from sharedatomic import MapFullError

M64 = (1 << 64) - 1
AS_HARD = resource.getrlimit(resource.RLIMIT_AS)[1]


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
        # expected out of range wraps, as store does; swapped, cas returns
        # expected itself, so cas(e, n) == e still says it swapped.
        v.store(-1)
        self.assertEqual(v.cas(-1, 5), -1)
        self.assertEqual(v.load(), 5)
        self.assertEqual(v.cas(-1, 6), 5)
        self.assertEqual(self.d[2].cas(1 << 64, 3), 1 << 64)   # 0, wrapped
        self.assertEqual(self.d[2].load(), 3)
        d32 = AtomicDict(10, v64=0, v32=1)
        d32[1] = 7
        self.assertEqual(d32[1].cas(7 + (1 << 32), 9), 7 + (1 << 32))
        self.assertEqual(d32[1].load(), 9)

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

    @unittest.skipIf(os.statvfs("/dev/shm").f_bavail * os.statvfs("/dev/shm").f_frsize
                     < 256 << 20, "/dev/shm too small for 2**20 keys")
    def test_max_entries_is_a_hint_up_to_16_times(self):
        # Grows past max_entries, up to 16 times it (at least 2**20 keys),
        # then MapFullError; and its memory is a file of a random name,
        # removed with the dict.
        d = AtomicDict(1)
        name = d._d.name
        self.assertTrue(name.startswith("/sharedatomic-py-"), name)
        files = [name[1:]]
        self.assertIn(files[0], os.listdir("/dev/shm"))
        for k in range(1, (1 << 20) + 1):
            d[k] = k
        with self.assertRaises(MapFullError):
            d[(1 << 20) + 1] = 1
        self.assertEqual(d[1 << 20].load(), 1 << 20)
        del d
        gc.collect()
        self.assertNotIn(files[0], os.listdir("/dev/shm"))

    @unittest.skipIf(os.statvfs("/dev/shm").f_bavail * os.statvfs("/dev/shm").f_frsize
                     < 256 << 20, "/dev/shm too small for 2**21 keys")
    def test_grows_to_16_times_max_entries(self):
        # Past the 2**20 floor: 16 times max_entries keys, then full.
        d = AtomicDict(1 << 17)
        m, n = d._d, 16 << 17
        for k in range(1, n + 1):
            m[k] = k
        with self.assertRaises(MapFullError):
            m[n + 1] = 1
        self.assertEqual(d[n].load(), n)

    # Skipped before setUp, whose dict a skipped test would keep alive.
    @unittest.skipIf(AS_HARD != resource.RLIM_INFINITY and AS_HARD < 3 << 30,
                     "the hard RLIMIT_AS is below 3 GiB")
    @unittest.skipIf("asan" in os.environ.get("LD_PRELOAD", ""),
                     "AddressSanitizer's shadow memory needs the space")
    def test_fits_a_ulimit_v(self):
        # AtomicDict(2**20), atomic-dict's own example, reserves 2 GiB of
        # address space (16 times, not the library's 64): it must work
        # under a 4 GiB RLIMIT_AS (or the hard limit, where that is lower).
        code = ("import resource; soft, hard = resource.getrlimit(resource.RLIMIT_AS); "
                "limit = 4 << 30 if hard == resource.RLIM_INFINITY else min(4 << 30, hard); "
                "resource.setrlimit(resource.RLIMIT_AS, (limit, hard)); "
                "from atomic_dict import AtomicDict; d = AtomicDict(1 << 20); "
                "d[1].add(2); print(d[1].load())")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True, timeout=120)
        self.assertEqual((out.returncode, out.stdout, out.stderr), (0, "2\n", ""))

    def test_shared_with_fork(self):
        pid = os.fork()
        if pid == 0:
            self.d[9].add(3)
            os._exit(0)
        os.waitpid(pid, 0)
        self.assertEqual(self.d[9].load(), 3)


class TestAtomicSetAPI(unittest.TestCase):
    """atomic-dict's AtomicSet: add() is True for the call that added the
    key; iteration yields ((key,), True)."""

    def test_exported(self):
        self.assertIn("AtomicSet", atomic_dict.__all__)

    def test_add_and_iterate(self):
        s = AtomicSet(64)
        self.assertIs(s.add(7), True)
        self.assertIs(s.add(7), False)
        self.assertIs(s.add(M64), True)
        self.assertEqual(sorted(s), [((7,), True), ((M64,), True)])
        with self.assertRaises(ValueError):
            s.add(0)
        t = AtomicSet(16, k64=0, k32=2)
        self.assertIs(t.add((1, 2)), True)
        self.assertIs(t.add((1, 2)), False)
        self.assertEqual(list(t), [((1, 2), True)])
        with self.assertRaises(NotImplementedError):
            AtomicSet(16, k64=2)

    def test_one_descriptor_each(self):
        """The module's documentation: each dict holds one descriptor, and
        one past ulimit -n raises OSError (EMFILE), nothing else."""
        import errno
        import resource
        pid = os.fork()
        if pid == 0:
            made, code = [], 1
            try:
                used = len(os.listdir("/proc/self/fd"))
                resource.setrlimit(resource.RLIMIT_NOFILE, (used + 8, used + 8))
                try:
                    while len(made) < 100:
                        made.append(AtomicDict(4) if len(made) % 2 else AtomicSet(4))
                except OSError as e:
                    code = 0 if e.errno == errno.EMFILE and 6 <= len(made) <= 8 else 2
            finally:
                os._exit(code)
        self.assertEqual(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), 0)

    def test_racing_adds_one_winner(self):
        """Forked children add the same keys: each key is added by exactly
        one add() (the winners' counts, reported by exit status, sum to the
        number of keys)."""
        s, keys, children = AtomicSet(8), range(1, 201), 4
        pids = []
        for _ in range(children):
            pid = os.fork()
            if pid == 0:
                os._exit(sum(s.add(k) for k in keys))
            pids.append(pid)
        won = sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids)
        self.assertEqual(won, len(keys))
        self.assertEqual(sorted(k for (k,), _ in s), list(keys))


if __name__ == "__main__":
    unittest.main()
