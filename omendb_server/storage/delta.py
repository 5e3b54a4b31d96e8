"""The in-memory delta: every row version of a table not yet folded into Parquet.

Each version carries MVCC stamps: ``begin``/``end`` are commit timestamps
(positive) once committed, or ``-txid`` while the creating/deleting transaction
is in flight. ``end == INF`` means "not deleted". ``succ`` points from an
updated version to its replacement so a READ COMMITTED writer that waited for a
concurrent update can follow the chain, as PostgreSQL does.
"""

from __future__ import annotations

from typing import Any

from omendb_server.index import HashPrimaryIndex

INF = 1 << 62


class RowVersion:
    __slots__ = ("vid", "values", "begin", "end", "succ", "lockers")

    def __init__(self, vid: int, values: tuple[Any, ...], begin: int) -> None:
        self.vid = vid
        self.values = values
        self.begin = begin
        self.end = INF
        self.succ = 0
        #: Row locks of SELECT ... FOR UPDATE/SHARE: txid → 'U' (update) or 'S' (share).
        self.lockers: dict[int, str] | None = None

    def __repr__(self) -> str:
        return f"RowVersion({self.vid}, {self.values}, b={self.begin}, e={self.end})"


class TableData:
    """Row versions of one table plus its primary-key index."""

    __slots__ = ("oid", "versions", "pk_cols", "pk_index")

    def __init__(self, oid: int, pk_cols: list[int]) -> None:
        self.oid = oid
        self.versions: dict[int, RowVersion] = {}
        self.pk_cols = tuple(pk_cols)
        self.pk_index = HashPrimaryIndex() if pk_cols else None

    def pk_of(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(values[i] for i in self.pk_cols)

    def add(self, version: RowVersion) -> None:
        self.versions[version.vid] = version
        if self.pk_index is not None:
            self.pk_index.add(self.pk_of(version.values), version.vid)

    def discard(self, vid: int) -> None:
        version = self.versions.pop(vid, None)
        if version is not None and self.pk_index is not None:
            self.pk_index.remove(self.pk_of(version.values), vid)

    def versions_with_key(self, key: tuple[Any, ...]) -> list[RowVersion]:
        assert self.pk_index is not None
        return [self.versions[v] for v in self.pk_index.lookup(key)]
