"""Point SELECT by primary key over the wire, one psycopg connection, three ways of preparing."""

from __future__ import annotations

import random
import time

import psycopg

from bench.core import Cmp, Context, Skip, Table, cpu_ns, workload
from bench.workloads.data import ensure_accounts

QUERY = "SELECT id, balance, name FROM accounts WHERE id = %s"
WARMUP = 200

MODES = [
    ("prepared (prepare=True)", True,
     "named server-side statement: Parse once, then Bind/Execute/Sync per query"),
    ("psycopg default (auto-prepares after 5 runs)", None,
     "psycopg's default: unnamed Parse+Bind+Execute for the first 5 executions, then prepared; "
     f"the {WARMUP} warm-up queries mean the timed part is prepared"),
    ("unprepared (prepare=False)", False,
     "Parse+Bind+Execute of an unnamed statement on every query (what a driver without "
     "statement caching does)"),
]


def measure(dsn: str, ids: list[int], prepare, duration: float, server_pid: int | None = None,
            warmup: int = WARMUP) -> dict:
    """Run lookups until the ids run out or ``duration`` passes; returns qps/latency/misses and
    the server CPU per query (``server_pid``: the OmenDB process; default: the PostgreSQL backend)."""
    lat: list[float] = []
    wrong = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.cursor()
        for i in ids[:warmup]:
            cur.execute(QUERY, (i,), prepare=prepare).fetchone()
        pid = server_pid or conn.info.backend_pid
        cpu0 = cpu_ns(pid)
        perf = time.perf_counter
        start = perf()
        deadline = start + duration
        for i in ids[warmup:]:
            t = perf()
            row = cur.execute(QUERY, (i,), prepare=prepare).fetchone()
            lat.append(perf() - t)
            if row is None or row[0] != i:
                wrong += 1
            if t > deadline:
                break
        elapsed = perf() - start
        cpu1 = cpu_ns(pid)
    lat.sort()
    n = len(lat)
    return {
        "n": n,
        "qps": n / elapsed,
        "avg_us": elapsed / n * 1e6,
        "p50_us": lat[n // 2] * 1e6,
        "p99_us": lat[min(n - 1, int(n * 0.99))] * 1e6,
        "wrong": wrong,
        "cpu_us": (cpu1 - cpu0) / n / 1e3 if cpu0 is not None and cpu1 is not None else None,
    }


def detail(r: dict) -> str:
    d = f"{r['avg_us']:,.0f} µs avg, p50 {r['p50_us']:,.0f}, p99 {r['p99_us']:,.0f}"
    if r["cpu_us"] is not None:
        d += f"; server CPU {r['cpu_us']:,.0f} µs/query"
    d += f"; n={r['n']:,}"
    if r["wrong"]:
        d += f"; {r['wrong']:,} WRONG/MISSING rows"
    return d


@workload(
    "point_select",
    "Point SELECT by primary key (psycopg, one connection)",
    """`SELECT id, balance, name FROM accounts WHERE id = %s` with uniformly random ids over the
    accounts table, one psycopg connection, autocommit, one query in flight. Each mode runs for the
    timed duration (or until the lookup cap) after a warm-up; the same id sequence is used on both
    systems. Figures are queries/s (higher is better) with mean/p50/p99 latency seen by the client,
    which includes the client's own round trip, and the server's CPU time per query (PostgreSQL: the
    connection's backend process; OmenDB: all threads of the server process), which is less disturbed
    by a noisy machine than wall time. Every returned row is checked.""",
    order=10,
)
def run(ctx: Context) -> list[Table]:
    acc = ensure_accounts(ctx)
    tables = [acc["table"]]
    rng = random.Random(ctx.seed)
    ids = [rng.randint(1, ctx.rows) for _ in range(ctx.max_lookups + WARMUP)]
    rows = []
    for label, prepare, _ in MODES:
        cmp = Cmp(label, "queries/s")
        ctx.log(f"point select, {label}: PostgreSQL")
        r = measure(ctx.pg.dsn, ids, prepare, ctx.duration)
        cmp.pg, cmp.pg_detail = r["qps"], detail(r)
        if acc["omendb"]:
            ctx.log(f"point select, {label}: OmenDB")
            try:
                r = measure(ctx.omendb.dsn, ids, prepare, ctx.duration, server_pid=ctx.omendb.pid)
                cmp.omendb, cmp.omendb_detail = r["qps"], detail(r)
                if r["wrong"]:
                    ctx.problem(f"point select {label}", f"{r['wrong']} of {r['n']} lookups returned no row or the wrong row")
            except psycopg.Error as e:
                cmp.omendb_error = ctx.problem(f"point select {label}", e)
        else:
            cmp.omendb_error = "accounts not loaded"
        ctx.log(f"  OmenDB {cmp.omendb} q/s ({cmp.omendb_detail}) | PostgreSQL {cmp.pg} q/s ({cmp.pg_detail})")
        rows.append(cmp)
    notes = [f"**{label}**: {what}." for label, _, what in MODES]
    notes.append("PostgreSQL reference on these machines: about 45 µs per prepared psycopg lookup, "
                 "of which about 36 µs is the client's own round trip.")
    tables.append(Table(f"Point lookups on {ctx.rows:,} rows", cmp=rows, notes=notes))
    if not rows:
        raise Skip("no modes ran")
    return tables
