"""Workloads register themselves in bench.core.REGISTRY on import; add a module here to add one.

Order of the ``order=`` numbers: 10 load/point reads, 15 row cache, 20 writes, 30 pgbench, 40 COPY,
45 restart, 50 TPC-H, 60 ALEX micro-benchmarks.
"""

from bench.workloads import (point_select, row_cache, writes, pgbench, copy_load, restart, tpch,  # noqa: F401
                             alex)
