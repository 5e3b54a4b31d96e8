"""`pgbench -S` (select-only) in simple and prepared query modes, if pgbench can initialise OmenDB."""

from __future__ import annotations

import os
import re
import subprocess

import psycopg

from bench.core import Cmp, Context, Table, workload

TPS_RE = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
LAT_RE = re.compile(r"latency average = ([0-9.]+) ms")


def _env(target) -> dict:
    env = dict(os.environ)
    env["PGPASSWORD"] = target.password
    env["PGSSLMODE"] = "disable"
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def _base(ctx: Context, target) -> list[str]:
    return [str(ctx.pg_bindir / "pgbench"), "-h", target.host, "-p", str(target.port), "-U", target.user]


def _reason(proc: subprocess.CompletedProcess | None, timeout: float | None = None) -> str:
    if proc is None:
        return f"timed out after {timeout:.0f} s"
    lines = [l.strip() for l in (proc.stderr + "\n" + proc.stdout).splitlines() if l.strip()]
    errs = [l for l in lines if "error" in l.lower() or "fatal" in l.lower() or "detail" in l.lower()]
    text = " | ".join((errs or lines)[-3:]) or f"exit status {proc.returncode}"
    return text[:600]


def _run(argv: list[str], env: dict, timeout: float):
    try:
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None


def init(ctx: Context, target, scale: int, steps: str | None) -> tuple[bool, str]:
    argv = _base(ctx, target) + ["-i", "-s", str(scale), "-q"]
    if steps:
        argv += ["-I", steps]
    timeout = 300 if not ctx.quick else 120
    proc = _run(argv + [target.dbname], _env(target), timeout)
    if proc is not None and proc.returncode == 0:
        return True, ""
    return False, _reason(proc, timeout)


def bench(ctx: Context, target, mode: str) -> tuple[float | None, str]:
    argv = _base(ctx, target) + ["-S", "-n", "-M", mode, "-c", "1", "-j", "1",
                                 "-T", str(max(1, int(round(ctx.duration)))), target.dbname]
    proc = _run(argv, _env(target), ctx.duration + 120)
    if proc is None or proc.returncode != 0:
        return None, _reason(proc, ctx.duration + 120)
    m = TPS_RE.search(proc.stdout)
    lat = LAT_RE.search(proc.stdout)
    if not m:
        return None, "could not parse pgbench output: " + proc.stdout[-300:]
    return float(m.group(1)), (f"{float(lat.group(1)) * 1000:,.0f} µs avg latency" if lat else "")


@workload(
    "pgbench",
    "pgbench -S (select-only), 1 client",
    """PostgreSQL's own `pgbench` client: `pgbench -i -s S` creates and fills pgbench_accounts
    (S = 10, i.e. 1,000,000 rows; 1 with --quick), then `pgbench -S -n -c 1 -j 1 -T <duration>` runs
    `SELECT abalance FROM pgbench_accounts WHERE aid = :aid` with `-M simple` and `-M prepared`.
    Figures are transactions/s (higher is better). OmenDB runs only if pgbench's initialisation works
    against it: first the default client-side load (uses COPY), then `-I dtGvp` (server-side
    INSERT ... SELECT generate_series); otherwise the reason is reported. An untimed CHECKPOINT follows
    the initialisation on both.""",
    order=30,
)
def run(ctx: Context) -> list[Table]:
    scale = 1 if ctx.quick else 10
    notes: list[str] = []
    ctx.log(f"pgbench -i -s {scale}: PostgreSQL")
    pg_ok, pg_why = init(ctx, ctx.pg, scale, None)
    om_ok, om_why = False, "OmenDB server not running"
    if ctx.omendb is not None:
        reasons = []
        for steps in (None, "dtGvp"):
            label = "default init (client-side COPY)" if steps is None else f"-I {steps} (server-side generate)"
            ctx.log(f"pgbench -i -s {scale} {label}: OmenDB")
            om_ok, why = init(ctx, ctx.omendb, scale, steps)
            if om_ok:
                notes.append(f"OmenDB was initialised with pgbench {label}.")
                break
            reasons.append(f"{label}: {why}")
            if why not in [r.split(": ", 1)[1] for r in reasons[:-1]]:
                ctx.problem(f"pgbench -i {label}", why)
        if not om_ok:
            whys = {r.split(": ", 1)[1] for r in reasons}
            om_why = ("both init methods failed: " + whys.pop()) if len(whys) == 1 else "; ".join(reasons)
    # An untimed CHECKPOINT on both after the load, so OmenDB's background checkpoint (every 200,000
    # logged row changes) does not run during the first timed run.
    for ok, target, name in ((pg_ok, ctx.pg, "PostgreSQL"), (om_ok, ctx.omendb, "OmenDB")):
        if ok:
            try:
                with psycopg.connect(target.dsn, autocommit=True) as conn:
                    conn.execute("CHECKPOINT")
            except psycopg.Error as e:
                if name == "OmenDB":
                    ctx.problem("CHECKPOINT after pgbench -i", e)
    rows = []
    for mode in ("simple", "prepared"):
        cmp = Cmp(f"pgbench -S -M {mode}", "tx/s")
        if pg_ok:
            ctx.log(f"pgbench -S -M {mode}: PostgreSQL")
            cmp.pg, d = bench(ctx, ctx.pg, mode)
            (setattr(cmp, "pg_detail", d) if cmp.pg is not None else setattr(cmp, "pg_error", d))
        else:
            cmp.pg_error = f"pgbench -i failed: {pg_why}"
        if om_ok:
            ctx.log(f"pgbench -S -M {mode}: OmenDB")
            cmp.omendb, d = bench(ctx, ctx.omendb, mode)
            if cmp.omendb is not None:
                cmp.omendb_detail = d
            else:
                cmp.omendb_error = ctx.problem(f"pgbench -S -M {mode}", d)
        else:
            cmp.omendb_error = "skipped: pgbench -i failed (see note)"
        ctx.log(f"  OmenDB {cmp.omendb} | PostgreSQL {cmp.pg}")
        rows.append(cmp)
    if not om_ok:
        notes.append(f"OmenDB skipped: {om_why}")
    notes.append("PostgreSQL reference on these machines: `pgbench -S -M prepared` about 20k tps with one client.")
    return [Table(f"pgbench -S, scale {scale} ({scale * 100_000:,} accounts), {ctx.duration:g} s per run",
                  cmp=rows, notes=notes)]
