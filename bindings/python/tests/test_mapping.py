"""AtomicDict as a Python mapping, the values as numbers, the error
messages, and cleanup of unnamed objects (issue 18)."""

import collections.abc
import copy
import decimal
import fractions
import gc
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import weakref

import sharedatomic
from sharedatomic import AtomicDict, AtomicFloat, AtomicInt, AtomicUInt, AtomicBool


def shm_file(name):
    return "/dev/shm/" + name.lstrip("/")


class Mapping(unittest.TestCase):
    def setUp(self):
        self.d = AtomicDict(capacity=64)
        self.addCleanup(self.d.close)

    def test_registered(self):
        self.assertIsInstance(self.d, collections.abc.MutableMapping)
        self.assertIsInstance(self.d, collections.abc.Mapping)

    def test_missing_and_foreign_keys(self):
        d = self.d
        d[1] = 10
        for k in ("x", 1.5, None, b"1", 1 << 63, -(1 << 63) - 1, 1 << 100):
            self.assertIsNone(d.get(k))
            self.assertEqual(d.get(k, 7), 7)
            self.assertNotIn(k, d)
            with self.assertRaises(KeyError):
                d[k]
            with self.assertRaises(KeyError):
                del d[k]
            self.assertEqual(d.pop(k, 5), 5)
        self.assertEqual(d.get(2, "none"), "none")
        self.assertEqual(d.get(1), 10)
        self.assertIn(True, d)		# True == 1, as in a dict
        for k in ((1, 2), ("x",)):	# the key, whole, as dict's KeyError
            for miss in (lambda: d[k], lambda: d.pop(k), lambda: d.__delitem__(k)):
                with self.assertRaises(KeyError) as cm:
                    miss()
                self.assertEqual(cm.exception.args, (k,))
        for k in ([1], {}, set()):	# unhashable: TypeError, as from a dict
            for look in (lambda: d[k], lambda: k in d, lambda: d.get(k),
                         lambda: d.pop(k, 0), lambda: d.__delitem__(k)):
                with self.assertRaises(TypeError):
                    look()
        # Unlike a dict (the README says so): equal to 1 but no int.
        for k in (1.0, decimal.Decimal(1), fractions.Fraction(1)):
            self.assertNotIn(k, d)

    def test_views(self):
        d = self.d
        d.update({1: 10, 2: 20, 3: 30})
        ks, vs, its = d.keys(), d.values(), d.items()
        self.assertEqual((len(ks), len(vs), len(its)), (3, 3, 3))
        self.assertEqual(sorted(ks), [1, 2, 3])
        self.assertEqual(sorted(vs), [10, 20, 30])
        self.assertEqual(sorted(its), [(1, 10), (2, 20), (3, 30)])
        self.assertEqual(ks & {2, 3, 4}, {2, 3})
        self.assertEqual(ks | {4}, {1, 2, 3, 4})
        self.assertEqual(ks - {1}, {2, 3})
        self.assertEqual(its & {(1, 10), (2, 0)}, {(1, 10)})
        self.assertIn(2, ks)
        self.assertIn(20, vs)
        self.assertIn((3, 30), its)
        self.assertNotIn((3, 31), its)
        d[4] = 40		# live views
        self.assertEqual(len(ks), 4)
        self.assertEqual(sorted(d), [1, 2, 3, 4])

    def test_popitem_update_fromkeys_setdefault(self):
        d = self.d
        with self.assertRaises(KeyError):
            d.popitem()
        d.update([(1, 2)])
        d.update({3: 4})
        d |= {5: 6}
        self.assertEqual(d.popitem() in [(1, 2), (3, 4), (5, 6)], True)
        self.assertEqual(len(d), 2)

        class KeysAndItems:     # no Mapping, but keys() and [k], as sqlite3.Row
            def keys(self):
                return [7, 8]

            def __getitem__(self, k):
                return k * 10
        d.update(KeysAndItems())
        self.assertEqual((d[7], d[8]), (70, 80))
        del d[7], d[8]
        d |= KeysAndItems()
        self.assertEqual((d[7], d[8]), (70, 80))
        del d[7], d[8]
        with self.assertRaises(TypeError):
            d.update(a=1)
        self.assertEqual(d.setdefault(9), 0)
        self.assertEqual(d.setdefault(9, 5), 0)
        f = AtomicDict.fromkeys([1, 2, 3], 7)
        self.addCleanup(f.close)
        self.assertEqual(f, {1: 7, 2: 7, 3: 7})
        self.assertEqual(AtomicDict.fromkeys([]).copy(), {})

    def test_or_eq_repr(self):
        d = self.d
        d[1] = 1
        self.assertEqual(d | {2: 2}, {1: 1, 2: 2})
        self.assertEqual({1: 5, 3: 3} | d, {1: 1, 3: 3})
        self.assertIsInstance(d | {}, dict)
        self.assertEqual(d, {1: 1})
        self.assertNotEqual(d, {1: 2})
        self.assertNotEqual(d, [1])
        e = AtomicDict(capacity=4)
        self.addCleanup(e.close)
        e[1] = 1
        self.assertEqual(d, e)
        self.assertEqual(repr(d), f"AtomicDict({{1: 1}}, name={d.name!r}, len=1)")
        for k in range(100):
            d[k] = k
        self.assertIn(", ...}", repr(d))
        with self.assertRaises(TypeError):
            hash(d)
        d.close()
        self.assertIn("closed", repr(d))

    def test_iteration_survives_concurrent_removal(self):
        d = self.d
        for k in range(100):
            d[k] = k
        seen = []
        for k in d:
            seen.append(k)
            d.pop(k + 1, None)
        self.assertTrue(seen)
        it = iter(d)
        d.close()		# the iterator keeps nothing dangling
        with self.assertRaises(ValueError):
            next(it)

    def test_unstarted_iterators_hold_no_slot(self):
        # The registry has 512 slots; iter(d) takes none until its first
        # next() (it took one each, from iter(d) on, before).
        d = self.d
        for k in range(10):
            d[k] = k * k
        its = [iter(d) for _ in range(1000)]
        its += [iter(d.items()) for _ in range(500)]
        its += [iter(d.values()) for _ in range(500)]
        d[10] = 100	# writers are not locked out
        self.assertEqual(d.pop(10), 100)
        self.assertEqual(sorted(its[0]), list(range(10)))
        self.assertEqual(sorted(its[1500]), [k * k for k in range(10)])
        self.assertEqual(dict(its[1000]), {k: k * k for k in range(10)})
        for i, it in enumerate(its):	# each one, in turn, runs to its end
            self.assertEqual(len(list(it)), 0 if i in (0, 1000, 1500) else 10)

    def test_exhausted_iterator_frees_its_slot(self):
        d = self.d
        d[1] = 2
        done = []
        for _ in range(2000):	# kept alive, each one exhausted
            it = iter(d)
            self.assertEqual(list(it), [1])
            self.assertEqual(list(it), [])	# ended: never starts again
            done.append(it)
        d[3] = 4
        self.assertEqual(sorted(d), [1, 3])

    def test_started_iterators_hold_a_slot(self):
        # What the docstring says: hundreds started and left unfinished
        # use the registry up; collected, they give their slots back.
        d = self.d
        d[1] = 2
        started = []
        with self.assertRaises(BlockingIOError):
            for _ in range(600):
                it = iter(d)
                next(it)
                started.append(it)
        self.assertLessEqual(len(started), 512)
        waiting = iter(d)
        with self.assertRaises(BlockingIOError):
            next(waiting)		# no slot: not started, may try again
        del started, it
        self.assertEqual(list(waiting), [1])
        self.assertEqual(len([next(iter(d)) for _ in range(600)]), 600)

    def test_close_with_unstarted_iterator(self):
        d = self.d
        d[1] = 2
        unstarted, started = iter(d), iter(d)
        self.assertEqual(next(started), 1)
        d.close()
        with self.assertRaisesRegex(ValueError, "closed AtomicDict"):
            next(unstarted)
        with self.assertRaisesRegex(ValueError, "closed during iteration"):
            next(started)
        self.assertEqual(list(unstarted), [])	# ended
        self.assertEqual(list(started), [])

    def test_iterator_in_a_cycle_is_collected(self):
        # The iterator refers to its map: a GC type, so a cycle through it
        # is collected (and its slot given back, the map unmapped).
        gc.collect()
        d = AtomicDict(capacity=8)
        name = d.name
        d[1] = 2
        d.it = iter(d)
        self.assertEqual(next(d.it), 1)
        ref = weakref.ref(d)
        del d
        gc.collect()
        self.assertIsNone(ref())
        self.assertFalse(os.path.exists(shm_file(name)))

    def test_value_in_values_survives_concurrent_removal(self):
        # ValuesView's own __contains__ looks every key up again, which
        # raised KeyError when another process removed it meanwhile.
        d = self.d
        for k in range(1000):
            d[k] = k
        stop = AtomicBool(False)
        self.addCleanup(stop.close)
        pid = os.fork()
        if pid == 0:
            try:
                while not stop:
                    for k in range(1000):
                        d.pop(k, None)
                        d[k] = k
            finally:
                os._exit(0)
        try:
            for _ in range(200):
                self.assertNotIn(-1, d.values())
        finally:
            stop.set(True)
            os.waitpid(pid, 0)
        self.assertIn(999, d.values())

    def test_pickle_roundtrip(self):
        self.d[5] = 6
        e = pickle.loads(pickle.dumps(self.d))
        self.addCleanup(e.close)
        self.assertEqual(e[5], 6)
        self.assertIsInstance(e, AtomicDict)
        # copy.copy and deepcopy go through pickling: the same map.
        for c in (copy.copy(self.d), copy.deepcopy(self.d)):
            self.addCleanup(c.close)
            c[7] = 8
            self.assertEqual(self.d[7], 8)
            del self.d[7]
        self.assertEqual(type(self.d.copy()), dict)


