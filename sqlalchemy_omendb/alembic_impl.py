"""Alembic support: migrations against ``omendb://`` use Alembic's PostgreSQL implementation.

Alembic picks its DDL implementation by dialect name, so without this class it would
refuse the ``omendb`` dialect. Defining the subclass registers it (Alembic's impl
metaclass records every class that sets ``__dialect__``).
"""

from __future__ import annotations

from alembic.ddl.postgresql import PostgresqlImpl


class OmenDBImpl(PostgresqlImpl):
    __dialect__ = "omendb"
