#!/usr/bin/env python3
"""TPC-H-style Q1, Q6 and a Q3-like three-table join on OmenDB, PostgreSQL 15 and DuckDB.

    .venv/bin/python bench/tpch.py --rows 50000      # standalone: starts its own servers, prints
    .venv/bin/python bench/tpch.py --rows 50000 --queries Q1 --omendb-dsn "host=... port=..."
    .venv/bin/python bench/run.py --only tpch        # the harness: results into docs/performance.md

Data: a deterministic (numpy, fixed seed) ``lineitem`` of N rows (default 6,000,000), with
``orders`` (1-7 lines each, about N/4 orders) and ``customer`` (orders/10), following TPC-H's
column types (numeric(15,2) money, char(n) flags, date) and value rules (order dates 1992-01-01 ..
1998-08-02, ship = order + 1..121 days, return flag R/A before 1995-06-17 else N, discount
0.00-0.10, tax 0.00-0.08, quantity 1-50). Comment columns are left out (no query reads them).
Keys: customer and orders have primary keys; lineitem has none (as in most TPC-H loads).

Loading: PostgreSQL and OmenDB get the same CSV bytes through ``COPY ... FROM STDIN (FORMAT csv)``
(pyarrow writes the CSV; timed, reported as rows/s), then VACUUM ANALYZE on PostgreSQL and
CHECKPOINT on OmenDB (untimed). DuckDB (in-process, optional) creates its tables from the same
Arrow tables.

Timing: each query runs ``repeat`` times per system through one client connection (psycopg for the
servers, the duckdb module in process) and the best wall time counts, including fetching the rows.
A run slower than ``slow_after`` seconds is not repeated. OmenDB's result is checked against
PostgreSQL's (numbers to 1e-6 relative), and a mismatch is reported next to the figure.
"""

from __future__ import annotations

import io
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_ROWS = 6_000_000
SEED = 19920101
CSV_BATCH = 100_000  # rows per CSV chunk sent through COPY

# -- schema -------------------------------------------------------------------------------------
DDL = {
    "customer": """CREATE TABLE customer (
        c_custkey int8 PRIMARY KEY, c_name varchar(25) NOT NULL, c_nationkey int4 NOT NULL,
        c_acctbal numeric(15,2) NOT NULL, c_mktsegment char(10) NOT NULL)""",
    "orders": """CREATE TABLE orders (
        o_orderkey int8 PRIMARY KEY, o_custkey int8 NOT NULL, o_orderstatus char(1) NOT NULL,
        o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL,
        o_orderpriority char(15) NOT NULL, o_shippriority int4 NOT NULL)""",
    "lineitem": """CREATE TABLE lineitem (
        l_orderkey int8 NOT NULL, l_partkey int8 NOT NULL, l_suppkey int8 NOT NULL,
        l_linenumber int4 NOT NULL, l_quantity numeric(15,2) NOT NULL,
        l_extendedprice numeric(15,2) NOT NULL, l_discount numeric(15,2) NOT NULL,
        l_tax numeric(15,2) NOT NULL, l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL,
        l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL,
        l_shipinstruct char(25) NOT NULL, l_shipmode char(10) NOT NULL)""",
}
TABLE_ORDER = ("customer", "orders", "lineitem")

# -- queries (TPC-H text with its validation parameters; dates precomputed as literals) ----------
QUERIES: dict[str, str] = {
    "Q1": """SELECT l_returnflag, l_linestatus,
        sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
        sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
        sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
        avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc,
        count(*) AS count_order
    FROM lineitem
    WHERE l_shipdate <= DATE '1998-09-02'
    GROUP BY l_returnflag, l_linestatus
    ORDER BY l_returnflag, l_linestatus""",
    "Q6": """SELECT sum(l_extendedprice * l_discount) AS revenue
    FROM lineitem
    WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
      AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24""",
    "Q3": """SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue,
        o_orderdate, o_shippriority
    FROM customer JOIN orders ON c_custkey = o_custkey JOIN lineitem ON l_orderkey = o_orderkey
    WHERE c_mktsegment = 'BUILDING'
      AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
    GROUP BY l_orderkey, o_orderdate, o_shippriority
    ORDER BY revenue DESC, o_orderdate, l_orderkey
    LIMIT 10""",
}
QUERY_NOTES = {
    "Q1": "pricing summary: scan + filter + 8 aggregates over 2 groups (about 98% of lineitem)",
    "Q6": "forecast revenue change: selective filter (about 2% of lineitem) + one sum",
    "Q3": "shipping priority: customer ⋈ orders ⋈ lineitem, group by order, top 10. Written with "
          "JOIN ... ON (TPC-H's text lists the tables with commas and puts the join conditions in "
          "WHERE; both forms plan as the same hash joins on PostgreSQL and on OmenDB). OmenDB runs "
          "it vectorized (sql/vector_join.py): each table filtered column-at-a-time, numba hash "
          "joins that keep the row path's row order, per-group sums, and the top 10 chosen on "
          "arrays before any Python row is built. The tables are checkpointed after loading, so "
          "every row is in the columnar base (rows in the delta would be converted once per "
          "query, still vectorized)",
}


