"""Indexes over row versions.

``PrimaryIndex`` is the interface the engine uses (key tuple → ids of the row
versions with that key). ``AlexPrimaryIndex`` serves single-column integer-like
keys (ints, dates, timestamps) with the ALEX learned index and also answers
ordered ranges; ``HashPrimaryIndex`` serves every other key type.
"""

from omendb_server.index.alex import INT64_MAX, INT64_MIN, AlexIndex
from omendb_server.index.alex_primary import AlexPrimaryIndex, key_mapper
from omendb_server.index.primary import HashPrimaryIndex, PrimaryIndex
from omendb_server.index.reference import ReferenceIndex

__all__ = ["INT64_MAX", "INT64_MIN", "AlexIndex", "AlexPrimaryIndex", "HashPrimaryIndex",
           "PrimaryIndex", "ReferenceIndex", "key_mapper"]
