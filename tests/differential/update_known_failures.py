#!/usr/bin/env python3
"""Rewrite ``known_failures.txt`` to exactly the corpus queries that mismatch PostgreSQL today.

    .venv/bin/python tests/differential/update_known_failures.py            # start both servers, rewrite the list
    .venv/bin/python tests/differential/update_known_failures.py --dry-run  # print the diff only
    .venv/bin/python tests/differential/update_known_failures.py --check    # exit 1 if the list is stale
    .venv/bin/python tests/differential/update_known_failures.py --only joins window

By default it starts a throwaway PostgreSQL 15 cluster (bench/pgcluster.py) and a fresh OmenDB
server from the working tree, loads schema.sql into both and runs the corpus, exactly as
test_differential.py does. ``--pg-dsn``/``--omendb-dsn`` reuse running servers instead.
Why a script: the test module runs known mismatches as strict xfails, so when a feature lands the
test turns red (XPASS) and this script is how the list is brought back to the truth.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
for p in (REPO, REPO / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from differential import harness


def mismatches(pg_dsn: str, om_dsn: str, only: list[str] | None, verbose: bool) -> tuple[dict[str, str], int]:
    pg, om = harness.Runner(pg_dsn), harness.Runner(om_dsn)
    for name, runner in (("PostgreSQL", pg), ("OmenDB", om)):
        for path in (harness.SCHEMA_FILE, harness.OPTIONAL_SCHEMA_FILE):
            for stmt, res in runner.load_schema(path):
                print(f"{path.name} on {name}: {res.describe()}\n  {' '.join(stmt.split())[:200]}", file=sys.stderr)
    found: dict[str, str] = {}
    queries = harness.load_corpus()
    if only:
        queries = [q for q in queries if q.id.rsplit("-", 1)[0] in only]
    for q in queries:
        reason = harness.compare_query(pg, om, q)
        if reason:
            found[q.id] = reason
            if verbose:
                print(f"{q.id}: {reason}\n    {' '.join(q.sql.split())[:200]}")
    return found, len(queries)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-dsn", help="use this PostgreSQL 15 instead of a throwaway cluster")
    ap.add_argument("--omendb-dsn", help="use this OmenDB server instead of starting one")
    ap.add_argument("--only", nargs="+", metavar="FILE", help="corpus file stems to run (list not rewritten)")
    ap.add_argument("--dry-run", action="store_true", help="print, do not rewrite known_failures.txt")
    ap.add_argument("--check", action="store_true",
                    help="do not rewrite; exit 1 when the list is not exactly the current mismatches")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every mismatch with its SQL")
    args = ap.parse_args(argv)

    cleanup = []
    try:
        pg_dsn = args.pg_dsn
        if not pg_dsn:
            from serverproc import free_port

            from bench.pgcluster import PgCluster, pg_bindir

            cluster = PgCluster(pg_bindir(), free_port(), log=lambda m: print(m, file=sys.stderr)).start()
            cleanup.append(cluster.stop)
            pg_dsn = cluster.conninfo()
        om_dsn = args.omendb_dsn
        if not om_dsn:
            from serverproc import ServerProcess, new_password

            server = ServerProcess(data_dir=Path(tempfile.mkdtemp(prefix="omendb-difftest-")) / "data",
                                   password=new_password()).start()
            cleanup.append(server.ensure_stopped)
            om_dsn = server.dsn
        found, total = mismatches(pg_dsn, om_dsn, args.only, args.verbose)
    finally:
        for fn in reversed(cleanup):
            fn()

    old = harness.load_known_failures()
    print(f"{total - len(found)} of {total} queries match PostgreSQL; {len(found)} mismatch")
    if args.only:
        scope = {q for q in old if q.rsplit("-", 1)[0] in args.only}
    else:
        scope = set(old)
    fixed = sorted(scope - set(found))
    new = sorted(set(found) - set(old))
    print(f"now passing (removed): {len(fixed)} {' '.join(fixed)}")
    print(f"new mismatches (added): {len(new)} {' '.join(new)}")
    if args.check:
        return 1 if fixed or new else 0
    if args.dry_run or args.only:
        return 0
    lines = [
        "# Corpus queries that do not match PostgreSQL 15 yet: <id> <reason>. They run as strict xfails.",
        "# Regenerate: .venv/bin/python tests/differential/update_known_failures.py",
    ]
    lines += [f"{qid} {' '.join(reason.split())}" for qid, reason in sorted(found.items())]
    harness.KNOWN_FAILURES_FILE.write_text("\n".join(lines) + "\n")
    print(f"wrote {harness.KNOWN_FAILURES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
