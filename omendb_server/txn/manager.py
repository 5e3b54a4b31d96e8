"""Transaction manager: begin, write, commit (durable), abort, savepoints, waits.

Concurrency model today: statements run under the engine's lock (one at a time),
so conflicts only arise against *in-flight* transactions. A writer that meets a
row changed by an in-flight transaction waits on the lock's condition until that
transaction ends, then re-checks — PostgreSQL's behaviour — with a waits-for
check that turns a cycle into SQLSTATE 40P01.
"""

from __future__ import annotations

import threading
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable

from omendb_server import errors
from omendb_server.cache import RowCache
from omendb_server.catalog import Catalog, Table
from omendb_server.catalog.model import index_key_function
from omendb_server.index import AlexPrimaryIndex, key_mapper
from omendb_server.storage import CommitRecord, GroupCommitter, RowOp, Store
from omendb_server.storage.delta import INF, RowVersion, TableData

READ_COMMITTED = "read committed"
REPEATABLE_READ = "repeatable read"
SERIALIZABLE = "serializable"
ISOLATION_LEVELS = (READ_COMMITTED, REPEATABLE_READ, SERIALIZABLE, "read uncommitted")


@dataclass
class Savepoint:
    name: str
    n_writes: int
    catalog: Catalog | None
    seq_values: dict[int, int]
    n_locked: int = 0
    #: len(txn.on_abort) when taken: ROLLBACK TO runs the undo hooks added after it.
    n_on_abort: int = 0


def pk_key_mapper(table: Table) -> Any:
    """int64 mapping of a single-column integer-like primary key (ALEX serves it), else None."""
    if len(table.primary_key) != 1:
        return None
    return key_mapper(table.columns[table.primary_key[0]].type.oid)


class Snapshot:
    """What a read-only statement outside a transaction block needs: a read timestamp.

    txid 0 matches no in-flight stamp, so exactly committed versions are visible."""

    __slots__ = ("read_ts", "txid", "lock_timeout", "isolation", "repeatable", "seq_touched")

    def __init__(self, read_ts: int) -> None:
        self.read_ts = read_ts
        self.txid = 0
        self.lock_timeout = 0.0
        self.isolation = READ_COMMITTED
        self.repeatable = False
        self.seq_touched: set[int] = set()


