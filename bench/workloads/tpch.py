"""TPC-H-style Q1, Q6 and a Q3-like join vs PostgreSQL and DuckDB (issue 4, item 8).

The data, queries and timing live in ``bench/tpch.py`` (also runnable on its own); this module
turns its result into report tables. Size: 6,000,000 lineitem rows (1,000,000 with ``--quick``),
or ``OMENDB_BENCH_TPCH_ROWS`` when set (e.g. 50000 for a smoke run).
"""

from __future__ import annotations

import os

from bench import tpch
from bench.core import Cmp, Context, Table, fmt_num, workload


def _rows(ctx: Context) -> int:
    env = os.environ.get("OMENDB_BENCH_TPCH_ROWS")
    if env:
        return int(env.replace("_", "").replace(",", ""))
    return 1_000_000 if ctx.quick else tpch.DEFAULT_ROWS


def tables_from(res: tpch.TpchResult, ctx: Context | None = None) -> list[Table]:
    """Report tables: seconds per query (OmenDB vs PostgreSQL), DuckDB alongside, and load rates."""
    cmp_rows, duck_rows = [], []
    for q, per in res.timings.items():
        om, pg, dk = per.get("OmenDB"), per["PostgreSQL"], per.get("DuckDB")
        c = tpch_cmp(q, om, pg, res)
        if om is not None and om.error and ctx is not None:
            ctx.problem(q, om.error)
        if q in res.mismatches and ctx is not None:
            ctx.problem(q, f"result differs from PostgreSQL: {res.mismatches[q]}")
        cmp_rows.append(c)
        if dk is not None:
            duck_rows.append([
                q, f"{fmt_num(dk.best)} s",
                f"{dk.best / om.best:.2f}x" if om is not None and om.best else "—",
                f"{dk.best / pg.best:.2f}x" if pg.best else "—",
            ])
    out = [Table(
        f"TPC-H-style queries, lineitem {res.rows:,} rows (best of up to 3 runs, wall seconds incl. fetch)",
        cmp=cmp_rows,
        notes=[f"{q}: {tpch.QUERY_NOTES[q]}" for q in res.timings]
        + [("Each figure is the best of up to 3 runs, all runs listed: the first one includes one-time "
           "work (OmenDB converting a checkpointed base to arrays, PostgreSQL filling its buffer cache)."),
           "Targets (issue 4): Q1 and Q6 at least 10x faster than PostgreSQL and within 3x of DuckDB."],
    )]
    if duck_rows:
        out.append(Table("DuckDB (in-process, same data) for reference",
                         columns=["query", "DuckDB", "DuckDB time / OmenDB time (>1 = OmenDB faster)",
                                  "DuckDB time / PG time"],
                         rows=duck_rows))
    load_rows = []
    for system, rates in res.load_rates.items():
        for table, rate in rates.items():
            load_rows.append([system, table, f"{rate:,.0f} rows/s"])
    for system, err in res.load_errors.items():
        load_rows.append([system, "—", f"failed: {err}"])
        if ctx is not None and system == "OmenDB":
            ctx.problem("load", err)
    out.append(Table("Load (COPY FROM STDIN, CSV, one transaction per table; informational)",
                     columns=["system", "table", "rate"], rows=load_rows,
                     notes=[f"Data generated with numpy in {res.gen_seconds:.1f} s (not timed as load)."]))
    return out


def tpch_cmp(q: str, om: tpch.Timing | None, pg: tpch.Timing, res: tpch.TpchResult) -> Cmp:
    c = Cmp(q, "s", pg=pg.best, lower_is_better=True, pg_detail=_runs(pg))
    if om is None:
        c.omendb_error = res.load_errors.get("OmenDB", "OmenDB server not running")
    elif om.error:
        c.omendb_error = om.error
    else:
        c.omendb, c.omendb_detail = om.best, _runs(om)
        if q in res.mismatches:
            c.omendb_error = f"result differs from PostgreSQL: {res.mismatches[q]}"
    return c


def _runs(t: tpch.Timing) -> str:
    return "runs " + ", ".join(f"{r:.3f}" for r in t.runs) if len(t.runs) > 1 else ""


@workload(
    "tpch",
    "TPC-H-style Q1, Q6, Q3 (vs PostgreSQL and DuckDB)",
    """A deterministic TPC-H-style `lineitem` (6,000,000 rows; 1,000,000 with --quick), `orders`
    (about rows/4) and `customer` (orders/10), generated with numpy and loaded into both servers
    with COPY (CSV); DuckDB loads the same data in process. Q1 (pricing summary), Q6 (forecast
    revenue) and a Q3 join (customer, orders, lineitem) with TPC-H's validation parameters; best wall
    time of up to 3 runs per system, including fetching the result; OmenDB's rows are checked
    against PostgreSQL's. See bench/tpch.py.""",
    order=50,
)
def run(ctx: Context) -> list[Table]:
    rows = _rows(ctx)
    res = tpch.run_tpch(ctx.pg.dsn, ctx.omendb.dsn if ctx.omendb is not None else None, rows,
                        log=ctx.log)
    return tables_from(res, ctx)
