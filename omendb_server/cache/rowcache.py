"""LRU cache of hot committed row versions, keyed by (table oid, primary key).

A hit still goes through ``is_visible`` (the caller checks it), so a stale entry
can never return a wrong row: at worst it misses and the lookup falls back to
the index. Writers invalidate the key anyway so the cache keeps hot, current
versions. Today every row version also lives in the in-memory delta, so the
cache saves an index probe; it pays off once cold rows are read back from
Parquet segments instead of being held in memory.
"""

from __future__ import annotations

from typing import Any, Hashable

from lru import LRU


class RowCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lru: LRU | None = LRU(capacity) if capacity > 0 else None
        self.evictions = 0
        self.hits = 0
        self.misses = 0
        if self._lru is not None:
            self._lru.set_callback(self._on_evict)

    def _on_evict(self, key: Any, value: Any) -> None:
        self.evictions += 1

    @property
    def enabled(self) -> bool:
        return self._lru is not None

    def get(self, table_oid: int, key: Hashable) -> Any | None:
        lru = self._lru
        if lru is None:
            return None
        value = lru.get((table_oid, key))
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, table_oid: int, key: Hashable, version: Any) -> None:
        if self._lru is not None:
            self._lru[(table_oid, key)] = version

    def invalidate(self, table_oid: int, key: Hashable) -> None:
        if self._lru is not None:
            self._lru.pop((table_oid, key), None)

    def clear(self) -> None:
        if self._lru is not None:
            self._lru.clear()

    def stats(self) -> dict[str, Any]:
        total = self.hits + self.misses
        return {
            "capacity": self.capacity,
            "entries": 0 if self._lru is None else len(self._lru),
            "hits": self.hits,
            "misses": self.misses,
            "evictions": self.evictions,
            "hit_ratio": (self.hits / total) if total else 0.0,
        }