class Errors(unittest.TestCase):
    def test_names(self):
        for bad, what in (("", "empty"), ("/", "empty"), ("/a/b", "'/'"),
                          ("..", "not a valid"), ("x" * 300, "255"), ("a\0b", "NUL")):
            with self.assertRaises(ValueError) as cm:
                AtomicDict(bad)
            self.assertIn(what, str(cm.exception))
            with self.assertRaises(ValueError):
                AtomicInt(0, name=bad)
        with self.assertRaises(TypeError):
            AtomicDict(5)

    def test_capacities(self):
        with self.assertRaises(ValueError) as cm:
            AtomicDict(capacity=-1)
        self.assertIn("capacity must be >= 0", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            AtomicDict(max_capacity=-1)
        self.assertIn("max_capacity must be >= 0", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            AtomicDict(capacity=100, max_capacity=10)
        self.assertIn("below capacity", str(cm.exception))
        for cap, top in ((2**40, 0), (0, 2**63 - 1)):
            with self.assertRaises(ValueError) as cm:
                AtomicDict(capacity=cap, max_capacity=top)
            self.assertIn("too large", str(cm.exception))
        self.assertEqual([n for n in os.listdir("/dev/shm") if
                          n.startswith("sharedatomic-py-%d-" % os.getpid())], [])

    def test_address_space_limit_is_named(self):
        # 2**20 keys reserve room for 64 times as many (about 8.6 GB of
        # address space): under ulimit -v 2 GB (or a lower hard limit), the
        # message names the limit.
        if "asan" in os.environ.get("LD_PRELOAD", ""):
            self.skipTest("AddressSanitizer's shadow memory needs the space")
        code = ("import resource; "
                "hard = resource.getrlimit(resource.RLIMIT_AS)[1]; "
                "limit = 2 << 30 if hard == resource.RLIM_INFINITY else min(2 << 30, hard); "
                "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); "
                "from sharedatomic import AtomicDict\n"
                "try:\n AtomicDict(capacity=1 << 20)\n"
                "except ValueError as e:\n print(e)")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True, check=True).stdout
        self.assertIn("RLIMIT_AS", out)

    def test_bad_pair_stops_update_after_the_pairs_before(self):
        with AtomicDict(capacity=4) as d:
            with self.assertRaises(OverflowError):
                d.update([(1, 10), (2, 1 << 64), (3, 30)])
            self.assertEqual(dict(d), {1: 10})
            with self.assertRaises(TypeError):
                d |= {4: 40, "x": 1}
            self.assertEqual(dict(d), {1: 10, 4: 40})

    def test_max_capacity_below_capacity(self):
        with self.assertRaisesRegex(ValueError, "max_capacity 100 is below capacity 1024"):
            AtomicDict(max_capacity=100)

    def test_write_errors_name_the_argument(self):
        with AtomicDict(capacity=4) as d:
            with self.assertRaisesRegex(TypeError, "key must be an int, not str"):
                d["x"] = 1
            with self.assertRaisesRegex(OverflowError, "value .* signed 64-bit"):
                d[1] = 1 << 64
            with self.assertRaisesRegex(TypeError,
                                        r"insert\(key, value\) takes 2 arguments, not 1"):
                d.insert(1)
            with self.assertRaisesRegex(TypeError, "compare_and_swap.* takes 3"):
                d.compare_and_swap(1, 2)


class Numbers(unittest.TestCase):
    def test_int(self):
        with AtomicInt(5) as a, AtomicInt(5) as b:
            self.assertEqual(int(a), 5)
            self.assertEqual(a, 5)
            self.assertEqual(a, b)
            self.assertNotEqual(a, 6)
            a += 3
            self.assertEqual(a.get(), 8)
            a -= 10
            self.assertEqual(a.get(), -2)
            a |= 1
            a &= 7
            a ^= 1
            self.assertEqual(a.get(), (((-2 | 1) & 7) ^ 1))
            self.assertEqual(a + 1, a.get() + 1)
            self.assertEqual(10 - a, 10 - a.get())
            self.assertTrue(a < 100 and a > -100 and a <= b.get() + 10)
            self.assertEqual([0, 1, 2, 3, 4, 5, 6, 7][AtomicInt(1)], 1)
            self.assertEqual(f"{a:>3}", f"{a.get():>3}")
            self.assertEqual(a.load(), a.get())
            with self.assertRaises(TypeError):
                hash(a)
            self.assertEqual(repr(b), f"AtomicInt(5, name={b.name!r})")

    def test_iadd_is_atomic_across_processes(self):
        import multiprocessing as mp
        with AtomicInt(0) as a:
            ctx = mp.get_context("fork")
            ps = [ctx.Process(target=_bump, args=(a, 2000)) for _ in range(2)]
            for p in ps:
                p.start()
            _bump(a, 2000)
            for p in ps:
                p.join()
            self.assertEqual(a, 6000)

    def test_others(self):
        with AtomicUInt(3) as u, AtomicFloat(1.5) as f, AtomicBool(True) as b:
            u += 1
            self.assertEqual(int(u), 4)
            f += 1.0
            self.assertEqual(float(f), 2.5)
            self.assertEqual(f, 2.5)
            f -= 0.5
            self.assertEqual(float(f), 2.0)
            for bad in ("0.5", True, None):
                with self.assertRaises(TypeError):
                    f -= bad
            self.assertEqual(float(f), 2.0)
            self.assertTrue(b)
            b.set(False)
            self.assertFalse(b)
            self.assertFalse(hasattr(f, "and_and_fetch"))


def _bump(a, n):
    for _ in range(n):
        a += 1


class Documentation(unittest.TestCase):
    def test_docstrings(self):
        self.assertIn("SATOMIC_LIBRARY", sharedatomic.__doc__)
        for cls in (AtomicDict, AtomicInt, AtomicUInt, AtomicFloat, AtomicBool):
            self.assertTrue(cls.__doc__)
            for name in dir(cls):
                if name.startswith("_"):
                    continue
                attr = getattr(cls, name)
                if callable(attr) or isinstance(attr, property):
                    self.assertTrue(getattr(attr, "__doc__", None),
                                    f"{cls.__name__}.{name} has no docstring")

    def test_typed(self):
        here = os.path.dirname(sharedatomic.__file__)
        self.assertTrue(os.path.exists(os.path.join(here, "py.typed")))


class Loading(unittest.TestCase):
    def test_missing_library_says_what_to_do(self):
        env = dict(os.environ, SATOMIC_LIBRARY="/nonexistent/libsharedatomic.so.1")
        r = subprocess.run([sys.executable, "-c", "import sharedatomic"], env=env,
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError: SATOMIC_LIBRARY=/nonexistent", r.stderr)
        self.assertIn("install it", r.stderr)
        self.assertNotIn("OSError", r.stderr.splitlines()[-1])


class Cleanup(unittest.TestCase):
    """An unnamed object whose creator is SIGKILLed leaves no segment."""

    def _killed_child_leaves_nothing(self, make):
        code = textwrap.dedent(f"""
            import sys, time
            from sharedatomic import AtomicDict, AtomicInt
            o = {make}
            print(o.name, flush=True)
            time.sleep(60)
        """)
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        name = child.stdout.readline().strip()
        self.assertTrue(name.startswith("/sharedatomic-py-"), name)
        self.assertTrue(os.path.exists(shm_file(name)))
        child.send_signal(signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 20
        while os.path.exists(shm_file(name)) and time.monotonic() < deadline:
            time.sleep(0.05)
        child.stdout.close()
        child.stderr.close()
        self.assertFalse(os.path.exists(shm_file(name)), f"{name} leaked in /dev/shm")

    def test_dict(self):
        self._killed_child_leaves_nothing("AtomicDict()")

    def test_value(self):
        self._killed_child_leaves_nothing("AtomicInt(1)")

    def test_multiprocessing_child_at_the_end_of_its_parent(self):
        # A spawned child shares its parent's tracker: what it leaves when
        # killed goes when the parent program ends (README).
        code = textwrap.dedent('''
            import multiprocessing as mp, os, signal
            from sharedatomic import AtomicDict

            def make(q):
                q.put(AtomicDict().name)
                signal.pause()

            if __name__ == "__main__":
                ctx = mp.get_context("spawn")
                q = ctx.Queue()
                p = ctx.Process(target=make, args=(q,))
                p.start()
                print(q.get(timeout=60), flush=True)
                os.kill(p.pid, signal.SIGKILL)
                p.join()
        ''')
        with tempfile.TemporaryDirectory() as tmp:	# spawn imports __main__
            script = os.path.join(tmp, "parent.py")
            with open(script, "w") as f:
                f.write(code)
            r = subprocess.run([sys.executable, script], capture_output=True,
                               text=True, timeout=120)
        name = r.stdout.strip()
        self.assertTrue(name.startswith("/sharedatomic-py-"), (name, r.stderr))
        deadline = time.monotonic() + 20
        while os.path.exists(shm_file(name)) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists(shm_file(name)), f"{name} leaked in /dev/shm")

    def test_close_removes_and_named_stays(self):
        d = AtomicDict()
        path = shm_file(d.name)
        self.assertTrue(os.path.exists(path))
        d.close()
        self.assertFalse(os.path.exists(path))
        name = "/sharedatomic-test-named-%d" % os.getpid()
        e = AtomicDict(name, capacity=4, create=True)
        e.close()
        self.assertTrue(os.path.exists(shm_file(name)))
        AtomicDict(name, create=False).unlink()
        self.assertFalse(os.path.exists(shm_file(name)))


if __name__ == "__main__":
    unittest.main()
