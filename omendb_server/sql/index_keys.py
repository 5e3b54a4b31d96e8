"""Keys of expression and partial indexes.

A plain index keys a row by some of its columns, which the storage layer picks itself. An
expression index (``CREATE INDEX ON t (lower(name))``) keys it by computed values and a
partial index (``... WHERE deleted_at IS NULL``) leaves out the rows its predicate does not
accept. Both need compiled expressions, which only this layer has, so the key function is
built here and handed down (``catalog.model.INDEX_KEY_BUILDER``; the transaction manager
asks for it when it rebuilds indexes at recovery). Uniqueness is then enforced by the same
code as for plain unique indexes: the key is what ``SecondaryIndex.key_of`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from omendb_server import errors
from omendb_server.catalog import Catalog, Index, Table
from omendb_server.catalog import model as catalog_model
from omendb_server.datatypes import DataType
from omendb_server.datatypes.core import DEFAULT_CONTEXT
from omendb_server.sql.context import ExecContext

Values = tuple[Any, ...]

#: Functions PostgreSQL marks VOLATILE or STABLE: not allowed in an index (42P17).
_NOT_IMMUTABLE = frozenset({
    "now", "random", "clock_timestamp", "statement_timestamp", "transaction_timestamp",
    "timeofday", "current_timestamp", "current_date", "current_time", "localtime",
    "localtimestamp", "nextval", "currval", "lastval", "setval", "gen_random_uuid", "uuid_generate_v4",
    "current_setting", "set_config", "current_user", "session_user", "current_schema", "to_char",
    "age", "txid_current",
})


def _context(cat: Catalog) -> ExecContext:
    """What an index expression may read while keys are computed: nothing of a session
    (index expressions are immutable in PostgreSQL), the catalog for type lookups."""
    return ExecContext([], None, None, cat, None, DEFAULT_CONTEXT)  # type: ignore[arg-type]


def _compiler(cat: Catalog, table: Table) -> Any:
    from omendb_server.sql.constraints import table_scope
    from omendb_server.sql.expr import ExprCompiler
    from omendb_server.sql.planner import Planner

    return ExprCompiler(Planner(cat, []), table_scope(table, table.name))


def check_immutable(node: exp.Expression, what: str) -> None:
    """42P17 for functions PostgreSQL would refuse in an index expression or predicate."""
    for sub in node.walk():
        name = None
        if isinstance(sub, exp.Anonymous):
            name = str(sub.this).lower()
        elif isinstance(sub, exp.Func):
            name = (sub.sql_name() or "").lower()
        if isinstance(sub, (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime)):
            name = "now"
        if name in _NOT_IMMUTABLE:
            raise errors.DBError(f"functions in {what} must be marked IMMUTABLE", "42P17")
        if isinstance(sub, (exp.Subquery, exp.Select)):
            raise errors.FeatureNotSupported(f"cannot use subquery in {what}")
        if isinstance(sub, exp.AggFunc):
            raise errors.DBError(f"aggregate functions are not allowed in {what}", "42803")


def _column_getter(i: int) -> Callable[..., Any]:
    return lambda values, ctx: values[i]


def compile_parts(cat: Catalog, table: Table, index: Index
                  ) -> tuple[list[tuple[Callable[..., Any], DataType]], Callable[..., Any] | None]:
    """(key element → (fn(values, ctx), type)), predicate fn or None."""
    comp = _compiler(cat, table)
    parts: list[tuple[Callable[..., Any], DataType]] = []
    for pos, col in enumerate(index.columns):
        if col >= 0:
            parts.append((_column_getter(col), table.columns[col].type))
        else:
            ce = comp.compile(sqlglot.parse_one(index.exprs[pos], read="postgres"))
            parts.append((ce.fn, ce.type))
    pred = None
    if index.where is not None:
        pred = comp.boolean(sqlglot.parse_one(index.where, read="postgres"), "WHERE").fn
    return parts, pred


def build_key_function(cat: Catalog, index: Index) -> Callable[[Values], Values | None]:
    """values → the index key, or None when the row is not in the index (predicate not
    true, or a NULL in the key: NULLs are never equal, so they never conflict)."""
    table = cat.tables[index.table_oid]
    parts, pred = compile_parts(cat, table, index)
    fns = [fn for fn, _ in parts]
    ctx = _context(cat)

    def key_of(values: Values) -> Values | None:
        if pred is not None and pred(values, ctx) is not True:
            return None
        key = tuple(fn(values, ctx) for fn in fns)
        return None if None in key else key

    return key_of


def key_detail(cat: Catalog, table: Table, index: Index, key: Values, fmt: Any) -> str:
    """``(lower(name))=(abc)``: the DETAIL of a unique violation, as PostgreSQL prints
    the index's key (expressions in their pg_get_indexdef column form)."""
    from omendb_server.catalog.pg_catalog import index_element_texts

    parts, _ = compile_parts(cat, table, index)
    names = ", ".join(index_element_texts(table, index, pretty=True))
    vals = ", ".join("null" if v is None else t.text_out(v, fmt)
                     for (_, t), v in zip(parts, key))
    return f"({names})=({vals})"


catalog_model.INDEX_KEY_BUILDER[:] = [build_key_function]
