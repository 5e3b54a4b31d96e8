"""The in-memory delta: every row version of a table not yet folded into Parquet.

Each version carries MVCC stamps: ``begin``/``end`` are commit timestamps
(positive) once committed, or ``-txid`` while the creating/deleting transaction
is in flight. ``end == INF`` means "not deleted". ``succ`` points from an
updated version to its replacement so a READ COMMITTED writer that waited for a
concurrent update can follow the chain, as PostgreSQL does.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from omendb_server.index import AlexPrimaryIndex, HashPrimaryIndex
from omendb_server.storage.base import BaseRows

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

    __slots__ = ("cols", "unique", "map", "key_fn")

    def __init__(self, cols: list[int], unique: bool,
                 key_fn: Callable[[tuple[Any, ...]], tuple[Any, ...] | None] | None = None) -> None:
        self.cols = tuple(cols)
        self.unique = unique
        self.map = HashPrimaryIndex()
        #: Expression / partial index: values → key (None: not indexed), compiled by the
        #: SQL layer (sql/index_keys.py); None for a plain column index.
        self.key_fn = key_fn

    def key_of(self, values: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if self.key_fn is not None:
            return self.key_fn(values)
        key = tuple(values[i] for i in self.cols)
        return None if None in key else key


class TableData:
    """Row versions of one table plus its primary-key and secondary indexes.

    Rows live in two places: ``base`` (the last checkpoint, Arrow columns, see
    ``storage/base.py``) and ``delta`` (``RowVersion`` objects written since, plus
    base rows promoted for writing). Index buckets hold vids of delta versions and
    ``~pos`` (a negative number) for base rows not promoted yet.

    Visibility of bucket entries is decided in the SQL layer (``operators.visible_values``),
    next to the one visibility rule. ``versions`` is the safe, simple view for code that wants every version as a
    ``RowVersion`` (DDL rewrites, constraint checks): it promotes all base rows
    first. Hot paths use ``delta`` and the base-aware helpers below instead.
    """

    __slots__ = ("oid", "delta", "pk_cols", "pk_index", "indexes", "pk_of", "base")

    def __init__(self, oid: int, pk_cols: list[int],
                 pk_to_int: Callable[[Any], int] | None = None) -> None:
        self.oid = oid
        self.delta: dict[int, RowVersion] = {}
        self.base: BaseRows | None = None
        self.pk_cols = tuple(pk_cols)
        #: values → primary-key tuple
        self.pk_of = key_getter(self.pk_cols) if pk_cols else (lambda values: ())
        self.pk_index: Any = _new_pk_index(pk_cols, pk_to_int)
        #: index oid → structure; kept for every index any transaction created.
        self.indexes: dict[int, SecondaryIndex] = {}

    @property
    def versions(self) -> dict[int, RowVersion]:
        """Every version as a RowVersion (promotes the whole base: O(rows), for DDL)."""
        self.promote_all()
        return self.delta

    def add(self, version: RowVersion) -> None:
        self.delta[version.vid] = version
        if self.pk_index is not None:
            self.pk_index.add(self.pk_of(version.values), version.vid)
        for index in self.indexes.values():
            key = index.key_of(version.values)
            if key is not None:
                index.map.add(key, version.vid)

    # -- the checkpointed base ------------------------------------------------------------
    def load_base(self, base: "BaseRows") -> int:
        """Serve a checkpoint segment's rows from ``base`` (recovery); returns the max vid.

        An ALEX primary key is bulk-loaded straight from the key column (no Python
        object per row); other keys are added row by row."""
        self.base = base
        if not len(base):
            return 0
        pk = self.pk_index
        keys = base.int_keys(self.pk_cols[0]) if isinstance(pk, AlexPrimaryIndex) else None
        if keys is not None and len(pk) == 0:
            pk.bulk_load_base(keys)
        elif pk is not None:
            pk_of = self.pk_of
            for pos, values in base.rows():
                pk.add(pk_of(values), ~pos)
        for index in self.indexes.values():
            self._index_base(index)
        return int(base.vids[-1])

    def _index_base(self, index: "SecondaryIndex") -> None:
        if self.base is None:
            return
        for pos, values in self.base.rows():
            key = index.key_of(values)
            if key is not None:
                index.map.add(key, ~pos)

    def append_base(self, seg: Any, types: list[Any]) -> None:
        """Add committed rows (a table in segment layout, vids above every existing one)
        after the base's rows: positions of existing base rows do not move, so index
        refs stay valid. Copies the old base once (a COPY's commit, not per row)."""
        import pyarrow as pa

        old = self.base
        if old is not None and old.table.num_columns != seg.num_columns:
            self.promote_all()  # the table's columns changed since that base was written
        if old is not None and old.promoted == len(old):
            old = None  # every row moved to the delta: nothing refers to its positions
        if old is None:
            n_old = 0
            base = BaseRows(seg, types)
        else:
            n_old = len(old)
            schema = old.table.schema
            seg = pa.Table.from_arrays([seg.column(i).cast(schema.field(i).type)
                                        for i in range(seg.num_columns)], schema=schema)
            base = BaseRows(pa.concat_tables([old.table, seg]), types)
            base.live[:n_old] = old.live
            base.promoted = old.promoted
        self.base = base
        positions = np.arange(n_old, len(base), dtype=np.int64)
        pk = self.pk_index
        keys = base.int_keys(self.pk_cols[0]) if isinstance(pk, AlexPrimaryIndex) else None
        if keys is not None:
            pk.add_base_refs(keys[n_old:], positions)
        elif pk is not None or self.indexes:
            for pos in positions.tolist():
                values = base.row(pos)
                if pk is not None:
                    pk.add(self.pk_of(values), ~pos)
                for index in self.indexes.values():
                    key = index.key_of(values)
                    if key is not None:
                        index.map.add(key, ~pos)

    def replace_with_base(self, base: "BaseRows") -> None:
        """Serve exactly ``base`` (a checkpoint just written): empty delta, indexes rebuilt.
        Only when nothing refers to a vid of the table (see ``TransactionManager._fold``)."""
        self.delta = {}
        self.base = None
        pk = self.pk_index
        if isinstance(pk, AlexPrimaryIndex):
            self.pk_index = AlexPrimaryIndex(pk._to_int)
        elif pk is not None:
            self.pk_index = HashPrimaryIndex()
        self.indexes = {oid: SecondaryIndex(list(ix.cols), ix.unique, ix.key_fn)
                        for oid, ix in self.indexes.items()}
        self.load_base(base)

    def promote(self, pos: int) -> RowVersion:
        """Move base row ``pos`` into the delta as a RowVersion (before writing to it)."""
        base = self.base
        assert base is not None and base.live[pos]
        vid = int(base.vids[pos])
        values = base.row(pos)
        version = RowVersion(vid, values, int(base.begins[pos]))
        base.live[pos] = False
        base.promoted += 1
        self.delta[vid] = version
        ref = ~pos
        if self.pk_index is not None:
            self.pk_index.replace(self.pk_of(values), ref, vid)
        for index in self.indexes.values():
            key = index.key_of(values)
            if key is not None:
                index.map.replace(key, ref, vid)
        return version

    def promote_all(self) -> None:
        base = self.base
        if base is None or base.promoted == len(base):
            return
        for pos in base.live_positions().tolist():
            self.promote(pos)

    def version(self, vid: int) -> RowVersion | None:
        """The version ``vid`` (promoting a base row), None if it does not exist."""
        v = self.delta.get(vid)
        if v is None and self.base is not None:
            pos = self.base.pos_of_vid(vid)
            if pos >= 0 and self.base.live[pos]:
                return self.promote(pos)
        return v

    def resolve(self, ids: list[int]) -> list[RowVersion]:
        """Index bucket entries → RowVersions (base rows promoted)."""
        out = []
        delta = self.delta
        for i in list(ids):
            if i >= 0:
                v = delta.get(i)
                if v is not None:
                    out.append(v)
            elif self.base is not None and self.base.live[~i]:
                out.append(self.promote(~i))
        return out

    def base_rows(self, read_ts: int):  # type: ignore[no-untyped-def]
        """(pos, values) of live base rows a snapshot at ``read_ts`` sees."""
        base = self.base
        if base is None:
            return
        begins = base.begins
        for pos, values in base.rows():
            if begins[pos] <= read_ts:
                yield pos, values

    def row_count_hint(self) -> int:
        n = len(self.delta)
        if self.base is not None:
            n += len(self.base) - self.base.promoted
        return n

    def discard(self, vid: int) -> None:
        version = self.delta.pop(vid, None)
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
        self.promote_all()
        self.pk_cols = tuple(pk_cols)
        if not pk_cols:
            self.pk_index = None
            self.pk_of = lambda values: ()
            return
        self.pk_of = key_getter(self.pk_cols)
        self.pk_index = _new_pk_index(pk_cols, pk_to_int)
        for version in self.delta.values():
            self.pk_index.add(self.pk_of(version.values), version.vid)

    def add_index(self, oid: int, cols: list[int], unique: bool,
                  key_fn: Callable[[tuple[Any, ...]], tuple[Any, ...] | None] | None = None,
                  ) -> SecondaryIndex:
        index = SecondaryIndex(cols, unique, key_fn)
        for version in self.delta.values():
            key = index.key_of(version.values)
            if key is not None:
                index.map.add(key, version.vid)
        self._index_base(index)
        self.indexes[oid] = index
        return index

    def lookup(self, index_oid: int, key: tuple[Any, ...]) -> list[int]:
        """Bucket of ``key`` in the primary key (index_oid 0) or a secondary index:
        vids of delta versions and ``~pos`` of base rows."""
        if index_oid == 0:
            return self.pk_index.lookup(key) if self.pk_index is not None else []
        index = self.indexes.get(index_oid)
        return index.map.lookup(key) if index is not None else []

    def versions_with_key(self, key: tuple[Any, ...], index_oid: int = 0) -> list[RowVersion]:
        return self.resolve(self.lookup(index_oid, key))
