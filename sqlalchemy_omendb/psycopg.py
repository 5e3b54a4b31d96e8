"""``omendb+psycopg://``: the OmenDB dialect over psycopg 3.

``OmenDBDialect_psycopg`` subclasses SQLAlchemy's ``PGDialect_psycopg`` and changes only
its name. That is deliberate: OmenDB is wire-compatible with PostgreSQL 15 (same
protocol, same SQL, same type OIDs, ``server_version`` 15.x), so the PostgreSQL
compiler, type mapping, reflection queries and psycopg integration are exactly what
OmenDB must accept. Anything OmenDB cannot yet handle is a server bug to fix in the
server, not something to paper over here; keeping this class thin keeps the
compatibility claim measurable.

Dialect-specific keyword arguments: SQLAlchemy validates ``<dialect name>_<option>``
keywords (``Index(..., omendb_using="btree")``) against the dialect's
``construct_arguments``. The class inherits PostgreSQL's list, so ``omendb_*`` options
are accepted with the same names as ``postgresql_*`` ones. The PostgreSQL DDL compiler
reads only the ``postgresql_*`` spelling, so that is the one that takes effect; write
``postgresql_*`` in models shared with PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg


class OmenDBDialect_psycopg(PGDialect_psycopg):
    """PostgreSQL's psycopg 3 dialect, registered as ``omendb`` / ``omendb+psycopg``."""

    name = "omendb"
    driver = "psycopg"

    # SQLAlchemy only trusts third-party dialects' statement caching when the subclass
    # says so itself (it looks in the class __dict__); without this it warns and
    # disables the cache. Nothing here changes how statements compile, so it is safe.
    supports_statement_cache = True

    # Same option names as PostgreSQL, keyed under this dialect's name ("omendb_*").
    construct_arguments = list(PGDialect_psycopg.construct_arguments or [])


dialect = OmenDBDialect_psycopg
