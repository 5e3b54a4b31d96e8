"""ALEX learned index (Ding et al., SIGMOD 2020) over int64 keys with int64 payloads.

Used for integer-like primary keys (ints; dates and timestamps mapped to int64 by the
caller); payloads are row ids. The compiled kernels live in ``alex_kernels`` and are
cached on disk by numba (``cache=True``).

Structure
    A tree of nodes. Internal nodes hold a linear model ``slot = floor(a * (key - anchor)
    + b) + offset`` (clamped) over a child-pointer array; several adjacent slots may point
    at the same child. Data nodes (leaves) are gapped arrays of (key, payload) pairs with a
    linear model predicting a key's position; lookups search exponentially from the
    prediction. Bulk load fits each node's model on the key CDF, places keys where their
    model predicts (model-based insertion, so most keys sit exactly at their predicted
    slot) and decides per node, from the expected search cost, between a leaf and a
    further internal level: that is what keeps skewed (lognormal) keys fast.

Adaptivity on inserts
    A full leaf (density > 0.92) or one whose inserts cost too much (shifts + search
    distance) is either *expanded* (retrained and re-placed at density 0.7) when its model
    still fits, or *split*: sideways when it owns several parent slots, after doubling
    the parent's fanout when it owns one, or downwards into a new internal node over its
    key interval. Keys beyond the root's domain *expand the root* (new slots to the right
    or left pointing at a fresh leaf), so ascending keys (sequences, timestamps) stay
    shallow. Deletes shrink leaves that fall below density 0.15.

Gaps hold a copy of the next key to their right (trailing gaps INT64_MAX), so each
gapped array is sorted and a slot is a gap iff its right neighbour has the same key: no
occupancy bitmap is read on lookups.

Not thread-safe: the caller serialises writers against readers.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from omendb_server.index import alex_kernels as K

INT64_MIN = int(K.I64_MIN)
INT64_MAX = int(K.I64_MAX)

_EMPTY = np.empty(0, np.int64)
_lookup_one = K.lookup_one


def _as_i64_array(a) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype != np.int64:
        if arr.size and arr.dtype.kind not in "iub":
            raise TypeError(f"int64 keys expected, got {arr.dtype}")
        arr = arr.astype(np.int64)
    return np.ascontiguousarray(arr).reshape(-1)


def _check_key(key) -> int:
    k = int(key)
    if k < INT64_MIN or k > INT64_MAX:
        raise OverflowError(f"key {k} out of int64 range")
    return k


class AlexIndex:
    """Ordered map int64 key -> int64 payload (row id)."""

    __slots__ = ("_hi", "_hf", "_hb", "_slots", "_ch", "_meta")

    def __init__(self, keys=None, payloads=None) -> None:
        self.bulk_load(_EMPTY if keys is None else keys, payloads)

    # ------------------------------------------------------------------ build

    def bulk_load(self, keys, payloads=None) -> None:
        """Replace the contents with sorted, unique keys and their payloads
        (default payload: the key's position)."""
        keys = _as_i64_array(keys)
        if payloads is None:
            pays = np.arange(keys.shape[0], dtype=np.int64)
        else:
            pays = _as_i64_array(payloads)
            if pays.shape[0] != keys.shape[0]:
                raise ValueError("keys and payloads differ in length")
        if keys.shape[0] > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            raise ValueError("bulk_load needs strictly increasing keys")
        bhi, bhb, bch, bslots, nn, nch, nsl, first, last = K.build(
            keys, pays, K.I64_MIN, K.I64_MAX, 0, K.BULK_DENSITY
        )
        extra_nodes = 16
        self._hi = np.zeros((nn + extra_nodes, K.NI), np.int64)
        self._hi[:nn] = bhi[:nn]
        self._hf = self._hi.view(np.float64)
        self._hb = np.zeros((nn + extra_nodes, 2), np.int64)
        self._hb[:nn] = bhb[:nn]
        self._ch = bch[:nch].copy() if bch.shape[0] > nch + 1024 else bch
        self._slots = bslots[: 2 * nsl].copy() if bslots.shape[0] > 2 * nsl + 4096 else bslots
        meta = np.zeros(K.META_N, np.int64)
        meta[K.M_ROOT] = 0
        meta[K.M_NNODES] = nn
        meta[K.M_SLOTS_USED] = nsl
        meta[K.M_CH_USED] = nch
        meta[K.M_NKEYS] = keys.shape[0]
        meta[K.M_FIRST] = first
        meta[K.M_LAST] = last
        self._meta = meta

    # ------------------------------------------------------------------ reads

    def __len__(self) -> int:
        return int(self._meta[K.M_NKEYS])

    def lookup(self, key) -> int:
        """Payload of key, or -1 if absent."""
        if type(key) is not int:
            key = int(key)  # numpy scalars are slow to pass to numba
        if key < INT64_MIN or key > INT64_MAX:
            return -1
        return _lookup_one(self._hi, self._slots, self._ch, key)

    def get(self, key, default=None):
        """Payload of key or default (unambiguous even for a payload of -1)."""
        try:
            k = _check_key(key)
        except OverflowError:
            return default
        _, ps = self.range(k, k)
        return int(ps[0]) if ps.shape[0] else default

    def __contains__(self, key) -> bool:
        try:
            k = _check_key(key)
        except (OverflowError, TypeError, ValueError):
            return False
        return self.range(k, k)[0].shape[0] > 0

    def lookup_many(self, keys) -> np.ndarray:
        """Payloads for an array of keys (-1 where absent), in one compiled call."""
        qs = _as_i64_array(keys)
        out = np.empty(qs.shape[0], np.int64)
        K.lookup_many(self._hi, self._hf, self._slots, self._ch, self._meta[K.M_ROOT], qs, out)
        return out

    def range(
        self,
        lo=None,
        hi=None,
        lo_inclusive: bool = True,
        hi_inclusive: bool = True,
        limit: int | None = None,
        reverse: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(keys, payloads) with lo <(=) key <(=) hi in key order (descending if reverse),
        at most ``limit``. None bounds are open."""
        a = INT64_MIN if lo is None else int(lo)
        b = INT64_MAX if hi is None else int(hi)
        if lo is not None and not lo_inclusive:
            a += 1
        if hi is not None and not hi_inclusive:
            b -= 1
        a = max(a, INT64_MIN)
        b = min(b, INT64_MAX)
        if a > b or (limit is not None and limit <= 0):
            return _EMPTY.copy(), _EMPTY.copy()
        lim = -1 if limit is None else int(limit)
        fn = K.range_scan_rev if reverse else K.range_scan
        return fn(self._hi, self._slots, self._ch, self._meta[K.M_ROOT], a, b, lim)

    def min(self):
        """Smallest key (None when empty)."""
        k, _ = self.range(limit=1)
        return int(k[0]) if k.shape[0] else None

    def max(self):
        k, _ = self.range(limit=1, reverse=True)
        return int(k[0]) if k.shape[0] else None

    def items(self, chunk: int = 65536) -> Iterator[tuple[int, int]]:
        for ks, ps in self._chunks(chunk):
            yield from zip(ks.tolist(), ps.tolist())

    def __iter__(self) -> Iterator[int]:
        for ks, _ in self._chunks(65536):
            yield from ks.tolist()

    def keys(self) -> np.ndarray:
        return self.range()[0]

    def to_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.range()

    def _chunks(self, chunk: int):
        lo = INT64_MIN
        while True:
            ks, ps = self.range(lo, None, limit=chunk)
            if ks.shape[0]:
                yield ks, ps
            if ks.shape[0] < chunk or int(ks[-1]) == INT64_MAX:
                return
            lo = int(ks[-1]) + 1

    # ------------------------------------------------------------------ writes

    def insert(self, key, payload) -> bool:
        """Add key -> payload; False (and no change) if the key is already present."""
        res = self.insert_many(np.array([_check_key(key)], np.int64), np.array([int(payload)], np.int64))
        return bool(res[0])

    def insert_many(self, keys, payloads) -> np.ndarray:
        """Insert in order; returns a bool array, False where the key was already present
        (including earlier in the same batch)."""
        ks = _as_i64_array(keys)
        ps = _as_i64_array(payloads)
        if ps.shape[0] != ks.shape[0]:
            raise ValueError("keys and payloads differ in length")
        res = np.zeros(ks.shape[0], np.int8)
        j = 0
        while True:
            j, status, leaf = K.insert_many(self._hi, self._slots, self._ch, self._meta, ks, ps, res, j)
            if status == K.ST_DONE:
                return res.astype(bool)
            if status == K.ST_NEED_ROOT_EXPAND:
                self._root_expand(int(ks[j]))
            else:
                self._make_room(int(leaf))

    def update(self, key, payload) -> bool:
        """Set the payload of an existing key; False if absent."""
        res = np.zeros(1, np.int8)
        K.update_many(
            self._hi, self._slots, self._ch, self._meta[K.M_ROOT],
            np.array([_check_key(key)], np.int64), np.array([int(payload)], np.int64), res,
        )
        return bool(res[0])

    def delete(self, key) -> bool:
        """Remove key; False if it was absent."""
        try:
            k = _check_key(key)
        except OverflowError:
            return False
        return bool(self.delete_many(np.array([k], np.int64))[0])

    def delete_many(self, keys) -> np.ndarray:
        ks = _as_i64_array(keys)
        res = np.zeros(ks.shape[0], np.int8)
        j = 0
        while True:
            j, leaf = K.delete_many(self._hi, self._slots, self._ch, self._meta, ks, res, j)
            if leaf < 0:
                return res.astype(bool)
            self._shrink(int(leaf))

    def compact(self) -> None:
        """Release arena space left by rebuilt nodes and growth headroom."""
        meta = self._meta
        cap, _, _, _ = K.stats(self._hi, meta)
        new = np.empty(2 * int(cap), np.int64)
        meta[K.M_SLOTS_USED] = K.compact(self._hi, self._slots, meta, new)
        meta[K.M_SLOT_GARBAGE] = 0
        self._slots = new
        used, garbage = int(meta[K.M_CH_USED]), int(meta[K.M_CH_GARBAGE])
        newc = np.empty(used - garbage, np.int64)
        meta[K.M_CH_USED] = K.compact_children(self._hi, self._ch, meta, newc)
        meta[K.M_CH_GARBAGE] = 0
        self._ch = newc

    def clear(self) -> None:
        self.bulk_load(_EMPTY)

    # ------------------------------------------------------------------ restructuring

    def _ensure(self, slots: int = 0, nodes: int = 0, ch: int = 0) -> None:
        meta = self._meta
        if slots:
            used = int(meta[K.M_SLOTS_USED])
            if 2 * (used + slots) > self._slots.shape[0]:
                garbage = int(meta[K.M_SLOT_GARBAGE])
                live = used - garbage
                size = int((live + slots) * 1.5) + 1024
                new = np.empty(2 * size, np.int64)
                if garbage > used // 4:
                    meta[K.M_SLOTS_USED] = K.compact(self._hi, self._slots, meta, new)
                    meta[K.M_SLOT_GARBAGE] = 0
                else:
                    size = max(size, int((used + slots) * 1.5) + 1024)
                    new = np.empty(2 * size, np.int64)
                    new[: 2 * used] = self._slots[: 2 * used]
                self._slots = new
        if nodes:
            nn = int(meta[K.M_NNODES])
            if nn + nodes > self._hi.shape[0]:
                rows = max(nn + nodes, 2 * self._hi.shape[0])
                hi = np.zeros((rows, K.NI), np.int64)
                hi[:nn] = self._hi[:nn]
                hb = np.zeros((rows, 2), np.int64)
                hb[:nn] = self._hb[:nn]
                self._hi, self._hb = hi, hb
                self._hf = hi.view(np.float64)
        if ch:
            used = int(meta[K.M_CH_USED])
            if used + ch > self._ch.shape[0]:
                garbage = int(meta[K.M_CH_GARBAGE])
                if garbage > used // 4:
                    new = np.empty(int((used - garbage + ch) * 1.5) + 64, np.int64)
                    meta[K.M_CH_USED] = K.compact_children(self._hi, self._ch, meta, new)
                    meta[K.M_CH_GARBAGE] = 0
                else:
                    new = np.empty(int((used + ch) * 1.5) + 64, np.int64)
                    new[:used] = self._ch[:used]
                self._ch = new

    def _root_expand(self, key: int) -> None:
        root = int(self._meta[K.M_ROOT])
        nf = int(K.root_expand_target(self._hi, self._hf, root, key))
        if nf == 0:  # cannot happen: the kernel checked
            raise AssertionError("root expansion requested but not possible")
        self._ensure(slots=K.MIN_CAP, nodes=1, ch=abs(nf))
        K.root_expand(self._hi, self._hb, self._slots, self._ch, self._meta, nf)

    def _make_room(self, leaf: int) -> None:
        hi, meta = self._hi, self._meta
        keys, pays = K.leaf_extract(hi, self._slots, leaf)
        n = keys.shape[0]
        ins = int(hi[leaf, K.H_INS])
        appending = ins >= 16 and 4 * int(hi[leaf, K.H_APPENDS]) >= 3 * ins
        parent = int(hi[leaf, K.H_PARENT])
        a, b = int(hi[leaf, K.H_PLO]), int(hi[leaf, K.H_PHI])
        if appending and n >= K.LEAF_MAX and parent >= 0 and b - a >= 2:
            # ascending inserts: close this leaf (dense) and give the slots right of its
            # last key to a fresh leaf, instead of leaving two half-empty leaves behind
            s = int(K.inner_slot(hi, self._hf, parent, int(keys[-1]))) + 1
            if a < s < b:
                self._ensure(slots=int(K.cap_for(n, K.BULK_DENSITY)) + 2 * K.MIN_CAP, nodes=1)
                K.split_sideways(self._hi, self._hb, self._slots, self._ch, meta, leaf, keys, pays, s,
                                 K.INSERT_DENSITY, K.BULK_DENSITY)
                return
        if n < K.LEAF_SPLIT_MIN or (n < K.LEAF_MAX and K.leaf_is_worth_it(keys, 0, n, K.INSERT_DENSITY)):
            if appending:  # keys packed at the left, free room at the end to extrapolate into
                cap_new = int(K.cap_for(n + 1, K.APPEND_DENSITY))
                fit_cap = int(K.cap_for(n, K.BULK_DENSITY))
            else:
                cap_new = fit_cap = int(K.cap_for(n + 1, K.INSERT_DENSITY))
            self._ensure(slots=cap_new)
            K.rebuild_leaf(self._hi, self._slots, meta, leaf, keys, pays, cap_new, fit_cap)
            meta[K.M_EXPANSIONS] += 1
            return
        cap_new = int(K.cap_for(n + 1, K.INSERT_DENSITY))
        if parent < 0:
            self._split_down(leaf, keys, pays, mode=1)
            meta[K.M_CLAMPED_LEFT] = 0
            meta[K.M_CLAMPED_RIGHT] = 0
            return
        if b - a == 1:
            f = int(hi[parent, K.H_CAP])
            if 2 * f <= K.DOUBLE_MAX_FANOUT and self._hf[parent, K.H_SLOPE] > 0.0:
                self._ensure(ch=2 * f)
                K.double_fanout(self._hi, self._ch, meta, parent)
                a, b = 2 * a, 2 * b
            else:
                self._split_down(leaf, keys, pays, mode=2)
                return
        s = int(K.split_point(self._hi, self._hf, parent, keys, a, b))
        self._ensure(slots=2 * cap_new + 2 * K.MIN_CAP, nodes=1)
        K.split_sideways(self._hi, self._hb, self._slots, self._ch, meta, leaf, keys, pays, s,
                         K.INSERT_DENSITY, K.INSERT_DENSITY)

    def _split_down(self, leaf: int, keys: np.ndarray, pays: np.ndarray, mode: int) -> None:
        hi, hb = self._hi, self._hb
        bhi, bhb, bch, bslots, nn, nch, nsl, first, last = K.build(
            keys, pays, hb[leaf, 0], hb[leaf, 1], mode, K.INSERT_DENSITY
        )
        self._ensure(slots=nsl, nodes=nn, ch=nch)
        hi = self._hi
        meta = self._meta
        meta[K.M_SLOT_GARBAGE] += hi[leaf, K.H_CAP]
        K.commit(
            hi, self._hb, self._slots, self._ch, meta, bhi, bhb, bch, bslots, nn, nch, nsl, first, last,
            leaf, int(hi[leaf, K.H_PARENT]), int(hi[leaf, K.H_PLO]), int(hi[leaf, K.H_PHI]),
            int(hi[leaf, K.H_PREV]), int(hi[leaf, K.H_NEXT]),
        )
        meta[K.M_SPLITS_DOWN] += 1

    def _shrink(self, leaf: int) -> None:
        """Rebuild a leaf flagged by deletes (sparse, or with long gap runs)."""
        hi = self._hi
        if hi[leaf, K.H_TYPE] != K.T_LEAF:
            return
        n = int(hi[leaf, K.H_NKEYS])
        keys, pays = K.leaf_extract(hi, self._slots, leaf)
        cap_new = int(K.cap_for(n, K.INSERT_DENSITY))
        self._ensure(slots=cap_new)
        K.rebuild_leaf(self._hi, self._slots, self._meta, leaf, keys, pays, cap_new, cap_new)
        self._meta[K.M_CONTRACTIONS] += 1

    # ------------------------------------------------------------------ introspection

    def stats(self) -> dict:
        cap, leaves, inner, depth = K.stats(self._hi, self._meta)
        m = self._meta
        return {
            "keys": int(m[K.M_NKEYS]),
            "leaves": int(leaves),
            "internal_nodes": int(inner),
            "max_depth": int(depth),
            "leaf_slots": int(cap),
            "expansions": int(m[K.M_EXPANSIONS]),
            "splits_sideways": int(m[K.M_SPLITS_SIDE]),
            "splits_downward": int(m[K.M_SPLITS_DOWN]),
            "fanout_doublings": int(m[K.M_FANOUT_DOUBLINGS]),
            "root_expansions": int(m[K.M_ROOT_EXPANSIONS]),
            "contractions": int(m[K.M_CONTRACTIONS]),
            "shifts": int(m[K.M_SHIFTS]),
        }

    def memory_bytes(self) -> dict:
        """Bytes held, split into the keys + payloads themselves and the index overhead
        (gap slots, node headers with the model parameters, child pointers, and arena
        space not currently owned by a leaf: freed regions and growth headroom)."""
        cap, leaves, inner, _ = K.stats(self._hi, self._meta)
        n = int(self._meta[K.M_NKEYS])
        nn = int(self._meta[K.M_NNODES])
        data = 16 * n
        gaps = 16 * (int(cap) - n)
        headers = nn * (K.NI * 8 + 16)
        headers_alloc = self._hi.nbytes + self._hb.nbytes + self._meta.nbytes
        child = self._ch.nbytes
        arena_free = self._slots.nbytes - 16 * int(cap)
        overhead = gaps + headers_alloc + child + arena_free
        return {
            "keys_payloads": data,
            "gap_slots": gaps,
            "model_params": nn * 24,
            "node_headers": headers,
            "node_headers_allocated": headers_alloc,
            "child_pointers": child,
            "arena_free": arena_free,
            "overhead": overhead,
            "total": data + overhead,
            "overhead_per_key": overhead / n if n else float(overhead),
        }

    def check(self) -> None:
        """Verify structural invariants (tests / debugging); raises AssertionError."""
        hi, hf, slots, ch, meta = self._hi, self._hf, self._slots, self._ch, self._meta
        root = int(meta[K.M_ROOT])
        # every leaf reachable in order; keys sorted across leaves; counts agree
        leaf = int(meta[K.M_FIRST])
        prev = -1
        total = 0
        last_key = None
        seen = 0
        while leaf >= 0:
            assert hi[leaf, K.H_TYPE] == K.T_LEAF
            assert int(hi[leaf, K.H_PREV]) == prev
            start, cap, lst = int(hi[leaf, K.H_START]), int(hi[leaf, K.H_CAP]), int(hi[leaf, K.H_LAST])
            ks = slots[2 * start : 2 * (start + cap) : 2]
            assert np.all(ks[1:] >= ks[:-1]), "gapped array not sorted"
            assert np.all(ks[lst + 1 :] == INT64_MAX)
            real = np.ones(lst + 1, bool)
            if lst >= 0:
                real[:-1] = ks[: lst] != ks[1 : lst + 1]
            rk = ks[: lst + 1][real]
            assert rk.shape[0] == int(hi[leaf, K.H_NKEYS]), "key count mismatch"
            if rk.shape[0]:
                if last_key is not None:
                    assert rk[0] > last_key
                last_key = int(rk[-1])
                routed = np.array([K.route(hi, hf, ch, root, int(x)) for x in (rk[0], rk[-1])])
                assert np.all(routed == leaf), "key does not route to its leaf"
            total += rk.shape[0]
            prev = leaf
            leaf = int(hi[leaf, K.H_NEXT])
            seen += 1
        assert prev == int(meta[K.M_LAST])
        assert total == int(meta[K.M_NKEYS])
        nl = sum(1 for i in range(int(meta[K.M_NNODES])) if hi[i, K.H_TYPE] == K.T_LEAF)
        assert nl == seen, "unlinked leaves"
