"""EXPLAIN [ANALYZE]: the operator tree printed the way PostgreSQL prints plans.

There are no cost estimates yet, so the output reads like PostgreSQL's
``EXPLAIN (COSTS OFF)``; ANALYZE adds actual time, rows and loops per node by
wrapping each operator's row iterator while the statement runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.operators import HashJoin, Operator
from omendb_server.sql.plan import CallablePlan, OutputColumn, Plan, QueryPlan, Result

COLUMNS = [OutputColumn("QUERY PLAN", T.TEXT)]


@dataclass
class _Stats:
    rows: int = 0
    loops: int = 0
    first: float | None = None
    total: float = 0.0


@dataclass
class ExplainPlan(Plan):
    inner: Plan | None = None
    analyze: bool = False
    planning_ms: float = 0.0
    stats: dict[int, _Stats] = field(default_factory=dict)

    def execute(self, ctx: ExecContext) -> Result:
        assert self.inner is not None
        root = self.inner.root if isinstance(self.inner, QueryPlan) else None
        exec_ms = 0.0
        if root is not None:
            _choose_paths(root, ctx)
        if self.analyze:
            self.stats = {}
            restore = _instrument(root, self.stats) if root is not None else []
            start = time.perf_counter()
            try:
                if isinstance(self.inner, QueryPlan):
                    list(self.inner.rows(ctx))  # through the operators, so they are measured
                else:
                    self.inner.execute(ctx)
            finally:
                for op in restore:
                    op.__dict__.pop("rows", None)
            exec_ms = (time.perf_counter() - start) * 1000
        lines: list[str] = []
        if root is not None:
            self._render(root, 0, lines)
        else:
            lines.extend(getattr(self.inner, "explain_lines", None) or [_describe_plan(self.inner)])
        if self.analyze:
            lines.append(f"Planning Time: {self.planning_ms:.3f} ms")
            lines.append(f"Execution Time: {exec_ms:.3f} ms")
        return Result("EXPLAIN", [(ln,) for ln in lines], COLUMNS)

    def _render(self, op: Operator, level: int, lines: list[str],
                inherited: list[str] | None = None) -> None:
        details = list(inherited or [])
        folded_filter: Operator | None = None
        removed_by_filter = None
        folded_subplans: list[tuple[str, Operator]] = []
        while op.hidden and op.children():
            details = details + list(op.details)
            folded_subplans.extend(getattr(op, "explain_subplans", ()))
            if op.label == "Filter":
                folded_filter = op
            op = op.children()[0]
        st = self.stats.get(id(op.child if isinstance(op, _HashNode) else op))
        recorded = op.child if isinstance(op, _HashNode) else op
        if hasattr(recorded, "actual_rows"):
            # a vectorized plan's node: its run recorded rows and time (sql/vector_join_exec.py)
            st = _Stats(recorded.actual_rows, recorded.loops, None, recorded.actual_ms / 1000)
        if folded_filter is not None and self.analyze:
            # the node shows the rows that left it, i.e. after its folded-in Filter
            ost = self.stats.get(id(folded_filter))
            if ost is not None and st is not None:
                removed_by_filter = st.rows - ost.rows
                st = _Stats(ost.rows, st.loops, st.first, st.total)
        head = op.title()
        if self.analyze:
            if st is None or st.loops == 0:
                head += " (never executed)"
            else:
                # like PostgreSQL: time and rows are averages per loop (a node under a
                # nested loop or a SubPlan runs once per outer row)
                first = (st.first or 0.0) * 1000
                total = st.total * 1000 / st.loops
                rows = round(st.rows / st.loops)
                head += (f" (actual time={first:.3f}..{total:.3f} "
                         f"rows={rows} loops={st.loops})")
        if level == 0:
            lines.append(head)
            pad = "  "
        else:
            lines.append(" " * (6 * (level - 1) + 2) + "->  " + head)
            pad = " " * (6 * level + 2)
        for d in list(op.details) + details:
            lines.append(pad + d)
        reason = getattr(op, "fallback_reason", None)
        if self.analyze and reason:
            # a vectorized node whose run used the saved row plan (sql/vector_join*.py)
            lines.append(pad + f"Vectorized: no, ran the row plan ({reason})")
        if removed_by_filter is not None:
            loops = st.loops if st is not None and st.loops else 1
            lines.append(pad + f"Rows Removed by Filter: {round(removed_by_filter / loops)}")
        # CTE bodies and subqueries of expressions, as PostgreSQL's "CTE x" / "SubPlan n"
        subplans = getattr(op, "subplans", None)
        for label, sub in (subplans() if callable(subplans) else []) + \
                list(getattr(op, "explain_subplans", ())) + folded_subplans:
            lines.append(pad + label)
            sub_lines: list[str] = []
            self._render(sub, 0, sub_lines)
            lines.append(pad + "  ->  " + sub_lines[0])
            lines.extend(pad + "      " + ln for ln in sub_lines[1:])
        for i, child in enumerate(op.children()):
            if i == 1 and (isinstance(op, HashJoin) or op.title().startswith("Hash ")
                           and op.title().endswith((" Join", " Join (vectorized)"))):
                # the build side sits under a Hash node in PostgreSQL's plans
                self._render(_HashNode(child), level + 1, lines)
            else:
                self._render(child, level + 1, lines)


class _HashNode(Operator):
    """Display-only: PostgreSQL shows a hash join's build input under a "Hash" node."""

    label = "Hash"

    def __init__(self, child: Operator) -> None:
        self.child = child

    def children(self) -> list[Operator]:
        return [self.child]


