"""Primary-key index: key tuple → ids of every row version carrying that key.

All versions are indexed (not only visible ones) because visibility depends on
the reader's snapshot; the caller filters with ``is_visible``. A key rarely has
more than a couple of versions, so a list per key is the cheap choice.
"""

from __future__ import annotations

from typing import Hashable, Protocol


class PrimaryIndex(Protocol):
    def add(self, key: Hashable, vid: int) -> None: ...
    def remove(self, key: Hashable, vid: int) -> None: ...
    def lookup(self, key: Hashable) -> list[int]: ...
    def __len__(self) -> int: ...


class HashPrimaryIndex:
    __slots__ = ("_map",)

    def __init__(self) -> None:
        self._map: dict[Hashable, list[int]] = {}

    def add(self, key: Hashable, vid: int) -> None:
        bucket = self._map.get(key)
        if bucket is None:
            self._map[key] = [vid]
        else:
            bucket.append(vid)

    def remove(self, key: Hashable, vid: int) -> None:
        bucket = self._map.get(key)
        if bucket is None:
            return
        try:
            bucket.remove(vid)
        except ValueError:
            return
        if not bucket:
            del self._map[key]

    def lookup(self, key: Hashable) -> list[int]:
        return self._map.get(key, [])

    def replace(self, key: Hashable, old: int, new: int) -> None:
        """Swap id ``old`` for ``new`` in the key's bucket (a base row being promoted)."""
        bucket = self._map.get(key)
        if bucket is not None and old in bucket:
            bucket[bucket.index(old)] = new

    def __len__(self) -> int:
        return len(self._map)
