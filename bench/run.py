#!/usr/bin/env python3
"""OmenDB vs PostgreSQL 15, side by side: one command, results in docs/performance.md.

    .venv/bin/python bench/run.py [--quick] [--only NAME ...] [--list]

Starts a throwaway PostgreSQL 15 cluster (unprivileged user, temp dir, loopback, SCRAM, random
password, fsync and synchronous_commit on) and an OmenDB server (temp data dir, free port), runs
the registered workloads (bench/workloads/) on both, prints the tables and rewrites the generated
part of docs/performance.md. Both servers and all temp dirs are removed at exit, also on Ctrl-C.
Benchmarks are not tests: nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import atexit
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from bench import report  # noqa: E402
from bench.core import REGISTRY, Context, describe_error, ordered_workloads, run_workload  # noqa: E402
from bench.pgcluster import PgCluster, pg_bindir  # noqa: E402
from bench.systems import free_port, start_omendb  # noqa: E402
import bench.workloads  # noqa: E402,F401  (registers the workloads)

from serverproc import Target  # noqa: E402  (tests/ is on sys.path via bench.systems)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    names = [w.name for w in ordered_workloads()]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="100,000 rows, 2 s per timed run, pgbench scale 1, ALEX n=1,000,000 (~2 min)")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=names,
                   help=f"run only these workloads ({', '.join(names)})")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--rows", type=int, help="override the accounts table size")
    p.add_argument("--duration", type=float, help="override seconds per timed run")
    p.add_argument("--output", type=Path, default=REPO / "docs" / "performance.md",
                   help="Markdown file to update (default: docs/performance.md)")
    p.add_argument("--no-write", action="store_true", help="print the results only")
    return p.parse_args(argv)


def _git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "omendb_server"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes in omendb_server/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _peak_rss_mb(pid: int | None) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, TypeError):
        pass
    return None


def _raise_exit(signum, frame):  # SIGTERM/SIGHUP: unwind through the finally blocks
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for w in ordered_workloads():
            print(f"{w.name:14} {w.title}")
        return 0
    selected = [w for w in ordered_workloads() if (w.name in args.only if args.only else w.default)]
    command = ".venv/bin/python bench/run.py" + (" " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "")
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)

    scratch = Path(tempfile.mkdtemp(prefix="omendb-bench-"))
    atexit.register(shutil.rmtree, scratch, True)
    bindir = pg_bindir()
    cluster = PgCluster(bindir, free_port(), log=lambda m: print(f"[bench] {m}", flush=True))
    omendb = None
    ctx = None
    outcomes = []
    general_problems: list[str] = []
    started = time.time()
    load_at_start = os.getloadavg()
    try:
        cluster.start()
        pg = Target(host=cluster.host, port=cluster.port, password=cluster.password,
                    user=cluster.user, dbname=cluster.dbname)
        try:
            omendb = start_omendb(scratch)
            atexit.register(omendb.ensure_stopped)
            with psycopg.connect(omendb.dsn) as c:
                omendb_version = c.execute("SELECT version()").fetchone()[0]
        except Exception as e:  # report PostgreSQL figures even if OmenDB does not come up
            general_problems.append(f"OmenDB did not start: {describe_error(e)}")
            print(f"[bench] OmenDB did not start: {e}", flush=True)
            omendb, omendb_version = None, "not running"
        ctx = Context(
            quick=args.quick,
            omendb=omendb,
            pg=pg,
            pg_bindir=bindir,
            scratch=scratch,
            rows=args.rows or (100_000 if args.quick else 1_000_000),
            duration=args.duration or (2.0 if args.quick else 5.0),
            max_lookups=20_000 if args.quick else 100_000,
        )
        ctx.state["pg_cluster"] = cluster  # the restart workload stops and starts it
        ctx.log(f"workloads: {', '.join(w.name for w in selected)}; rows={ctx.rows:,}; "
                f"duration={ctx.duration:g} s")
        for w in selected:
            ctx.log(f"=== {w.name}: {w.title}")
            o = run_workload(w, ctx)
            outcomes.append(o)
            probs = [p for n, p in ctx.problems if n == w.name]
            print("\n" + report.outcome_md(o, "this run", probs) + "\n", flush=True)
        peak = _peak_rss_mb(omendb.pid) if omendb is not None else None
        if omendb is not None:
            status = omendb.stop()
            log_lines = omendb.output(whole=True).splitlines()
            bad = [l.strip() for l in log_lines if "Traceback" in l or " ERROR " in l or " CRITICAL " in l]
            if bad:
                general_problems.append(f"OmenDB server log has {len(bad)} ERROR/Traceback lines, first: "
                                        + " / ".join(bad[:3])[:600])
            if status != 0:
                general_problems.append(f"OmenDB exited with status {status} on SIGTERM; log tail: "
                                        + omendb.output()[-500:])
    finally:
        if omendb is not None:
            omendb.ensure_stopped()
        cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    stamp = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(started))
    settings = getattr(cluster, "settings", {})
    header = "\n".join([
        "## Method",
        "",
        f"- Last run: {stamp}, `{command}` from the repository root (total {time.time() - started:.0f} s).",
        f"- Machine: {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}; shared and "
        "noisy, client and servers on the same machine; every figure is from one run; load average "
        f"at start {load_at_start[0]:.2f} (1 min) / {load_at_start[2]:.2f} (15 min).",
        f"- PostgreSQL: {cluster.version()}, throwaway cluster on 127.0.0.1, settings "
        + ", ".join(f"{k}={v}" for k, v in sorted(settings.items()) if k != "listen_addresses")
        + " (shared_buffers in 8 kB pages; all defaults except listen address/port).",
        f"- OmenDB: `{omendb_version if ctx else 'not started'}`, commit {_git_rev()}"
        + (f", server peak RSS {peak:,.0f} MB" if ctx and peak else "") + ".",
        f"- Client: Python {platform.python_version()}, psycopg {psycopg.__version__} "
        f"({psycopg.pq.__impl__} libpq wrapper), one process; the same code drives both servers.",
        "- Ratio: OmenDB/PostgreSQL of a throughput, PostgreSQL/OmenDB of a time (restart seconds); "
        "either way **above 1.00x means OmenDB is faster**.",
        "- Each section below states when and with which command it was measured (`--only NAME` "
        "replaces just those sections and keeps this header, so sections can come from different runs).",
    ])
    if general_problems:
        header += "\n\nOmenDB problems outside the workloads:\n\n" + "\n".join(f"- `{p}`" for p in general_problems)
    blocks = {o.name: report.outcome_md(o, f"Measured {stamp} with `{command}`",
                                        [p for n, p in (ctx.problems if ctx else []) if n == o.name])
              for o in outcomes}
    print("\n" + header + "\n", flush=True)
    all_problems = [p for _, p in (ctx.problems if ctx else [])] + general_problems
    if all_problems:
        print("OmenDB problems in this run:")
        for p in all_problems:
            print(f"  - {p}")
    if not args.no_write:
        report.write(args.output, header, blocks, keep_header=bool(args.only))
        print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\n[bench] interrupted; servers stopped and temporary directories removed", file=sys.stderr)
        sys.exit(130)
