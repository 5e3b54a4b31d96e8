"""Extension point: TPC-H-style Q1, Q6 and a Q3-like join vs PostgreSQL and DuckDB (issue 4, item 8).

To implement: generate a `lineitem` of 6,000,000 rows (1,000,000 with --quick) plus `orders` and
`customer` deterministically in Python (numpy), load both PostgreSQL and OmenDB with COPY
(OmenDB has COPY FROM STDIN now, about 45,000 rows/s here), load DuckDB in-process (`duckdb` from PyPI, optional:
skip its column when not installed), run each query a few times and report the best wall time.
Return tables of ``Cmp(..., unit="s", lower_is_better=True)`` rows (the ratio is then PG/OmenDB, so
above 1 still means OmenDB is faster) and put the
DuckDB figure in the note or an extra free-form table.
"""

from __future__ import annotations

from bench.core import Context, Skip, Table, workload


@workload(
    "tpch",
    "TPC-H-style Q1, Q6, Q3 (vs PostgreSQL and DuckDB)",
    """Planned: Q1 and Q6 over a 6,000,000-row lineitem and a three-table join like Q3, wall time per
    query on OmenDB, PostgreSQL and DuckDB.""",
    order=50,
)
def run(ctx: Context) -> list[Table]:
    raise Skip("not implemented yet (COPY into OmenDB works now, so this is unblocked; "
               "see bench/workloads/tpch.py)")
