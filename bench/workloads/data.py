"""The shared ``accounts(id int8 primary key, balance int8, name text)`` table, loaded once per run.

Both systems are loaded the same way (batched multi-row INSERT, one transaction per batch)
because OmenDB has no COPY yet; the load rate is reported as an informational figure.
"""

from __future__ import annotations

import time

import psycopg

from bench.core import Cmp, Context, Table

BATCH = 5000


def account_row(i: int) -> tuple[int, int, str]:
    return (i, (i * 7919) % 100_000, f"name-{i:08d}")


def insert_sql(table: str, columns: str, ncols: int, nrows: int) -> str:
    # ", " between placeholders on purpose: OmenDB (sqlglot's tokenizer) rejects "$1,$2" with no
    # space ("syntax error at end of input"); see docs/performance.md, problems.
    one = "(" + ", ".join(["%s"] * ncols) + ")"
    return f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * nrows)


def load_accounts(dsn: str, rows: int, log) -> float:
    """Create and fill ``accounts``; returns the rows/s of the INSERT phase."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE accounts (id int8 PRIMARY KEY, balance int8, name text)")
    full_sql = insert_sql("accounts", "id, balance, name", 3, BATCH)
    t0 = time.perf_counter()
    last = t0
    with psycopg.connect(dsn, autocommit=False) as conn:
        for start in range(1, rows + 1, BATCH):
            n = min(BATCH, rows + 1 - start)
            sql = full_sql if n == BATCH else insert_sql("accounts", "id, balance, name", 3, n)
            params: list = []
            for i in range(start, start + n):
                params.extend(account_row(i))
            conn.execute(sql, params)
            conn.commit()
            now = time.perf_counter()
            if now - last > 15:
                log(f"  ... {start + n - 1:,} rows ({(start + n - 1) / (now - t0):,.0f} rows/s)")
                last = now
    elapsed = time.perf_counter() - t0
    return rows / elapsed


def ensure_accounts(ctx: Context) -> dict:
    """Load ``accounts`` into both systems once; returns {'omendb': ok, 'pg': ok, 'table': Table}."""
    if "accounts" in ctx.state:
        return ctx.state["accounts"]
    rows = ctx.rows
    cmp = Cmp(f"batched INSERT, {BATCH:,} rows per statement and transaction", "rows/s")
    info: dict = {"omendb": False, "pg": False}
    ctx.log(f"loading {rows:,} rows into PostgreSQL accounts")
    cmp.pg = load_accounts(ctx.pg.dsn, rows, ctx.log)
    with psycopg.connect(ctx.pg.dsn, autocommit=True) as conn:
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE accounts")
        cmp.pg_detail = f"+ VACUUM ANALYZE {time.perf_counter() - t0:.1f} s, not counted"
    info["pg"] = True
    if ctx.omendb is None:
        cmp.omendb_error = "OmenDB server not running"
    else:
        ctx.log(f"loading {rows:,} rows into OmenDB accounts")
        try:
            cmp.omendb = load_accounts(ctx.omendb.dsn, rows, ctx.log)
            info["omendb"] = True
        except psycopg.Error as e:
            cmp.omendb_error = ctx.problem("loading accounts", e)
    ctx.log(f"load: OmenDB {cmp.omendb} rows/s, PostgreSQL {cmp.pg} rows/s")
    info["table"] = Table(f"Load of accounts ({rows:,} rows; informational)", cmp=[cmp])
    ctx.state["accounts"] = info
    return info
