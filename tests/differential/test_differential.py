"""Differential tests: every corpus query runs on OmenDB and on a throwaway PostgreSQL 15 cluster.

The corpus (``corpus/*.sql``, one statement per query, grouped by topic) runs against the fixed
schema in ``schema.sql``, loaded identically into both servers. A query passes when OmenDB returns
what PostgreSQL returns (see ``harness.py`` for what "the same" means: SQLSTATE for errors; column
names, type OIDs and text-format values otherwise, order-insensitive without a top-level ORDER BY).

Queries listed in ``known_failures.txt`` run as strict xfails: when a feature lands and one of them
starts to match, the test reports XPASS and fails, so the list is kept true. Regenerate it with
``.venv/bin/python tests/differential/update_known_failures.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import external_target

from differential import harness

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench.pgcluster, also when pytest is not started from the repo root
    sys.path.insert(0, str(REPO))

QUERIES = harness.load_corpus()
KNOWN_FAILURES = harness.load_known_failures()

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def pg_oracle():
    """A throwaway PostgreSQL 15 cluster for the whole module, with the schema loaded."""
    from serverproc import free_port

    from bench.pgcluster import PgCluster, pg_bindir

    try:
        bindir = pg_bindir()
    except RuntimeError as e:
        pytest.skip(f"PostgreSQL 15 binaries not available: {e}")
    cluster = PgCluster(bindir, free_port(), log=lambda msg: None)
    try:
        cluster.start()
        runner = harness.Runner(cluster.conninfo())
        for path in (harness.SCHEMA_FILE, harness.OPTIONAL_SCHEMA_FILE):
            failures = runner.load_schema(path)
            assert not failures, f"{path.name} does not load on PostgreSQL: {failures[0][1].describe()}"
        yield runner
        runner.close()
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def omendb(omendb_server):
    """A connection to the shared OmenDB server with the same schema loaded (tables are d_*)."""
    if external_target() is not None:
        pytest.skip("differential tests compare OmenDB with PostgreSQL; the target is not OmenDB")
    runner = harness.Runner(omendb_server.dsn)
    runner.schema_failures = runner.load_schema()
    runner.load_schema(harness.OPTIONAL_SCHEMA_FILE)  # failures show as mismatches of the queries using it
    yield runner
    runner.close()


def test_corpus_is_large_enough():
    assert len(QUERIES) >= 500, f"the corpus has {len(QUERIES)} queries, the issue asks for 500+"
    assert len({q.id for q in QUERIES}) == len(QUERIES)


def test_known_failures_name_existing_queries():
    ids = {q.id for q in QUERIES}
    stale = sorted(set(KNOWN_FAILURES) - ids)
    assert not stale, f"known_failures.txt names queries that are not in the corpus: {stale}"


def test_schema_loads_on_omendb(omendb):
    failures = [f"{res.describe()} in: {' '.join(stmt.split())[:120]}" for stmt, res in omendb.schema_failures]
    assert not failures, "schema.sql does not load on OmenDB:\n" + "\n".join(failures)


def _params():
    for q in QUERIES:
        marks = ()
        if q.id in KNOWN_FAILURES:
            marks = pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[q.id] or "known mismatch")
        yield pytest.param(q, id=q.id, marks=marks)


@pytest.mark.parametrize("query", list(_params()))
def test_query_matches_postgresql(query: harness.Query, pg_oracle: harness.Runner, omendb: harness.Runner):
    reason = harness.compare_query(pg_oracle, omendb, query)
    assert reason is None, f"{query.id}: {reason}\n  {query.sql}"
