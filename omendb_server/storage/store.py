"""RocksDB (rocksdict) holds what a checkpoint records; the commit log is in ``wal.py``.

Key layout (all bytes, raw mode):
  ``meta:catalog``       JSON of the catalog as of the last checkpoint
  ``meta:users``         JSON of roles with SCRAM verifiers (never passwords)
  ``meta:manifest``      the Parquet segment of each table and the checkpoint timestamp
  ``meta:last_ts``       last commit timestamp covered by the checkpoint (8 bytes, big-endian)
  ``seq:<oid>``          sequence position as of the last checkpoint (decimal text)
  ``log:<ts 8 bytes>``   commit records of the earlier in-RocksDB log format (replayed if present)

Every transaction is one commit-log record, so its rows, DDL and sequence positions
become durable together or not at all.
"""

from __future__ import annotations

import json
import pickle
import struct
from dataclasses import dataclass, field
from pathlib import Path
import threading
from typing import Any, Callable, Iterator

from rocksdict import Options, Rdict, WriteBatch, WriteOptions

from omendb_server.storage.wal import CommitLog

_TS = struct.Struct(">Q")
LOG_PREFIX = b"log:"


@dataclass(frozen=True, slots=True)
class RowOp:
    """One row change: an insert of ``values`` under ``vid``, or a delete of ``vid``.

    An UPDATE is a delete of the old version plus an insert of the new one, as in
    PostgreSQL's heap; the ids let replay rebuild exactly the same versions.
    """

    table_oid: int
    vid: int
    values: tuple[Any, ...] | None  # None → delete (end stamp) of version ``vid``


@dataclass
class CommitRecord:
    commit_ts: int
    ops: list[RowOp] = field(default_factory=list)
    catalog_json: dict[str, Any] | None = None
    sequences: dict[int, int] = field(default_factory=dict)
    dropped_tables: list[int] = field(default_factory=list)
    #: Bulk-loaded rows committed as Parquet files beside the log (COPY's columnar path):
    #: (table oid, file name under segments/, first vid, row count). The file is synced
    #: before this record, so the record is still the one commit point.
    attached: list[tuple[int, str, int, int]] = field(default_factory=list)
    #: The committing transaction (opaque here); the publisher flips its stamps.
    owner: Any = None
    durable: bool = False
    error: BaseException | None = None


