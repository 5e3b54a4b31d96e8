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
from typing import Any, Iterator

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
        wb = WriteBatch(raw_mode=True)
        ts = _TS.pack(record.commit_ts)
        if record.ops or record.dropped_tables:
            payload = pickle.dumps(
                (record.ops and [(o.table_oid, o.vid, o.values) for o in record.ops],
                 record.dropped_tables),
                protocol=5,
            )
            wb.put(LOG_PREFIX + ts, payload)
        if record.catalog_json is not None:
            wb.put(b"meta:catalog", json.dumps(record.catalog_json).encode())
        for oid, pos in record.sequences.items():
            wb.put(f"seq:{oid}".encode(), str(pos).encode())
        wb.put(b"meta:last_ts", ts)
        self._db.write(wb, self._sync)

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
