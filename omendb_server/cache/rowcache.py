"""LRU cache of hot committed row versions, keyed by (table oid, primary key).

A hit still goes through ``is_visible`` (the caller checks it), so a stale entry
can never return a wrong row: at worst it misses and the lookup falls back to
the index. Writers invalidate the key anyway so the cache keeps hot, current
versions. Today every row version also lives in the in-memory delta, so the
cache saves an index probe; it pays off once cold rows are read back from
Parquet segments instead of being held in memory.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from lru import LRU


class RowCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lru: LRU | None = LRU(capacity) if capacity > 0 else None
        self.hits = 0
        self.misses = 0
        #: entries that were new keys when put, and entries removed by invalidate/clear:
        #: evictions are what is missing between them (no per-eviction Python callback)
        self._inserted = 0
        self._removed = 0
        #: keys of checkpointed rows missed once recently (see ``admit``)
        self._door: set[tuple[int, Hashable]] = set()

    @property
    def evictions(self) -> int:
        lru = self._lru
        return 0 if lru is None else self._inserted - self._removed - len(lru)

    def admit(self, table_oid: int, key: Hashable) -> bool:
        """Whether a checkpointed row just read on a miss should enter the cache: on its
        second miss within the last ``capacity`` misses (a doorkeeper, as TinyLFU's).

        Reading such a row again costs one index probe and a few array reads, while
        putting it costs an allocation and, once the cache is full, an eviction: under
        uniformly random lookups over a table far larger than the cache nearly every
        put is wasted (pgbench -S: about 5 µs per lookup). A key read again soon gets in
        at its second miss, so skewed (Zipfian) workloads keep their hit rate."""
        k = (table_oid, key)
        door = self._door
        if k in door:
            door.discard(k)
            return True
        if len(door) >= self.capacity:
            door.clear()
        door.add(k)
        return False

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
        lru = self._lru
        if lru is not None:
            k = (table_oid, key)
            if not lru.has_key(k):
                self._inserted += 1
            lru[k] = version

    def invalidate(self, table_oid: int, key: Hashable) -> None:
        if self._lru is not None and self._lru.pop((table_oid, key), None) is not None:
            self._removed += 1

    def clear(self) -> None:
        if self._lru is not None:
            self._removed += len(self._lru)
            self._lru.clear()
            self._door.clear()

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
