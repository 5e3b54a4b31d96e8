"""What every OmenDB dialect shares: the name ``omendb`` with PostgreSQL's behaviour under it.

SQLAlchemy keys dialect-specific options by dialect name: ``Index(..., omendb_using="gin")``
is stored as ``index.dialect_options["omendb"]["using"]``, while PostgreSQL's DDL compiler
reads only ``dialect_options["postgresql"]``. Rather than copy a dozen compiler methods,
``OmenDBDDLCompiler`` shows each construct it compiles a merged view for the duration of
that one compilation: PostgreSQL's options overlaid with the ``omendb_*`` ones (so both
spellings work, ``omendb_*`` winning). Reflection does the reverse: options PostgreSQL's
reflection reports as ``postgresql_*`` are renamed ``omendb_*``, which is what SQLAlchemy's
compliance suite and Alembic's autogenerate compare against for a dialect named omendb.

Constructs compiled by ``@compiles(X, "postgresql")`` hooks (SQLAlchemy's and Alembic's)
are dispatched on the dialect name too; ``mirror_postgresql_compiles`` registers the same
functions for ``omendb``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.dialects.postgresql.base import PGDDLCompiler
from sqlalchemy.sql.base import DialectKWArgs, _DialectArgDict

NAME = "omendb"
_PG = "postgresql"
_PREFIX_PG = _PG + "_"
_PREFIX_OURS = NAME + "_"


def _merged_view(target: DialectKWArgs) -> tuple[Any, Any] | None:
    """Install a merged options view on ``target``; return what to restore, or None."""
    opts = target.dialect_options
    ours = dict.get(opts, NAME)
    if ours is None or not ours._non_defaults:
        return None
    pg = opts[_PG]
    merged = _DialectArgDict()
    merged._defaults = pg._defaults
    merged._non_defaults = {**pg._non_defaults,
                            **{k: v for k, v in ours._non_defaults.items() if k in pg._defaults}}
    merged._reflection_only_keys = pg._reflection_only_keys
    merged._reflect_only_elements = pg._reflect_only_elements
    opts[_PG] = merged
    return opts, pg


@contextmanager
def postgresql_options_from_omendb(*targets: Any) -> Iterator[None]:
    """While compiling, let ``x.dialect_options["postgresql"]`` include ``omendb_*`` options."""
    restore = []
    try:
        for t in targets:
            if isinstance(t, DialectKWArgs):
                swapped = _merged_view(t)
                if swapped is not None:
                    restore.append(swapped)
        yield
    finally:
        for opts, pg in reversed(restore):
            opts[_PG] = pg


class OmenDBDDLCompiler(PGDDLCompiler):
    """PostgreSQL's DDL compiler, honouring ``omendb_*`` dialect options."""

    def process(self, obj: Any, **kw: Any) -> str:  # type: ignore[override]
        with postgresql_options_from_omendb(obj, getattr(obj, "element", None)):
            return super().process(obj, **kw)


def rename_options(options: dict[str, Any]) -> dict[str, Any]:
    """``postgresql_using`` → ``omendb_using``; keys without the prefix stay as they are."""
    return {(_PREFIX_OURS + k[len(_PREFIX_PG):]) if k.startswith(_PREFIX_PG) else k: v
            for k, v in options.items()}


def _rename_entries(items: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    out = []
    for key, entries in items:
        if isinstance(entries, list):
            for e in entries:
                if isinstance(e, dict) and e.get("dialect_options"):
                    e["dialect_options"] = rename_options(e["dialect_options"])
        elif isinstance(entries, dict) and entries:
            if "dialect_options" in entries:
                if entries["dialect_options"]:
                    entries["dialect_options"] = rename_options(entries["dialect_options"])
            else:
                entries = rename_options(entries)
        out.append((key, entries))
    return out


_VERSION = re.compile(r"OmenDB (\d+)\.(\d+)(?:\.(\d+))?")


class OmenDBDialectMixin:
    """Mixed in before a PostgreSQL dialect class: the name, DDL options and reflection."""

    name = NAME
    ddl_compiler = OmenDBDDLCompiler
    supports_statement_cache = True
    #: OmenDB's own release, e.g. (0, 1, 0), read from version() at connect; None if not OmenDB.
    omendb_version_info: tuple[int, ...] | None = None

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        """PostgreSQL's parse of ``version()`` (OmenDB reports "PostgreSQL 15.x (OmenDB a.b.c)"),
        plus OmenDB's own version."""
        info = super()._get_server_version_info(connection)  # type: ignore[misc]
        text = connection.exec_driver_sql("select pg_catalog.version()").scalar() or ""
        m = _VERSION.search(text)
        self.omendb_version_info = tuple(int(x) for x in m.groups() if x) if m else None
        return info

    # Reflection: report PostgreSQL's dialect options under this dialect's name.
    def get_multi_indexes(self, *args: Any, **kw: Any) -> Any:
        return _rename_entries(super().get_multi_indexes(*args, **kw))  # type: ignore[misc]

    def get_multi_unique_constraints(self, *args: Any, **kw: Any) -> Any:
        return _rename_entries(super().get_multi_unique_constraints(*args, **kw))  # type: ignore[misc]

    def get_multi_pk_constraint(self, *args: Any, **kw: Any) -> Any:
        return _rename_entries(super().get_multi_pk_constraint(*args, **kw))  # type: ignore[misc]

    def get_multi_table_options(self, *args: Any, **kw: Any) -> Any:
        return _rename_entries(super().get_multi_table_options(*args, **kw))  # type: ignore[misc]

    def get_multi_foreign_keys(self, *args: Any, **kw: Any) -> Any:
        return _rename_entries(super().get_multi_foreign_keys(*args, **kw))  # type: ignore[misc]

    def get_multi_check_constraints(self, *args: Any, **kw: Any) -> Any:
        return _rename_entries(super().get_multi_check_constraints(*args, **kw))  # type: ignore[misc]


def mirror_postgresql_compiles(*module_names: str) -> None:
    """Register every ``@compiles(X, "postgresql")`` function of these modules for omendb too."""
    for module_name in module_names:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for obj in list(vars(module).values()):
            dispatcher = isinstance(obj, type) and obj.__dict__.get("_compiler_dispatcher")
            specs = getattr(dispatcher, "specs", None)
            if specs and _PG in specs and NAME not in specs:
                specs[NAME] = specs[_PG]
