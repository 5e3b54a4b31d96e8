"""The primary-key index on ALEX for single-column integer-like keys.

ALEX maps an int64 key to a *slot*; the slot holds the ids of every row version
carrying that key (MVCC keeps old versions until vacuum), which is the shape
``PrimaryIndex`` promises. Dates and timestamps are mapped to int64 (days /
microseconds since 1970) so they share the same learned index. Besides point
lookups it serves ordered range scans (``pk > x``, ``BETWEEN``, ``ORDER BY pk
LIMIT n``), which the hash index cannot.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Hashable, Iterator

import numpy as np

from omendb_server.index.alex import INT64_MAX, INT64_MIN, AlexIndex

_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_TZ = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_US = _dt.timedelta(microseconds=1)
_DATE_EPOCH = _dt.date(1970, 1, 1).toordinal()


def key_mapper(type_oid: int) -> Callable[[Any], int] | None:
    """value → int64 for the key types ALEX serves (int2/4/8, date, timestamp[tz])."""
    if type_oid in (20, 21, 23):
        return int
    if type_oid == 1082:
        return lambda d: d.toordinal() - _DATE_EPOCH
    if type_oid in (1114, 1184):
        epoch = _EPOCH if type_oid == 1114 else _EPOCH_TZ

        def ts_key(ts: Any) -> int:
            try:
                return (ts - epoch) // _US
            except TypeError:  # BC, after 9999 or infinite: datatypes.far_dates.FarTimestamp
                return ts.unix_micros()

        return ts_key
    return None


class AlexPrimaryIndex:
    """PrimaryIndex (key tuple → vids) backed by ALEX, plus ordered ranges."""

    __slots__ = ("_alex", "_slots", "_free", "_to_int", "_lookup")

    def __init__(self, to_int: Callable[[Any], int]) -> None:
        self._alex = AlexIndex()
        self._lookup = self._alex.lookup
        #: slot → ids of the key's versions: a list, or a bare int for one base row.
        self._slots: list[Any] = []
        self._free: list[int] = []
        self._to_int = to_int

    def add(self, key: Hashable, vid: int) -> None:
        k = self._to_int(key[0])  # type: ignore[index]
        slot = self._lookup(k)
        if slot < 0:
            if self._free:
                slot = self._free.pop()
                self._slots[slot] = [vid]
            else:
                slot = len(self._slots)
                self._slots.append([vid])
            self._alex.insert(k, slot)
        else:
            entry = self._slots[slot]
            if type(entry) is list:
                entry.append(vid)
            else:
                self._slots[slot] = [entry, vid]

    def replace(self, key: Hashable, old: int, new: int) -> None:
        """Swap id ``old`` for ``new`` in the key's bucket (a base row being promoted)."""
        slot = self._lookup(self._to_int(key[0]))  # type: ignore[index]
        if slot < 0:
            return
        entry = self._slots[slot]
        if type(entry) is list:
            if old in entry:
                entry[entry.index(old)] = new
        elif entry == old:
            self._slots[slot] = [new]

    def add_base_refs(self, keys: np.ndarray, positions: np.ndarray) -> None:
        """Add keys known to be absent, each for one base row (``~pos`` slots), in one
        compiled call (COPY's columnar path appending to the base)."""
        start = len(self._slots)
        self._slots.extend((~positions.astype(np.int64)).tolist())
        self._alex.insert_many(keys.astype(np.int64),
                               np.arange(start, start + len(keys), dtype=np.int64))

    def bulk_load_base(self, keys: np.ndarray) -> None:
        """Index base rows by position straight from their int64 key column: each slot
        holds ``~pos`` as a bare int (no list per row), so a 1M-row restart builds no
        Python object per key beyond that int."""
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        self._slots = (~order).tolist()
        self._free = []
        self._alex.bulk_load(sorted_keys, np.arange(len(order), dtype=np.int64))

    def existing_slots(self, int_keys: np.ndarray) -> np.ndarray:
        """Slot of each int64 key, -1 where absent: one compiled call for a batch."""
        return self._alex.lookup_many(int_keys)

    def add_new(self, int_keys: np.ndarray, vids: list[int]) -> None:
        """Add keys known to be absent and distinct, one version each, in one call."""
        start = len(self._slots)
        self._slots.extend([v] for v in vids)
        self._alex.insert_many(int_keys, np.arange(start, start + len(vids), dtype=np.int64))

    def to_int(self, key: Hashable) -> int:
        return self._to_int(key[0])  # type: ignore[index]

    def remove(self, key: Hashable, vid: int) -> None:
        k = self._to_int(key[0])  # type: ignore[index]
        slot = self._lookup(k)
        if slot < 0:
            return
        bucket = self._slots[slot]
        if type(bucket) is not list:
            if bucket != vid:
                return
            bucket = []
        else:
            try:
                bucket.remove(vid)
            except ValueError:
                return
        if not bucket:
            self._alex.delete(k)
            self._free.append(slot)

    def lookup(self, key: Hashable) -> list[int]:
        k = self._to_int(key[0])  # type: ignore[index]
        if k < INT64_MIN or k > INT64_MAX:
            return []
        slot = self._lookup(k)
        if slot < 0:
            return []
        entry = self._slots[slot]
        return entry if type(entry) is list else [entry]

    def bulk_load(self, pairs: list[tuple[Hashable, int]]) -> None:
        """Build from (key, vid) pairs with unique keys (recovery from a checkpoint)."""
        if not pairs:
            return
        to_int = self._to_int
        keys = np.fromiter((to_int(k[0]) for k, _ in pairs), np.int64, len(pairs))  # type: ignore[index]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        self._slots = [[pairs[i][1]] for i in order.tolist()]
        self._free = []
        self._alex.bulk_load(sorted_keys, np.arange(len(pairs), dtype=np.int64))

    def range(self, lo: Any = None, hi: Any = None, lo_inclusive: bool = True,
              hi_inclusive: bool = True, reverse: bool = False, chunk: int = 256
              ) -> Iterator[list[int]]:
        """vid lists of keys in [lo, hi] in key order (descending with ``reverse``),
        fetched from ALEX ``chunk`` keys at a time so ``LIMIT n`` stops early."""
        lo_k = None if lo is None else self._to_int(lo)
        hi_k = None if hi is None else self._to_int(hi)
        lo_inc, hi_inc = lo_inclusive, hi_inclusive
        slots = self._slots
        while True:
            keys, payloads = self._alex.range(lo_k, hi_k, lo_inc, hi_inc, limit=chunk,
                                              reverse=reverse)
            for slot in payloads.tolist():
                entry = slots[slot]
                yield entry if type(entry) is list else [entry]
            if len(keys) < chunk:
                return
            if reverse:
                hi_k, hi_inc = int(keys[-1]), False
            else:
                lo_k, lo_inc = int(keys[-1]), False

    def __len__(self) -> int:
        return len(self._alex)


def warm_up() -> None:
    """Exercise every ALEX kernel once so numba compiles (or loads from its disk cache)
    now rather than inside the first query that touches an integer primary key."""
    idx = AlexPrimaryIndex(int)
    idx.bulk_load([((k,), k) for k in range(0, 64, 2)])
    for k in range(1, 200, 3):
        idx.add((k,), k)
    idx.lookup((5,))
    list(idx.range(3, 90, True, False))
    list(idx.range(None, None, reverse=True))
    for k in range(1, 200, 3):
        idx.remove((k,), k)
    idx._alex.lookup_many(np.arange(10, dtype=np.int64))
