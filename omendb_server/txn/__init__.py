"""Transactions: ids, commit timestamps, snapshots, the one visibility rule, row writes."""

from omendb_server.txn.manager import Transaction, TransactionManager
from omendb_server.txn.visibility import is_visible

__all__ = ["Transaction", "TransactionManager", "is_visible"]
