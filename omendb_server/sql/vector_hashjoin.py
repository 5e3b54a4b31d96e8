"""One inner hash-join step of the vectorized join, in the row path's row order.

Why a kernel of our own rather than ``pyarrow.acero``'s hash join: Acero's output order
depends on its threads, while the row path's ``BalancedHashJoin`` emits rows in probe order
and, for one probe row, in build order. Reproducing that order makes the vectorized result
*identical* to the row path's (float sums add in the same order, groups and ORDER BY ties
come out the same), and the numba kernel is as fast as Acero on two cores (measured in
``docs/performance.md``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omendb_server.sql import vector_kernels as K
from omendb_server.sql.vector_rel import factorize_pair, key_int64
from omendb_server.sql.vectorized import Vec, _Fallback

#: ``join_ops.BalancedHashJoin.CHUNK``: the first chunk each input is read in.
FIRST_CHUNK = 2048


def build_is_left(n_left: int, n_right: int) -> bool:
    """Which input the row path's BalancedHashJoin hashes: both are read alternately in
    doubling chunks (left first) and the first one to come up short is the build side."""
    chunk, taken = FIRST_CHUNK, 0
    while True:
        if n_left - taken < chunk:
            return True
        if n_right - taken < chunk:
            return False
        taken += chunk
        chunk *= 2


def _valid(v: Vec, n: int) -> np.ndarray:
    return np.ones(n, dtype=np.bool_) if v.valid is None else v.valid


def keys_int64(left: list[Vec], right: list[Vec], n_left: int, n_right: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both sides' join keys as one int64 per row plus validity (False: a NULL somewhere in
    the key, which matches nothing). One int/date/decimal column is used as it is; text and
    multi-column keys are factorized jointly into dense codes first."""
    if len(left) == 1 and left[0].kind in ("int", "date", "dec"):
        a, b = left[0], right[0]
        scale = max(a.scale, b.scale)
        return (key_int64(a, scale), _valid(a, n_left), key_int64(b, scale), _valid(b, n_right))
    lcode = np.zeros(n_left, dtype=np.int64)
    rcode = np.zeros(n_right, dtype=np.int64)
    lvalid = np.ones(n_left, dtype=np.bool_)
    rvalid = np.ones(n_right, dtype=np.bool_)
    width = 1
    for a, b in zip(left, right):
        ca, cb, k = factorize_pair(a, b)
        lvalid &= ca >= 0
        rvalid &= cb >= 0
        if width * (k + 1) >= 1 << 62:
            # keep the combined codes dense: re-encode them jointly
            enc = pc.dictionary_encode(pa.array(np.concatenate([lcode, rcode])))
            both = np.asarray(enc.indices, dtype=np.int64)
            lcode, rcode, width = both[:n_left], both[n_left:], len(enc.dictionary)
        lcode = lcode * (k + 1) + np.maximum(ca, 0)
        rcode = rcode * (k + 1) + np.maximum(cb, 0)
        width *= k + 1
    return lcode, lvalid, rcode, rvalid


def join_indices(left: list[Vec], right: list[Vec], n_left: int, n_right: int,
                 build_left: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(left row, right row) index pairs of the inner equi-join on ``left`` = ``right``
    (element-wise), in the order the row path's hash join produces them. The build side
    is ``build_left``, or BalancedHashJoin's choice when None."""
    for a, b in zip(left, right):
        if a.kind != b.kind or a.kind not in ("int", "date", "dec", "text"):
            raise _Fallback(f"join key of kinds {a.kind} and {b.kind}")
        if a.kind == "text" and a.blank_padded != b.blank_padded:
            raise _Fallback("char(n) joined with text")
    lk, lv, rk, rv = keys_int64(left, right, n_left, n_right)
    if build_left is None:
        build_left = build_is_left(n_left, n_right)
    if build_left:
        probe, build = K.hash_join_i64(lk, lv, rk, rv)
        return build, probe
    probe, build = K.hash_join_i64(rk, rv, lk, lv)
    return probe, build


def outer_pairs(li: np.ndarray, ri: np.ndarray, n_left: int, n_right: int, kind: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """The matched pairs (in left order, from a join that hashed the right side) completed
    as the row path's outer hash joins complete them: LEFT/FULL put a (row, -1) pair for
    every left row without a partner in its place; RIGHT/FULL then append a (-1, row) pair
    for every right row without one, in right order (``join_ops.HashOuterJoin``)."""
    if kind in ("left", "full"):
        has = np.zeros(n_left, dtype=np.bool_)
        has[li] = True
        alone = np.flatnonzero(~has)
        if len(alone):
            rows = np.concatenate([li, alone])
            order = np.argsort(rows, kind="stable")
            li = rows[order]
            ri = np.concatenate([ri, np.full(len(alone), -1, dtype=np.int64)])[order]
    if kind in ("right", "full"):
        has = np.zeros(n_right, dtype=np.bool_)
        has[ri[ri >= 0]] = True
        alone = np.flatnonzero(~has)
        li = np.concatenate([li, np.full(len(alone), -1, dtype=np.int64)])
        ri = np.concatenate([ri, alone])
    return li, ri
