"""SQL cursors: DECLARE, FETCH, MOVE, CLOSE (server-side cursors of psycopg, SQLAlchemy's
``stream_results`` and Django's chunked iterator).

DECLARE runs its query on the statement's snapshot and keeps the rows in the session
(``session.cursors``); FETCH and MOVE page through them. Cursors WITHOUT HOLD need a
transaction block and end with it; WITH HOLD cursors survive COMMIT (PostgreSQL also
materializes them at commit). The rows are materialized at DECLARE, which is simple and
exact for snapshot semantics; for very large results it costs memory, which PostgreSQL's
lazy cursors avoid (a documented difference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from omendb_server import errors
from omendb_server.sql.context import ExecContext
from omendb_server.sql.plan import OutputColumn, Plan, Result

_NAME = r'(?P<name>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_DECLARE = re.compile(
    r"^\s*DECLARE\s+" + _NAME + r"\s+(?:BINARY\s+)?(?:(?:ASENSITIVE|INSENSITIVE)\s+)?"
    r"(?P<scroll>(?:NO\s+)?SCROLL\s+)?CURSOR\s+(?:(?P<hold>WITH|WITHOUT)\s+HOLD\s+)?FOR\s+"
    r"(?P<query>.*?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_FETCH = re.compile(
    r"^\s*(?P<verb>FETCH|MOVE)\s+(?:(?P<dir>NEXT|PRIOR|FIRST|LAST|ALL|FORWARD\s+ALL|FORWARD"
    r"(?:\s+(?P<fwd>\d+))?|ABSOLUTE\s+-?\d+|RELATIVE\s+-?\d+|BACKWARD(?:\s+(?:ALL|\d+))?|"
    r"(?P<count>\d+))\s+)?(?:FROM\s+|IN\s+)?" + _NAME + r"\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_CLOSE = re.compile(r"^\s*CLOSE\s+(?:(?P<all>ALL)|" + _NAME + r")\s*;?\s*$", re.IGNORECASE)


def is_cursor_statement(sql: str) -> bool:
    head = sql.lstrip()[:8].upper()
    return head.startswith(("DECLARE", "FETCH", "MOVE", "CLOSE"))


def _ident(raw: str) -> str:
    return raw[1:-1].replace('""', '"') if raw.startswith('"') else raw.lower()


@dataclass
class Cursor:
    rows: list[tuple[Any, ...]]
    columns: list[OutputColumn]
    hold: bool
    pos: int = 0
    #: The transaction it was declared in (a rollback of it removes even a WITH HOLD cursor).
    txid: int = 0


@dataclass
class CursorPlan(Plan):
    action: str = ""
    name: str = ""
    query: Plan | None = None
    hold: bool = False
    count: int | None = None  # None = ALL
    kind: str = "query"

    def execute(self, ctx: ExecContext) -> Result:
        store = getattr(ctx.session, "cursors", None)
        if store is None:
            raise errors.FeatureNotSupported("cursors need a client session")
        if self.action == "declare":
            return self._declare(ctx, store)
        if self.action == "close":
            if self.name == "":
                store.clear()
            elif store.pop(self.name, None) is None:
                raise errors.DBError(f'cursor "{self.name}" does not exist', "34000")
            return Result("CLOSE CURSOR")
        cur = store.get(self.name)
        if cur is None:
            raise errors.DBError(f'cursor "{self.name}" does not exist', "34000")
        end = len(cur.rows) if self.count is None else min(len(cur.rows), cur.pos + self.count)
        rows = cur.rows[cur.pos:end]
        cur.pos = end
        if self.action == "move":
            return Result(f"MOVE {len(rows)}")
        return Result(f"FETCH {len(rows)}", rows, cur.columns)

    def _declare(self, ctx: ExecContext, store: dict[str, Cursor]) -> Result:
        session = ctx.session
        in_block = getattr(session, "txn", None) is not None and not getattr(session, "implicit", True)
        if not self.hold and not in_block:
            raise errors.DBError("DECLARE CURSOR can only be used in transaction blocks", "25P01")
        if self.name in store:
            raise errors.DBError(f'cursor "{self.name}" already exists', "42P03")
        assert self.query is not None
        rows = [tuple(r) for r in self.query.rows(ctx)]  # type: ignore[attr-defined]
        store[self.name] = Cursor(rows, list(self.query.columns or []), self.hold,
                                  txid=getattr(ctx.txn, "txid", 0))
        return Result("DECLARE CURSOR")


def plan_cursor_statement(sql: str, compile_query: Any) -> CursorPlan:
    """``compile_query(sql)`` plans DECLARE's query with the statement's parameter types."""
    if m := _DECLARE.match(sql):
        query = compile_query(m.group("query"))
        if getattr(query, "kind", "") != "query" or query.columns is None:
            raise errors.DBError("cursor can only scan a query that returns rows", "42P11")
        plan = CursorPlan(columns=None, action="declare", name=_ident(m.group("name")),
                          query=query, hold=(m.group("hold") or "").upper() == "WITH")
        plan.param_types = query.param_types
        return plan
    if m := _FETCH.match(sql):
        direction = (m.group("dir") or "NEXT").upper().split()
        if direction[0] in ("PRIOR", "FIRST", "LAST", "ABSOLUTE", "RELATIVE", "BACKWARD"):
            raise errors.FeatureNotSupported(f"{' '.join(direction)} is not supported for cursors")
        if direction[0] == "NEXT":
            count: int | None = 1
        elif direction[-1] == "ALL":
            count = None
        elif m.group("fwd") or m.group("count"):
            count = int(m.group("fwd") or m.group("count"))
        else:
            count = 1  # FORWARD alone
        verb = m.group("verb").lower()
        return CursorPlan(columns=None, action=verb, name=_ident(m.group("name")), count=count)
    if m := _CLOSE.match(sql):
        return CursorPlan(columns=None, action="close",
                          name="" if m.group("all") else _ident(m.group("name")))
    raise errors.SyntaxError(f'syntax error at or near "{sql.split()[0]}"')
