#!/usr/bin/env python
"""ALEX learned index micro-benchmark.

    python bench/alex_bench.py [--n 10000000] [--batch 1000000] [--single 100000] [--json]

For uniform and lognormal (skewed) int64 keys, bulk-loaded with row ids as payloads:
ns per lookup batched (one ``lookup_many`` call over random existing keys) and one at a
time (a Python loop calling ``lookup``), and index overhead in bytes per key beyond the
8-byte key + 8-byte row id, next to numpy.searchsorted on the sorted key array, a Python
dict and sortedcontainers.SortedList (skipped if not installed). Timings are the median
of --repeat runs. ``--json`` prints the result dict as JSON on stdout (the table goes to
stderr); ``run(...)`` returns the same dict for a bench runner.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from omendb_server.index.alex import AlexIndex  # noqa: E402

TARGET_SPEEDUP = 2.0
TARGET_OVERHEAD = 4.0


def make_keys(dist: str, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(0, np.int64)
    m = n
    while out.shape[0] < n:
        m = int(m * 1.1) + 16
        if dist == "uniform":
            k = rng.integers(0, 2**62, m)
        elif dist == "lognormal":
            k = (rng.lognormal(0.0, 2.0, m) * 1e9).astype(np.int64)
        else:
            raise ValueError(dist)
        out = np.unique(np.concatenate([out, k]))
    sel = np.sort(rng.choice(out.shape[0], n, replace=False))
    return out[sel]


def _median_time(fn, repeat: int) -> float:
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def bench_dist(dist: str, n: int, n_batch: int, n_single: int, repeat: int, seed: int, others: bool) -> dict:
    rng = np.random.default_rng(seed)
    keys = make_keys(dist, n, rng)
    rows = np.arange(n, dtype=np.int64)
    q = keys[rng.integers(0, n, n_batch)]
    qs = keys[rng.integers(0, n, n_single)]
    qs_list = qs.tolist()
    res: dict = {"n": n, "batch_queries": n_batch, "single_queries": n_single}

    # ---- ALEX
    idx = AlexIndex()
    t = time.perf_counter()
    idx.bulk_load(keys, rows)
    res_alex: dict = {"bulk_load_s": time.perf_counter() - t}
    out = idx.lookup_many(q)
    assert np.array_equal(keys[out], q), "ALEX returned wrong row ids"
    res_alex["batched_ns"] = _median_time(lambda: idx.lookup_many(q), repeat) / n_batch * 1e9
    lookup = idx.lookup

    def single():
        for k in qs_list:
            lookup(k)

    res_alex["single_ns"] = _median_time(single, repeat) / n_single * 1e9
    mem = idx.memory_bytes()
    res_alex["overhead_bytes_per_key"] = mem["overhead_per_key"]
    res_alex["memory"] = mem
    res_alex["structure"] = idx.stats()
    res["alex"] = res_alex
    del idx, out
    gc.collect()

    # ---- numpy.searchsorted on the sorted keys (+ the row-id array alongside)
    ss = np.searchsorted
    res_np: dict = {
        "batched_ns": _median_time(lambda: ss(keys, q), repeat) / n_batch * 1e9,
        "batched_with_rowid_ns": _median_time(lambda: rows[ss(keys, q)], repeat) / n_batch * 1e9,
    }

    def np_single():
        for k in qs_list:
            ss(keys, k)

    res_np["single_ns"] = _median_time(np_single, repeat) / n_single * 1e9
    res_np["overhead_bytes_per_key"] = 0.0
    res["numpy_searchsorted"] = res_np

    if others:
        res["dict"] = _bench_dict(keys, q, qs_list, repeat)
        gc.collect()
        res["sortedlist"] = _bench_sortedlist(keys, q, qs_list, repeat)
        gc.collect()

    res["speedup_batched_vs_searchsorted"] = res_np["batched_ns"] / res_alex["batched_ns"]
    return res


def _bench_dict(keys: np.ndarray, q: np.ndarray, qs_list: list, repeat: int) -> dict:
    n = keys.shape[0]
    klist = keys.tolist()
    d = dict(zip(klist, range(n)))
    ql = q.tolist()
    get = d.get
    r = {"batched_ns": _median_time(lambda: [d[k] for k in ql], repeat) / len(ql) * 1e9}

    def single():
        for k in qs_list:
            get(k)

    r["single_ns"] = _median_time(single, repeat) / len(qs_list) * 1e9
    # the table plus one int object per key and per value (row ids >= 257 are objects)
    ints = sum(sys.getsizeof(k) for k in klist[:1000]) / min(n, 1000)
    total = sys.getsizeof(d) + n * ints + n * sys.getsizeof(n)
    r["overhead_bytes_per_key"] = total / n - 16
    r["note"] = "batched = list comprehension over Python ints"
    del d, klist
    return r


def _bench_sortedlist(keys: np.ndarray, q: np.ndarray, qs_list: list, repeat: int) -> dict | None:
    try:
        from sortedcontainers import SortedList
    except ImportError:
        return None
    n = keys.shape[0]
    klist = keys.tolist()
    sl = SortedList(klist)
    bl = sl.bisect_left
    ql = q.tolist()
    r = {"batched_ns": _median_time(lambda: [bl(k) for k in ql], repeat) / len(ql) * 1e9}

    def single():
        for k in qs_list:
            bl(k)

    r["single_ns"] = _median_time(single, repeat) / len(qs_list) * 1e9
    # sublists of pointers (8 B/key) + int objects + the positional index; the row ids
    # would need a parallel structure, not counted
    ints = sum(sys.getsizeof(k) for k in klist[:1000]) / min(n, 1000)
    lists = sum(sys.getsizeof(x) for x in sl._lists) + sys.getsizeof(sl._lists)
    maxes = sys.getsizeof(sl._maxes)
    index = sys.getsizeof(sl._index)
    r["overhead_bytes_per_key"] = (lists + maxes + index + n * ints) / n - 8
    r["note"] = "bisect_left (position only); overhead beyond the 8-byte key"
    del sl, klist
    return r


def run(n: int = 10_000_000, batch: int = 1_000_000, single: int = 100_000, repeat: int = 3,
        seed: int = 42, others: bool = True) -> dict:
    import numba

    AlexIndex(np.arange(100, dtype=np.int64)).lookup_many(np.arange(10, dtype=np.int64))  # load kernels
    out = {
        "benchmark": "alex_index",
        "numba": numba.__version__,
        "numpy": np.__version__,
        "targets": {"batched_speedup_vs_searchsorted": TARGET_SPEEDUP, "overhead_bytes_per_key": TARGET_OVERHEAD},
        "distributions": {},
    }
    for dist in ("uniform", "lognormal"):
        out["distributions"][dist] = bench_dist(dist, n, batch, single, repeat, seed, others)
        gc.collect()
    ds = out["distributions"].values()
    rows = []
    for dist, d in out["distributions"].items():
        for name in ("alex", "numpy_searchsorted", "dict", "sortedlist"):
            r = d.get(name)
            if r:
                rows.append({
                    "distribution": dist,
                    "structure": name,
                    "n": d["n"],
                    "batched_ns_per_lookup": round(r["batched_ns"], 1),
                    "single_ns_per_lookup": round(r["single_ns"], 1),
                    "overhead_bytes_per_key": round(r["overhead_bytes_per_key"], 2),
                    "batched_speedup_vs_searchsorted": round(d["numpy_searchsorted"]["batched_ns"] / r["batched_ns"], 2),
                })
    out["results"] = rows
    out["targets_met"] = {
        "batched_speedup": all(d["speedup_batched_vs_searchsorted"] >= TARGET_SPEEDUP for d in ds),
        "overhead": all(d["alex"]["overhead_bytes_per_key"] <= TARGET_OVERHEAD for d in ds),
    }
    return out


def format_table(res: dict) -> str:
    lines = []
    hdr = f"{'dist':<10} {'structure':<22} {'batched ns':>11} {'single ns':>10} {'ovh B/key':>10}"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for dist, d in res["distributions"].items():
        for name, label in (("alex", "ALEX"), ("numpy_searchsorted", "numpy.searchsorted"),
                            ("dict", "dict"), ("sortedlist", "SortedList")):
            r = d.get(name)
            if not r:
                continue
            lines.append(f"{dist:<10} {label:<22} {r['batched_ns']:>11.1f} {r['single_ns']:>10.1f} "
                         f"{r['overhead_bytes_per_key']:>10.2f}")
        a = d["alex"]
        lines.append(f"{'':<10} ALEX vs searchsorted: {d['speedup_batched_vs_searchsorted']:.1f}x batched; "
                     f"bulk load {a['bulk_load_s']:.2f}s; {a['structure']['leaves']} leaves, "
                     f"{a['structure']['internal_nodes']} internal, depth {a['structure']['max_depth']}")
    lines.append(f"n={next(iter(res['distributions'].values()))['n']:,}  targets met: {res['targets_met']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--batch", type=int, default=1_000_000, help="queries for batched lookups")
    ap.add_argument("--single", type=int, default=100_000, help="queries for one-at-a-time lookups")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-others", action="store_true", help="skip dict and SortedList")
    ap.add_argument("--json", action="store_true", help="print the result dict as JSON on stdout")
    a = ap.parse_args(argv)
    res = run(a.n, a.batch, a.single, a.repeat, a.seed, not a.no_others)
    if a.json:
        print(format_table(res), file=sys.stderr)
        print(json.dumps(res, indent=2))
    else:
        print(format_table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
