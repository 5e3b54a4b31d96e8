"""Storage: the durable side of OmenDB.

Today a commit is one synced RocksDB WriteBatch holding the transaction's row
changes (the commit log), its catalog change and sequence positions; recovery
replays the log into the in-memory delta. Parquet segments and checkpoints fold
that delta into columnar files later without changing the commit point.
"""

from omendb_server.storage.datadir import DataDirLock
from omendb_server.storage.store import CommitRecord, GroupCommitter, RowOp, Store

__all__ = ["CommitRecord", "DataDirLock", "GroupCommitter", "RowOp", "Store"]