# -- data ---------------------------------------------------------------------------------------
def _decimal(cents: np.ndarray, precision: int = 15, scale: int = 2) -> pa.Array:
    """A decimal128 array from int64 unscaled values (no float rounding on the way)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.stack([cents, cents >> 63], axis=1)  # little-endian 128-bit two's complement
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(cents),
                                 [None, pa.py_buffer(words.tobytes())])


def _pick(rng: np.random.Generator, words: list[str], n: int) -> pa.Array:
    idx = pa.array(rng.integers(0, len(words), n).astype(np.int32))
    return pa.DictionaryArray.from_arrays(idx, pa.array(words)).cast(pa.string())


def generate(rows: int = DEFAULT_ROWS, seed: int = SEED) -> dict[str, pa.Table]:
    """customer, orders and lineitem as Arrow tables; the same ``rows`` and ``seed`` give the same data."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 8, size=rows // 4 + rows // 10 + 16)  # lines per order, mean 4
    cum = np.cumsum(counts)
    n_orders = int(np.searchsorted(cum, rows)) + 1
    counts = counts[:n_orders].copy()
    counts[-1] -= int(cum[n_orders - 1]) - rows
    n_cust = max(n_orders // 10, 1)

    o_orderkey = np.arange(1, n_orders + 1, dtype=np.int64)
    start, end = np.datetime64("1992-01-01"), np.datetime64("1998-08-02")
    o_orderdate = start + rng.integers(0, int((end - start).astype(int)) + 1, n_orders).astype("timedelta64[D]")

    l_orderkey = np.repeat(o_orderkey, counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    l_linenumber = (np.arange(rows) - np.repeat(first, counts) + 1).astype(np.int32)
    odate = np.repeat(o_orderdate, counts)
    qty = rng.integers(1, 51, rows)
    unit_cents = rng.integers(90_000, 200_001, rows)
    ext_cents = qty * unit_cents
    disc = rng.integers(0, 11, rows)
    tax = rng.integers(0, 9, rows)
    ship = odate + rng.integers(1, 122, rows).astype("timedelta64[D]")
    commit = odate + rng.integers(30, 91, rows).astype("timedelta64[D]")
    receipt = ship + rng.integers(1, 31, rows).astype("timedelta64[D]")
    current = np.datetime64("1995-06-17")
    returnflag = np.where(receipt <= current, np.where(rng.random(rows) < 0.5, "R", "A"), "N")
    is_open = ship > current
    linestatus = np.where(is_open, "O", "F")

    n_open = np.add.reduceat(is_open.astype(np.int64), first)
    orderstatus = np.where(n_open == 0, "F", np.where(n_open == counts, "O", "P"))
    line_total = np.round(ext_cents * (100 + tax) * (100 - disc) / 10_000).astype(np.int64)
    total_cents = np.add.reduceat(line_total, first)

    lineitem = pa.table({
        "l_orderkey": pa.array(l_orderkey),
        "l_partkey": pa.array(rng.integers(1, max(rows // 30, 1) + 1, rows)),
        "l_suppkey": pa.array(rng.integers(1, max(rows // 600, 1) + 1, rows)),
        "l_linenumber": pa.array(l_linenumber),
        "l_quantity": _decimal(qty * 100),
        "l_extendedprice": _decimal(ext_cents),
        "l_discount": _decimal(disc),
        "l_tax": _decimal(tax),
        "l_returnflag": pa.array(returnflag.astype(object), pa.string()),
        "l_linestatus": pa.array(linestatus.astype(object), pa.string()),
        "l_shipdate": pa.array(ship),
        "l_commitdate": pa.array(commit),
        "l_receiptdate": pa.array(receipt),
        "l_shipinstruct": _pick(rng, ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"], rows),
        "l_shipmode": _pick(rng, ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"], rows),
    })
    orders = pa.table({
        "o_orderkey": pa.array(o_orderkey),
        "o_custkey": pa.array(rng.integers(1, n_cust + 1, n_orders)),
        "o_orderstatus": pa.array(orderstatus.astype(object), pa.string()),
        "o_totalprice": _decimal(total_cents),
        "o_orderdate": pa.array(o_orderdate),
        "o_orderpriority": _pick(rng, ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"], n_orders),
        "o_shippriority": pa.array(np.zeros(n_orders, dtype=np.int32)),
    })
    customer = pa.table({
        "c_custkey": pa.array(np.arange(1, n_cust + 1, dtype=np.int64)),
        "c_name": pa.array([f"Customer#{i:09d}" for i in range(1, n_cust + 1)]),
        "c_nationkey": pa.array(rng.integers(0, 25, n_cust).astype(np.int32)),
        "c_acctbal": _decimal(rng.integers(-99_999, 1_000_000, n_cust)),
        "c_mktsegment": _pick(rng, ["AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD"], n_cust),
    })
    return {"customer": customer, "orders": orders, "lineitem": lineitem}


def csv_chunks(table: pa.Table, batch: int = CSV_BATCH):
    """The table as COPY-ready CSV bytes, ``batch`` rows per chunk (no header)."""
    opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for off in range(0, table.num_rows, batch):
        buf = io.BytesIO()
        pacsv.write_csv(table.slice(off, batch), buf, opts)
        yield buf.getvalue()


# -- loading ------------------------------------------------------------------------------------
def load_server(dsn: str, tables: dict[str, pa.Table], is_pg: bool, log: Callable[[str], None] = print) -> dict[str, float]:
    """DROP/CREATE and COPY every table; returns rows/s of each COPY (one transaction per table)."""
    import psycopg

    rates = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in reversed(TABLE_ORDER):
            conn.execute(f"DROP TABLE IF EXISTS {name}")
        for name in TABLE_ORDER:
            conn.execute(DDL[name])
    for name in TABLE_ORDER:
        tbl = tables[name]
        with psycopg.connect(dsn, autocommit=False) as conn:
            t0 = time.perf_counter()
            with conn.cursor().copy(f"COPY {name} FROM STDIN WITH (FORMAT csv)") as cp:
                for chunk in csv_chunks(tbl):
                    cp.write(chunk)
            conn.commit()
            elapsed = time.perf_counter() - t0
            n = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        if n != tbl.num_rows:
            raise RuntimeError(f"COPY {name}: {n} rows loaded, expected {tbl.num_rows}")
        rates[name] = tbl.num_rows / elapsed
        log(f"  {name}: {tbl.num_rows:,} rows in {elapsed:.1f} s ({rates[name]:,.0f} rows/s)")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE" if is_pg else "CHECKPOINT")
    return rates


def load_duckdb(tables: dict[str, pa.Table]):
    """An in-memory DuckDB connection with the three tables (None when duckdb is not installed)."""
    try:
        import duckdb
    except ImportError:
        return None
    con = duckdb.connect(":memory:")
    for name in TABLE_ORDER:
        con.register(f"{name}_arrow", tables[name])
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
    return con


# -- timing -------------------------------------------------------------------------------------
@dataclass
class Timing:
    best: float | None = None
    runs: list[float] = field(default_factory=list)
    rows: list[tuple] | None = None
    error: str = ""


def time_runs(run_once: Callable[[], list[tuple]], repeat: int, slow_after: float) -> Timing:
    t = Timing()
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = run_once()
        t.runs.append(time.perf_counter() - t0)
        t.rows = rows
        if t.runs[-1] > slow_after:
            break
    t.best = min(t.runs)
    return t


def time_server_query(dsn: str, sql: str, repeat: int, slow_after: float, timeout: float) -> Timing:
    """Best wall time of ``sql`` over one psycopg connection.

    Each run waits at most ``timeout`` s: then a cancel request is sent and, if the server does not
    stop within 10 s (OmenDB does not act on cancel requests yet), the run is abandoned with an
    error and the connection left to its thread, so the benchmark goes on.
    """
    import psycopg

    conn = psycopg.connect(dsn, autocommit=True)

    def once() -> list[tuple]:
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["rows"] = conn.execute(sql).fetchall()
            except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = e

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            conn.cancel()
            worker.join(10)
            if worker.is_alive():
                raise TimeoutError(f"no result after {timeout:g} s, and the server did not act on "
                                   "the cancel request")
        if "error" in box:
            raise box["error"]
        return box["rows"]

    t = time_runs(once, repeat, slow_after)
    conn.close()
    return t


def time_duckdb_query(con, sql: str, repeat: int, slow_after: float) -> Timing:
    return time_runs(lambda: con.execute(sql).fetchall(), repeat, slow_after)


def _norm(v: Any) -> Any:
    if isinstance(v, (Decimal, float, int)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        return v.rstrip()
    if isinstance(v, date):
        return v.isoformat()
    return v


def same_rows(expected: list[tuple], actual: list[tuple]) -> str:
    """'' when the rows agree (numbers to 1e-6 relative, char padding ignored), else the first difference."""
    if len(expected) != len(actual):
        return f"{len(actual)} rows instead of {len(expected)}"
    for i, (e, a) in enumerate(zip(expected, actual)):
        if len(e) != len(a):
            return f"row {i} has {len(a)} columns instead of {len(e)}"
        for x, y in zip(map(_norm, e), map(_norm, a)):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6):
                    return f"row {i}: {a} instead of {e}"
            elif x != y:
                return f"row {i}: {a} instead of {e}"
    return ""


# -- the whole comparison -----------------------------------------------------------------------
@dataclass
class TpchResult:
    rows: int
    gen_seconds: float
    load_rates: dict[str, dict[str, float]] = field(default_factory=dict)  # system -> table -> rows/s
    load_errors: dict[str, str] = field(default_factory=dict)  # system -> error
    timings: dict[str, dict[str, Timing]] = field(default_factory=dict)  # query -> system -> Timing
    mismatches: dict[str, str] = field(default_factory=dict)  # query -> OmenDB vs PostgreSQL


def describe_error(exc: BaseException) -> str:
    sqlstate = getattr(exc, "sqlstate", None)
    msg = " ".join(str(exc).split()) or repr(exc)
    return f"{type(exc).__name__}: {msg}" + (f" [SQLSTATE {sqlstate}]" if sqlstate else "")


def run_tpch(pg_dsn: str, omendb_dsn: str | None, rows: int, repeat: int = 3, slow_after: float = 30.0,
             timeout: float = 900.0, use_duckdb: bool = True, log: Callable[[str], None] = print,
             queries: list[str] | None = None) -> TpchResult:
    """Generate, load and time Q1/Q6/Q3 on PostgreSQL, OmenDB (if ``omendb_dsn``) and DuckDB.

    OmenDB failures (load or query) are recorded in the result, not raised, so the other systems'
    figures are still produced.
    """
    t0 = time.perf_counter()
    tables = generate(rows)
    res = TpchResult(rows=rows, gen_seconds=time.perf_counter() - t0)
    log(f"generated lineitem {rows:,}, orders {tables['orders'].num_rows:,}, customer "
        f"{tables['customer'].num_rows:,} rows in {res.gen_seconds:.1f} s")
    systems: dict[str, Any] = {}
    log("loading PostgreSQL")
    res.load_rates["PostgreSQL"] = load_server(pg_dsn, tables, is_pg=True, log=log)
    systems["PostgreSQL"] = pg_dsn
    if omendb_dsn:
        log("loading OmenDB")
        try:
            res.load_rates["OmenDB"] = load_server(omendb_dsn, tables, is_pg=False, log=log)
            systems["OmenDB"] = omendb_dsn
        except Exception as e:  # noqa: BLE001 - reported in the table, the others still run
            res.load_errors["OmenDB"] = describe_error(e)
            log(f"OmenDB load failed: {res.load_errors['OmenDB']}")
    duck = None
    if use_duckdb:
        log("loading DuckDB")
        t1 = time.perf_counter()
        duck = load_duckdb(tables)
        if duck is None:
            res.load_errors["DuckDB"] = "duckdb is not installed (pip install -e '.[bench]')"
        else:
            res.load_rates["DuckDB"] = {"all tables": sum(t.num_rows for t in tables.values())
                                        / (time.perf_counter() - t1)}
    del tables
    for q, sql in QUERIES.items():
        if queries and q not in queries:
            continue
        res.timings[q] = {}
        for system, dsn in systems.items():
            log(f"{q} on {system}")
            try:
                res.timings[q][system] = time_server_query(dsn, sql, repeat, slow_after, timeout)
            except Exception as e:
                if system == "PostgreSQL":
                    raise
                res.timings[q][system] = Timing(error=describe_error(e))
                log(f"  {system} failed: {res.timings[q][system].error}")
        if duck is not None:
            log(f"{q} on DuckDB")
            res.timings[q]["DuckDB"] = time_duckdb_query(duck, sql, repeat, slow_after)
        for system, t in res.timings[q].items():
            if t.best is not None:
                log(f"  {system}: best {t.best:.3f} s of {', '.join(f'{r:.3f}' for r in t.runs)}")
        pg_rows = res.timings[q]["PostgreSQL"].rows
        dk = res.timings[q].get("DuckDB")
        if dk is not None and dk.rows is not None and (diff := same_rows(pg_rows, dk.rows)):
            log(f"  note: DuckDB's result differs from PostgreSQL's: {diff}")
        om = res.timings[q].get("OmenDB")
        if om is not None and om.rows is not None:
            diff = same_rows(pg_rows, om.rows)
            if diff:
                res.mismatches[q] = diff
                log(f"  OmenDB result differs from PostgreSQL: {diff}")
    return res


def format_result(res: TpchResult) -> str:
    """A plain-text summary (for the standalone command)."""
    out = [f"TPC-H-style, lineitem {res.rows:,} rows (best of runs, seconds; lower is better)",
           f"{'query':6} {'OmenDB':>12} {'PostgreSQL':>12} {'DuckDB':>12} {'PG/OmenDB':>10} {'DuckDB/OmenDB':>14}"]
    for q, per in res.timings.items():
        def cell(system: str, per: dict[str, Timing] = per) -> str:
            t = per.get(system)
            if t is None:
                return "—"
            return f"{t.best:.3f}" if t.best is not None else "failed"
        om, pg, dk = (per.get(s) for s in ("OmenDB", "PostgreSQL", "DuckDB"))
        r_pg = f"{pg.best / om.best:.2f}x" if om and om.best and pg and pg.best else "—"
        r_dk = f"{dk.best / om.best:.2f}x" if om and om.best and dk and dk.best else "—"
        out.append(f"{q:6} {cell('OmenDB'):>12} {cell('PostgreSQL'):>12} {cell('DuckDB'):>12} {r_pg:>10} {r_dk:>14}")
        if om is not None and om.error:
            out.append(f"       OmenDB error: {om.error}")
        if q in res.mismatches:
            out.append(f"       OmenDB result differs from PostgreSQL: {res.mismatches[q]}")
    for system, rates in res.load_rates.items():
        out.append(f"load {system}: " + ", ".join(f"{k} {v:,.0f} rows/s" for k, v in rates.items()))
    for system, err in res.load_errors.items():
        out.append(f"load {system} failed: {err}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import shutil
    import tempfile

    from bench.pgcluster import PgCluster, pg_bindir
    from bench.systems import free_port, start_omendb

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="lineitem rows (default 6,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per query and system; the best counts")
    ap.add_argument("--no-omendb", action="store_true", help="PostgreSQL and DuckDB only")
    ap.add_argument("--no-duckdb", action="store_true")
    ap.add_argument("--queries", nargs="+", choices=list(QUERIES), help="run only these queries")
    ap.add_argument("--pg-dsn", help="use this PostgreSQL 15 instead of a throwaway cluster")
    ap.add_argument("--omendb-dsn", help="use this (running) OmenDB server instead of starting one")
    args = ap.parse_args(argv)

    log = lambda m: print(f"[tpch] {m}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="omendb-tpch-"))
    cluster = server = None
    try:
        pg_dsn = args.pg_dsn
        if not pg_dsn:
            cluster = PgCluster(pg_bindir(), free_port(), log=log).start()
            pg_dsn = cluster.conninfo()
        om_dsn = None if args.no_omendb else args.omendb_dsn
        if om_dsn is None and not args.no_omendb:
            server = start_omendb(scratch)
            om_dsn = server.dsn
        res = run_tpch(pg_dsn, om_dsn, args.rows, repeat=args.repeat, use_duckdb=not args.no_duckdb,
                       log=log, queries=args.queries)
        print()
        print(format_result(res))
    finally:
        if server is not None:
            server.ensure_stopped()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
