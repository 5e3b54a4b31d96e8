"""``omendb+psycopg://`` and ``omendb+psycopg_async://``: the OmenDB dialect over psycopg 3.

Both subclass SQLAlchemy's psycopg dialects and change only what ``base.OmenDBDialectMixin``
changes (the name ``omendb``, ``omendb_*`` options, reflection keys, OmenDB's version).
That is deliberate: OmenDB is wire-compatible with PostgreSQL 15 (same protocol, SQL, type
OIDs, ``server_version`` 15.x), so PostgreSQL's compiler, type mapping, reflection queries
and psycopg integration are exactly what OmenDB must accept. Anything OmenDB cannot yet
handle is a server bug to fix in the server, not something to paper over here; keeping
these classes thin keeps the compatibility claim measurable.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql.psycopg import (
    PGDialect_psycopg,
    PGDialectAsync_psycopg,
)

from sqlalchemy_omendb.base import OmenDBDialectMixin


class OmenDBDialect_psycopg(OmenDBDialectMixin, PGDialect_psycopg):
    """PostgreSQL's psycopg 3 dialect, registered as ``omendb`` / ``omendb+psycopg``."""

    driver = "psycopg"
    # SQLAlchemy trusts a third-party dialect's statement caching only when the class says
    # so itself (it looks in the class __dict__); nothing here changes how statements compile.
    supports_statement_cache = True
    # Same option names as PostgreSQL, keyed under this dialect's name ("omendb_*").
    construct_arguments = list(PGDialect_psycopg.construct_arguments or [])  # noqa: RUF012

    @classmethod
    def get_async_dialect_cls(cls, url):  # type: ignore[no-untyped-def]
        return OmenDBDialectAsync_psycopg


class OmenDBDialectAsync_psycopg(OmenDBDialectMixin, PGDialectAsync_psycopg):
    """``omendb+psycopg_async://``: psycopg's asyncio connection (FastAPI-style apps)."""

    supports_statement_cache = True
    construct_arguments = list(PGDialectAsync_psycopg.construct_arguments or [])  # noqa: RUF012

    @classmethod
    def get_async_dialect_cls(cls, url):  # type: ignore[no-untyped-def]
        return cls


dialect = OmenDBDialect_psycopg
dialect_async = OmenDBDialectAsync_psycopg
