"""Indexes over row versions.

``PrimaryIndex`` is the interface the engine uses; ``HashPrimaryIndex`` is the
first implementation (exact-match lookups). The ALEX learned index for
integer-like keys implements the same interface with range support.
"""

from omendb_server.index.primary import HashPrimaryIndex, PrimaryIndex

__all__ = ["HashPrimaryIndex", "PrimaryIndex"]
