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
    Rows whose ``valid`` is False (a NULL key) match nothing. Open addressing over the
    distinct build keys, one slot = (key, first row, last row, count) side by side so a
    probe touches one cache line; rows with equal keys are chained in build order."""
    n = build.shape[0]
    bits = _hash_bits(n)
    cap = 1 << bits
    mask = cap - 1
    shift = np.uint64(64 - bits)
    mult = np.uint64(0x9E3779B97F4A7C15)
    slots = np.empty((cap, 4), dtype=np.int64)
    slots[:, 1] = -1
    nxt = np.full(n, -1, dtype=np.int64)
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
    found = np.full(m, -1, dtype=np.int64)
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
    out_p = np.empty(total, dtype=np.int64)
    out_b = np.empty(total, dtype=np.int64)
    w = 0
    for j in range(m):
        i = found[j]
        while i != -1:
            out_p[w] = j
            out_b[w] = i
            w += 1
            i = nxt[i]
    return out_p, out_b


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
    hash_join_i64(ints, mask, ints, mask)
