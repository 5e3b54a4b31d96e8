"""What a running statement can see: parameters, transaction, session, clock.

The SQL layer defines these shapes and the session fills them in, so the engine
never imports the session or wire layers (the dependency points down only).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from omendb_server.catalog import Catalog
from omendb_server.datatypes import FormatContext
from omendb_server.txn import Transaction, TransactionManager


class SessionInfo(Protocol):
    """The parts of a client session that SQL functions read (current_user, settings)."""

    user: str
    database: str
    pid: int

    def get_setting(self, name: str) -> str: ...
    def set_setting(self, name: str, value: str, is_local: bool = False) -> None: ...
    def format_context(self) -> FormatContext: ...


@dataclass
class ExecContext:
    params: list[Any]
    txn: Transaction
    tm: TransactionManager
    catalog: Catalog
    session: SessionInfo
    fmt: FormatContext
    stmt_ts: _dt.datetime
    #: Rows of enclosing queries, innermost last, for correlated subqueries.
    outer: list[tuple[Any, ...]] = field(default_factory=list)
    #: Results of uncorrelated subqueries, computed once per execution.
    subquery_cache: dict[int, Any] = field(default_factory=dict)
    database: Any = None
