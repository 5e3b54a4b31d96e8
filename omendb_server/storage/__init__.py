"""Storage: the durable side of OmenDB.

A commit is one fsynced record in the commit log (``wal.py``) holding the
transaction's row changes, catalog and sequence positions; recovery replays the
log into the in-memory delta after loading the last checkpoint. Checkpoints fold
committed versions into Parquet segments (``segments.py``) and record the manifest,
catalog and sequences in RocksDB (``store.py``), after which the covered log is
deleted.
"""

from omendb_server.storage.datadir import DataDirLock
from omendb_server.storage.store import CommitRecord, GroupCommitter, RowOp, Store

__all__ = ["CommitRecord", "DataDirLock", "GroupCommitter", "RowOp", "Store"]
