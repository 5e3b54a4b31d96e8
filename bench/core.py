"""Shared pieces of the benchmark harness: the run context, result tables and the workload registry.

A workload is a function ``run(ctx) -> list[Table]`` registered with ``@workload(...)``. It
gets a :class:`Context` with connection targets for both servers, the run's size knobs
(``ctx.quick``, ``ctx.rows``, ``ctx.duration``) and a shared ``ctx.state`` dict (e.g. the
``accounts`` table is loaded once and reused by later workloads). It returns tables; it
may raise :class:`Skip` with a reason. Failures of one system inside a workload should be
recorded in the table (``Cmp(..., omendb_error=...)``) and in ``ctx.problems`` rather than
raised, so the other system's figure is still reported.

Benchmarks are not tests: nothing here asserts on timings.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]

OMENDB = "OmenDB"
PG = "PostgreSQL"


class Skip(Exception):
    """Raised by a workload that cannot run; the message is the reason shown in the report."""


@dataclass
class Cmp:
    """One compared figure for both systems: a throughput (higher is better), or a time
    (lower is better) when ``lower_is_better`` is set.

    ``omendb``/``pg`` are the figures (None when that system failed or was not run);
    ``*_detail`` is extra text shown after the figure (e.g. latency), ``*_error`` replaces it.
    The ratio column always reads "above 1 means OmenDB is faster": OmenDB/PostgreSQL of a
    throughput, PostgreSQL/OmenDB of a time.
    """

    measure: str
    unit: str
    omendb: float | None = None
    pg: float | None = None
    omendb_detail: str = ""
    pg_detail: str = ""
    omendb_error: str = ""
    pg_error: str = ""
    note: str = ""
    #: The figures are times (e.g. seconds): the ratio is then PostgreSQL/OmenDB, so that it still
    #: reads "above 1 means OmenDB is faster".
    lower_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.omendb is None or self.pg is None:
            return None
        if self.lower_is_better:
            return None if self.omendb == 0 else self.pg / self.omendb
        return None if self.pg == 0 else self.omendb / self.pg


@dataclass
class Table:
    """A titled table. Either comparison rows (``cmp``) or free-form ``columns`` + ``rows``."""

    title: str
    cmp: list[Cmp] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What one workload produced in this run."""

    name: str
    title: str
    description: str
    tables: list[Table] = field(default_factory=list)
    skipped: str = ""
    error: str = ""
    seconds: float = 0.0


@dataclass
class Workload:
    name: str
    title: str
    description: str
    run: Callable[["Context"], list[Table]]
    order: int
    default: bool = True  # part of a plain run (False: only with --only NAME)


REGISTRY: dict[str, Workload] = {}


def workload(name: str, title: str, description: str, order: int, default: bool = True):
    """Register ``run(ctx) -> list[Table]`` as a workload (decorator)."""

    def deco(fn: Callable[["Context"], list[Table]]):
        if name in REGISTRY:
            raise ValueError(f"duplicate workload {name!r}")
        REGISTRY[name] = Workload(name, title, " ".join(description.split()), fn, order, default)
        return fn

    return deco


def ordered_workloads() -> list[Workload]:
    return sorted(REGISTRY.values(), key=lambda w: (w.order, w.name))


@dataclass
class Context:
    quick: bool
    omendb: Any  # serverproc.Target (or None if it failed to start)
    pg: Any  # serverproc.Target for the throwaway cluster
    pg_bindir: Path
    scratch: Path
    rows: int  # size of the accounts table
    duration: float  # seconds per timed throughput run
    max_lookups: int  # cap on point lookups per mode
    seed: int = 20240601
    state: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (workload, OmenDB failure)
    current: str = ""  # name of the workload being run

    def log(self, msg: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    def problem(self, where: str, exc: BaseException | str) -> str:
        """Record an OmenDB failure; returns the one-line message for a table cell."""
        text = exc if isinstance(exc, str) else describe_error(exc)
        entry = (self.current, f"{where}: {text}")
        if entry not in self.problems:
            self.problems.append(entry)
        self.log(f"OmenDB problem: {entry[1]}")
        return text


def describe_error(exc: BaseException) -> str:
    """``ExcType: message [SQLSTATE xxxxx]`` on one line (psycopg errors carry a sqlstate)."""
    sqlstate = getattr(exc, "sqlstate", None)
    msg = " ".join(str(exc).split()) or repr(exc)
    out = f"{type(exc).__name__}: {msg}"
    if sqlstate:
        out += f" [SQLSTATE {sqlstate}]"
    return out


def run_workload(w: Workload, ctx: Context) -> Outcome:
    out = Outcome(w.name, w.title, w.description)
    t0 = time.perf_counter()
    ctx.current = w.name
    try:
        out.tables = w.run(ctx) or []
    except Skip as e:
        out.skipped = str(e)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # one broken workload must not lose the others' figures
        out.error = describe_error(e)
        ctx.log(f"workload {w.name} failed:\n{traceback.format_exc()}")
    out.seconds = time.perf_counter() - t0
    return out


def cpu_ns(pid: int | None) -> int | None:
    """CPU time (ns) used so far by all live threads of process ``pid`` (Linux schedstat)."""
    if not pid:
        return None
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total


# -- formatting helpers -------------------------------------------------------------------
def fmt_num(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:,.1f}"
    return f"{x:,.2f}"


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}x"
