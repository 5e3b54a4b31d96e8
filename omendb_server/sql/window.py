"""Window functions: ``f(...) OVER (PARTITION BY ... ORDER BY ... frame)``.

``WindowAgg`` reads all its input rows, and for each window (grouped by identical
PARTITION BY/ORDER BY so one sort serves several) sorts row positions, walks each
partition and computes one value per row, then yields every input row followed by
its window values. Expressions read those values by position (``WindowRefs``).

Frames follow PostgreSQL: the default is ``RANGE BETWEEN UNBOUNDED PRECEDING AND
CURRENT ROW`` with ORDER BY (so the frame ends at the current row's last peer) and the
whole partition without; ROWS/RANGE/GROUPS with offsets and EXCLUDE are supported.
Aggregates over a frame that only grows (the default) are computed incrementally.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.datatypes.interval import Interval
from omendb_server.sql import operators as ops
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import AggContext, AggSpec, CExpr, ExprCompiler, Fn, Scope

if TYPE_CHECKING:
    from omendb_server.sql.planner import Planner

Row = tuple[Any, ...]

RANKING = {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"}
VALUE = {"lag", "lead", "first_value", "last_value", "nth_value"}
WINDOW_ONLY = RANKING | VALUE


@dataclass
class Frame:
    mode: str = "range"  # rows / range / groups
    start: str = "unbounded_preceding"  # unbounded_preceding/preceding/current/following
    start_off: Fn | None = None
    end: str = "current"  # current/preceding/following/unbounded_following
    end_off: Fn | None = None
    exclude: str = ""  # "", current, group, ties
    default: bool = True


@dataclass
class WindowFunc:
    name: str
    args: list[Fn]
    type: Any
    agg: AggSpec | None = None


@dataclass
class WindowDef:
    partition: list[Fn]
    order: list[tuple[Fn, bool, bool]]  # fn, desc, nulls_first
    frame: Frame
    funcs: list[tuple[int, WindowFunc]] = field(default_factory=list)  # (value slot, func)
    text: str = ""


class WindowRefs:
    """Where window values sit in a row: after ``base`` columns (set once known)."""

    def __init__(self) -> None:
        self.base = 0
        self.count = 0

    def ref(self, slot: int) -> Fn:
        refs = self

        def read(r: Row, c: ExecContext) -> Any:
            return r[refs.base + slot]

        return read


def _sort_positions(rows: list[Row], idxs: list[int], keys: list[tuple[list[Any], bool, bool]]
                    ) -> list[int]:
    """Stable multi-pass sort of row positions by precomputed key columns."""
    out = list(idxs)
    for values, desc, nulls_first in reversed(keys):
        null_key = (1 if (not nulls_first) != desc else -1, 0)
        try:
            out.sort(key=lambda i, v=values, nk=null_key: nk if v[i] is None else (0, v[i]),
                     reverse=desc)
        except TypeError as e:
            raise errors.DatatypeMismatch(f"could not compare values: {e}") from None
    return out


class WindowAgg(ops.Operator):
    label = "WindowAgg"

    def __init__(self, child: ops.Operator, windows: list[WindowDef], nvalues: int) -> None:
        self.child = child
        self.windows = windows
        self.nvalues = nvalues

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        rows = list(self.child.rows(ctx))
        n = len(rows)
        values: list[list[Any]] = [[None] * self.nvalues for _ in range(n)]
        order = list(range(n))
        for w in self.windows:
            order = self._compute(w, rows, values, ctx)
        for i in order:
            yield rows[i] + tuple(values[i])

    def children(self) -> list[ops.Operator]:
        return [self.child]

    def _compute(self, w: WindowDef, rows: list[Row], values: list[list[Any]],
                 ctx: ExecContext) -> list[int]:
        n = len(rows)
        pvals = [[f(r, ctx) for r in rows] for f in w.partition]
        ovals = [[f(r, ctx) for r in rows] for f, _, _ in w.order]
        keys = [(v, False, False) for v in pvals] + [
            (v, desc, nf) for v, (_, desc, nf) in zip(ovals, w.order)]
        order = _sort_positions(rows, list(range(n)), keys) if keys else list(range(n))
        pkeys = list(zip(*pvals)) if pvals else None
        okeys = list(zip(*ovals)) if ovals else None
        start = 0
        while start < n:
            end = start + 1
            if pkeys is not None:
                pk = pkeys[order[start]]
                while end < n and pkeys[order[end]] == pk:
                    end += 1
            else:
                end = n
            self._partition(w, rows, order[start:end], ovals, okeys, values, ctx)
            start = end
        return order

    def _partition(self, w: WindowDef, rows: list[Row], part: list[int], ovals: list[list[Any]],
                   okeys: list[tuple[Any, ...]] | None, values: list[list[Any]],
                   ctx: ExecContext) -> None:
        n = len(part)
        # peer groups: positions with equal ORDER BY values
        group_of = [0] * n
        group_start: list[int] = [0]
        if okeys is not None:
            for k in range(1, n):
                if okeys[part[k - 1]] != okeys[part[k]]:
                    group_start.append(k)
                group_of[k] = len(group_start) - 1
        group_end = group_start[1:] + [n]  # exclusive
        for slot, fn in w.funcs:
            name = fn.name
            if name in RANKING:
                self._ranking(fn, part, group_of, group_start, group_end, values, slot, rows, ctx)
            elif name in ("lag", "lead"):
                for k, i in enumerate(part):
                    row = rows[i]
                    off = fn.args[1](row, ctx) if len(fn.args) > 1 else 1
                    if off is None:
                        values[i][slot] = None
                        continue
                    j = k - off if name == "lag" else k + off
                    if 0 <= j < n:
                        values[i][slot] = fn.args[0](rows[part[j]], ctx)
                    else:
                        values[i][slot] = fn.args[2](row, ctx) if len(fn.args) > 2 else None
            else:
                self._framed(w, fn, part, ovals, group_of, group_start, group_end, values,
                             slot, rows, ctx)

    @staticmethod
    def _ranking(fn: WindowFunc, part: list[int], group_of: list[int], group_start: list[int],
                 group_end: list[int], values: list[list[Any]], slot: int, rows: list[Row],
                 ctx: ExecContext) -> None:
        n = len(part)
        name = fn.name
        if name == "ntile":
            buckets = fn.args[0](rows[part[0]], ctx) if n else None
            if buckets is not None and buckets <= 0:
                raise errors.DBError("argument of ntile must be greater than zero", "22014")
        for k, i in enumerate(part):
            g = group_of[k]
            if name == "row_number":
                v: Any = k + 1
            elif name == "rank":
                v = group_start[g] + 1
            elif name == "dense_rank":
                v = g + 1
            elif name == "percent_rank":
                v = 0.0 if n <= 1 else group_start[g] / (n - 1)
            elif name == "cume_dist":
                v = group_end[g] / n
            else:  # ntile
                if buckets is None:
                    v = None
                else:
                    size, extra = divmod(n, buckets)
                    big = extra * (size + 1)
                    v = k // (size + 1) + 1 if k < big else (k - big) // size + 1 + extra \
                        if size else k + 1
            values[i][slot] = v

    def _framed(self, w: WindowDef, fn: WindowFunc, part: list[int], ovals: list[list[Any]],
                group_of: list[int], group_start: list[int], group_end: list[int],
                values: list[list[Any]], slot: int, rows: list[Row], ctx: ExecContext) -> None:
        n = len(part)
        fr = w.frame
        has_order = bool(w.order)
        if fn.agg is not None and fr.default and not fr.exclude:
            # running aggregate: the frame only grows, one step per row
            st = _new_state(fn.agg)
            done = 0
            whole = not has_order
            for k, i in enumerate(part):
                end = n if whole else group_end[group_of[k]]
                while done < end:
                    _step(st, rows[part[done]], ctx)
                    done += 1
                values[i][slot] = _final(st)
            return
        desc = bool(w.order) and w.order[0][1]
        # a frame starting at UNBOUNDED PRECEDING only grows: aggregate incrementally
        growing = fn.agg is not None and fr.start == "unbounded_preceding" and not fr.exclude
        st = _new_state(fn.agg) if growing else None
        done = 0
        if not n:
            return
        bounds = self._bounder(fr, n, part, ovals, group_of, group_start, group_end,
                               rows[part[0]], ctx, has_order, desc)
        for k, i in enumerate(part):
            lo, hi = bounds(k)
            if growing:
                while done < hi:
                    _step(st, rows[part[done]], ctx)
                    done += 1
                values[i][slot] = _final(st)
                continue
            if fr.exclude:
                members = [j for j in range(lo, hi) if not self._excluded(fr, j, k, group_of)]
            else:
                members = range(lo, hi)  # type: ignore[assignment]
            if fn.agg is not None:
                agg_state = _new_state(fn.agg)
                for j in members:
                    _step(agg_state, rows[part[j]], ctx)
                values[i][slot] = _final(agg_state)
                continue
            arg = fn.args[0]
            if fn.name == "first_value":
                values[i][slot] = arg(rows[part[members[0]]], ctx) if members else None
            elif fn.name == "last_value":
                values[i][slot] = arg(rows[part[members[-1]]], ctx) if members else None
            else:  # nth_value
                nth = fn.args[1](rows[i], ctx)
                if nth is not None and nth <= 0:
                    raise errors.DBError("argument of nth_value must be greater than zero",
                                         "22016")
                values[i][slot] = (arg(rows[part[members[nth - 1]]], ctx)
                                   if nth is not None and nth <= len(members) else None)

    @staticmethod
    def _excluded(fr: Frame, j: int, k: int, group_of: list[int]) -> bool:
        if not fr.exclude:
            return False
        if fr.exclude == "current":
            return j == k
        if fr.exclude == "group":
            return group_of[j] == group_of[k]
        return group_of[j] == group_of[k] and j != k  # ties

    @staticmethod
    def _bounder(fr: Frame, n: int, part: list[int], ovals: list[list[Any]],
                 group_of: list[int], group_start: list[int], group_end: list[int], row: Row,
                 ctx: ExecContext, has_order: bool, desc: bool) -> Any:
        """A function: position in the partition → its frame [lo, hi). Frame offsets
        cannot read the row (PostgreSQL forbids variables there), so they are evaluated
        once per partition."""

        def offset(f: Fn | None) -> Any:
            v = f(row, ctx) if f is not None else None
            if v is None:
                raise errors.DBError("frame starting offset must not be null", "22004")
            if (v.sort_key() if isinstance(v, Interval) else v) < 0:
                raise errors.DBError("frame starting offset must not be negative", "22013")
            return v

        ngroups = len(group_start)

        def side(kind: str, off_fn: Fn | None, is_start: bool) -> Any:
            if kind == "unbounded_preceding":
                return lambda k: 0
            if kind == "unbounded_following":
                return lambda k: n
            if fr.mode == "rows":
                if kind == "current":
                    return (lambda k: k) if is_start else (lambda k: k + 1)
                d = offset(off_fn)
                delta = -d if kind == "preceding" else d
                if not is_start:
                    delta += 1
                return lambda k: max(0, min(n, k + delta))
            if not has_order:
                return (lambda k: 0) if is_start else (lambda k: n)
            if fr.mode == "groups" or kind == "current":
                gd = 0
                if kind != "current":
                    d = offset(off_fn)
                    gd = -d if kind == "preceding" else d

                def by_group(k: int) -> int:
                    g = group_of[k] + gd
                    if g < 0:
                        return 0
                    if g >= ngroups:
                        return n
                    return group_start[g] if is_start else group_end[g]

                return by_group
            # RANGE with an offset: compare the (single) ORDER BY value
            d = offset(off_fn)
            vals = ovals[0]
            sign = -1 if kind == "preceding" else 1
            if desc:
                sign = -sign
            norm = _as_datetime if isinstance(d, Interval) else (lambda x: x)

            def by_value(k: int) -> int:
                cur = vals[part[k]]
                if cur is None:
                    g = group_of[k]
                    return group_start[g] if is_start else group_end[g]
                target = _shift(cur, d, sign)
                if is_start:
                    for j in range(n):
                        v = vals[part[j]]
                        if v is not None and (norm(v) <= target if desc else norm(v) >= target):
                            return j
                    return n
                last = 0
                for j in range(n):
                    v = vals[part[j]]
                    if v is not None and (norm(v) >= target if desc else norm(v) <= target):
                        last = j + 1
                return last

            return by_value

        lo_fn = side(fr.start, fr.start_off, True)
        hi_fn = side(fr.end, fr.end_off, False)

        def bounds(k: int) -> tuple[int, int]:
            lo = lo_fn(k)
            hi = hi_fn(k)
            return lo, max(lo, hi)

        return bounds


def _as_datetime(v: Any) -> Any:
    """A date as midnight of its day (RANGE offsets of dates are intervals)."""
    from omendb_server.datatypes.far_dates import FarDate
    from omendb_server.sql.functions_datetime import date_to_timestamp

    if type(v) is _dt.date or type(v) is FarDate:
        return date_to_timestamp(v)
    return v


def _shift(v: Any, off: Any, sign: int) -> Any:
    """``v ± off`` for RANGE offsets: numbers, or dates/timestamps with an interval."""
    if isinstance(off, Interval):
        from omendb_server.sql.functions_datetime import ts_plus_interval

        return ts_plus_interval(_as_datetime(v), off if sign > 0 else -off)
    return v + off if sign > 0 else v - off


# -- aggregate states (the row path's aggregates, reused) ----------------------------------
def _new_state(spec: AggSpec) -> Any:
    return ops._AggState(spec)


def _step(st: Any, row: Row, ctx: ExecContext) -> None:
    ops._step(st, row, ctx)


def _final(st: Any) -> Any:
    v = ops._final(st)
    return list(v) if isinstance(v, list) else v


# -- planning ---------------------------------------------------------------------------------
class WindowPlanner:
    """Collects the window calls of one SELECT while its expressions are compiled."""

    def __init__(self, planner: Planner, named: dict[str, exp.Window]) -> None:
        self.planner = planner
        self.named = named
        self.defs: list[WindowDef] = []
        self.refs = WindowRefs()
        self.order_types: list[Any] = []

    def compile(self, node: exp.Window, base: ExprCompiler) -> CExpr:
        func = node.this
        node = self._resolve_named(node)
        call = func.this if isinstance(func, exp.Filter) else func  # agg FILTER (WHERE ..)
        name = ExprCompiler._func_name(call)
        if isinstance(call.args.get("this"), exp.Order) or any(
                isinstance(a, exp.Order) for a in call.expressions):
            raise errors.FeatureNotSupported(
                "aggregate ORDER BY is not implemented for window functions")
        from omendb_server.sql.joins import _function_args

        arg_nodes = _function_args(call) if not isinstance(call, exp.RowNumber) else []
        agg_spec: AggSpec | None = None
        if name in ("logical_and", "logical_or"):
            name = "bool_and" if name == "logical_and" else "bool_or"
            func = exp.Anonymous(this=name, expressions=arg_nodes)
        if name in ("rank", "dense_rank", "percent_rank", "cume_dist") and arg_nodes:
            raise errors.DBError(f"WITHIN GROUP is required for ordered-set aggregate {name}",
                                 "42809")
        if isinstance(call, exp.RowNumber):
            arg_nodes = [v for v in call.args.values() if isinstance(v, exp.Expression)]
        if name == "row_number" and arg_nodes or \
                name in ("first_value", "last_value") and len(arg_nodes) != 1:
            args0 = [base.compile(a) for a in arg_nodes]
            raise errors.UndefinedFunction(
                f"function {name}({', '.join(T.type_label(a.type) for a in args0)}) "
                "does not exist")
        if isinstance(call, exp.Func) and isinstance(call.args.get("this"), exp.Distinct):
            raise errors.FeatureNotSupported("DISTINCT is not implemented for window functions")
        if name in WINDOW_ONLY:
            args = [base.compile(a) for a in arg_nodes]
            rtype, fns = self._typed(name, args, base)
        else:
            if not _is_aggregate(name):
                base.compile(func)  # an unknown function reports 42883 here
                raise errors.DBError(
                    f"OVER specified, but {name} is not a window function nor an aggregate "
                    "function", "42809")
            tmp = ExprCompiler(self.planner, Scope(), AggContext([], [], input=base))
            ce = tmp.compile(func)
            if not tmp.agg.aggs:  # type: ignore[union-attr]
                raise errors.DBError(
                    f"OVER specified, but {name} is not a window function nor an aggregate "
                    "function", "42809")
            agg_spec = tmp.agg.aggs[0]  # type: ignore[union-attr]
            rtype, fns = ce.type, []
        partition = [base.compile(p).fn for p in node.args.get("partition_by") or []]
        order: list[tuple[Fn, bool, bool]] = []
        order_node = node.args.get("order")
        self.order_types = []
        for o in order_node.expressions if order_node is not None else []:
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            key = base.compile(o.this)
            self.order_types.append(key.type)
            order.append((key.fn, desc, desc if nf is None else bool(nf)))
        frame = self._frame(node.args.get("spec"), base, bool(order))
        slot = self.refs.count
        self.refs.count += 1
        fn = WindowFunc(name, fns, rtype, agg_spec)
        key = self._key(node)
        for d in self.defs:
            if d.text == key:
                d.funcs.append((slot, fn))
                break
        else:
            self.defs.append(WindowDef(partition, order, frame, [(slot, fn)], key))
        return CExpr(self.refs.ref(slot), rtype, -1, name if name != "group_concat" else
                     "string_agg")

    @staticmethod
    def _key(node: exp.Window) -> str:
        parts = [exp.Tuple(expressions=list(node.args.get("partition_by") or [])).sql(),
                 node.args["order"].sql() if node.args.get("order") is not None else "",
                 node.args["spec"].sql() if node.args.get("spec") is not None else ""]
        return "|".join(parts)

    def _resolve_named(self, node: exp.Window) -> exp.Window:
        alias = node.args.get("alias")
        if alias is None:
            return node
        ref = self.named.get(alias.name)
        if ref is None:
            raise errors.DBError(f'window "{alias.name}" does not exist', "42704")
        if ref.args.get("alias") is not None and ref.args["alias"].name != alias.name:
            ref = self._resolve_named(ref)  # WINDOW w2 AS (w ORDER BY ...)
        merged = node.copy()
        for k in ("partition_by", "order", "spec"):
            if not merged.args.get(k) and ref.args.get(k):
                merged.set(k, ref.args[k].copy() if not isinstance(ref.args[k], list)
                           else [x.copy() for x in ref.args[k]])
        merged.set("alias", None)
        return merged

    def _typed(self, name: str, args: list[CExpr], base: ExprCompiler) -> tuple[Any, list[Fn]]:
        if name in ("row_number", "rank", "dense_rank"):
            return T.INT8, []
        if name in ("percent_rank", "cume_dist"):
            return T.FLOAT8, []
        if name == "ntile":
            if len(args) != 1:
                raise errors.UndefinedFunction("function ntile() does not exist")
            return T.INT4, [base.coerce(args[0], T.INT4).fn]
        if not args:
            raise errors.UndefinedFunction(f"function {name}() does not exist")
        value = args[0]
        if value.type.oid == 705:
            value = base.coerce(value, T.TEXT)
        fns = [value.fn]
        if name in ("lag", "lead"):
            if len(args) > 1:
                fns.append(base.coerce(args[1], T.INT4).fn)
            if len(args) > 2:
                if len(args) == 2:
                    pass
                default = args[2]
                if default.type.oid != value.type.oid:
                    default = base.coerce(default, value.type)
                fns.append(default.fn)
        elif name == "nth_value":
            if len(args) != 2:
                raise errors.UndefinedFunction("function nth_value() does not exist")
            fns.append(base.coerce(args[1], T.INT4).fn)
        return value.type, fns

    def _frame(self, spec: exp.Expression | None, base: ExprCompiler, ordered: bool) -> Frame:
        if spec is None:
            return Frame()
        mode = str(spec.args.get("kind") or "range").lower()
        fr = Frame(mode=mode, default=False)

        def side(value: Any, which: Any, is_start: bool) -> tuple[str, Fn | None]:
            text = value if isinstance(value, str) else None
            if text is not None:
                t = text.upper()
                if t == "UNBOUNDED":
                    return ("unbounded_preceding" if str(which).lower() == "preceding"
                            else "unbounded_following"), None
                if t == "CURRENT ROW":
                    return "current", None
            if value is None:
                return "current", None
            off = base.compile(value)
            if mode in ("rows", "groups"):
                off = base.coerce(off, T.INT8)
            elif not ordered:
                raise errors.DBError(
                    "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY "
                    "column", "42P20")
            return str(which).lower(), off.fn

        if mode == "range" and ordered and self.order_types and any(
                not isinstance(x, str) or x.upper() not in ("UNBOUNDED", "CURRENT ROW")
                for x in (spec.args.get("start"), spec.args.get("end")) if x is not None):
            t = self.order_types[0]
            if not (T.is_numeric(t) or t.oid in (1082, 1083, 1114, 1184, 1186, 1266)):
                raise errors.FeatureNotSupported(
                    "RANGE with offset PRECEDING/FOLLOWING is not supported for column type "
                    f"{T.type_label(t)}")
        fr.start, fr.start_off = side(spec.args.get("start"), spec.args.get("start_side"), True)
        if spec.args.get("end") is None:
            fr.end, fr.end_off = "current", None
        else:
            fr.end, fr.end_off = side(spec.args.get("end"), spec.args.get("end_side"), False)
        if fr.start == "unbounded_following":
            raise errors.DBError("frame start cannot be UNBOUNDED FOLLOWING", "42P20")
        if fr.end == "unbounded_preceding":
            raise errors.DBError("frame end cannot be UNBOUNDED PRECEDING", "42P20")
        if fr.start == "current" and fr.end == "preceding":
            raise errors.DBError("frame starting from current row cannot have preceding rows",
                                 "42P20")
        if fr.start == "following" and fr.end in ("preceding", "current"):
            raise errors.DBError("frame starting from following row cannot have preceding "
                                 "rows", "42P20")
        exclude = spec.args.get("exclude")
        if exclude is not None:
            word = (exclude.name if isinstance(exclude, exp.Expression) else str(exclude)).upper()
            fr.exclude = {"CURRENT ROW": "current", "GROUP": "group", "TIES": "ties"}.get(word, "")
        if fr.mode == "range" and fr.start == "unbounded_preceding" and fr.end == "current" \
                and not fr.exclude:
            fr.default = True
        return fr


def _is_aggregate(name: str) -> bool:
    from omendb_server.sql.expr import AGGREGATES

    try:
        from omendb_server.sql.functions_aggregate import NAMES
    except ImportError:  # pragma: no cover - older tree
        NAMES = set()
    return name in AGGREGATES or name in NAMES or name in ("bool_and", "bool_or")


def contains_window(node: exp.Expression) -> bool:
    for sub in node.walk():
        if isinstance(sub, exp.Window) and not _in_subquery(sub, node):
            return True
    return False


def _in_subquery(sub: exp.Expression, top: exp.Expression) -> bool:
    if sub is top:
        return False
    p = sub.parent
    while p is not None and p is not top:
        if isinstance(p, (exp.Subquery, exp.Select)):
            return True
        p = p.parent
    return False


__all__ = ["WindowAgg", "WindowPlanner", "contains_window"]
