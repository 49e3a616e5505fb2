#!/usr/bin/env python3
"""Throughput of sharedatomic's hot paths, in million operations per second.

    python3 bindings/python/bench.py [--ops N] [--procs 1,2]

One process, then P processes at once (each on its own 1000 keys of one
shared AtomicDict, looped over; all on the same AtomicInt, then each on an
AtomicInt of its own), on whatever cores there are.  The shared counter
cannot scale: every add moves its cache line to the adding core.  The time includes the Python loop around each operation
(its own rate is printed last).  Run it by
hand (it is not a test: speed depends on the machine).  Against a build
tree: SATOMIC_LIBRARY=src/.libs/libsharedatomic.so.1, PYTHONPATH naming
a directory with the package and its built extension, and ``python3 -P``
(so the script's own directory, the source package, comes after it).
"""

import argparse
import multiprocessing as mp
import time

from sharedatomic import AtomicDict, AtomicInt


KEYS = 1000     # keys per process: a working set that stays in cache


def _keys(base, n):
    ks = list(range(base, base + KEYS))
    return (ks * (n // KEYS + 1))[:n]


def _set(d, base, n):
    for k in _keys(base, n):
        d[k] = k


def _get(d, base, n):
    for k in _keys(base, n):
        d[k]


def _contains(d, base, n):
    for k in _keys(base, n):
        k in d


def _add(a, base, n):
    f = a.add_and_fetch
    for _ in range(n):
        f(1)


def _add_own(counters, base, n):
    _add(counters[base // n], base, n)


def _loop(base, n):
    for _ in _keys(base, n):
        pass


CASES = [("d[k] = v", _set), ("d[k]", _get), ("k in d", _contains),
         ("AtomicInt.add_and_fetch", _add), ("  (one AtomicInt each)", _add_own)]


def _worker(case, obj, base, n, start, out):
    fn = dict(CASES)[case]
    start.wait()
    t, c = time.perf_counter(), time.process_time()
    fn(obj, base, n)
    out.put((time.perf_counter() - t, time.process_time() - c))


def run(case, obj, procs, n):
    """Total M ops/s of procs processes doing n operations each: by the
    wall clock, and by each process's CPU time (what they would do with a
    core each, on a machine busy with other work)."""
    if procs == 1:
        fn = dict(CASES)[case]
        t, c = time.perf_counter(), time.process_time()
        fn(obj, 0, n)
        return (n / (time.perf_counter() - t) / 1e6,
                n / (time.process_time() - c) / 1e6)
    ctx = mp.get_context("fork")
    start, out = ctx.Barrier(procs + 1), ctx.Queue()
    ps = [ctx.Process(target=_worker, args=(case, obj, i * n, n, start, out))
          for i in range(procs)]
    for p in ps:
        p.start()
    start.wait()
    t = time.perf_counter()
    times = [out.get() for _ in ps]
    for p in ps:
        p.join()
    del t
    # each process's own rate, summed: what the processes achieved together
    return (sum(n / w for w, _ in times) / 1e6, sum(n / c for _, c in times) / 1e6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=1_000_000, help="operations per process")
    ap.add_argument("--procs", default="1,2", help="process counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = ap.parse_args()
    procs = [int(p) for p in args.procs.split(",")]
    n = args.ops
    d = AtomicDict(capacity=max(procs) * KEYS)
    a = AtomicInt(0)
    own = [AtomicInt(0) for _ in range(max(procs))]
    head = "".join(f"{str(p) + ' proc':>10}" for p in procs) + \
        (f"{'ratio':>7}" if len(procs) > 1 else "")
    print(f"{'M ops/s':26}{'by wall clock':^{len(head)}}  |{'by CPU time':^{len(head)}}")
    print(f"{'operation':26}{head}  |{head}")
    for case, _ in CASES:
        obj = {"AtomicInt.add_and_fetch": a, "  (one AtomicInt each)": own}.get(case, d)
        if case != "d[k] = v":
            for p in range(max(procs)):
                _set(d, p * n, KEYS)
        line = f"{case:26}"
        runs = [[run(case, obj, p, n) for _ in range(args.repeat)] for p in procs]
        for i, sep in ((0, ""), (1, "  |")):
            rates = [max(r[i] for r in rs) for rs in runs]
            line += sep + "".join(f"{r:10.2f}" for r in rates)
            if len(procs) > 1:
                line += f"{rates[-1] / rates[0]:7.2f}"
        print(line)
    best = 0.0
    for _ in range(args.repeat):
        t = time.perf_counter()
        _loop(0, n)
        best = max(best, n / (time.perf_counter() - t) / 1e6)
    print(f"{'(the loop alone)':26}{best:10.2f}")
    for x in [d, a] + own:
        x.close()


if __name__ == "__main__":
    main()
