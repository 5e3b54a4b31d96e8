"""Compiled (numba) per-group loops for ``sql/vectorized.py`` and the hash join of
``sql/vector_hashjoin.py``.

One pass over the rows per aggregate: numpy has no grouped sum for exact int64 (``bincount``
sums in float64) and no grouped min/max, and a Python loop costs about a microsecond per row.
``cache=True`` keeps the machine code on disk, so only the first run on a machine compiles.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def group_count(gid, mask, n_groups):  # type: ignore[no-untyped-def]
    out = np.zeros(n_groups, dtype=np.int64)
    for i in range(gid.shape[0]):
        if mask[i]:
            out[gid[i]] += 1
    return out


@njit(cache=True, nogil=True)
def group_sum_i64(gid, mask, values, n_groups):  # type: ignore[no-untyped-def]
    """Exact int64 sums per group, and whether any sum overflowed (then the caller falls
    back to arbitrary-precision arithmetic)."""
    out = np.zeros(n_groups, dtype=np.int64)
    overflow = False
    top = np.iinfo(np.int64).max
    bottom = np.iinfo(np.int64).min
    for i in range(gid.shape[0]):
        if mask[i]:
            g = gid[i]
            a = out[g]
            v = values[i]
            # tested before adding: LLVM may fold a check on a wrapped signed sum away
            if (v > 0 and a > top - v) or (v < 0 and a < bottom - v):
                overflow = True
                break
            out[g] = a + v
    return out, overflow


@njit(cache=True, nogil=True)
def group_sum_f64(gid, mask, values, n_groups):  # type: ignore[no-untyped-def]
    """float64 sums per group, added in row order (the row path's order, so the same
    rounding)."""
    out = np.zeros(n_groups, dtype=np.float64)
    for i in range(gid.shape[0]):
        if mask[i]:
            out[gid[i]] += values[i]
    return out


@njit(cache=True, nogil=True)
def group_minmax_i64(gid, mask, values, n_groups):  # type: ignore[no-untyped-def]
    lo = np.full(n_groups, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n_groups, np.iinfo(np.int64).min, dtype=np.int64)
    for i in range(gid.shape[0]):
        if mask[i]:
            g = gid[i]
            v = values[i]
            lo[g] = min(lo[g], v)
            hi[g] = max(hi[g], v)
    return lo, hi


@njit(cache=True, nogil=True)
def group_minmax_f64(gid, mask, values, n_groups):  # type: ignore[no-untyped-def]
    lo = np.full(n_groups, np.inf, dtype=np.float64)
    hi = np.full(n_groups, -np.inf, dtype=np.float64)
    for i in range(gid.shape[0]):
        if mask[i]:
            g = gid[i]
            v = values[i]
            lo[g] = min(lo[g], v)
            hi[g] = max(hi[g], v)
    return lo, hi


@njit(cache=True, nogil=True)
def _hash_bits(n):  # type: ignore[no-untyped-def]
    bits = 4
    while (1 << bits) < 2 * n:
        bits += 1
    return bits


@njit(cache=True, nogil=True)
def hash_join_i64(build, bvalid, probe, pvalid):  # type: ignore[no-untyped-def]
    """Inner equi-join of two int64 key arrays: (probe index, build index) pairs.

    Pairs come in probe order and, for one probe row, in build order: the order in which
    the row path's hash join emits rows (it probes a dict of lists filled in build order).
    Rows whose ``valid`` is False (a NULL key) match nothing. Dense keys (a range at most
    a few times the build size, e.g. serial keys) use a direct-address table — a probe is
    one array read, in key order when the probe side is clustered by key; other keys use
    open addressing."""
    n = build.shape[0]
    lo = np.iinfo(np.int64).max
    hi = np.iinfo(np.int64).min
    for i in range(n):
        if bvalid[i]:
            k = build[i]
            lo = min(lo, k)
            hi = max(hi, k)
    if hi < lo:  # no build row can match
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    span = np.uint64(hi) - np.uint64(lo)
    if span < np.uint64(max(4 * n, 1 << 22)) and n < (1 << 31):
        return _direct_join(build, bvalid, probe, pvalid, lo, hi)
    return _open_join(build, bvalid, probe, pvalid)


@njit(cache=True, nogil=True)
def _direct_join(build, bvalid, probe, pvalid, lo, hi):  # type: ignore[no-untyped-def]
    size = hi - lo + 1
    slots = np.zeros((size, 2), dtype=np.int32)  # (first row + 1, count): one cache line
    tail = np.zeros(size, dtype=np.int32)
    nxt = np.full(build.shape[0], -1, dtype=np.int32)
    for i in range(build.shape[0]):
        if not bvalid[i]:
            continue
        s = build[i] - lo
        if slots[s, 0] == 0:
            slots[s, 0] = i + 1
        else:
            nxt[tail[s]] = i
        tail[s] = i
        slots[s, 1] += 1
    m = probe.shape[0]
    found = np.full(m, -1, dtype=np.int32)
    total = 0
    for j in range(m):
        k = probe[j]
        if pvalid[j] and lo <= k <= hi:
            s = k - lo
            if slots[s, 0]:
                found[j] = slots[s, 0] - 1
                total += slots[s, 1]
    return _emit(found, nxt, total)


@njit(cache=True, nogil=True)
def _emit(found, nxt, total):  # type: ignore[no-untyped-def]
    out_p = np.empty(total, dtype=np.int64)
    out_b = np.empty(total, dtype=np.int64)
    w = 0
    for j in range(found.shape[0]):
        i = found[j]
        while i != -1:
            out_p[w] = j
            out_b[w] = i
            w += 1
            i = nxt[i]
    return out_p, out_b


@njit(cache=True, nogil=True)
def _open_join(build, bvalid, probe, pvalid):  # type: ignore[no-untyped-def]
    n = build.shape[0]
    bits = _hash_bits(n)
    cap = 1 << bits
    mask = cap - 1
    shift = np.uint64(64 - bits)
    mult = np.uint64(0x9E3779B97F4A7C15)
    # one slot = (key, first row, last row, count) side by side: a probe reads one cache line
    slots = np.empty((cap, 4), dtype=np.int64)
    slots[:, 1] = -1
    nxt = np.full(n, -1, dtype=np.int32)
    for i in range(n):
        if not bvalid[i]:
            continue
        k = build[i]
        h = np.int64((np.uint64(k) * mult) >> shift)
        while slots[h, 1] != -1 and slots[h, 0] != k:
            h = (h + 1) & mask
        if slots[h, 1] == -1:
            slots[h, 0] = k
            slots[h, 1] = i
            slots[h, 3] = 0
        else:
            nxt[slots[h, 2]] = i
        slots[h, 2] = i
        slots[h, 3] += 1
    m = probe.shape[0]
    found = np.full(m, -1, dtype=np.int32)
    total = 0
    for j in range(m):
        if not pvalid[j]:
            continue
        k = probe[j]
        h = np.int64((np.uint64(k) * mult) >> shift)
        while slots[h, 1] != -1:
            if slots[h, 0] == k:
                found[j] = slots[h, 1]
                total += slots[h, 3]
                break
            h = (h + 1) & mask
    return _emit(found, nxt, total)


def warm_up() -> None:
    """Compile (or load from numba's disk cache) every kernel now, not in the first query."""
    gid = np.zeros(4, dtype=np.int64)
    mask = np.ones(4, dtype=np.bool_)
    ints = np.arange(4, dtype=np.int64)
    floats = ints.astype(np.float64)
    group_count(gid, mask, 1)
    group_sum_i64(gid, mask, ints, 1)
    group_sum_f64(gid, mask, floats, 1)
    group_minmax_i64(gid, mask, ints, 1)
    group_minmax_f64(gid, mask, floats, 1)
    hash_join_i64(ints, mask, ints, mask)  # dense keys: the direct-address table
    sparse = ints * (1 << 40)
    hash_join_i64(sparse, mask, sparse, mask)  # sparse keys: open addressing
