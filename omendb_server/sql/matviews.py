"""Materialized views: CREATE / REFRESH / DROP MATERIALIZED VIEW.

A materialized view is a table whose rows come from a stored query (``Table.matview``):
CREATE is CREATE TABLE AS plus that query text, REFRESH deletes the rows and inserts the
query's rows again (in the statement's transaction, so a rollback keeps the old contents),
and pg_class shows relkind 'm'. Indexes on it work as on any table. sqlglot does not parse
these statements, so they are recognised here by their leading words.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql.context import ExecContext
from omendb_server.sql.plan import CallablePlan, Result

_CREATE = re.compile(
    r"^\s*CREATE\s+MATERIALIZED\s+VIEW\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>[^\s(]+)\s*"
    r"(?P<cols>\([^)]*\))?\s*(?:USING\s+\w+\s+)?(?:TABLESPACE\s+\w+\s+)?AS\s+(?P<query>.*?)"
    r"(?P<data>\s+WITH\s+(?:NO\s+)?DATA)?\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_REFRESH = re.compile(
    r"^\s*REFRESH\s+MATERIALIZED\s+VIEW\s+(?:CONCURRENTLY\s+)?(?P<name>[^\s;]+)"
    r"(?P<data>\s+WITH\s+(?:NO\s+)?DATA)?\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def is_matview_statement(sql: str) -> bool:
    head = sql.lstrip()[:40].upper().split()
    return len(head) >= 3 and head[0] in ("CREATE", "REFRESH") and head[1:3] == [
        "MATERIALIZED", "VIEW"]


def plan_matview_statement(sql: str, planner: Any) -> CallablePlan:
    from omendb_server.sql.compile import parse_sql

    m = _CREATE.match(sql)
    if m is not None:
        no_data = bool(m.group("data")) and "NO" in m.group("data").upper()
        query = m.group("query").strip()
        ine = "IF NOT EXISTS " if m.group("ine") else ""
        ctas = (f"CREATE TABLE {ine}{m.group('name')} {m.group('cols') or ''} AS {query}"
                f"{' WITH NO DATA' if no_data else ''}")
        node = parse_sql(ctas)
        assert isinstance(node, exp.Create)
        from omendb_server.sql.ddl import plan_create_table_as

        inner = plan_create_table_as(planner, node)
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        name, schema = target.name, target.db or None

        def create(ctx: ExecContext) -> Result:
            result = inner.run(ctx)  # type: ignore[misc]
            table = ctx.tm.writable_catalog(ctx.txn).find_table(name, schema)
            if table is not None and table.matview is None and table.oid in ctx.txn.created_tables:
                table.matview = query
            return result if result.tag.startswith("SELECT") else Result("CREATE MATERIALIZED VIEW")

        return CallablePlan(columns=None, kind="ddl", writes=True, run=create)
    m = _REFRESH.match(sql)
    if m is None:
        raise errors.SyntaxError(f'syntax error at or near "{sql.split()[0]}"')
    target = parse_sql(f"SELECT 1 FROM {m.group('name')}").find(exp.Table)
    assert target is not None
    name, schema = target.name, target.db or None
    no_data = bool(m.group("data")) and "NO" in m.group("data").upper()

    def refresh(ctx: ExecContext) -> Result:
        from omendb_server.sql.compile import compile_statement

        cat = ctx.tm.catalog_for(ctx.txn)
        table = cat.find_table(name, schema)
        if table is None or not table.matview:
            if table is None:
                raise errors.UndefinedTable(f'relation "{name}" does not exist')
            raise errors.FeatureNotSupported(f'"{name}" is not a materialized view')
        from omendb_server.sql.operators import candidate_versions

        data = ctx.tm.table_data(table)
        for version in candidate_versions(ctx, data, None):
            target = ctx.tm.lock_for_write(ctx.txn, data, version, "W", "wait", table.name)
            if target is not None:
                ctx.tm.delete(ctx.txn, data, target)
        if not no_data:
            plan = compile_statement(table.matview, cat, [])
            sub = ExecContext(params=[], txn=ctx.txn, tm=ctx.tm, catalog=cat,
                              session=ctx.session, fmt=ctx.fmt, database=ctx.database)

            def conflict(index_oid: int, key: tuple) -> None:
                raise errors.InternalError("unexpected key conflict")

            for row in list(plan.rows(sub)):  # type: ignore[attr-defined]
                ctx.tm.insert(ctx.txn, data, tuple(row), conflict, ())
        return Result("REFRESH MATERIALIZED VIEW")

    return CallablePlan(columns=None, kind="ddl", writes=True, run=refresh)
