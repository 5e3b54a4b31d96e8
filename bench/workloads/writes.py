"""Single-row write transactions with synced commits: UPDATE by primary key, and INSERT-only."""

from __future__ import annotations

import random
import threading
import time

import psycopg

from bench.core import Cmp, Context, Table, describe_error, workload
from bench.workloads.data import ensure_accounts

UPDATE_SQL = "UPDATE accounts SET balance = balance + 1 WHERE id = %s"
CLIENTS = (1, 8)


def run_clients(dsn: str, clients: int, duration: float, make_tx, setup=None) -> dict:
    """``clients`` threads, each with its own autocommit connection, looping ``make_tx(conn, k, i)``
    for ``duration`` seconds. Returns committed transactions/s, mean latency and errors."""
    conns = [psycopg.connect(dsn, autocommit=True) for _ in range(clients)]
    counts = [0] * clients
    lat_sum = [0.0] * clients
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(k: int) -> None:
        conn = conns[k]
        barrier.wait()
        perf = time.perf_counter
        i = 0
        while True:
            t = perf()
            if t >= stop_at[0]:
                break
            try:
                make_tx(conn, k, i)
                counts[k] += 1
                lat_sum[k] += perf() - t
            except psycopg.Error as e:
                errors.append(describe_error(e))
                if len(errors) > 100 or conn.closed:
                    break
            i += 1

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for th in threads:
        th.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + duration
    barrier.wait()
    for th in threads:
        th.join(duration + 120)
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    total = sum(counts)
    return {
        "tps": total / elapsed,
        "n": total,
        "avg_ms": (sum(lat_sum) / total * 1e3) if total else None,
        "errors": errors,
    }


def detail(r: dict) -> str:
    d = f"{r['avg_ms']:.2f} ms avg; n={r['n']:,}" if r["n"] else "n=0"
    if r["errors"]:
        d += f"; {len(r['errors'])} errors"
    return d


def compare(ctx: Context, label: str, clients: int, make_tx, *, omendb_ok: bool = True) -> Cmp:
    cmp = Cmp(label, "tx/s")
    ctx.log(f"{label}: PostgreSQL")
    r = run_clients(ctx.pg.dsn, clients, ctx.duration, make_tx)
    cmp.pg, cmp.pg_detail = r["tps"], detail(r)
    if r["errors"]:
        cmp.pg_detail += f" (first: {r['errors'][0]})"
    if not omendb_ok or ctx.omendb is None:
        cmp.omendb_error = "setup failed (see above)"
    else:
        ctx.log(f"{label}: OmenDB")
        try:
            r = run_clients(ctx.omendb.dsn, clients, ctx.duration, make_tx)
            cmp.omendb, cmp.omendb_detail = r["tps"], detail(r)
            if r["errors"]:
                first = ctx.problem(label, f"{len(r['errors'])} failed transactions, first: {r['errors'][0]}")
                cmp.omendb_detail += f" (first: {first})"
            if r["n"] == 0:
                cmp.omendb = None
                cmp.omendb_error = cmp.omendb_error or "no transaction committed"
        except psycopg.Error as e:
            cmp.omendb_error = ctx.problem(label, e)
    ctx.log(f"  OmenDB {cmp.omendb} tx/s ({cmp.omendb_detail}) | PostgreSQL {cmp.pg} tx/s ({cmp.pg_detail})")
    return cmp


@workload(
    "writes",
    "Single-row write transactions (synced commits)",
    """Each transaction is one autocommit statement, so every commit waits for a synced log write
    (PostgreSQL: fsync=on, synchronous_commit=on; OmenDB: its synced RocksDB commit). UPDATE:
    `UPDATE accounts SET balance = balance + 1 WHERE id = %s` with uniformly random ids.
    INSERT: `INSERT INTO bench_insert_cN (id, client, payload) VALUES (%s, %s, %s)` with ids
    unique per client. 1 and 8 clients, each a thread with its own connection in one Python client
    process; each run lasts the timed duration. Figures are committed transactions/s (higher is better).""",
    order=20,
)
def run(ctx: Context) -> list[Table]:
    acc = ensure_accounts(ctx)
    rows: list[Cmp] = []
    nrows = ctx.rows

    for clients in CLIENTS:
        rngs = [random.Random(ctx.seed * 31 + k) for k in range(clients)]

        def update_tx(conn, k, i, rngs=rngs):
            conn.execute(UPDATE_SQL, (rngs[k].randint(1, nrows),))

        rows.append(compare(ctx, f"UPDATE by primary key, {clients} client{'s' if clients > 1 else ''}",
                            clients, update_tx, omendb_ok=acc["omendb"]))

    for clients in CLIENTS:
        table = f"bench_insert_c{clients}"
        ddl = f"CREATE TABLE {table} (id int8 PRIMARY KEY, client int4, payload text)"
        with psycopg.connect(ctx.pg.dsn, autocommit=True) as c:
            c.execute(ddl)
        ok = ctx.omendb is not None
        if ok:
            try:
                with psycopg.connect(ctx.omendb.dsn, autocommit=True) as c:
                    c.execute(ddl)
            except psycopg.Error as e:
                ctx.problem(f"CREATE TABLE {table}", e)
                ok = False
        sql = f"INSERT INTO {table} (id, client, payload) VALUES (%s, %s, %s)"

        def insert_tx(conn, k, i, sql=sql):
            conn.execute(sql, (k * 1_000_000_000 + i, k, f"payload-{k}-{i}"))

        rows.append(compare(ctx, f"INSERT one row, {clients} client{'s' if clients > 1 else ''}",
                            clients, insert_tx, omendb_ok=ok))

    notes = ["The client is one Python process (threads, GIL) on the same 2-core machine as the server, "
             "so 8-client figures are partly client-bound for both systems."]
    return [Table(f"Write transactions ({ctx.duration:g} s per run)", cmp=rows, notes=notes)]
