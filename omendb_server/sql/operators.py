"""Physical operators of the row path: each yields row tuples from ``rows(ctx)``.

Operators are small and composable (scan → filter → join → aggregate → project
→ sort → limit), and EXPLAIN walks the same tree. The columnar path adds Arrow
batch operators beside these, not instead of them.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any, Callable, Iterator

from omendb_server import errors
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import AggSpec, Fn
from omendb_server.storage.delta import INF, RowVersion, key_getter
from omendb_server.txn.visibility import is_visible

Row = tuple[Any, ...]


class Operator:
    label = "Operator"
    #: Extra EXPLAIN lines ("Filter: ...", "Sort Key: ..."), set by the planner.
    details: list[str] = []
    #: Operators EXPLAIN folds into their parent (projection is implicit in PostgreSQL).
    hidden = False

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        raise NotImplementedError

    def children(self) -> list["Operator"]:
        return []

    def title(self) -> str:
        return self.label

    def explain(self, *lines: str) -> "Operator":
        self.details = [ln for ln in lines if ln]
        return self


class OneRow(Operator):
    """FROM-less SELECT: a single empty row."""

    label = "Result"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        yield ()


class SeqScan(Operator):
    label = "Seq Scan"

    def title(self) -> str:
        return f"Seq Scan on {self.name}"

    def __init__(self, table_oid: int, name: str) -> None:
        self.table_oid = table_oid
        self.name = name

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        data = ctx.tm.tables.get(self.table_oid)
        if data is None:
            return
        read_ts, txid = ctx.txn.read_ts, ctx.txn.txid
        if data.base is not None:
            for _, values in data.base_rows(read_ts):
                yield values
        for v in list(data.delta.values()):
            if is_visible(v, read_ts, txid):
                yield v.values


class IndexLookup(Operator):
    """Equality on every column of the primary key (index_oid 0) or a secondary index."""

    label = "Index Scan"

    def title(self) -> str:
        return f"Index Scan using {self.index_name} on {self.name}"

    def __init__(self, table_oid: int, name: str, keys: list[list[Fn]], index_oid: int = 0,
                 index_name: str = "") -> None:
        self.table_oid = table_oid
        self.name = name
        #: One or more keys (``col IN (...)``), each a list of per-column value functions.
        self.keys = keys
        self.index_oid = index_oid
        self.index_name = index_name

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        data = ctx.tm.tables.get(self.table_oid)
        if data is None:
            return
        seen: set[tuple[Any, ...]] = set()
        for fns in self.keys:
            key = tuple(f((), ctx) for f in fns)
            if None in key or key in seen:
                continue
            seen.add(key)
            yield from self._lookup(ctx, data, key)

    def fetch(self, ctx: ExecContext, columns: tuple[int, ...] | None = None,
              pick: Any = None) -> list[Row]:
        """The single-key lookup as a plain call (no generator): the point-query path.
        With ``columns`` (and ``pick``, their ``key_getter``), only those columns of each
        row (a checkpointed row then reads just them)."""
        data = ctx.tm.tables.get(self.table_oid)
        if data is None:
            return []
        fns = self.keys[0]
        if len(fns) == 1:
            value = fns[0]((), ctx)
            if value is None:
                return []
            key: tuple[Any, ...] = (value,)
        else:
            key = tuple(f((), ctx) for f in fns)
            if None in key:
                return []
        return self._lookup(ctx, data, key, columns, pick)

    def _lookup(self, ctx: ExecContext, data: Any, key: tuple[Any, ...],
                columns: tuple[int, ...] | None = None, pick: Any = None) -> list[Row]:
        """Visible rows carrying ``key`` (only ``columns`` of them, picked by ``pick``,
        when given), through the row cache for primary-key lookups."""
        txn = ctx.txn
        read_ts, txid = txn.read_ts, txn.txid
        cache = ctx.tm.row_cache if self.index_oid == 0 else None
        if cache is not None:
            if not cache.enabled:
                cache = None
            else:
                cached = cache.get(self.table_oid, key)
                if cached is not None and is_visible(cached, read_ts, txid):
                    return [cached.values if pick is None else pick(cached.values)]
        ids = data.lookup(self.index_oid, key)
        if len(ids) == 1 and ids[0] < 0:
            # a checkpointed row nobody wrote since (committed: its stamp alone decides)
            base = data.base
            pos = ~ids[0]
            if base is None or not base.live[pos] or base.begins[pos] > read_ts:
                return []
            if cache is None or not cache.admit(self.table_oid, key):
                return [base.row(pos) if columns is None else base.project(pos, columns)]
            v = RowVersion(int(base.vids[pos]), base.row(pos), int(base.begins[pos]))
            cache.put(self.table_oid, key, v)
            return [v.values if pick is None else pick(v.values)]
        delta = data.delta
        out = []
        for vid in list(ids):
            if vid < 0:
                out.extend(visible_values(data, [vid], read_ts, txid))
                continue
            v = delta.get(vid)
            if v is not None and is_visible(v, read_ts, txid):
                if cache is not None and v.begin > 0 and v.end == INF:
                    cache.put(self.table_oid, key, v)
                out.append(v.values)
        return out if pick is None else [pick(values) for values in out]


def visible_values(data: Any, ids: list[int], read_ts: int, txid: int) -> list[Row]:
    """Values of the versions in an index bucket (delta vids and ``~pos`` base rows) that a
    snapshot sees, without promoting base rows. Base rows are committed: only their
    commit stamp decides; delta versions go through the one visibility rule."""
    out = []
    delta = data.delta
    base = data.base
    for i in ids:
        if i >= 0:
            v = delta.get(i)
            if v is not None and is_visible(v, read_ts, txid):
                out.append(v.values)
        elif base is not None and base.live[~i] and base.begins[~i] <= read_ts:
            out.append(base.row(~i))
    return out


def candidate_versions(ctx: ExecContext, data: Any, keys: list[list[Fn]] | None,
                       index_oid: int = 0, pred: Fn | None = None) -> list[Any]:
    """Visible versions of a table a writer or locker may act on, narrowed by an index
    when ``keys`` pin its key. Checkpointed (base) rows are promoted to RowVersions
    only when ``pred`` (if given) matches them, so a selective UPDATE of a large
    table does not materialize every row."""
    read_ts, txid = ctx.txn.read_ts, ctx.txn.txid
    if keys is not None:
        versions = []
        seen: set[tuple[Any, ...]] = set()
        for fns in keys:
            key = tuple(f((), ctx) for f in fns)
            if None in key or key in seen:
                continue
            seen.add(key)
            versions.extend(data.versions_with_key(key, index_oid))
    else:
        versions = []
        if data.base is not None:
            matches = [pos for pos, values in data.base_rows(read_ts)
                       if pred is None or pred(values, ctx) is True]
            versions = [data.promote(pos) for pos in matches]
        versions.extend(data.delta.values())
    return [v for v in versions if is_visible(v, read_ts, txid)]


class IndexRange(Operator):
    """Ordered scan of an ALEX primary key between optional bounds (ascending or not).

    Serves ``pk > x``, ``BETWEEN`` and ``ORDER BY pk [DESC] LIMIT n``: keys come out
    in order, fetched in small batches, so a LIMIT above it stops the scan early."""

    label = "Index Scan"

    def __init__(self, table_oid: int, name: str, index_name: str, lo: Fn | None,
                 hi: Fn | None, lo_inclusive: bool, hi_inclusive: bool, reverse: bool) -> None:
        self.table_oid = table_oid
        self.name = name
        self.index_name = index_name
        self.lo, self.hi = lo, hi
        self.lo_inclusive, self.hi_inclusive = lo_inclusive, hi_inclusive
        self.reverse = reverse

    def title(self) -> str:
        way = " Backward" if self.reverse else ""
        return f"Index Scan{way} using {self.index_name} on {self.name}"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        data = ctx.tm.tables.get(self.table_oid)
        if data is None:
            return
        lo = self.lo((), ctx) if self.lo is not None else None
        hi = self.hi((), ctx) if self.hi is not None else None
        if (self.lo is not None and lo is None) or (self.hi is not None and hi is None):
            return  # a comparison with NULL matches nothing
        read_ts, txid = ctx.txn.read_ts, ctx.txn.txid
        for vids in data.pk_index.range(lo, hi, self.lo_inclusive, self.hi_inclusive,
                                        self.reverse):
            yield from visible_values(data, list(vids), read_ts, txid)


class LockCandidates(Operator):
    """SELECT ... FOR UPDATE/SHARE input: matching visible rows, each followed by its
    row version (a hidden last column) so ``LockRows`` above the sort can lock it."""

    label = "Seq Scan"

    def __init__(self, table_oid: int, name: str, pred: Fn | None, keys: list[list[Fn]] | None,
                 index_oid: int = 0, index_name: str = "") -> None:
        self.table_oid = table_oid
        self.name = name
        self.pred = pred
        self.keys = keys
        self.index_oid = index_oid
        self.index_name = index_name

    def title(self) -> str:
        if self.keys is not None:
            return f"Index Scan using {self.index_name} on {self.name}"
        return f"Seq Scan on {self.name}"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        data = ctx.tm.tables.get(self.table_oid)
        if data is None:
            return
        pred = self.pred
        for v in candidate_versions(ctx, data, self.keys, self.index_oid, pred):
            if pred is None or pred(v.values, ctx) is True:
                yield v.values + (v,)


class LockRows(Operator):
    """Locks each row as it is pulled (so LIMIT stops locking early, as in PostgreSQL).

    A row changed by an in-flight transaction is waited for (or skipped with SKIP
    LOCKED, or 55P03 with NOWAIT); READ COMMITTED then re-checks the newest version
    and rebuilds the output row from it.
    """

    label = "LockRows"

    def __init__(self, child: Operator, table_oid: int, name: str, version_pos: int,
                 pred: Fn | None, project: Callable[[Row, ExecContext], Row], mode: str,
                 policy: str) -> None:
        self.child = child
        self.table_oid = table_oid
        self.name = name
        self.version_pos = version_pos
        self.pred = pred
        self.project = project
        self.mode = mode
        self.policy = policy

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        data = ctx.tm.tables.get(self.table_oid)
        pos = self.version_pos
        for row in self.child.rows(ctx):
            v = row[pos]
            target = ctx.tm.lock_for_write(ctx.txn, data, v, self.mode, self.policy, self.name)
            if target is None:
                continue
            if target is not v:
                if self.pred is not None and self.pred(target.values, ctx) is not True:
                    continue
                row = self.project(target.values + (target,), ctx)
            yield row

    def children(self) -> list[Operator]:
        return [self.child]


class VirtualScan(Operator):
    """A pg_catalog relation computed from the catalog when scanned."""

    label = "Function Scan"

    def title(self) -> str:
        return f"Seq Scan on {self.name}"

    def __init__(self, name: str, producer: Callable[[ExecContext], list[Row]]) -> None:
        self.name = name
        self.producer = producer

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        yield from self.producer(ctx)


class SeriesScan(Operator):
    """generate_series(start, stop [, step]) in FROM, over integers or numerics."""

    label = "Function Scan"

    def __init__(self, start: Fn, stop: Fn, step: Fn | None) -> None:
        self.start, self.stop, self.step = start, stop, step

    def title(self) -> str:
        return "Function Scan on generate_series"

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        a, b = self.start((), ctx), self.stop((), ctx)
        step = self.step((), ctx) if self.step is not None else 1
        if a is None or b is None or step is None:
            return
        if step == 0:
            raise errors.InvalidParameterValue("step size cannot equal zero")
        v = a
        if step > 0:
            while v <= b:
                yield (v,)
                v += step
        else:
            while v >= b:
                yield (v,)
                v += step


class ValuesScan(Operator):
    label = "Values Scan"

    def title(self) -> str:
        return 'Values Scan on "*VALUES*"'

    def __init__(self, rows: list[list[Fn]]) -> None:
        self.exprs = rows

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        for fns in self.exprs:
            yield tuple(f((), ctx) for f in fns)


class SubqueryScan(Operator):
    label = "Subquery Scan"
    hidden = True

    def __init__(self, child: Operator) -> None:
        self.child = child

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        return self.child.rows(ctx)

    def children(self) -> list[Operator]:
        return [self.child]


class Filter(Operator):
    """Shown by EXPLAIN as a "Filter:" line of its input, as PostgreSQL does."""

    label = "Filter"
    hidden = True

    def __init__(self, child: Operator, pred: Fn) -> None:
        self.child = child
        self.pred = pred

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        pred = self.pred
        for row in self.child.rows(ctx):
            if pred(row, ctx) is True:
                yield row

    def children(self) -> list[Operator]:
        return [self.child]


class NestedLoopJoin(Operator):
    label = "Nested Loop"

    def title(self) -> str:
        kind = {"left": " Left Join", "right": " Right Join", "full": " Full Join"}.get(self.kind, "")
        return "Nested Loop" + kind

    def __init__(self, left: Operator, right: Operator, pred: Fn | None, kind: str,
                 left_width: int, right_width: int) -> None:
        self.left, self.right = left, right
        self.pred = pred
        self.kind = kind  # inner, left, right, full, cross
        self.lw, self.rw = left_width, right_width

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        right_rows = list(self.right.rows(ctx))
        pred = self.pred
        matched_right = [False] * len(right_rows) if self.kind in ("right", "full") else None
        lnull = (None,) * self.lw
        rnull = (None,) * self.rw
        for lrow in self.left.rows(ctx):
            hit = False
            for i, rrow in enumerate(right_rows):
                row = lrow + rrow
                if pred is None or pred(row, ctx) is True:
                    hit = True
                    if matched_right is not None:
                        matched_right[i] = True
                    yield row
            if not hit and self.kind in ("left", "full"):
                yield lrow + rnull
        if matched_right is not None:
            for i, rrow in enumerate(right_rows):
                if not matched_right[i]:
                    yield lnull + rrow

    def children(self) -> list[Operator]:
        return [self.left, self.right]


class HashJoin(Operator):
    """Equi-join: build a hash table on the right input, probe with the left."""

    label = "Hash Join"

    def title(self) -> str:
        return "Hash Left Join" if self.kind == "left" else "Hash Join"

    def __init__(self, left: Operator, right: Operator, left_keys: list[Fn],
                 right_keys: list[Fn], residual: Fn | None, kind: str,
                 left_width: int, right_width: int) -> None:
        self.left, self.right = left, right
        self.lk, self.rk = left_keys, right_keys
        self.residual = residual
        self.kind = kind
        self.lw, self.rw = left_width, right_width

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        table: dict[tuple, list[Row]] = {}
        rk = self.rk
        for rrow in self.right.rows(ctx):
            key = tuple(f(rrow, ctx) for f in rk)
            if any(k is None for k in key):
                continue
            table.setdefault(key, []).append(rrow)
        lk = self.lk
        residual = self.residual
        rnull = (None,) * self.rw
        for lrow in self.left.rows(ctx):
            key = tuple(f(lrow, ctx) for f in lk)
            hit = False
            if not any(k is None for k in key):
                for rrow in table.get(key, ()):
                    row = lrow + rrow
                    if residual is None or residual(row, ctx) is True:
                        hit = True
                        yield row
            if not hit and self.kind == "left":
                yield lrow + rnull

    def children(self) -> list[Operator]:
        return [self.left, self.right]


class _AggState:
    __slots__ = ("spec", "value", "count", "seen")

    def __init__(self, spec: AggSpec) -> None:
        self.spec = spec
        self.value: Any = None
        self.count = 0
        self.seen: set[Any] | None = set() if spec.distinct else None
        if spec.extra is not None:  # an AggImpl (sql/functions_aggregate.py) keeps its own state
            self.value = spec.extra.init()


class Aggregate(Operator):
    label = "Aggregate"

    def title(self) -> str:
        return "HashAggregate" if self.grouped else "Aggregate"

    def __init__(self, child: Operator, group_fns: list[Fn], aggs: list[AggSpec],
                 grouped: bool) -> None:
        self.child = child
        self.group_fns = group_fns
        self.aggs = aggs
        self.grouped = grouped

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        groups: dict[tuple, list[_AggState]] = {}
        gfns = self.group_fns
        aggs = self.aggs
        for row in self.child.rows(ctx):
            key = tuple(f(row, ctx) for f in gfns)
            states = groups.get(key)
            if states is None:
                states = groups[key] = [_AggState(a) for a in aggs]
            for st in states:
                _step(st, row, ctx)
        if not groups and not self.grouped:
            groups[()] = [_AggState(a) for a in aggs]
        for key, states in groups.items():
            yield key + tuple(_final(st) for st in states)

    def children(self) -> list[Operator]:
        return [self.child]


def _step(st: _AggState, row: Row, ctx: ExecContext) -> None:
    spec = st.spec
    if spec.extra is not None:
        spec.extra.step(st.value, row, ctx)
        return
    if spec.star:
        st.count += 1
        return
    vals = [a.fn(row, ctx) for a in spec.args]
    v = vals[0]
    if v is None:
        return
    if st.seen is not None:
        key = tuple(vals)
        if key in st.seen:
            return
        st.seen.add(key)
    name = spec.name
    st.count += 1
    if name == "count":
        return
    if name in ("sum", "avg"):
        st.value = v if st.value is None else st.value + v
    elif name == "min":
        if st.value is None or v < st.value:
            st.value = v
    elif name == "max":
        if st.value is None or v > st.value:
            st.value = v
    elif name == "string_agg":
        sep = vals[1] if len(vals) > 1 else ""
        st.value = v if st.value is None else st.value + (sep or "") + v
    elif name == "array_agg":
        if st.value is None:
            st.value = []
        st.value.append(v)
    elif name in ("bool_and", "every"):
        st.value = v if st.value is None else (st.value and v)
    elif name == "bool_or":
        st.value = v if st.value is None else (st.value or v)


def _final(st: _AggState) -> Any:
    spec = st.spec
    if spec.extra is not None:
        return spec.extra.final(st.value)
    if spec.name == "count":
        return st.count
    if st.value is None:
        return None
    if spec.name == "sum":
        if spec.type.oid == 20:
            return T.check_int(st.value, 20)
        if spec.type.oid == 1700:
            return Decimal(st.value)
        return st.value
    if spec.name == "avg":
        if spec.type.oid == 701:
            return st.value / st.count
        return T.numeric_div(Decimal(st.value), Decimal(st.count))
    return st.value


class Project(Operator):
    label = "Project"
    hidden = True

    def __init__(self, child: Operator, fns: list[Fn]) -> None:
        self.child = child
        self.fns = fns

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        fns = self.fns
        for row in self.child.rows(ctx):
            yield tuple(f(row, ctx) for f in fns)

    def children(self) -> list[Operator]:
        return [self.child]


class ProjectColumns(Operator):
    """Projection of plain columns only: one C-level itemgetter call per row."""

    label = "Project"
    hidden = True

    def __init__(self, child: Operator, indexes: list[int]) -> None:
        self.child = child
        self.indexes = indexes
        self.pick = key_getter(tuple(indexes))

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        pick = self.pick
        for row in self.child.rows(ctx):
            yield pick(row)

    def children(self) -> list[Operator]:
        return [self.child]


class Distinct(Operator):
    label = "Unique"

    def __init__(self, child: Operator, width: int) -> None:
        self.child = child
        self.width = width

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        seen: set[Row] = set()
        w = self.width
        for row in self.child.rows(ctx):
            key = row[:w]
            if key not in seen:
                seen.add(key)
                yield row

    def children(self) -> list[Operator]:
        return [self.child]


class Sort(Operator):
    """Stable multi-pass sort implementing ASC/DESC and NULLS FIRST/LAST."""

    label = "Sort"

    def __init__(self, child: Operator, keys: list[tuple[int, bool, bool]]) -> None:
        self.child = child
        self.keys = keys  # (column index, descending, nulls_first)

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        data = list(self.child.rows(ctx))
        for idx, desc, nulls_first in reversed(self.keys):
            nulls_last = not nulls_first
            null_key = (1 if nulls_last != desc else -1, 0)
            try:
                data.sort(key=lambda r, i=idx, nk=null_key: nk if r[i] is None else (0, r[i]),
                          reverse=desc)
            except TypeError as e:
                raise errors.DatatypeMismatch(f"could not compare values: {e}") from None
        yield from data

    def children(self) -> list[Operator]:
        return [self.child]


class Limit(Operator):
    label = "Limit"

    def __init__(self, child: Operator, limit: Fn | None, offset: Fn | None) -> None:
        self.child = child
        self.limit = limit
        self.offset = offset

    def bounds(self, ctx: ExecContext) -> tuple[int | None, int | None]:
        """(OFFSET, LIMIT) of this execution, checked as PostgreSQL does (None: absent/NULL)."""
        off = self.offset((), ctx) if self.offset else 0
        lim = self.limit((), ctx) if self.limit else None
        if off is not None and off < 0:
            raise errors.DBError("OFFSET must not be negative", "2201X")
        if lim is not None and lim < 0:
            raise errors.DBError("LIMIT must not be negative", "2201W")
        return off, lim

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        off, lim = self.bounds(ctx)
        it = self.child.rows(ctx)
        yield from itertools.islice(it, off or 0, None if lim is None else (off or 0) + lim)

    def children(self) -> list[Operator]:
        return [self.child]


class Strip(Operator):
    """Drop hidden trailing columns (sort keys not in the select list)."""

    label = "Result"
    hidden = True

    def __init__(self, child: Operator, width: int) -> None:
        self.child = child
        self.width = width

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        w = self.width
        for row in self.child.rows(ctx):
            yield row[:w]

    def children(self) -> list[Operator]:
        return [self.child]


class Append(Operator):
    """UNION ALL; with ``distinct`` it becomes UNION."""

    label = "Append"

    def __init__(self, inputs: list[Operator], distinct: bool) -> None:
        self.inputs = inputs
        self.distinct = distinct

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        seen: set[Row] = set()
        for child in self.inputs:
            for row in child.rows(ctx):
                if self.distinct:
                    if row in seen:
                        continue
                    seen.add(row)
                yield row

    def children(self) -> list[Operator]:
        return list(self.inputs)
