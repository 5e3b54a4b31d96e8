"""Catalog: schemas, tables, columns, sequences and their OIDs.

The committed catalog is immutable from a reader's point of view: a transaction
that runs DDL works on its own copy (``Catalog.copy``) and publishes it at
commit, which is what makes DDL transactional.
"""

from omendb_server.catalog.model import (
    Catalog,
    Column,
    Constraint,
    EnumType,
    Index,
    Sequence,
    Table,
    View,
)

__all__ = ["Catalog", "Column", "Constraint", "EnumType", "Index", "Sequence", "Table", "View"]
