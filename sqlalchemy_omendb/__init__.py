"""SQLAlchemy dialect for OmenDB.

OmenDB speaks the PostgreSQL v3 wire protocol and PostgreSQL's SQL, so this dialect is
SQLAlchemy's own PostgreSQL dialect under another name. Installing the ``omendb``
distribution registers it through the ``sqlalchemy.dialects`` entry point::

    from sqlalchemy import create_engine
    engine = create_engine("omendb://omendb:PASSWORD@127.0.0.1:5433/omendb")
    # equivalently "omendb+psycopg://..."; "omendb+psycopg_async://..." with create_async_engine

Why a separate name at all, instead of telling users to write ``postgresql://``: the name
is where OmenDB-specific behaviour lives (the Alembic implementation, ``omendb_*`` dialect
options, the requirements class and provisioning for SQLAlchemy's compliance suite), and it
lets SQLAlchemy and Alembic report which server they talk to.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import base as _pg_base

from .base import mirror_postgresql_compiles
from .psycopg import OmenDBDialect_psycopg, OmenDBDialectAsync_psycopg

__all__ = ["OmenDBDialectAsync_psycopg", "OmenDBDialect_psycopg", "dialect"]

#: The default DBAPI dialect, as SQLAlchemy's own dialect packages expose it.
dialect = OmenDBDialect_psycopg

mirror_postgresql_compiles(_pg_base.__name__)

try:  # Alembic is optional (a test extra); register its implementation when present.
    from . import alembic_impl  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pass
