"""Shared data and runner for the PostgreSQL-verified query tests (test_queries_*.py,
test_window*.py, test_cte*.py).

Every case's expected column names and rows (or SQLSTATE) were produced by running the
query on PostgreSQL 15; ``OMENDB_TEST_TARGET_DSN`` runs the same tests against a real
PostgreSQL to re-check them. Queries name the tables qa, qb, qc and edges; each test
module gets private copies under unique names (the server is shared) and the names are
substituted into the query text.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

SETUP = [
    "create table qa (id int primary key, name text, grp int, val numeric)",
    "create table qb (id int primary key, a_id int, score int, tag text)",
    "create table qc (k int, label text)",
    "create table edges (src int, dst int)",
    ("insert into qa values (1,'one',1,10.5),(2,'two',1,20),(3,'three',2,null),"
     "(4,'four',null,40),(5,'five',2,50)"),
    ("insert into qb values (10,1,100,'x'),(11,1,90,'y'),(12,2,80,'x'),(13,9,70,null),"
     "(14,null,60,'z'),(15,3,null,'y')"),
    "insert into qc values (1,'a'),(2,'b'),(null,'n'),(2,'b2')",
    "insert into edges values (1,2),(2,3),(3,1),(3,4)",
]
TABLES = ("qa", "qb", "qc", "edges")
_NAME = re.compile(r"\b(qa|qb|qc|edges)\b")


def substitute(sql: str, names: dict[str, str]) -> str:
    return _NAME.sub(lambda m: names[m.group(1)], sql)


def tables_fixture(server: Any) -> Iterator[tuple[psycopg.Connection, dict[str, str]]]:
    """Create the four tables under unique names; yield (autocommit conn, names)."""
    suffix = f"_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    names = {t: t + suffix for t in TABLES}
    conn = server.connect(autocommit=True)
    try:
        for stmt in SETUP:
            conn.execute(substitute(stmt, names))
        yield conn, names
    finally:
        for t in names.values():
            try:
                conn.execute(f"drop table if exists {t}")
            except psycopg.Error:
                pass
        conn.close()


def _ordered(sql: str) -> bool:
    """True when the outermost query has an ORDER BY (its row order is then checked)."""
    depth = 0
    lowered = sql.lower()
    i = 0
    last_order = -1
    while i < len(lowered):
        ch = lowered[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and lowered.startswith("order by", i):
            last_order = i
        i += 1
    return last_order >= 0


def check_case(conn: psycopg.Connection, names: dict[str, str], sql: str, columns: Any,
               rows: Any = None) -> None:
    text = substitute(sql, names)
    if isinstance(columns, tuple) and columns[0] == "error":
        with pytest.raises(psycopg.Error) as info:
            conn.execute(text)
        assert info.value.diag.sqlstate == columns[1], (
            f"{sql}: {info.value.diag.sqlstate} {info.value.diag.message_primary}")
        return
    cur = conn.execute(text)
    got_names = [d.name for d in cur.description]
    got = cur.fetchall()
    assert got_names == columns, sql
    if not _ordered(sql):
        got, rows = sorted(got, key=repr), sorted(rows, key=repr)
    assert got == rows, sql
