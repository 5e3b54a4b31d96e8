"""COPY ... FROM STDIN bulk load in text, CSV and binary formats (rows/s)."""

from __future__ import annotations

import time

import psycopg

from bench.core import Cmp, Context, Table, workload
from bench.workloads.data import account_row

FORMATS = ("text", "csv", "binary")
CHUNK = 1 << 20


def payload(rows: int, fmt: str) -> bytes | None:
    if fmt == "text":
        return "".join(f"{a}\t{b}\t{c}\n" for a, b, c in map(account_row, range(1, rows + 1))).encode()
    if fmt == "csv":
        return "".join(f"{a},{b},{c}\n" for a, b, c in map(account_row, range(1, rows + 1))).encode()
    return None  # binary: rows are encoded by psycopg's binary dumpers while copying


def copy_load(dsn: str, table: str, fmt: str, rows: int, data: bytes | None) -> float:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id int8 PRIMARY KEY, balance int8, name text)")
    with psycopg.connect(dsn, autocommit=False) as conn:
        cur = conn.cursor()
        t0 = time.perf_counter()
        with cur.copy(f"COPY {table} (id, balance, name) FROM STDIN WITH (FORMAT {fmt})") as cp:
            if data is not None:
                for off in range(0, len(data), CHUNK):
                    cp.write(data[off:off + CHUNK])
            else:
                cp.set_types(["int8", "int8", "text"])
                for i in range(1, rows + 1):
                    cp.write_row(account_row(i))
        conn.commit()
        elapsed = time.perf_counter() - t0
        n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # untimed: keeps a background checkpoint out of the next run
    if n != rows:
        raise RuntimeError(f"COPY loaded {n} rows, expected {rows}")
    return rows / elapsed


@workload(
    "copy_load",
    "COPY FROM STDIN bulk load",
    """`COPY t (id, balance, name) FROM STDIN` through psycopg's copy API into a fresh table with an
    int8 primary key, in one transaction, in text, CSV and binary formats, with the same rows as
    accounts. Text and CSV data are generated up front and sent in 1 MiB chunks; binary rows are
    encoded by psycopg while copying (same client cost on both systems). Figures are rows/s including
    the commit (higher is better). An untimed CHECKPOINT follows each load on both systems, so
    OmenDB's background checkpoint of one load does not run during the next.""",
    order=40,
)
def run(ctx: Context) -> list[Table]:
    rows = ctx.rows
    out = []
    for fmt in FORMATS:
        data = payload(rows, fmt)
        table = f"copy_{fmt}"
        cmp = Cmp(f"COPY FORMAT {fmt}", "rows/s")
        ctx.log(f"COPY {fmt}: PostgreSQL")
        cmp.pg = copy_load(ctx.pg.dsn, table, fmt, rows, data)
        if ctx.omendb is None:
            cmp.omendb_error = "OmenDB server not running"
        else:
            ctx.log(f"COPY {fmt}: OmenDB")
            try:
                cmp.omendb = copy_load(ctx.omendb.dsn, table, fmt, rows, data)
            except (psycopg.Error, RuntimeError) as e:
                cmp.omendb_error = ctx.problem(f"COPY FORMAT {fmt}", e)
        ctx.log(f"  OmenDB {cmp.omendb} | PostgreSQL {cmp.pg}")
        out.append(cmp)
    return [Table(f"COPY load of {rows:,} rows", cmp=out)]