class Store:
    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        opts = Options(raw_mode=True)
        opts.create_if_missing(True)
        self._db = Rdict(str(path), options=opts)
        self._sync = WriteOptions()
        self._sync.sync = True
        #: The commit log proper (see wal.py for why it is not in RocksDB).
        self.wal = CommitLog(path.parent / "wal")

    def close(self) -> None:
        self.wal.close()
        self._db.close()

    # -- metadata ----------------------------------------------------------------
    def get_json(self, key: str) -> Any | None:
        raw = self._db.get(f"meta:{key}".encode())
        return None if raw is None else json.loads(raw)

    def put_json(self, key: str, value: Any) -> None:
        wb = WriteBatch(raw_mode=True)
        wb.put(f"meta:{key}".encode(), json.dumps(value).encode())
        self._db.write(wb, self._sync)

    def last_commit_ts(self) -> int:
        raw = self._db.get(b"meta:last_ts")
        return 0 if raw is None else _TS.unpack(raw)[0]

    def sequence_positions(self) -> dict[int, int]:
        out: dict[int, int] = {}
        it = self._db.iter()
        it.seek(b"seq:")
        while it.valid():
            key = it.key()
            if not key.startswith(b"seq:"):
                break
            out[int(key[4:])] = int(it.value())
            it.next()
        return out

    # -- the commit point ----------------------------------------------------------
    def commit(self, record: CommitRecord) -> None:
        """Write one transaction durably. Returns only after the WAL is synced."""
        self.commit_many([record])

    def commit_many(self, records: list[CommitRecord]) -> None:
        """Write several transactions in one synced append to the commit log (group
        commit): row changes, catalog and sequence positions of each, all or nothing."""
        self.wal.append([(r.commit_ts, _encode_record(r)) for r in records])

    def install_checkpoint(self, manifest: dict[str, Any], upto_ts: int,
                           catalog_json: dict[str, Any], sequences: dict[int, int],
                           last_ts: int) -> None:
        """Publish a new segment manifest with the catalog and sequence positions it goes
        with (one synced batch), then drop the commit-log files it covers."""
        wb = WriteBatch(raw_mode=True)
        wb.put(b"meta:manifest", json.dumps(manifest).encode())
        wb.put(b"meta:catalog", json.dumps(catalog_json).encode())
        for oid, pos in sequences.items():
            wb.put(f"seq:{oid}".encode(), str(pos).encode())
        wb.put(b"meta:last_ts", _TS.pack(last_ts))
        wb.delete_range(LOG_PREFIX, LOG_PREFIX + _TS.pack(upto_ts + 1))
        self._db.write(wb, self._sync)
        self.wal.drop_through(upto_ts)

    def log_entries(self) -> int:
        n = 0
        it = self._db.iter()
        it.seek(LOG_PREFIX)
        while it.valid() and it.key().startswith(LOG_PREFIX):
            n += 1
            it.next()
        return n

    def replay(self) -> Iterator[tuple[int, list[RowOp], list[int], Any, dict[int, int],
                                     list[tuple[int, str, int, int]]]]:
        """Every logged transaction in commit order (recovery): (ts, row ops, dropped
        tables, catalog JSON or None, sequence positions, attached bulk files)."""
        it = self._db.iter()  # entries of the earlier in-RocksDB log format, if any
        it.seek(LOG_PREFIX)
        while it.valid():
            key = it.key()
            if not key.startswith(LOG_PREFIX):
                break
            ts = _TS.unpack(key[len(LOG_PREFIX):])[0]
            raw_ops, dropped = pickle.loads(it.value())
            yield ts, [RowOp(*o) for o in raw_ops or []], dropped, None, {}, []
            it.next()
        for ts, payload in self.wal.replay():
            fields = pickle.loads(payload[8:])
            raw_ops, dropped, catalog_json, sequences = fields[:4]
            attached = fields[4] if len(fields) > 4 else []
            yield ts, [RowOp(*o) for o in raw_ops], dropped, catalog_json, sequences, attached


def _encode_record(record: CommitRecord) -> bytes:
    return _TS.pack(record.commit_ts) + pickle.dumps(
        ([(o.table_oid, o.vid, o.values) for o in record.ops], record.dropped_tables,
         record.catalog_json, record.sequences, record.attached),
        protocol=5,
    )


class GroupCommitter:
    """Lets concurrent committers share one synced write.

    The first committer to arrive becomes the leader: it takes every queued
    record, releases the engine lock, writes them in one synced WriteBatch,
    re-takes the lock and calls ``publish`` for the whole batch in commit order
    (so visibility follows commit timestamps). Followers wait on the engine
    lock's condition until their record is durable. All state here is guarded
    by the engine lock.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: list[CommitRecord] = []
        self.flushing = False
        self.batches = 0
        self.records = 0

    def submit(self, record: CommitRecord, cond: "threading.Condition",
               lock: "threading.RLock", publish: "Callable[[CommitRecord], None]") -> None:
        self.queue.append(record)
        while not record.durable:
            if record.error is not None:
                raise record.error
            if self.flushing:
                cond.wait(timeout=1.0)
                continue
            self.flushing = True
            batch, self.queue = self.queue, []
            lock.release()
            error: BaseException | None = None
            try:
                self.store.commit_many(batch)
            except BaseException as e:  # the whole batch failed: none of it committed
                error = e
            finally:
                lock.acquire()
                self.flushing = False
            self.batches += 1
            self.records += len(batch)
            for r in sorted(batch, key=lambda r: r.commit_ts):
                if error is None:
                    r.durable = True
                    publish(r)
                else:
                    r.error = error
            cond.notify_all()
        if record.error is not None:
            raise record.error
