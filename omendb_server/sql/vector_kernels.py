"""Compiled (numba) per-group loops for ``sql/vectorized.py``.

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
            if v < lo[g]:
                lo[g] = v
            if v > hi[g]:
                hi[g] = v
    return lo, hi


@njit(cache=True, nogil=True)
def group_minmax_f64(gid, mask, values, n_groups):  # type: ignore[no-untyped-def]
    lo = np.full(n_groups, np.inf, dtype=np.float64)
    hi = np.full(n_groups, -np.inf, dtype=np.float64)
    for i in range(gid.shape[0]):
        if mask[i]:
            g = gid[i]
            v = values[i]
            if v < lo[g]:
                lo[g] = v
            if v > hi[g]:
                hi[g] = v
    return lo, hi


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
