"""The shared ``accounts(id int8 primary key, balance int8, name text)`` table.

* :func:`ensure_accounts` loads it once per run into PostgreSQL and the main OmenDB server with
  ``COPY accounts FROM STDIN`` (text format, one transaction; then VACUUM ANALYZE on PostgreSQL and
  CHECKPOINT on OmenDB, not timed); if OmenDB's COPY fails, the
  error is recorded and OmenDB falls back to batched multi-row INSERTs so the read workloads still
  run. The load rate is reported as an informational figure.
* :func:`ensure_accounts_datadir` builds a *separate* OmenDB data directory holding the same table
  (COPY, then ``CHECKPOINT``, then a clean SIGTERM stop), for the workloads that restart servers
  with different options (``restart``, ``row_cache``); the server is left stopped.
"""

from __future__ import annotations

import signal
import time

import psycopg

from bench.core import Cmp, Context, Table

BATCH = 5000
CHUNK = 1 << 20


def account_row(i: int) -> tuple[int, int, str]:
    return (i, (i * 7919) % 100_000, f"name-{i:08d}")


def accounts_text(rows: int) -> bytes:
    """The rows 1..rows of accounts in COPY text format."""
    return "".join(f"{a}\t{b}\t{c}\n" for a, b, c in map(account_row, range(1, rows + 1))).encode()


def _accounts_text_cached(ctx: Context, rows: int) -> bytes:
    key = ("accounts_text", rows)
    if key not in ctx.state:
        ctx.state[key] = accounts_text(rows)
    return ctx.state[key]


def insert_sql(table: str, columns: str, ncols: int, nrows: int) -> str:
    one = "(" + ", ".join(["%s"] * ncols) + ")"
    return f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * nrows)


def create_accounts(dsn: str, table: str = "accounts") -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id int8 PRIMARY KEY, balance int8, name text)")


def copy_accounts(dsn: str, data: bytes, rows: int, table: str = "accounts") -> float:
    """COPY ``data`` (text format) into an existing ``table`` in one transaction and check the
    count; returns rows/s of COPY + commit."""
    with psycopg.connect(dsn, autocommit=False) as conn:
        cur = conn.cursor()
        t0 = time.perf_counter()
        with cur.copy(f"COPY {table} (id, balance, name) FROM STDIN") as cp:
            for off in range(0, len(data), CHUNK):
                cp.write(data[off:off + CHUNK])
        conn.commit()
        elapsed = time.perf_counter() - t0
        n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if n != rows:
        raise RuntimeError(f"COPY into {table} left {n} rows, expected {rows}")
    return rows / elapsed


def insert_accounts(dsn: str, rows: int, log, table: str = "accounts") -> float:
    """Fill ``table`` with batched multi-row INSERTs (fallback when COPY fails); rows/s."""
    full_sql = insert_sql(table, "id, balance, name", 3, BATCH)
    t0 = time.perf_counter()
    last = t0
    with psycopg.connect(dsn, autocommit=False) as conn:
        for start in range(1, rows + 1, BATCH):
            n = min(BATCH, rows + 1 - start)
            sql = full_sql if n == BATCH else insert_sql(table, "id, balance, name", 3, n)
            params: list = []
            for i in range(start, start + n):
                params.extend(account_row(i))
            conn.execute(sql, params)
            conn.commit()
            now = time.perf_counter()
            if now - last > 15:
                log(f"  ... {start + n - 1:,} rows ({(start + n - 1) / (now - t0):,.0f} rows/s)")
                last = now
    return rows / (time.perf_counter() - t0)


