"""Join and FROM-function operators beyond the basic ones in ``operators.py``.

* ``HashOuterJoin``: hash join for RIGHT and FULL joins (the basic ``HashJoin`` does
  INNER and LEFT), remembering which build rows found a partner.
* ``LateralJoin``: a nested loop that re-runs its right input per left row, with the
  left row pushed on ``ctx.outer`` so the right side's references to it resolve
  (LATERAL subqueries, functions in FROM that read earlier FROM items).
* ``FunctionScan``: a set-returning function in FROM (``generate_series``, ``unnest``,
  ...; see ``srf.py``), optionally WITH ORDINALITY.
* ``AppendComputed``: adds computed columns to each row (FULL JOIN's merged USING
  columns, which are ``COALESCE(left.k, right.k)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import Fn
from omendb_server.sql.operators import HashJoin, Operator, Row


class HashOuterJoin(HashJoin):
    """RIGHT/FULL hash join: build on the right, probe with the left, then emit the
    build rows nobody matched, null-extended on the left."""

    def title(self) -> str:
        return {"right": "Hash Right Join", "full": "Hash Full Join"}.get(self.kind, "Hash Join")

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        build: list[Row] = list(self.right.rows(ctx))
        table: dict[tuple, list[int]] = {}
        rk = self.rk
        for i, rrow in enumerate(build):
            key = tuple(f(rrow, ctx) for f in rk)
            if any(k is None for k in key):
                continue
            table.setdefault(key, []).append(i)
        matched = [False] * len(build)
        lk = self.lk
        residual = self.residual
        rnull = (None,) * self.rw
        full = self.kind == "full"
        for lrow in self.left.rows(ctx):
            key = tuple(f(lrow, ctx) for f in lk)
            hit = False
            if not any(k is None for k in key):
                for i in table.get(key, ()):
                    row = lrow + build[i]
                    if residual is None or residual(row, ctx) is True:
                        hit = True
                        matched[i] = True
                        yield row
            if not hit and full:
                yield lrow + rnull
        lnull = (None,) * self.lw
        for i, rrow in enumerate(build):
            if not matched[i]:
                yield lnull + rrow


class LateralJoin(Operator):
    """Nested loop whose right side depends on the current left row."""

    label = "Nested Loop"

    def __init__(self, left: Operator, right: Operator, pred: Fn | None, kind: str,
                 left_width: int, right_width: int) -> None:
        self.left, self.right = left, right
        self.pred = pred
        self.kind = kind  # inner, left, cross
        self.lw, self.rw = left_width, right_width

    def title(self) -> str:
        return "Nested Loop Left Join" if self.kind == "left" else "Nested Loop"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        pred = self.pred
        rnull = (None,) * self.rw
        outer = ctx.outer
        for lrow in self.left.rows(ctx):
            outer.append(lrow)
            try:
                right_rows = list(self.right.rows(ctx))
            finally:
                outer.pop()
            hit = False
            for rrow in right_rows:
                row = lrow + rrow
                if pred is None or pred(row, ctx) is True:
                    hit = True
                    yield row
            if not hit and self.kind == "left":
                yield lrow + rnull

    def children(self) -> list[Operator]:
        return [self.left, self.right]


class FunctionScan(Operator):
    """Rows of a set-returning function; its arguments are evaluated once per scan
    (per left row when it is the right side of a ``LateralJoin``)."""

    label = "Function Scan"

    def __init__(self, name: str, args: list[Fn],
                 produce: Callable[[list[Any], ExecContext], Iterable[Row]],
                 ordinality: bool = False) -> None:
        self.name = name
        self.args = args
        self.produce = produce
        self.ordinality = ordinality

    def title(self) -> str:
        alias = getattr(self, "alias", None)
        return f"Function Scan on {self.name}" + (f" {alias}" if alias and alias != self.name
                                                  else "")

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        values = [f((), ctx) for f in self.args]
        if self.ordinality:
            for n, row in enumerate(self.produce(values, ctx), 1):
                yield row + (n,)
        else:
            yield from self.produce(values, ctx)


class AppendComputed(Operator):
    """Each input row followed by computed values (hidden helper columns)."""

    label = "Project"
    hidden = True

    def __init__(self, child: Operator, fns: list[Fn]) -> None:
        self.child = child
        self.fns = fns

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        fns = self.fns
        for row in self.child.rows(ctx):
            yield row + tuple(f(row, ctx) for f in fns)

    def children(self) -> list[Operator]:
        return [self.child]


class BalancedHashJoin(HashJoin):
    """Inner equi-join that hashes whichever input turns out smaller.

    There are no table statistics to choose a build side at plan time, so both inputs
    are read a chunk at a time, alternately, until one ends: that one is hashed and the
    other is streamed against it (so a small dimension table joined to a large fact
    table never builds a hash table of the fact table, whatever the FROM order)."""

    CHUNK = 2048

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        lit = iter(self.left.rows(ctx))
        rit = iter(self.right.rows(ctx))
        lbuf: list[Row] = []
        rbuf: list[Row] = []
        chunk = self.CHUNK
        while True:
            got = _take(lit, lbuf, chunk)
            if got < chunk:
                yield from self._join(lbuf, self.lk, rbuf, rit, self.rk, True, ctx)
                return
            got = _take(rit, rbuf, chunk)
            if got < chunk:
                yield from self._join(rbuf, self.rk, lbuf, lit, self.lk, False, ctx)
                return
            chunk *= 2

    def _join(self, build: list[Row], bkeys: list[Fn], probe_buf: list[Row],
              probe_rest: Iterator[Row], pkeys: list[Fn], build_is_left: bool,
              ctx: ExecContext) -> Iterator[Row]:
        table: dict[tuple, list[Row]] = {}
        for row in build:
            key = tuple(f(row, ctx) for f in bkeys)
            if None not in key:
                table.setdefault(key, []).append(row)
        residual = self.residual
        for source in (probe_buf, probe_rest):
            for prow in source:
                key = tuple(f(prow, ctx) for f in pkeys)
                if None in key:
                    continue
                for brow in table.get(key, ()):
                    row = brow + prow if build_is_left else prow + brow
                    if residual is None or residual(row, ctx) is True:
                        yield row


def _take(it: Iterator[Row], buf: list[Row], n: int) -> int:
    got = 0
    for row in it:
        buf.append(row)
        got += 1
        if got >= n:
            break
    return got
