"""RocksDB (rocksdict) holds the commit log, catalog, users and sequences.

Key layout (all bytes, raw mode):
  ``meta:catalog``       JSON of the committed catalog
  ``meta:users``         JSON of roles with SCRAM verifiers (never passwords)
  ``meta:last_ts``       last commit timestamp (8 bytes, big-endian)
  ``seq:<oid>``          sequence position (decimal text)
  ``log:<ts 8 bytes>``   one committed transaction's row changes

One transaction = one synced WriteBatch, so its rows, DDL and sequence
positions become durable together or not at all.
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

    def close(self) -> None:
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
        """Write several transactions in one synced batch (group commit)."""
        wb = WriteBatch(raw_mode=True)
        for record in records:
            ts = _TS.pack(record.commit_ts)
            if record.ops or record.dropped_tables:
                payload = pickle.dumps(
                    ([(o.table_oid, o.vid, o.values) for o in record.ops], record.dropped_tables),
                    protocol=5,
                )
                wb.put(LOG_PREFIX + ts, payload)
            if record.catalog_json is not None:
                wb.put(b"meta:catalog", json.dumps(record.catalog_json).encode())
            for oid, pos in record.sequences.items():
                wb.put(f"seq:{oid}".encode(), str(pos).encode())
        wb.put(b"meta:last_ts", _TS.pack(max(r.commit_ts for r in records)))
        self._db.write(wb, self._sync)

    def install_checkpoint(self, manifest: dict[str, Any], upto_ts: int) -> None:
        """Publish a new segment manifest and drop the log it covers, in one synced batch."""
        wb = WriteBatch(raw_mode=True)
        wb.put(b"meta:manifest", json.dumps(manifest).encode())
        wb.delete_range(LOG_PREFIX, LOG_PREFIX + _TS.pack(upto_ts + 1))
        self._db.write(wb, self._sync)

    def log_entries(self) -> int:
        n = 0
        it = self._db.iter()
        it.seek(LOG_PREFIX)
        while it.valid() and it.key().startswith(LOG_PREFIX):
            n += 1
            it.next()
        return n

    def replay(self) -> Iterator[tuple[int, list[RowOp], list[int]]]:
        """Yield every logged transaction in commit order (recovery)."""
        it = self._db.iter()
        it.seek(LOG_PREFIX)
        while it.valid():
            key = it.key()
            if not key.startswith(LOG_PREFIX):
                break
            ts = _TS.unpack(key[len(LOG_PREFIX):])[0]
            raw_ops, dropped = pickle.loads(it.value())
            yield ts, [RowOp(*o) for o in raw_ops or []], dropped
            it.next()


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
