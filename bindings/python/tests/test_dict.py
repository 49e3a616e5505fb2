"""Tests of AtomicDict: semantics, errors, pickling across processes."""

import concurrent.futures
import multiprocessing
import os
import pickle
import unittest

from sharedatomic import AtomicBool, AtomicDict, AtomicInt, MapFullError

EXTREMES = [0, -1, 1, -(1 << 63), (1 << 63) - 1, 42]


def _name(tag):
    return f"/sharedatomic-test-{os.getpid()}-{tag}"


def bump(d, start, count):
    """Child work: count keys from start, and a shared counter."""
    for k in range(start, start + count):
        d[k] = -k
        d.add(-7, 1)
    return count


class DictSemantics(unittest.TestCase):
    def setUp(self):
        self.d = AtomicDict(capacity=64)

    def tearDown(self):
        self.d.close()

    def test_extremes(self):
        d = self.d
        for k in EXTREMES:
            for v in EXTREMES:
                d[k] = v
                self.assertEqual(d[k], v)
                self.assertIn(k, d)
        self.assertEqual(len(d), len(EXTREMES))
        self.assertEqual(sorted(d), sorted(EXTREMES))
        self.assertEqual(dict(d.items()), {k: EXTREMES[-1] for k in EXTREMES})

    def test_missing(self):
        d = self.d
        with self.assertRaises(KeyError):
            d[5]
        self.assertIsNone(d.get(5))
        self.assertEqual(d.get(5, 9), 9)
        self.assertNotIn(5, d)
        self.assertNotIn("5", d)
        with self.assertRaises(KeyError):
            del d[5]
        with self.assertRaises(KeyError):
            d.pop(5)
        self.assertEqual(d.pop(5, "x"), "x")

    def test_operations(self):
        d = self.d
        self.assertEqual(d.add(1, 5), 0)	# absent counts as 0
        self.assertEqual(d.add(1, 5), 5)
        self.assertEqual(d.sub(1, 20), 10)
        self.assertEqual(d[1], -10)
        self.assertEqual(d.bor(2, 0x0F), 0)
        self.assertEqual(d.band(2, 0x3C), 0x0F)
        self.assertEqual(d.bxor(2, 0xFF), 0x0C)
        self.assertEqual(d[2], 0xF3)
        self.assertEqual(d.swap(2, 7), 0xF3)
        self.assertTrue(d.compare_and_swap(2, 7, 8))
        self.assertFalse(d.compare_and_swap(2, 7, 9))
        self.assertEqual(d[2], 8)
        with self.assertRaises(KeyError):
            d.compare_and_swap(3, 0, 1)
        self.assertEqual(d.setdefault(3, 33), 33)
        self.assertEqual(d.setdefault(3, 44), 33)
        self.assertEqual(d.pop(3), 33)
        d[(1 << 63) - 1] = 0
        d.add((1 << 63) - 1, (1 << 63) - 1)
        d.add((1 << 63) - 1, 1)	# wraps around
        self.assertEqual(d[(1 << 63) - 1], -(1 << 63))
        del d[1]
        self.assertNotIn(1, d)
        d.update({10: 1, 11: 2})
        d.update([(12, 3)])
        self.assertEqual(d.copy(), {2: 8, (1 << 63) - 1: -(1 << 63), 10: 1, 11: 2, 12: 3})
        self.assertEqual(d, {2: 8, (1 << 63) - 1: -(1 << 63), 10: 1, 11: 2, 12: 3})
        d.clear()
        self.assertEqual(len(d), 0)
        self.assertEqual(list(d.items()), [])

    def test_growth(self):
        d = self.d
        for k in range(20000):
            d[k * 7919] = k
        self.assertEqual(len(d), 20000)
        self.assertGreaterEqual(d.capacity(), 20000)
        self.assertEqual(sum(d.values()), sum(range(20000)))

    def test_bad_input_writes_nothing(self):
        d = self.d
        d[1] = 1
        for bad in (1.5, "1", None, [1], b"1"):
            with self.assertRaises(TypeError):
                d[bad] = 1
            with self.assertRaises(TypeError):
                d[1] = bad
            with self.assertRaises(TypeError):
                d.add(1, bad)
        for big in (1 << 63, -(1 << 63) - 1, 1 << 100):
            with self.assertRaises(OverflowError):
                d[big] = 1
            with self.assertRaises(OverflowError):
                d[1] = big
        self.assertEqual(dict(d.items()), {1: 1})

    def test_closed(self):
        d = AtomicDict()
        d.close()
        d.close()	# twice is fine
        with self.assertRaises(ValueError):
            d[1] = 1


