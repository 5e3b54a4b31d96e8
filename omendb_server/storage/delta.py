"""The in-memory delta: every row version of a table not yet folded into Parquet.

Each version carries MVCC stamps: ``begin``/``end`` are commit timestamps
(positive) once committed, or ``-txid`` while the creating/deleting transaction
is in flight. ``end == INF`` means "not deleted". ``succ`` points from an
updated version to its replacement so a READ COMMITTED writer that waited for a
concurrent update can follow the chain, as PostgreSQL does.
"""

from __future__ import annotations

from typing import Any

from typing import Callable

from omendb_server.index import AlexPrimaryIndex, HashPrimaryIndex

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


def _new_pk_index(pk_cols: list[int], pk_to_int: Callable[[Any], int] | None) -> Any:
    """ALEX for one integer-like key column, a hash index otherwise, None without a key."""
    if not pk_cols:
        return None
    if pk_to_int is not None and len(pk_cols) == 1:
        return AlexPrimaryIndex(pk_to_int)
    return HashPrimaryIndex()


def key_getter(cols: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """values → tuple of the values at ``cols``, as one C-level call (keys are built for
    every write, projections for every row)."""
    import operator

    if len(cols) == 1:
        i = cols[0]
        return lambda values: (values[i],)
    return operator.itemgetter(*cols)


class SecondaryIndex:
    """Key tuple → vids of every version with that key. Keys containing NULL are
    not indexed: ``=`` never matches NULL and UNIQUE allows any number of NULLs."""

    __slots__ = ("cols", "unique", "map")

    def __init__(self, cols: list[int], unique: bool) -> None:
        self.cols = tuple(cols)
        self.unique = unique
        self.map = HashPrimaryIndex()

    def key_of(self, values: tuple[Any, ...]) -> tuple[Any, ...] | None:
        key = tuple(values[i] for i in self.cols)
        return None if None in key else key


class TableData:
    """Row versions of one table plus its primary-key and secondary indexes."""

    __slots__ = ("oid", "versions", "pk_cols", "pk_index", "indexes", "pk_of")

    def __init__(self, oid: int, pk_cols: list[int],
                 pk_to_int: Callable[[Any], int] | None = None) -> None:
        self.oid = oid
        self.versions: dict[int, RowVersion] = {}
        self.pk_cols = tuple(pk_cols)
        #: values → primary-key tuple
        self.pk_of = key_getter(self.pk_cols) if pk_cols else (lambda values: ())
        self.pk_index: Any = _new_pk_index(pk_cols, pk_to_int)
        #: index oid → structure; kept for every index any transaction created.
        self.indexes: dict[int, SecondaryIndex] = {}

    def add(self, version: RowVersion) -> None:
        self.versions[version.vid] = version
        if self.pk_index is not None:
            self.pk_index.add(self.pk_of(version.values), version.vid)
        for index in self.indexes.values():
            key = index.key_of(version.values)
            if key is not None:
                index.map.add(key, version.vid)

    def bulk_load(self, rows: list[tuple[int, int, int, tuple[Any, ...]]]) -> int:
        """Add checkpointed versions (vid, begin, end, values) in one pass (recovery).

        Segments hold one live version per key, so the primary-key map can be built
        directly instead of appending key by key."""
        versions = self.versions
        new = {vid: RowVersion(vid, values, begin) for vid, begin, end, values in rows}
        versions.update(new)
        if isinstance(self.pk_index, AlexPrimaryIndex) and len(self.pk_index) == 0:
            pk_of = self.pk_of
            self.pk_index.bulk_load([(pk_of(v.values), vid) for vid, v in new.items()])
        elif self.pk_index is not None:
            pk_of = self.pk_of
            index_map = self.pk_index._map
            for vid, version in new.items():
                key = pk_of(version.values)
                bucket = index_map.get(key)
                if bucket is None:
                    index_map[key] = [vid]
                else:
                    bucket.append(vid)
        for index in self.indexes.values():
            for vid, version in new.items():
                key = index.key_of(version.values)
                if key is not None:
                    index.map.add(key, vid)
        return max(new) if new else 0

    def discard(self, vid: int) -> None:
        version = self.versions.pop(vid, None)
        if version is None:
            return
        if self.pk_index is not None:
            self.pk_index.remove(self.pk_of(version.values), vid)
        for index in self.indexes.values():
            key = index.key_of(version.values)
            if key is not None:
                index.map.remove(key, vid)

    def set_primary_key(self, pk_cols: list[int],
                        pk_to_int: Callable[[Any], int] | None = None) -> None:
        """(Re)build the primary-key index over every version (ALTER TABLE ADD PRIMARY KEY)."""
        self.pk_cols = tuple(pk_cols)
        if not pk_cols:
            self.pk_index = None
            self.pk_of = lambda values: ()
            return
        self.pk_of = key_getter(self.pk_cols)
        self.pk_index = _new_pk_index(pk_cols, pk_to_int)
        for version in self.versions.values():
            self.pk_index.add(self.pk_of(version.values), version.vid)

    def add_index(self, oid: int, cols: list[int], unique: bool) -> SecondaryIndex:
        index = SecondaryIndex(cols, unique)
        for version in self.versions.values():
            key = index.key_of(version.values)
            if key is not None:
                index.map.add(key, version.vid)
        self.indexes[oid] = index
        return index

    def lookup(self, index_oid: int, key: tuple[Any, ...]) -> list[int]:
        """vids carrying ``key`` in the primary key (index_oid 0) or a secondary index."""
        if index_oid == 0:
            return self.pk_index.lookup(key) if self.pk_index is not None else []
        index = self.indexes.get(index_oid)
        return index.map.lookup(key) if index is not None else []

    def versions_with_key(self, key: tuple[Any, ...], index_oid: int = 0) -> list[RowVersion]:
        return [self.versions[v] for v in self.lookup(index_oid, key) if v in self.versions]
