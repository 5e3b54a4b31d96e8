"""Shared by the PostgreSQL-verified function/type test modules: a connection that keeps
every value in PostgreSQL's text output format, and the check of one case against it."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.adapt import Loader


class TextLoader(Loader):
    """Keep every value in PostgreSQL's text output format (no client-side parsing)."""

    def load(self, data):  # type: ignore[override]
        return bytes(data).decode()


def text_connection(server) -> psycopg.Connection:  # type: ignore[no-untyped-def]
    c = server.connect(autocommit=True)
    for oid in range(1, 6000):
        c.adapters.register_loader(oid, TextLoader)
    c.execute("SET TimeZone = 'UTC'")
    return c


def check(conn, sql, cols, expected):  # type: ignore[no-untyped-def]
    """``cols == "ERROR"``: expected is (sqlstate, message, hint or None); otherwise the
    result's (name, type oid) list and rows must be exactly ``cols`` and ``expected``."""
    if cols == "ERROR":
        sqlstate, message, hint = expected
        with pytest.raises(psycopg.Error) as info:
            conn.execute(sql).fetchall()
        diag = info.value.diag
        assert (diag.sqlstate, diag.message_primary) == (sqlstate, message)
        if hint is not None:
            assert diag.message_hint == hint
        return
    cur = conn.execute(sql)
    assert [(d.name, d.type_code) for d in cur.description] == cols
    assert [tuple(r) for r in cur.fetchall()] == expected