class DictLifecycle(unittest.TestCase):
    def test_bad_names(self):
        """README: bad names raise ValueError saying what is wrong, before
        anything is created (the library's reserved '.satomic-' names
        included)."""
        from sharedatomic import AtomicInt
        bad = ["", "/", "a/b", "a\0b", ".", "..", "x" * 256,
               "/.satomic-x", ".satomic-x"]
        for name in bad:
            for make in (lambda: AtomicDict(name, create=True),
                         lambda: AtomicDict(name, create=False),
                         lambda: AtomicDict(name),
                         lambda: AtomicInt(1, name=name)):
                with self.subTest(name=name), \
                        self.assertRaises(ValueError) as cm:
                    make()
                if "satomic-" in name:
                    self.assertIn("reserved", str(cm.exception))

    def test_named(self):
        name = _name("named")
        with AtomicDict(name, create=True) as a:
            with self.assertRaises(FileExistsError):
                AtomicDict(name, create=True)
            a[1] = 2
            with AtomicDict(name) as b:	# opens the existing one
                self.assertEqual(b[1], 2)
            a.unlink()
        with self.assertRaises(FileNotFoundError):
            AtomicDict(name, create=False)
        # Without a name there is nothing to open: never a fresh map.
        before = set(os.listdir("/dev/shm"))
        for make in (lambda: AtomicDict(create=False), lambda: AtomicInt(create=False),
                     lambda: AtomicBool(create=False), lambda: AtomicDict(create=0),
                     lambda: AtomicInt(create=0)):
            with self.assertRaisesRegex(ValueError, "give its name"):
                make()
        # 0 and 1 mean what False and True do, as to `if`.
        with self.assertRaises(FileNotFoundError):
            AtomicDict(name, create=0)
        with AtomicDict(name, create=1) as a:
            with self.assertRaises(FileExistsError):
                AtomicInt(name=name, create=1)
            a.unlink()
        self.assertEqual(set(os.listdir("/dev/shm")) - before, set())

    def test_owner_removes_its_map(self):
        d = AtomicDict()
        name = d.name
        d.close()
        with self.assertRaises(FileNotFoundError):
            AtomicDict(name, create=False)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give a map away")
    def test_foreign_owner(self):
        """A map of another user is refused, and the message names no
        flag that Python lacks (the C text says FOREIGN_OK)."""
        name = _name("foreign")
        with AtomicDict(name, create=True) as d:
            try:
                os.chown("/dev/shm" + name, 65534, 65534)
                with self.assertRaises(PermissionError) as cm:
                    AtomicDict(name, create=False)
                self.assertIn("belongs to another user", str(cm.exception))
                self.assertNotIn("FOREIGN_OK", str(cm.exception))
            finally:
                d.unlink()

    def test_full(self):
        with AtomicDict(capacity=100, max_capacity=100) as d:
            with self.assertRaises(MapFullError):
                for k in range(100000):
                    d[k] = k
            n = len(d)
            self.assertGreaterEqual(n, 100)
            self.assertEqual(sorted(d), list(range(n)))	# nothing lost
            self.assertIsInstance(MapFullError(), MemoryError)


class DictAcrossProcesses(unittest.TestCase):
    def test_pickle(self):
        with AtomicDict() as d:
            d[1] = 1
            again = pickle.loads(pickle.dumps(d))
            again[2] = 2
            self.assertEqual(d[2], 2)
            again.close()

    def test_spawn(self):
        ctx = multiprocessing.get_context("spawn")
        with AtomicDict() as d:
            procs = [ctx.Process(target=bump, args=(d, i * 100, 100)) for i in range(3)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
                self.assertEqual(p.exitcode, 0)
            self.assertEqual(len(d), 301)
            self.assertEqual(d[-7], 300)
            self.assertEqual(d[250], -250)

    def test_process_pool_executor(self):
        ctx = multiprocessing.get_context("spawn")
        with AtomicDict() as d, concurrent.futures.ProcessPoolExecutor(
                2, mp_context=ctx) as pool:
            done = sum(pool.map(bump, [d] * 4, range(0, 400, 100), [100] * 4))
            self.assertEqual(done, 400)
            self.assertEqual(d[-7], 400)
            self.assertEqual(len(d), 401)

    def test_iterator_started_before_fork(self):
        """An iterator is its process's: next() in a forked child raises
        PermissionError (an unstarted one starts there as usual), and its
        end in the child leaves the parent's iteration whole, growths
        after included (it used to free the parent's registry slot)."""
        with AtomicDict(capacity=64) as d:
            for k in range(40):
                d[k] = -k
            it = iter(d)
            first = [next(it)]
            unstarted = iter(d)
            pid = os.fork()
            if pid == 0:  # pragma: no cover (the child)
                code = 1
                try:
                    for attempt in range(3):  # every time, not once
                        code = 4
                        try:
                            next(it)
                        except PermissionError as e:
                            code = 0 if "another process" in str(e) else 3
                        if code:
                            break
                    if code == 0 and sorted(unstarted) != list(range(40)):
                        code = 2
                    del it
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
            for k in range(40, 20000):  # growths: areas come round
                d[k] = -k
            early = [k for k in first + list(it) if k < 40]
            self.assertEqual(sorted(early), list(range(40)))

    def test_fork_pool(self):
        ctx = multiprocessing.get_context("fork")
        with AtomicDict() as d, ctx.Pool(4) as pool:
            pool.starmap(bump, [(d, i * 1000, 1000) for i in range(8)])
            self.assertEqual(d[-7], 8000)
            self.assertEqual(len(d), 8001)


if __name__ == "__main__":
    unittest.main()
