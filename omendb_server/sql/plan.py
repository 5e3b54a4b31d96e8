"""Executable plans: what a prepared statement holds and a portal runs.

A plan is built once per statement text (and parameter types) and then run many
times with different parameters; it carries its result columns so the wire layer
can answer Describe without executing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from omendb_server.datatypes import DataType
from omendb_server.sql.context import ExecContext
from omendb_server.sql.operators import Operator


@dataclass(frozen=True)
class OutputColumn:
    name: str
    type: DataType
    typmod: int = -1
    table_oid: int = 0
    attnum: int = 0


@dataclass
class Result:
    tag: str
    rows: list[tuple[Any, ...]] | None = None
    columns: list[OutputColumn] | None = None


@dataclass
class Plan:
    """Base: ``columns`` is None when the statement returns no rows (Describe → NoData)."""

    columns: list[OutputColumn] | None
    param_types: list[DataType] = field(default_factory=list)
    #: Statement class: 'query', 'dml', 'ddl', 'utility', 'txn'.
    kind: str = "query"
    #: True when running it changes data or schema (read-only checks, implicit txns).
    writes: bool = False

    def execute(self, ctx: ExecContext) -> Result:
        raise NotImplementedError


@dataclass
class QueryPlan(Plan):
    root: Operator | None = None
    #: A direct function for plans that are one index lookup plus column picks
    #: (point queries): same rows as ``root``, without generator layers.
    fast: Callable[[ExecContext], list[tuple[Any, ...]]] | None = None

    def rows(self, ctx: ExecContext):  # type: ignore[no-untyped-def]
        assert self.root is not None
        return self.root.rows(ctx)

    def execute(self, ctx: ExecContext) -> Result:
        rows = self.fast(ctx) if self.fast is not None else list(self.rows(ctx))
        return Result(f"SELECT {len(rows)}", rows, self.columns)


@dataclass
class CallablePlan(Plan):
    """A plan whose work is one function (DML, DDL, SET/SHOW)."""

    run: Callable[[ExecContext], Result] | None = None
    #: What EXPLAIN prints for it (DML: "Update on t" over its scan).
    explain_lines: list[str] = field(default_factory=list)

    def execute(self, ctx: ExecContext) -> Result:
        assert self.run is not None
        return self.run(ctx)


@dataclass
class TxnControlPlan(Plan):
    """BEGIN/COMMIT/ROLLBACK/SAVEPOINT...: carried out by the session, which owns the block."""

    action: str = ""
    name: str = ""
    isolation: str | None = None
    chain: bool = False

    def execute(self, ctx: ExecContext) -> Result:  # pragma: no cover - session handles it
        raise RuntimeError("transaction control is executed by the session")
