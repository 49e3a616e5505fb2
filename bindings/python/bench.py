#!/usr/bin/env python3
"""Throughput of sharedatomic's hot paths, in million operations per second.

    python3 bindings/python/bench.py [--ops N] [--procs 1,2] [--repeat R]

Each case runs in P forked worker processes at once (P = 1, then 2, ...),
each on its own 1000 keys of one shared AtomicDict, looped over, or on a
counter.  Every worker builds its keys and runs its loop once before the
common start, so the timed span holds the operations and nothing else: no
list building, no copy-on-write page faults after fork (about 100 us each
on some VMs), no cold caches.  The rate of P processes is the sum of each
one's own rate.  The time includes the Python loop around each operation;
the loop alone is measured last.

Two cases show what a shared memory cannot hide, whatever the table:
- "dense map": the map's capacity is the keys' count, so about 40% of one
  process's keys share a 64-byte cache line with a key of the other, and
  every write to such a line moves it between the cores;
- "one shared AtomicInt": every add moves the counter's line.

Run it by hand (it is not a test: speed depends on the machine).  It uses
the installed package, or the one PYTHONPATH names, never the source package
beside it, whose extension is not built there.  Against a build tree:
SATOMIC_LIBRARY=src/.libs/libsharedatomic.so.1 and PYTHONPATH naming a
directory with the package and its built extension (tests/python.sh makes
one).
"""

import argparse
import multiprocessing as mp
import os
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

from sharedatomic import AtomicDict, AtomicInt  # noqa: E402 (after the path)


KEYS = 1000     # keys per process: a working set that stays in cache
SPARSE = 1 << 20    # capacity of the map whose processes rarely share a line


def _set(d, keys, rounds):
    for _ in range(rounds):
        for k in keys:
            d[k] = k


def _get(d, keys, rounds):
    for _ in range(rounds):
        for k in keys:
            d[k]


def _contains(d, keys, rounds):
    for _ in range(rounds):
        for k in keys:
            k in d


def _add(a, keys, rounds):
    f = a.add_and_fetch
    for _ in range(rounds):
        for _ in keys:
            f(1)


def _loop(_, keys, rounds):
    for _ in range(rounds):
        for _ in keys:
            pass


# (label, function, which object: "sparse", "dense", "shared" or "own")
CASES = [("d[k] = v", _set, "sparse"), ("d[k]", _get, "sparse"),
         ("k in d", _contains, "sparse"),
         ("d[k] = v, dense map", _set, "dense"),
         ("AtomicInt.add_and_fetch", _add, "own"),
         ("  one shared AtomicInt", _add, "shared"),
         ("(the loop alone)", _loop, None)]


def _worker(fn, obj, index, rounds, start, out):
    keys = list(range(index * KEYS, (index + 1) * KEYS))
    if isinstance(obj, list):
        obj = obj[index]
    fn(obj, keys, 1)            # warm: caches, copy-on-write faults
    start.wait()
    t, c = time.perf_counter(), time.process_time()
    fn(obj, keys, rounds)
    out.put((time.perf_counter() - t, time.process_time() - c))


def run(fn, obj, procs, rounds):
    """Total M ops/s of procs processes, by the wall clock and by each
    process's CPU time (what they would do with a core each, on a machine
    busy with other work)."""
    ctx = mp.get_context("fork")
    start, out = ctx.Barrier(procs), ctx.Queue()
    ps = [ctx.Process(target=_worker, args=(fn, obj, i, rounds, start, out))
          for i in range(procs)]
    for p in ps:
        p.start()
    times = [out.get() for _ in ps]
    for p in ps:
        p.join()
    n = rounds * KEYS
    return (sum(n / w for w, _ in times) / 1e6, sum(n / c for _, c in times) / 1e6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=1_000_000, help="operations per process")
    ap.add_argument("--procs", default="1,2", help="process counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = ap.parse_args()
    procs = [int(p) for p in args.procs.split(",")]
    rounds = max(1, args.ops // KEYS)
    # Exact maxima: they hold these keys for good, and the default (64
    # times) would reserve 8 GiB of address space for the sparse one.
    objs = {"sparse": AtomicDict(capacity=SPARSE, max_capacity=SPARSE),
            "dense": AtomicDict(capacity=max(procs) * KEYS,
                                max_capacity=max(procs) * KEYS),
            "shared": AtomicInt(0),
            "own": [AtomicInt(0) for _ in range(max(procs))]}
    for d in (objs["sparse"], objs["dense"]):
        for k in range(max(procs) * KEYS):
            d[k] = k
    head = "".join(f"{str(p) + ' proc':>10}" for p in procs) + \
        (f"{'ratio':>7}" if len(procs) > 1 else "")
    print(f"{'M ops/s':26}{'by wall clock':^{len(head)}}  |{'by CPU time':^{len(head)}}")
    print(f"{'operation':26}{head}  |{head}")
    for case, fn, which in CASES:
        obj = objs.get(which)
        runs = [[run(fn, obj, p, rounds) for _ in range(args.repeat)] for p in procs]
        line = f"{case:26}"
        for i, sep in ((0, ""), (1, "  |")):
            rates = [max(r[i] for r in rs) for rs in runs]
            line += sep + "".join(f"{r:10.2f}" for r in rates)
            if len(procs) > 1:
                line += f"{rates[-1] / rates[0]:7.2f}"
        print(line, flush=True)
    for x in [objs["sparse"], objs["dense"], objs["shared"]] + objs["own"]:
        x.close()


if __name__ == "__main__":
    main()
