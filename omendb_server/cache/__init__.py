"""LRU row cache of committed row versions (lru-dict); arrives with the storage-engine work."""