def ensure_accounts(ctx: Context) -> dict:
    """Load ``accounts`` into both systems once; returns {'omendb': ok, 'pg': ok, 'table': Table}."""
    if "accounts" in ctx.state:
        return ctx.state["accounts"]
    rows = ctx.rows
    data = _accounts_text_cached(ctx, rows)
    cmp = Cmp("COPY accounts FROM STDIN (text format, one transaction)", "rows/s")
    info: dict = {"omendb": False, "pg": False}
    ctx.log(f"loading {rows:,} rows into PostgreSQL accounts (COPY)")
    create_accounts(ctx.pg.dsn)
    cmp.pg = copy_accounts(ctx.pg.dsn, data, rows)
    with psycopg.connect(ctx.pg.dsn, autocommit=True) as conn:
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE accounts")
        cmp.pg_detail = f"+ VACUUM ANALYZE {time.perf_counter() - t0:.1f} s, not counted"
    info["pg"] = True
    if ctx.omendb is None:
        cmp.omendb_error = "OmenDB server not running"
    else:
        ctx.log(f"loading {rows:,} rows into OmenDB accounts (COPY)")
        try:
            create_accounts(ctx.omendb.dsn)
            cmp.omendb = copy_accounts(ctx.omendb.dsn, data, rows)
            info["omendb"] = True
            # Fold the load into segments now, as PostgreSQL gets its VACUUM ANALYZE: otherwise the
            # background checkpoint (every 200,000 logged row changes) runs during the first timed run.
            with psycopg.connect(ctx.omendb.dsn, autocommit=True) as conn:
                t0 = time.perf_counter()
                conn.execute("CHECKPOINT")
                cmp.omendb_detail = f"+ CHECKPOINT {time.perf_counter() - t0:.1f} s, not counted"
        except (psycopg.Error, RuntimeError) as e:
            cmp.omendb_error = ctx.problem("loading accounts with COPY", e)
            ctx.log("falling back to batched INSERTs for OmenDB")
            try:
                with psycopg.connect(ctx.omendb.dsn, autocommit=True) as conn:
                    conn.execute("DROP TABLE IF EXISTS accounts")
                create_accounts(ctx.omendb.dsn)
                rate = insert_accounts(ctx.omendb.dsn, rows, ctx.log)
                cmp.omendb_detail = f"batched INSERT fallback: {rate:,.0f} rows/s"
                info["omendb"] = True
            except psycopg.Error as e2:
                ctx.problem("loading accounts with INSERT", e2)
    ctx.log(f"load: OmenDB {cmp.omendb} rows/s, PostgreSQL {cmp.pg} rows/s")
    info["table"] = Table(f"Load of accounts ({rows:,} rows; informational)", cmp=[cmp])
    ctx.state["accounts"] = info
    return info


# -- a separate OmenDB data directory with accounts, for restart and row-cache workloads -------------
def scan_log(ctx: Context, server, where: str) -> None:
    """Record ERROR/Traceback lines of a bench-managed server's log as an OmenDB problem."""
    lines = server.output(whole=True).splitlines()
    bad = [l.strip() for l in lines if "Traceback" in l or " ERROR " in l or " CRITICAL " in l]
    if bad:
        ctx.problem(where, f"server log has {len(bad)} ERROR/Traceback lines, first: "
                    + " / ".join(bad[:3])[:600])


def stop_clean(ctx: Context, server, where: str) -> float:
    """SIGTERM and wait; returns seconds until exit. A non-zero status is recorded as a problem."""
    t0 = time.perf_counter()
    status = server.stop(signal.SIGTERM, timeout=600)
    took = time.perf_counter() - t0
    if status != 0:
        ctx.problem(where, f"exited with status {status} on SIGTERM; log tail: {server.output()[-400:]}")
    return took


def ensure_accounts_datadir(ctx: Context) -> dict:
    """A stopped OmenDB server (``ServerProcess``) whose data dir holds accounts (ctx.rows rows),
    loaded with COPY, checkpointed and shut down with SIGTERM. Built once per run.

    Returns {'server', 'copy_rps', 'checkpoint_s', 'stop_s', 'rows'}; raises on failure (the
    caller records it)."""
    prior = ctx.state.get("accounts_datadir")
    if isinstance(prior, Exception):
        raise prior
    if prior is not None:
        return prior
    import atexit

    from bench.systems import ServerProcess, new_password

    rows = ctx.rows
    server = ServerProcess(data_dir=ctx.scratch / "omendb-accounts", password=new_password(),
                           log_path=ctx.scratch / "omendb-accounts-server.log")
    atexit.register(server.ensure_stopped)
    info: dict = {"server": server, "rows": rows}
    try:
        ctx.log(f"separate OmenDB data dir: loading {rows:,} accounts rows with COPY, then CHECKPOINT")
        server.start(timeout=120)
        data = _accounts_text_cached(ctx, rows)
        create_accounts(server.dsn)
        info["copy_rps"] = copy_accounts(server.dsn, data, rows)
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            t0 = time.perf_counter()
            conn.execute("CHECKPOINT")
            info["checkpoint_s"] = time.perf_counter() - t0
        info["stop_s"] = stop_clean(ctx, server, "stopping the accounts data-dir server")
    except Exception as e:
        server.ensure_stopped()
        ctx.state["accounts_datadir"] = e
        raise
    ctx.log(f"  COPY {info['copy_rps']:,.0f} rows/s, CHECKPOINT {info['checkpoint_s']:.2f} s, "
            f"SIGTERM stop {info['stop_s']:.2f} s")
    ctx.state["accounts_datadir"] = info
    return info
