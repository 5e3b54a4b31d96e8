"""What a running statement can see: parameters, transaction, session, clock.

The SQL layer defines these shapes and the session fills them in, so the engine
never imports the session or wire layers (the dependency points down only).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol

from omendb_server.catalog import Catalog
from omendb_server.datatypes import FormatContext
from omendb_server.txn import TransactionManager


class SessionInfo(Protocol):
    """The parts of a client session that SQL functions read (current_user, settings)."""

    user: str
    database: str
    pid: int

    def get_setting(self, name: str) -> str: ...
    def set_setting(self, name: str, value: str, is_local: bool = False) -> None: ...
    def format_context(self) -> FormatContext: ...


class ExecContext:
    """Per-execution state handed to every compiled expression and operator.

    A plain ``__slots__`` class built once per statement execution (this is on the
    hot path of every point query); the statement timestamp is read lazily."""

    __slots__ = ("params", "txn", "tm", "catalog", "session", "fmt", "_stmt_ts", "outer",
                 "subquery_cache", "database")

    def __init__(self, params: list[Any], txn: Any, tm: TransactionManager, catalog: Catalog,
                 session: SessionInfo, fmt: FormatContext, stmt_ts: _dt.datetime | None = None,
                 database: Any = None) -> None:
        self.params = params
        self.txn = txn
        self.tm = tm
        self.catalog = catalog
        self.session = session
        self.fmt = fmt
        self._stmt_ts = stmt_ts
        #: Rows of enclosing queries, innermost last, for correlated subqueries.
        self.outer: list[tuple[Any, ...]] = []
        #: Results of uncorrelated subqueries, computed once per execution.
        self.subquery_cache: dict[int, Any] = {}
        self.database = database

    @property
    def stmt_ts(self) -> _dt.datetime:
        """now(): fixed for the whole transaction, as PostgreSQL's transaction_timestamp()."""
        if self._stmt_ts is None:
            ts = getattr(self.txn, "now_ts", None)
            if ts is None:
                ts = _dt.datetime.now(_dt.timezone.utc)
                if hasattr(self.txn, "now_ts"):
                    self.txn.now_ts = ts
            self._stmt_ts = ts
        return self._stmt_ts