def _choose_paths(root: Operator, ctx: ExecContext) -> None:
    """Let each vectorized operator say now whether this execution will run it or its row
    plan (it depends on the tables' sizes), so the tree shown — and measured — is the one
    that runs (``explain_path`` in sql/vector_join*.py)."""
    seen: set[int] = set()

    def walk(op: Operator) -> None:
        if id(op) in seen:
            return
        seen.add(id(op))
        choose = getattr(op, "explain_path", None)
        if callable(choose):
            choose(ctx)
        subplans = getattr(op, "subplans", None)
        for _, sub in (subplans() if callable(subplans) else []) + \
                list(getattr(op, "explain_subplans", ())):
            walk(sub)
        for child in op.children():
            walk(child)

    walk(root)


def _instrument(root: Operator, stats: dict[int, _Stats]) -> list[Operator]:
    """Wrap every operator's ``rows`` to count rows and time (inclusive of children)."""
    touched: list[Operator] = []

    def wrap(op: Operator) -> None:
        st = stats.setdefault(id(op), _Stats())
        original = type(op).rows

        def rows(ctx: ExecContext, op: Operator = op) -> Iterator[Any]:
            st.loops += 1
            it = original(op, ctx)
            start = time.perf_counter()
            while True:
                t0 = time.perf_counter()
                try:
                    row = next(it)
                except StopIteration:
                    st.total += time.perf_counter() - t0
                    return
                now = time.perf_counter()
                st.total += now - t0
                if st.first is None:
                    st.first = now - start
                st.rows += 1
                yield row

        op.rows = rows  # type: ignore[method-assign]
        touched.append(op)
        subplans = getattr(op, "subplans", None)
        for _, sub in (subplans() if callable(subplans) else []) + \
                list(getattr(op, "explain_subplans", ())):
            if id(sub) not in stats:
                wrap(sub)
        for child in op.children():
            wrap(child)

    wrap(root)
    return touched


def _describe_plan(plan: Plan | None) -> str:
    if isinstance(plan, CallablePlan):
        return {"dml": "ModifyTable", "ddl": "Utility Statement"}.get(plan.kind, "Result")
    return "Result"
