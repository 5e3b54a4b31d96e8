"""Alembic support: migrations against ``omendb://`` use Alembic's PostgreSQL implementation.

Alembic picks its DDL implementation by dialect name, so without this class it would
refuse the ``omendb`` dialect. Defining the subclass registers it (Alembic's impl
metaclass records every class that sets ``__dialect__``). Alembic's PostgreSQL DDL
constructs are compiled by ``@compiles(..., "postgresql")`` hooks, mirrored here for
omendb, and its index comparison reads ``postgresql_*`` options, which reflection on
this dialect reports as ``omendb_*``: both spellings are understood.
"""

from __future__ import annotations

from typing import Any

from alembic.ddl import base as _alembic_base
from alembic.ddl import postgresql as _alembic_pg
from alembic.ddl.postgresql import PostgresqlImpl
from sqlalchemy import Column
from sqlalchemy import types as sqltypes
from sqlalchemy.schema import CreateIndex

from sqlalchemy_omendb.base import mirror_postgresql_compiles

mirror_postgresql_compiles(_alembic_pg.__name__, _alembic_base.__name__)


def _option(item: Any, name: str) -> Any:
    kw = item.dialect_kwargs
    return kw.get(f"omendb_{name}") or kw.get(f"postgresql_{name}")


class OmenDBImpl(PostgresqlImpl):
    __dialect__ = "omendb"

    def create_index(self, index: Any, **kw: Any) -> None:
        for col in _option(index, "include") or ():
            if col not in index.table.c:
                index.table.append_column(Column(col, sqltypes.NullType))
        self._exec(CreateIndex(index, **kw))

    def _dialect_options(self, item: Any) -> tuple[Any, ...]:
        return ("nulls_not_distinct",) if _option(item, "nulls_not_distinct") else ()

    def adjust_reflected_dialect_options(self, reflected_object: Any, kind: str) -> dict[str, Any]:
        options = dict(reflected_object.get("dialect_options", {}))
        for key in ("omendb_include", "postgresql_include"):
            if not options.get(key):
                options.pop(key, None)
        return options