@dataclass
class Transaction:
    txid: int
    isolation: str
    #: Snapshot for the current statement (READ COMMITTED) or the whole txn.
    read_ts: int
    #: (table oid, vid, 'I' insert | 'D' delete) in execution order, for commit and undo.
    writes: list[tuple[int, int, str]] = field(default_factory=list)
    #: Private catalog copy once this transaction runs DDL.
    catalog: Catalog | None = None
    dropped_tables: list[int] = field(default_factory=list)
    created_tables: list[int] = field(default_factory=list)
    #: (table oid, index oid) of indexes created / dropped by this transaction.
    created_indexes: list[tuple[int, int]] = field(default_factory=list)
    #: (table oid, previous primary-key columns) for ALTER TABLE ADD PRIMARY KEY.
    altered_pks: list[tuple[int, list[int]]] = field(default_factory=list)
    dropped_indexes: list[tuple[int, int]] = field(default_factory=list)
    #: DDL that reshapes a table's in-memory structures (ALTER TABLE DROP COLUMN /
    #: ALTER COLUMN TYPE rebuild its key indexes) registers how to undo / finish that
    #: here; run by abort (newest first) / publish. Added for H-ddl's sql/alter.py.
    on_abort: list[Callable[[], None]] = field(default_factory=list)
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Checks run at COMMIT before anything is written (INITIALLY DEFERRED foreign
    #: keys); one that raises aborts the transaction and COMMIT reports its error.
    before_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Deferred constraint work queued by the SQL layer for those checks.
    deferred: list[Any] = field(default_factory=list)
    savepoints: list[Savepoint] = field(default_factory=list)
    seq_touched: set[int] = field(default_factory=set)
    snapshot_taken: bool = False
    done: bool = False
    #: COPY's columnar path: table oid → staged Arrow tables (segment layout) not yet
    #: committed. Any other statement of the transaction first flushes them into the
    #: row store (``TransactionManager.flush_bulk``), so reads see them as usual.
    bulk: dict[int, list[Any]] = field(default_factory=dict)
    #: (table oid, file name) of bulk files this transaction wrote (removed on abort).
    bulk_files: list[tuple[int, str]] = field(default_factory=list)
    #: Staged primary keys per table (an AlexIndex), to refuse duplicates across chunks.
    bulk_keys: dict[int, Any] = field(default_factory=dict)
    #: Raises the unique violation for (table, index oid, key) when staged rows are
    #: flushed through the row writer (set by the SQL layer when it stages).
    bulk_conflict: Callable[..., None] | None = None
    #: Row versions this transaction holds FOR UPDATE/SHARE locks on (released at its end).
    locked: list[RowVersion] = field(default_factory=list)
    #: Seconds a lock wait may take before 55P03 (0 = forever); set per statement.
    lock_timeout: float = 0.0
    #: monotonic() deadline of the current statement's lock wait, once one started.
    wait_deadline: float | None = None
    #: now() of this transaction, taken on first use.
    now_ts: Any = None
    #: Set (an exception type) by a cancel of the running statement: a row-lock wait
    #: raises it (the session clears it when the statement ends).
    cancel_error: Any = None

    @property
    def repeatable(self) -> bool:
        return self.isolation in (REPEATABLE_READ, SERIALIZABLE)


class TransactionManager:
    def __init__(self, store: Store, lock: threading.RLock, segments_dir: Path | None = None,
                 row_cache_rows: int = 0) -> None:
        self.store = store
        self.row_cache = RowCache(row_cache_rows)
        self.segments_dir = segments_dir
        #: Tables changed since the last checkpoint (their segment must be rewritten).
        self.dirty_tables: set[int] = set()
        #: Bulk files (COPY's columnar commits) → commit ts; removed once a checkpoint covers them.
        self.bulk_files: dict[str, int] = {}
        self.ops_since_checkpoint = 0
        self.dead_versions = 0
        self._checkpointing = False
        self.lock = lock
        self.changed = threading.Condition(lock)
        self.last_ts = store.last_commit_ts()
        self._next_ts = self.last_ts
        self.committer = GroupCommitter(store)
        self._next_txid = 1
        self.active: dict[int, Transaction] = {}
        self.waits_for: dict[int, int] = {}
        #: vid → txids waiting to change/lock that row, in arrival order.
        self.row_queues: dict[int, list[int]] = {}
        self.tables: dict[int, TableData] = {}
        self.catalog = Catalog()
        self.sequences: dict[int, int] = {}
        self._next_vid = 1

    # -- lifecycle -------------------------------------------------------------------
    def begin(self, isolation: str = READ_COMMITTED) -> Transaction:
        txid = self._next_txid
        self._next_txid += 1
        txn = Transaction(txid=txid, isolation=isolation, read_ts=self.last_ts)
        self.active[txid] = txn
        return txn

    def statement_snapshot(self, txn: Transaction) -> None:
        """READ COMMITTED takes a fresh snapshot per statement; RR keeps its first."""
        if not txn.repeatable or not txn.snapshot_taken:
            txn.read_ts = self.last_ts
            txn.snapshot_taken = True

    def catalog_for(self, txn: Transaction | None) -> Catalog:
        if txn is not None and txn.catalog is not None:
            return txn.catalog
        return self.catalog

    def writable_catalog(self, txn: Transaction) -> Catalog:
        """This transaction's private copy of the catalog (transactional DDL). The schema
        has one writer at a time: a second one waits for the first to end, as PostgreSQL's
        DDL waits for the locks it needs (with ``wait_for``'s deadlock detection and
        lock_timeout), then copies the catalog that one left."""
        if txn.catalog is None:
            while True:
                other = next((o for o in self.active.values()
                              if o is not txn and o.catalog is not None), None)
                if other is None:
                    break
                self.wait_for(txn, other.txid)
            txn.catalog = self.catalog.copy()
        return txn.catalog

    def commit(self, txn: Transaction) -> None:
        """Make ``txn`` durable and visible. Called with the engine lock held.

        The synced write happens with the lock *released* so that concurrent
        committers share one fsync (group commit); until it returns, the
        transaction stays in flight for everyone else.
        """
        if txn.done:
            return
        if txn.before_commit:
            try:
                for check in txn.before_commit:
                    check()
            except BaseException:
                self.abort(txn)
                raise
        if txn.bulk:
            try:
                attached = self._bulk_prepare(txn)
            except BaseException:
                self.abort(txn)
                raise
        else:
            attached = []
        if not txn.writes and txn.catalog is None and not txn.seq_touched and not attached:
            self._finish(txn)
            return
        record = self._commit_record(txn)
        record.attached = attached
        record.owner = txn
        try:
            self.committer.submit(record, self.changed, self.lock,
                                  lambda r: self._publish(r.owner, r.commit_ts))
        except BaseException:
            if not txn.done:
                self.abort(txn)
            raise

    def _commit_record(self, txn: Transaction) -> CommitRecord:
        self._next_ts = max(self._next_ts, self.last_ts) + 1
        ts = self._next_ts
        ops: list[RowOp] = []
        for table_oid, vid, kind in txn.writes:
            data = self.tables.get(table_oid)
            if data is None:
                continue
            version = data.delta.get(vid)
            if kind == "I":
                if version is None or version.begin != -txn.txid or version.end == -txn.txid:
                    continue  # inserted then deleted by this same transaction
                ops.append(RowOp(table_oid, vid, version.values))
            elif version is not None and version.begin != -txn.txid:
                ops.append(RowOp(table_oid, vid, None))
        catalog_json = None
        if txn.catalog is not None:
            txn.catalog.version = self.catalog.version + 1
            catalog_json = txn.catalog.to_json()
        return CommitRecord(
            commit_ts=ts,
            ops=ops,
            catalog_json=catalog_json,
            sequences={oid: self.sequences[oid] for oid in txn.seq_touched if oid in self.sequences},
            dropped_tables=list(txn.dropped_tables),
        )

    def _publish(self, txn: Transaction, ts: int) -> None:
        """Flip the in-flight stamps to the commit timestamp (engine lock held)."""
        neg = -txn.txid
        for oid, staged in txn.bulk.items():
            data = self.tables.get(oid)
            table = self.catalog.tables.get(oid) if txn.catalog is None else txn.catalog.tables.get(oid)
            if data is not None and table is not None:
                data.append_base(_stamped(staged, ts), [c.type for c in table.columns])
                self.dirty_tables.add(oid)
                self.ops_since_checkpoint += sum(t.num_rows for t in staged)
        for oid, rel in txn.bulk_files:
            self.bulk_files[rel] = ts
        txn.bulk.clear()
        for table_oid, vid, kind in txn.writes:
            data = self.tables.get(table_oid)
            if data is None:
                continue
            version = data.delta.get(vid)
            if version is None:
                continue
            self.dirty_tables.add(table_oid)
            self.ops_since_checkpoint += 1
            if kind == "I" and version.begin == neg:
                if version.end == neg:
                    data.discard(vid)
                else:
                    version.begin = ts
            elif kind == "D" and version.end == neg:
                version.end = ts
                self.dead_versions += 1
        if txn.catalog is not None:
            self.dirty_tables.update(txn.created_tables)
            self.catalog = txn.catalog
            for done in txn.on_commit:
                done()
            for oid in txn.dropped_tables:
                self.tables.pop(oid, None)
        if ts > self.last_ts:
            self.last_ts = ts
        self._finish(txn)

    def abort(self, txn: Transaction) -> None:
        if txn.done:
            return
        txn.bulk.clear()
        if txn.bulk_files and self.segments_dir is not None:
            from omendb_server.storage.fs import remove_quietly

            for _, rel in txn.bulk_files:
                remove_quietly(self.segments_dir / rel)
            txn.bulk_files.clear()
        self._undo(txn, 0)
        for oid in txn.created_tables:
            if oid not in self.catalog.tables:
                self.tables.pop(oid, None)
        for table_oid, index_oid in txn.created_indexes:
            data = self.tables.get(table_oid)
            if data is not None and index_oid not in self.catalog.indexes:
                data.indexes.pop(index_oid, None)
        for table_oid, old_pk in reversed(txn.altered_pks):
            data = self.tables.get(table_oid)
            if data is not None:
                data.set_primary_key(old_pk)
        for undo in reversed(txn.on_abort):
            undo()
        self._finish(txn)

    def _finish(self, txn: Transaction) -> None:
        for version in txn.locked:
            if version.lockers is not None:
                version.lockers.pop(txn.txid, None)
                if not version.lockers:
                    version.lockers = None
        txn.locked.clear()
        txn.done = True
        self.active.pop(txn.txid, None)
        self.waits_for.pop(txn.txid, None)
        self.changed.notify_all()

    def _undo(self, txn: Transaction, keep: int) -> None:
        neg = -txn.txid
        for table_oid, vid, kind in reversed(txn.writes[keep:]):
            data = self.tables.get(table_oid)
            if data is None:
                continue
            version = data.delta.get(vid)
            if version is None:
                continue
            if kind == "I" and version.begin == neg:
                data.discard(vid)
            elif kind == "D" and version.end == neg:
                version.end = INF
                version.succ = 0
        del txn.writes[keep:]

    # -- savepoints ----------------------------------------------------------------
    def savepoint(self, txn: Transaction, name: str) -> None:
        txn.savepoints.append(
            Savepoint(name, len(txn.writes), txn.catalog.copy() if txn.catalog else None,
                      {o: self.sequences[o] for o in txn.seq_touched if o in self.sequences},
                      len(txn.locked), len(txn.on_abort))
        )

    def _find_savepoint(self, txn: Transaction, name: str) -> int:
        for i in range(len(txn.savepoints) - 1, -1, -1):
            if txn.savepoints[i].name == name:
                return i
        raise errors.InvalidSavepointSpecification(f'savepoint "{name}" does not exist')

    def rollback_to(self, txn: Transaction, name: str) -> None:
        i = self._find_savepoint(txn, name)
        sp = txn.savepoints[i]
        self._undo(txn, sp.n_writes)
        for version in txn.locked[sp.n_locked:]:  # row locks taken after the savepoint
            if version.lockers is not None:
                version.lockers.pop(txn.txid, None)
                if not version.lockers:
                    version.lockers = None
        del txn.locked[sp.n_locked:]
        for undo in reversed(txn.on_abort[sp.n_on_abort:]):
            undo()
        del txn.on_abort[sp.n_on_abort:]
        txn.catalog = sp.catalog.copy() if sp.catalog else None
        del txn.savepoints[i + 1:]
        self.changed.notify_all()

    def release(self, txn: Transaction, name: str) -> None:
        i = self._find_savepoint(txn, name)
        del txn.savepoints[i:]

    # -- row writes ----------------------------------------------------------------
    def new_vid(self) -> int:
        vid = self._next_vid
        self._next_vid += 1
        return vid

    def table_data(self, table: Table) -> TableData:
        data = self.tables.get(table.oid)
        if data is None:
            data = self.tables[table.oid] = TableData(table.oid, table.primary_key,
                                                      pk_key_mapper(table))
        return data

    def insert(self, txn: Transaction, data: TableData, values: tuple[Any, ...],
               on_conflict: Callable[[int, tuple[Any, ...]], None],
               unique_indexes: tuple[int, ...] = ()) -> RowVersion:
        """Add a new version; ``on_conflict(index_oid, key)`` (0 = primary key) must raise."""
        if data.pk_index is not None:
            key = data.pk_of(values)
            if self._key_taken(txn, data, key, 0):
                on_conflict(0, key)
        for index_oid in unique_indexes:
            index = data.indexes.get(index_oid)
            if index is None:
                continue
            key = index.key_of(values)
            if key is not None and self._key_taken(txn, data, key, index_oid):
                on_conflict(index_oid, key)
        version = RowVersion(self.new_vid(), values, -txn.txid)
        data.add(version)
        txn.writes.append((data.oid, version.vid, "I"))
        if data.pk_index is not None:
            self.row_cache.invalidate(data.oid, data.pk_of(values))
        return version

    def insert_many(self, txn: Transaction, data: TableData, rows: list[tuple[Any, ...]],
                    on_conflict: Callable[[int, tuple[Any, ...]], None],
                    unique_indexes: tuple[int, ...] = ()) -> int:
        """Insert many rows (COPY): one batched ALEX probe for the whole chunk, then one
        batched insert of the new keys. Keys already present (or repeated within the
        chunk) go through the row-at-a-time path, which applies the MVCC rules."""
        index = data.pk_index
        if not isinstance(index, AlexPrimaryIndex) or unique_indexes or len(rows) < 16:
            for row in rows:
                self.insert(txn, data, row, on_conflict, unique_indexes)
            return len(rows)
        import numpy as np

        pk_of = data.pk_of
        try:
            int_keys = np.fromiter((index.to_int(pk_of(r)) for r in rows), np.int64, len(rows))
        except (OverflowError, TypeError):
            for row in rows:
                self.insert(txn, data, row, on_conflict, unique_indexes)
            return len(rows)
        present = index.existing_slots(int_keys)
        _, first = np.unique(int_keys, return_index=True)
        fresh = np.zeros(len(rows), dtype=bool)
        fresh[first] = True
        fresh &= present < 0
        neg = -txn.txid
        new_vids: list[int] = []
        new_keys: list[int] = []
        versions = data.delta
        writes = txn.writes
        oid = data.oid
        later: list[tuple[Any, ...]] = []
        for i, row in enumerate(rows):
            if not fresh[i]:
                later.append(row)  # after the fresh keys are in the index, so repeats conflict
                continue
            vid = self._next_vid
            self._next_vid += 1
            versions[vid] = RowVersion(vid, row, neg)
            for sec in data.indexes.values():
                key = sec.key_of(row)
                if key is not None:
                    sec.map.add(key, vid)
            writes.append((oid, vid, "I"))
            new_vids.append(vid)
            new_keys.append(i)
        if new_vids:
            index.add_new(int_keys[np.array(new_keys, dtype=np.int64)], new_vids)
        for row in later:
            self.insert(txn, data, row, on_conflict, unique_indexes)
        return len(rows)

    # -- COPY's columnar path ------------------------------------------------------------
    def bulk_stage(self, txn: Transaction, data: TableData, table: Table, cols: Any) -> int:
        """Stage converted rows (an Arrow table with the table's columns) for commit as
        base rows. Raises BulkConflict when a primary key repeats (within the chunk,
        earlier chunks or existing rows): the caller then flushes and takes the row
        path, whose MVCC rules decide (wait, error or insert)."""
        import numpy as np
        import pyarrow as pa

        from omendb_server.index.alex import AlexIndex

        n = cols.num_rows
        if n == 0:
            return 0
        pk = data.pk_index
        keys = None
        if pk is not None:
            if not isinstance(pk, AlexPrimaryIndex):
                raise BulkConflict("primary key is not an ALEX key")
            keys = np.asarray(cols.column(data.pk_cols[0]).cast(pa.int64()), dtype=np.int64)
            ascending = n < 2 or bool((keys[1:] > keys[:-1]).all())
            if not ascending and len(np.unique(keys)) != n:
                raise BulkConflict("duplicate primary key in the chunk")
            if bool((pk.existing_slots(keys) >= 0).any()):
                raise BulkConflict("primary key already present")
            # staged keys of earlier chunks: bulk loads usually arrive in key order, so
            # a chunk entirely above all of them needs no lookup
            staged = txn.bulk_keys.setdefault(table.oid, {"max": None, "alex": None})
            above = staged["max"] is not None and ascending and int(keys[0]) > staged["max"]
            if staged["max"] is not None and not above:
                if staged["alex"] is None:
                    staged["alex"] = AlexIndex()
                    for seg in txn.bulk.get(table.oid, []):
                        old = np.asarray(seg.column(3 + data.pk_cols[0]).cast(pa.int64()),
                                         dtype=np.int64)
                        staged["alex"].insert_many(old, np.zeros(len(old), dtype=np.int64))
                if bool((staged["alex"].lookup_many(keys) >= 0).any()):
                    raise BulkConflict("duplicate primary key across chunks")
            if staged["alex"] is not None:
                staged["alex"].insert_many(keys, np.zeros(n, dtype=np.int64))
            top = int(keys[-1]) if ascending else int(keys.max())
            staged["max"] = top if staged["max"] is None else max(staged["max"], top)
        first = self._next_vid
        self._next_vid += n
        seg = pa.Table.from_arrays(
            [pa.array(np.arange(first, first + n, dtype=np.int64)),
             pa.array(np.zeros(n, dtype=np.int64)),
             pa.array(np.full(n, INF, dtype=np.int64))] + list(cols.columns),
            names=["__vid", "__begin", "__end"] + [f"c{i}_{c.name}" for i, c in enumerate(table.columns)])
        txn.bulk.setdefault(table.oid, []).append(seg)
        return n

    def flush_bulk(self, txn: Transaction) -> None:
        """Move staged bulk rows into the row store as this transaction's inserts (another
        statement of the transaction is about to run, or a conflict needs the row rules)."""
        from omendb_server.storage.base import BaseRows

        staged_all, txn.bulk = txn.bulk, {}
        txn.bulk_keys.clear()
        for oid, staged in staged_all.items():
            table = self.catalog_for(txn).tables.get(oid)
            data = self.tables.get(oid)
            if table is None or data is None:
                continue
            types = [c.type for c in table.columns]
            conflict = txn.bulk_conflict or _default_conflict
            for seg in staged:
                rows = BaseRows(seg, types)
                batch = [rows.row(p) for p in range(len(rows))]
                for start in range(0, len(batch), 4096):
                    self.insert_many(txn, data, batch[start:start + 4096],
                                     lambda index_oid, key, t=table: conflict(t, index_oid, key))

    def _bulk_prepare(self, txn: Transaction) -> list[tuple[int, str, int, int]]:
        """At COMMIT: re-check staged keys against rows committed meanwhile, then write each
        table's staged rows as a synced Parquet file the commit record will name."""
        import numpy as np
        import pyarrow as pa

        from omendb_server.storage.segments import write_bulk_file

        for oid, staged in txn.bulk.items():
            data = self.tables.get(oid)
            pk = data.pk_index if data is not None else None
            if isinstance(pk, AlexPrimaryIndex):
                for seg in staged:
                    keys = np.asarray(seg.column(3 + data.pk_cols[0]).cast(pa.int64()),  # type: ignore[union-attr]
                                      dtype=np.int64)
                    if bool((pk.existing_slots(keys) >= 0).any()):
                        self.flush_bulk(txn)  # someone inserted one of them: row rules decide
                        return []
        if self.segments_dir is None:
            self.flush_bulk(txn)
            return []
        attached = []
        for oid, staged in txn.bulk.items():
            seg = pa.concat_tables(staged)
            rel = f"bulk-{oid}-{txn.txid}-{len(txn.bulk_files)}.arrow"
            txn.bulk_files.append((oid, rel))
            write_bulk_file(self.segments_dir / rel, seg)
            attached.append((oid, rel, int(seg.column(0)[0].as_py()), seg.num_rows))
        return attached

    def _key_taken(self, txn: Transaction, data: TableData, key: tuple[Any, ...],
                   index_oid: int = 0) -> bool:
        """Is ``key`` held by a live version? Waits for in-flight writers of it."""
        while True:
            blocker = 0
            taken = False
            for v in data.versions_with_key(key, index_oid):
                b, e = v.begin, v.end
                if b < 0 and b != -txn.txid:
                    blocker = -b
                    break
                if e == INF:
                    taken = True
                    break
                if e < 0 and e != -txn.txid:
                    blocker = -e
                    break
            if blocker:
                self.wait_for(txn, blocker)
                continue
            return taken

    def lock_for_write(self, txn: Transaction, data: TableData, version: RowVersion,
                       mode: str = "W", policy: str = "wait", relname: str = "") -> RowVersion | None:
        """Make ``version`` ours to change (mode 'W') or lock it FOR UPDATE ('U') / SHARE ('S').

        Waits for in-flight writers and conflicting lockers, then follows the update
        chain to the newest version (READ COMMITTED) or fails with 40001 (REPEATABLE
        READ). Returns the version to act on, or None when the row is gone or, with
        ``policy='skip'``, locked by someone else. ``policy='nowait'`` raises 55P03.
        Waiters for one row are served first come, first served (PostgreSQL's tuple
        lock queue), so a later writer cannot overtake an earlier FOR UPDATE.
        """
        me = txn.txid
        queued_on: int | None = None
        try:
            while True:
                e = version.end
                blocker = 0
                if e == -me:
                    return None if mode == "W" else version
                if e < 0:
                    blocker = -e
                elif e != INF:
                    # committed delete/update after our snapshot
                    if txn.repeatable:
                        raise errors.SerializationFailure(
                            "could not serialize access due to concurrent update"
                        )
                    if not version.succ:
                        return None
                    nxt = data.delta.get(version.succ)
                    if nxt is None:
                        return None
                    if queued_on == version.vid:  # the queue follows the row
                        queue = self.row_queues.pop(version.vid, None)
                        if queue:
                            self.row_queues.setdefault(nxt.vid, []).extend(
                                t for t in queue if t not in self.row_queues.get(nxt.vid, ()))
                        queued_on = nxt.vid
                    version = nxt
                    continue
                else:
                    if version.lockers:
                        for holder, held in version.lockers.items():
                            if holder != me and (mode != "S" or held == "U"):
                                blocker = holder
                                break
                    holds = version.lockers is not None and me in version.lockers
                    if not blocker and not holds:
                        queue = self.row_queues.get(version.vid)
                        if queue:
                            queue[:] = [t for t in queue if t in self.active]
                            if queue and queue[0] != me:
                                blocker = queue[0]
                if blocker:
                    if policy == "skip":
                        return None
                    if policy == "nowait":
                        raise errors.LockNotAvailable(
                            f'could not obtain lock on row in relation "{relname}"')
                    queue = self.row_queues.setdefault(version.vid, [])
                    if me not in queue:
                        queue.append(me)
                    queued_on = version.vid
                    self.wait_for(txn, blocker)
                    continue
                if mode in ("U", "S"):
                    if version.lockers is None:
                        version.lockers = {}
                    prev = version.lockers.get(me)
                    if prev != "U":
                        version.lockers[me] = mode
                    if prev is None:
                        txn.locked.append(version)
                return version
        finally:
            if queued_on is not None:
                queue = self.row_queues.get(queued_on)
                if queue is not None:
                    if me in queue:
                        queue.remove(me)
                    if not queue:
                        del self.row_queues[queued_on]
                    self.changed.notify_all()

    def delete(self, txn: Transaction, data: TableData, version: RowVersion) -> None:
        version.end = -txn.txid
        txn.writes.append((data.oid, version.vid, "D"))
        if data.pk_index is not None:
            self.row_cache.invalidate(data.oid, data.pk_of(version.values))

    def wait_for(self, txn: Transaction, other_txid: int) -> None:
        """Wait (engine lock released) for a change that may free what ``other_txid`` holds.

        Returns after the blocker ends *or* anything else is published (a commit, an
        abort, a ROLLBACK TO SAVEPOINT): the caller re-examines the row and waits
        again if it is still taken. 40P01 on a waits-for cycle; 55P03 once the
        statement's ``lock_timeout`` has passed.
        """
        import time

        if other_txid not in self.active:
            return
        # waits-for cycle → deadlock; the waiter that closes the cycle is the victim
        seen = {txn.txid}
        cur = other_txid
        while cur in self.waits_for:
            cur = self.waits_for[cur]
            if cur in seen:
                raise errors.DeadlockDetected(
                    "deadlock detected",
                    detail=f"Process {txn.txid} waits for transaction {other_txid}; "
                    f"transaction {other_txid} waits for process {txn.txid}.",
                    hint="See server log for query details.",
                )
            seen.add(cur)
        if txn.lock_timeout > 0 and txn.wait_deadline is None:
            txn.wait_deadline = time.monotonic() + txn.lock_timeout
        self.waits_for[txn.txid] = other_txid
        try:
            if txn.cancel_error is not None:
                raise txn.cancel_error()
            if txn.wait_deadline is not None:
                left = txn.wait_deadline - time.monotonic()
                if left <= 0:
                    raise errors.LockNotAvailable("canceling statement due to lock timeout")
                self.changed.wait(timeout=min(left, 1.0))
                if time.monotonic() >= txn.wait_deadline and other_txid in self.active:
                    raise errors.LockNotAvailable("canceling statement due to lock timeout")
            else:
                self.changed.wait(timeout=1.0)
            if txn.cancel_error is not None:
                raise txn.cancel_error()
        finally:
            self.waits_for.pop(txn.txid, None)

    # -- sequences ---------------------------------------------------------------------
    def nextval(self, txn: Transaction | None, seq_oid: int, increment: int, start: int,
                max_value: int, name: str) -> int:
        cur = self.sequences.get(seq_oid)
        value = start if cur is None else cur + increment
        if value > max_value:
            raise errors.DBError(
                f'nextval: reached maximum value of sequence "{name}" ({max_value})', "2200H"
            )
        self.sequences[seq_oid] = value
        if txn is not None:
            txn.seq_touched.add(seq_oid)
        return value

    # -- recovery ----------------------------------------------------------------------
    def recover(self) -> int:
        """Rebuild catalog, sequences and row versions: segments, then the log after them."""
        from omendb_server.storage.segments import read_base

        cat = self.store.get_json("catalog")
        if cat is not None:
            self.catalog = Catalog.from_json(cat)
        self.sequences = self.store.sequence_positions()
        max_vid = 0
        manifest = self.store.get_json("manifest") or {"checkpoint_ts": 0, "segments": {}}
        for oid_s, rel in manifest["segments"].items():
            table = self.catalog.tables.get(int(oid_s))
            if table is None or self.segments_dir is None:
                continue
            data = self.table_data(table)
            base = read_base(self.segments_dir / rel, [c.type for c in table.columns])
            max_vid = max(max_vid, data.load_base(base))
        n = 0
        for ts, ops, dropped, catalog_json, sequences, attached in self.store.replay():
            if ts > self.last_ts:
                self.last_ts = ts
            if catalog_json is not None:
                self.catalog = Catalog.from_json(catalog_json)
            for oid, pos in sequences.items():
                self.sequences[int(oid)] = pos
            for oid in dropped:
                self.tables.pop(oid, None)
            for oid, rel, first_vid, count in attached:
                table = self.catalog.tables.get(oid)
                path = self.segments_dir / rel if self.segments_dir is not None else None
                if table is None or path is None or not path.exists():
                    continue  # dropped later (its file went with it)
                data = self.table_data(table)
                if data.base is not None and data.base.pos_of_vid(first_vid) >= 0:
                    continue  # the checkpoint after it holds these rows already
                from omendb_server.storage.segments import read_bulk_file

                data.append_base(_stamped([read_bulk_file(path)], ts),
                                 [c.type for c in table.columns])
                self.bulk_files[rel] = ts
                self.dirty_tables.add(oid)
                max_vid = max(max_vid, first_vid + count - 1)
            for op in ops:
                table = self.catalog.tables.get(op.table_oid)
                if table is None:
                    continue  # table dropped later; its data is dead
                data = self.table_data(table)
                self.dirty_tables.add(op.table_oid)
                if op.values is None:
                    version = data.version(op.vid)
                    if version is not None:
                        version.end = ts
                else:
                    if data.base is not None and data.base.pos_of_vid(op.vid) >= 0:
                        continue  # logged before the checkpoint that holds it already
                    if op.vid in data.delta:
                        continue
                    version = RowVersion(op.vid, op.values, ts)
                    data.add(version)
                    if op.vid > max_vid:
                        max_vid = op.vid
                n += 1
        self.ops_since_checkpoint = n
        for table in self.catalog.tables.values():
            data = self.table_data(table)
            if list(data.pk_cols) != list(table.primary_key):  # ALTER TABLE in the log (H-ddl)
                data.set_primary_key(table.primary_key, pk_key_mapper(table))
            if str(table.oid) not in manifest["segments"]:
                self.dirty_tables.add(table.oid)
        for index in self.catalog.indexes.values():
            data = self.tables.get(index.table_oid)
            if data is not None:
                data.add_index(index.oid, index.columns, index.unique,
                               index_key_function(self.catalog, index))
        # drop fully dead versions: no snapshot older than recovery exists
        for data in self.tables.values():
            for vid in [v.vid for v in data.delta.values() if v.end != INF]:
                data.discard(vid)
        if self.segments_dir is not None and self.segments_dir.exists():
            from omendb_server.storage.fs import remove_quietly

            for path in self.segments_dir.glob("bulk-*"):
                if path.name not in self.bulk_files:  # an aborted COPY's, or already covered
                    remove_quietly(path)
        self._next_vid = max_vid + 1
        self._next_ts = self.last_ts
        self.store.wal.open_for_append(self.last_ts + 1)
        return n

    # -- maintenance -------------------------------------------------------------------
    def horizon(self) -> int:
        """Oldest snapshot any active transaction may still read at."""
        return min([t.read_ts for t in self.active.values()] + [self.last_ts])

    def vacuum(self) -> int:
        """Drop versions no snapshot can see any more. Engine lock held."""
        horizon = self.horizon()
        removed = 0
        for data in self.tables.values():
            dead = [vid for vid, v in data.delta.items() if 0 <= v.end <= horizon]
            for vid in dead:
                data.discard(vid)
            removed += len(dead)
        self.dead_versions = max(0, self.dead_versions - removed)
        return removed

    def _fold(self, written: list[tuple[Table, Any]]) -> int:
        """Replace base + delta of each table just checkpointed by its new segment, when
        that is safe: no transaction in flight (so no snapshot, lock, undo list or update
        chain refers to a vid) and no commit to the table since the segment's snapshot.
        This is what keeps memory lean between restarts. Engine lock held."""
        from omendb_server.storage.base import BaseRows

        if self.active:
            return 0
        folded = 0
        for table, seg in written:
            current = self.catalog.tables.get(table.oid)
            data = self.tables.get(table.oid)
            if (current is not table or data is None or table.oid in self.dirty_tables
                    or seg.num_rows == 0):
                continue
            data.replace_with_base(BaseRows(seg, [c.type for c in table.columns]))
            folded += 1
        if folded:
            self.row_cache.clear()
        return folded

    def checkpoint(self) -> dict[str, int]:
        """Fold committed versions of changed tables into Parquet segments, switch the
        manifest and drop the log it covers. Engine lock held on entry and exit; it is
        released while files are written so commits go on meanwhile."""
        from omendb_server.storage.fs import remove_quietly
        from omendb_server.storage.segments import segment_table, write_table

        if self.segments_dir is None or self._checkpointing:
            return {"tables": 0, "rows": 0}
        self._checkpointing = True
        try:
            ts = self.last_ts
            # records up to ts are in the files before this one; later ones may follow
            self.store.wal.rotate(self._next_ts + 1)
            manifest = self.store.get_json("manifest") or {"checkpoint_ts": 0, "segments": {}}
            segments: dict[str, str] = {k: v for k, v in manifest["segments"].items()
                                        if int(k) in self.catalog.tables}
            old_files = set(manifest["segments"].values())
            work = []
            for oid, table in self.catalog.tables.items():
                if str(oid) in segments and oid not in self.dirty_tables:
                    continue
                data = self.tables.get(oid)
                base_table = None
                if data is not None and data.base is not None:
                    base_table = data.base.live_table()
                    if base_table.num_rows == 0:
                        base_table = None
                    elif base_table.num_columns != 3 + len(table.columns):
                        data.promote_all()  # columns changed since: rewrite from the delta
                        base_table = None
                rows = [] if data is None else [
                    (v.vid, v.begin, INF, v.values) for v in list(data.delta.values())
                    if 0 < v.begin <= ts and (v.end == INF or v.end < 0 or v.end > ts)
                ]
                work.append((table, (base_table, rows)))
            self.dirty_tables -= {t.oid for t, _ in work}
            total = 0
            written: list[tuple[Table, Any]] = []
            self.lock.release()
            try:
                for table, (base_table, rows) in work:
                    rel = f"{table.oid}-{ts}.parquet"
                    seg = segment_table([c.type for c in table.columns],
                                        [c.name for c in table.columns], rows, base_table,
                                        [c.typmod for c in table.columns])
                    total += write_table(self.segments_dir / rel, seg)
                    segments[str(table.oid)] = rel
                    written.append((table, seg))
            except BaseException:
                self.dirty_tables.update(t.oid for t, _ in work)
                raise
            finally:
                self.lock.acquire()
            self.store.install_checkpoint({"checkpoint_ts": ts, "segments": segments}, ts,
                                          self.catalog.to_json(), dict(self.sequences),
                                          self.last_ts)
            self.ops_since_checkpoint = 0
            for rel in old_files - set(segments.values()):
                remove_quietly(self.segments_dir / rel)
            for rel, bulk_ts in list(self.bulk_files.items()):
                if bulk_ts <= ts:  # its rows are in the segments now
                    remove_quietly(self.segments_dir / rel)
                    del self.bulk_files[rel]
            folded = self._fold(written)
            return {"tables": len(work), "rows": total, "folded": folded}
        finally:
            self._checkpointing = False


class BulkConflict(Exception):
    """Staged bulk rows cannot stay columnar (a key conflict): use the row path."""


def _default_conflict(table: Table, index_oid: int, key: tuple[Any, ...]) -> None:
    raise errors.UniqueViolation(
        f'duplicate key value violates unique constraint on "{table.name}"',
        detail=f"Key {key!r} already exists.")


def _stamped(staged: list[Any], ts: int) -> Any:
    """Staged segment tables as one, with every row's __begin set to the commit ts."""
    import numpy as np
    import pyarrow as pa

    seg = pa.concat_tables(staged) if len(staged) > 1 else staged[0]
    return seg.set_column(1, "__begin", pa.array(np.full(seg.num_rows, ts, dtype=np.int64)))
