"""Restart time: from process start until `SELECT count(*) FROM accounts` answers correctly."""

from __future__ import annotations

import re
import shutil
import time

import psycopg

from bench.core import Cmp, Context, Table, describe_error, workload
from bench.workloads.data import (_accounts_text_cached, copy_accounts, create_accounts,
                                  ensure_accounts, ensure_accounts_datadir, scan_log, stop_clean)

COUNT_SQL = "SELECT count(*) FROM {table}"
POLL = 0.01
REPLAYED_RE = re.compile(r"recovered (\d+) logged row changes")
#: The SIGKILL scenario is skipped when its load is predicted to take longer than this.
KILL_LOAD_BUDGET_S = 240.0


def _can_connect(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_count(dsn: str, table: str, rows: int, t0: float, timeout: float) -> tuple[float, str]:
    """Poll connect + count until it answers; returns (seconds since t0, problem text or '')."""
    last = ""
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as c:
                n = c.execute(COUNT_SQL.format(table=table)).fetchone()[0]
            took = time.perf_counter() - t0
            return took, ("" if n == rows else f"count(*) returned {n}, expected {rows}")
        except psycopg.Error as e:
            last = describe_error(e)
            time.sleep(POLL)
    raise TimeoutError(f"no answer to count(*) within {timeout:.0f} s; last error: {last}")


def omendb_timed_start(server, rows: int, table: str = "accounts", timeout: float = 900) -> dict:
    """Start a stopped ServerProcess; time until its port accepts and until count(*) is right.

    ``ServerProcess.start`` polls the port every 50 ms, so the port time has that granularity."""
    t0 = time.perf_counter()
    server.start(timeout=timeout)
    port_s = time.perf_counter() - t0
    query_s, bad = _wait_count(server.dsn, table, rows, t0, timeout)
    m = REPLAYED_RE.search(server.output())
    return {"port_s": port_s, "query_s": query_s, "bad": bad,
            "replayed": int(m.group(1)) if m else None}


def pg_timed_start(cluster, pg, rows: int, table: str, timeout: float = 600) -> dict:
    t0 = time.perf_counter()
    cluster.start_nowait()
    deadline = t0 + timeout
    while not _can_connect(pg.host, pg.port):
        if time.perf_counter() > deadline:
            raise TimeoutError("PostgreSQL did not open its port")
        time.sleep(POLL)
    port_s = time.perf_counter() - t0
    query_s, bad = _wait_count(pg.dsn, table, rows, t0, timeout)
    if bad:
        raise RuntimeError(f"PostgreSQL {bad}")
    return {"port_s": port_s, "query_s": query_s}


def _om_detail(r: dict) -> str:
    d = f"port open after {r['port_s']:.2f} s"
    if r.get("replayed") is not None:
        d += f"; log replay {r['replayed']:,} row changes"
    return d


def _ensure_pg_up(cluster, pg) -> None:
    """Leave the shared cluster running for later workloads, whatever failed above."""
    try:
        with psycopg.connect(pg.dsn, autocommit=True, connect_timeout=5) as c:
            c.execute("SELECT 1")
        return
    except psycopg.Error:
        pass
    try:
        cluster.start_nowait()
    except Exception:
        pass
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        try:
            with psycopg.connect(pg.dsn, autocommit=True, connect_timeout=5) as c:
                c.execute("SELECT 1")
            return
        except psycopg.Error:
            time.sleep(0.2)


@workload(
    "restart",
    "Restart time (1,000,000-row table)",
    """Time from launching the server process until `SELECT count(*) FROM accounts` over a new
    connection returns the right count (polled every 10 ms), and until the TCP port accepts
    connections. OmenDB runs on its own data directory (not the main bench server):
    `accounts(id int8 primary key, balance int8, name text)` loaded with COPY (text), `CHECKPOINT`,
    clean SIGTERM stop, then two timed starts (the figure is the faster; a clean stop checkpoints
    again, so both read segments with nothing to replay). For the crash path a fresh data directory
    gets the same COPY and is SIGKILLed right after the COPY commits, with no CHECKPOINT, so the
    start replays the commit log (how many row changes were replayed is read from the server log; a
    background checkpoint every 200,000 row changes can race the kill). Also the start of an empty
    data directory, i.e. the process/import floor. PostgreSQL for reference on the bench cluster:
    CHECKPOINT, `pg_ctl stop -m fast` then `pg_ctl start -W` with the same polling (= `pg_ctl
    restart -m fast`, timed from the start), and for the crash path a fresh table loaded with COPY
    and `pg_ctl stop -m immediate` (no shutdown checkpoint; WAL replay at start). Figures are
    seconds (**lower is better**); the ratio column is PostgreSQL's time / OmenDB's time, so above
    1.00x still means OmenDB is faster.""",
    order=45,
)
def run(ctx: Context) -> list[Table]:
    rows = ctx.rows
    acc = ensure_accounts(ctx)  # PostgreSQL's accounts table (same rows) for its reference
    clean = Cmp("after CHECKPOINT + clean stop: until count(*) answers", "s", lower_is_better=True)
    crash = Cmp("after load + SIGKILL, no checkpoint (OmenDB: log replay; PG: stop -m immediate, "
                "WAL replay): until count(*) answers", "s", lower_is_better=True)
    empty = Cmp("empty data directory (process start floor): until the port accepts", "s",
                lower_is_better=True)
    notes: list[str] = []
    info_rows: list[list[str]] = []

    # --- OmenDB, checkpointed data dir ------------------------------------------------------
    try:
        d = ensure_accounts_datadir(ctx)
        server = d["server"]
        info_rows.append(["load: COPY accounts (text), rows/s", f"{d['copy_rps']:,.0f}"])
        info_rows.append(["CHECKPOINT after the load, s", f"{d['checkpoint_s']:.2f}"])
        info_rows.append(["clean stop (SIGTERM) after the CHECKPOINT, s", f"{d['stop_s']:.2f}"])
        server.extra_args = []
        runs = []
        try:
            for k in range(2):
                ctx.log(f"OmenDB timed start #{k + 1} of the checkpointed data dir")
                r = omendb_timed_start(server, rows)
                runs.append(r)
                if r["bad"]:
                    ctx.problem("restart after CHECKPOINT", r["bad"])
                stop_s = stop_clean(ctx, server, "restart: clean stop")
                info_rows.append([f"OmenDB clean start #{k + 1}: count(*) / port / next SIGTERM stop, s",
                                  f"{r['query_s']:.2f} / {r['port_s']:.2f} / {stop_s:.2f}"])
        finally:
            server.ensure_stopped()
        best = min(runs, key=lambda r: r["query_s"])
        clean.omendb, clean.omendb_detail = best["query_s"], _om_detail(best)
        scan_log(ctx, server, "restart (checkpointed data dir)")
    except Exception as e:
        clean.omendb_error = ctx.problem("restart after CHECKPOINT", e)
        d = None

    # --- OmenDB, empty data dir --------------------------------------------------------------
    from bench.systems import ServerProcess, new_password

    empty_server = ServerProcess(data_dir=ctx.scratch / "omendb-empty", password=new_password(),
                                 log_path=ctx.scratch / "omendb-empty-server.log")
    try:
        empty_server.start(timeout=120)
        stop_clean(ctx, empty_server, "restart: empty data dir stop")
        t0 = time.perf_counter()
        empty_server.start(timeout=120)
        empty.omendb = time.perf_counter() - t0
        empty.omendb_detail = "no tables"
        stop_clean(ctx, empty_server, "restart: empty data dir stop")
    except Exception as e:
        empty.omendb_error = ctx.problem("empty data dir start", e)
    finally:
        empty_server.ensure_stopped()
        shutil.rmtree(ctx.scratch / "omendb-empty", ignore_errors=True)

    # --- OmenDB, SIGKILL after the load without CHECKPOINT --------------------------------------
    est = rows / d["copy_rps"] if d else None
    if est is not None and est > KILL_LOAD_BUDGET_S:
        crash.omendb_error = f"skipped: the load would take about {est:.0f} s (budget {KILL_LOAD_BUDGET_S:.0f} s)"
    else:
        crash_server = ServerProcess(data_dir=ctx.scratch / "omendb-crash", password=new_password(),
                                     log_path=ctx.scratch / "omendb-crash-server.log")
        try:
            crash_server.start(timeout=120)
            create_accounts(crash_server.dsn)
            data = _accounts_text_cached(ctx, rows)
            ctx.log(f"OmenDB: COPY {rows:,} rows into a fresh data dir, then SIGKILL")
            with psycopg.connect(crash_server.dsn, autocommit=False) as conn:
                with conn.cursor().copy("COPY accounts (id, balance, name) FROM STDIN") as cp:
                    for off in range(0, len(data), 1 << 20):
                        cp.write(data[off:off + (1 << 20)])
                conn.commit()
            crash_server.crash()  # right after the commit is acknowledged
            ctx.log("OmenDB timed start after SIGKILL")
            r = omendb_timed_start(crash_server, rows)
            if r["bad"]:
                crash.omendb_error = ctx.problem("restart after SIGKILL", r["bad"])
            crash.omendb, crash.omendb_detail = r["query_s"], _om_detail(r)
            if r["replayed"] is not None and r["replayed"] < rows:
                notes.append(f"SIGKILL run: only {r['replayed']:,} of {rows:,} row changes were replayed from "
                             "the log, so a background checkpoint had (at least partly) run before the kill.")
            stop_clean(ctx, crash_server, "restart: stop after crash recovery")
            scan_log(ctx, crash_server, "restart (SIGKILL data dir)")
        except Exception as e:
            if not crash.omendb_error:
                crash.omendb_error = ctx.problem("restart after SIGKILL", e)
        finally:
            crash_server.ensure_stopped()
            shutil.rmtree(ctx.scratch / "omendb-crash", ignore_errors=True)

    # --- PostgreSQL ----------------------------------------------------------------------------
    cluster = ctx.state.get("pg_cluster")
    if cluster is None:
        clean.pg_error = crash.pg_error = "cluster handle not available"
    else:
        try:
            with psycopg.connect(ctx.pg.dsn, autocommit=True) as c:
                c.execute("CHECKPOINT")
            t0 = time.perf_counter()
            cluster.stop_server("fast")
            stop_s = time.perf_counter() - t0
            ctx.log("PostgreSQL timed start after pg_ctl stop -m fast")
            r = pg_timed_start(cluster, ctx.pg, rows, "accounts")
            clean.pg, clean.pg_detail = r["query_s"], f"port open after {r['port_s']:.2f} s"
            info_rows.append(["PostgreSQL: pg_ctl stop -m fast, s", f"{stop_s:.2f}"])
        except Exception as e:
            clean.pg_error = describe_error(e)
        try:
            create_accounts(ctx.pg.dsn, "accounts_crash")
            ctx.log(f"PostgreSQL: COPY {rows:,} rows into accounts_crash, then stop -m immediate")
            copy_accounts(ctx.pg.dsn, _accounts_text_cached(ctx, rows), rows, "accounts_crash")
            cluster.stop_server("immediate")
            r = pg_timed_start(cluster, ctx.pg, rows, "accounts_crash")
            crash.pg, crash.pg_detail = r["query_s"], f"port open after {r['port_s']:.2f} s"
            with psycopg.connect(ctx.pg.dsn, autocommit=True) as c:
                c.execute("DROP TABLE accounts_crash")
        except Exception as e:
            crash.pg_error = describe_error(e)
        finally:
            _ensure_pg_up(cluster, ctx.pg)
        empty.pg_error = "skipped: not measured"
    for c in (clean, crash, empty):
        ctx.log(f"  {c.measure}: OmenDB {c.omendb} s | PostgreSQL {c.pg} s")
    notes.append("Times include launching the process: for OmenDB a Python interpreter importing the "
                 "server (and numba/pyarrow), for PostgreSQL `runuser` + `pg_ctl` forking the postmaster.")
    notes.append("OmenDB opens its port only after recovery; PostgreSQL opens it at once and answers "
                 "'the database system is starting up' until recovery ends, so compare the count(*) times.")
    tables = [Table(f"Restart of a {rows:,}-row accounts table, seconds (lower is better)",
                    cmp=[clean, crash, empty], notes=notes)]
    if info_rows:
        tables.append(Table("Details (informational)", columns=["step", "value"], rows=info_rows))
    return tables
