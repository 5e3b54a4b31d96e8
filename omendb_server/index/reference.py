"""Pure-Python reference ordered index with the same API as ``AlexIndex``.

A sorted list of keys (bisect) plus a dict of payloads: obviously correct and used as
the oracle in the ALEX tests. Not meant to be fast.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from typing import Iterator

import numpy as np

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _i64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.int64).reshape(-1)


class ReferenceIndex:
    def __init__(self, keys=None, payloads=None) -> None:
        self._keys: list[int] = []
        self._pay: dict[int, int] = {}
        if keys is not None:
            self.bulk_load(keys, payloads)

    def bulk_load(self, keys, payloads=None) -> None:
        ks = [int(k) for k in _i64(keys)]
        ps = list(range(len(ks))) if payloads is None else [int(p) for p in _i64(payloads)]
        if len(ps) != len(ks):
            raise ValueError("keys and payloads differ in length")
        if any(b <= a for a, b in zip(ks, ks[1:])):
            raise ValueError("bulk_load needs strictly increasing keys")
        self._keys = ks
        self._pay = dict(zip(ks, ps))

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, key) -> int:
        return self._pay.get(int(key), -1)

    def get(self, key, default=None):
        return self._pay.get(int(key), default)

    def __contains__(self, key) -> bool:
        return int(key) in self._pay

    def lookup_many(self, keys) -> np.ndarray:
        return np.array([self._pay.get(int(k), -1) for k in _i64(keys)], dtype=np.int64)

    def range(self, lo=None, hi=None, lo_inclusive=True, hi_inclusive=True, limit=None, reverse=False):
        ks = self._keys
        if lo is None:
            i = 0
        else:
            i = bisect_left(ks, int(lo)) if lo_inclusive else bisect_right(ks, int(lo))
        if hi is None:
            j = len(ks)
        else:
            j = bisect_right(ks, int(hi)) if hi_inclusive else bisect_left(ks, int(hi))
        sel = ks[i:j] if i < j else []
        if reverse:
            sel = sel[::-1]
        if limit is not None:
            sel = sel[: max(int(limit), 0)]
        return (np.array(sel, dtype=np.int64), np.array([self._pay[k] for k in sel], dtype=np.int64))

    def min(self):
        return self._keys[0] if self._keys else None

    def max(self):
        return self._keys[-1] if self._keys else None

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._keys))

    def items(self) -> Iterator[tuple[int, int]]:
        return ((k, self._pay[k]) for k in list(self._keys))

    def keys(self) -> np.ndarray:
        return np.array(self._keys, dtype=np.int64)

    def insert(self, key, payload) -> bool:
        k = int(key)
        if k < INT64_MIN or k > INT64_MAX:
            raise OverflowError(f"key {k} out of int64 range")
        if k in self._pay:
            return False
        insort(self._keys, k)
        self._pay[k] = int(payload)
        return True

    def insert_many(self, keys, payloads) -> np.ndarray:
        ks, ps = _i64(keys), _i64(payloads)
        if ks.shape[0] != ps.shape[0]:
            raise ValueError("keys and payloads differ in length")
        return np.array([self.insert(k, p) for k, p in zip(ks.tolist(), ps.tolist())], dtype=bool)

    def update(self, key, payload) -> bool:
        k = int(key)
        if k not in self._pay:
            return False
        self._pay[k] = int(payload)
        return True

    def delete(self, key) -> bool:
        k = int(key)
        if k not in self._pay:
            return False
        del self._pay[k]
        del self._keys[bisect_left(self._keys, k)]
        return True

    def delete_many(self, keys) -> np.ndarray:
        return np.array([self.delete(k) for k in _i64(keys).tolist()], dtype=bool)

    def clear(self) -> None:
        self._keys = []
        self._pay = {}
