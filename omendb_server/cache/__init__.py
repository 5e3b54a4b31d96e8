"""LRU row cache of committed row versions (lru-dict)."""

from omendb_server.cache.rowcache import RowCache

__all__ = ["RowCache"]
