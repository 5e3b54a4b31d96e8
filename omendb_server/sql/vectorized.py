"""Vectorized aggregation over a table's checkpointed (base) rows.

Why: an analytical query (``SELECT flag, sum(price * (1 - disc)) ... WHERE shipdate <= ...
GROUP BY flag``) over millions of rows spends microseconds per row in the row path's
closures. The base keeps those rows as Arrow arrays, so the WHERE mask and the aggregate
arguments are computed a column at a time with numpy, and the per-group sums in one compiled
(numba) loop per aggregate.

Exactness: ``numeric(p,s)`` columns with ``p <= 18`` are read as scaled int64 (see
``storage/base.py``) and arithmetic keeps PostgreSQL's scales (``+``/``-``: the larger scale,
``*``: the sum of scales), so sums are exact integers; an int64 overflow abandons the
vectorized attempt for that execution and the row path runs instead (``_Fallback``).

Correctness with MVCC: only base rows that are live and visible to the snapshot count. The
group results *seed the row path's own aggregate states*, which then step over the visible
delta rows and finalize exactly as ``operators.Aggregate`` does, so both paths return the
same values, types and scales.

What compiles (anything else keeps the row ``Aggregate``, decided at plan time): one user
table with no joins, scanned sequentially; group keys that are plain columns; count/sum/avg/
min/max without DISTINCT, FILTER or ORDER BY; a WHERE of comparisons, BETWEEN, IN lists,
IS [NOT] NULL, [NOT] LIKE 'abc%' / '%abc' / '%abc%' / 'abc' on text, AND/OR/NOT over columns,
literals, parameters and +, -, * of them.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import AggSpec, Scope
from omendb_server.txn.visibility import is_visible

Row = tuple[Any, ...]
log = logging.getLogger("omendb.executor")

_EPOCH = _dt.date(1970, 1, 1)
_NUMERIC_KINDS = ("int", "dec", "float")
_VECTOR_AGGS = ("count", "sum", "avg", "min", "max")
#: Below this many live base rows the row path is as fast and needs no arrays.
MIN_BASE_ROWS = 2048


class _Fallback(Exception):
    """This execution cannot be vectorized exactly (overflow, an unexpected type...)."""


class Vec:
    """A column-at-a-time value: ``data`` (numpy array, or a Python scalar for constants),
    ``valid`` (bool array, None = no NULLs) and its kind: int, dec (scaled int64 with
    ``scale`` digits), float, date (int days), text (Arrow array), bool."""

    __slots__ = ("blank_padded", "bound", "data", "int_width", "kind", "scale", "valid")

    def __init__(self, kind: str, data: Any, valid: Any = None, scale: int = 0,
                 int_width: int = 8) -> None:
        self.kind = kind
        self.data = data
        self.valid = valid
        self.scale = scale
        self.int_width = int_width
        #: char(n): comparisons ignore trailing spaces, as PostgreSQL's bpchar does
        self.blank_padded = False
        #: An upper bound of |value| (ints/decimals), known without looking at the rows:
        #: lets arithmetic skip overflow checks. None = unknown.
        self.bound: int | None = abs(data) if isinstance(data, int) else None


class Bool3:
    """A three-valued boolean vector: true where ``value & known``; NULL where not known."""

    __slots__ = ("known", "value")

    def __init__(self, value: np.ndarray, known: np.ndarray | None) -> None:
        self.value = value
        self.known = known

    def true(self) -> np.ndarray:
        return self.value if self.known is None else self.value & self.known


# -- plan-time check ------------------------------------------------------------------------------
class _Unsupported(Exception):
    pass


_CONST_NODES = (exp.Literal, exp.Null, exp.Boolean, exp.Placeholder, exp.Parameter, exp.Cast,
                exp.Interval, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Paren,
                exp.CurrentDate, exp.CurrentTimestamp)


def _is_constant(node: exp.Expression) -> bool:
    """No column, subquery or volatile function below: one value per execution."""
    return all(isinstance(n, (*_CONST_NODES, exp.DataType, exp.Var)) for n in node.walk())


class _Checker:
    """Plan-time check of the vectorizable subset; compiles constant subtrees (literals,
    parameters, casts, interval arithmetic) with the row compiler so they evaluate to one
    Python value per execution."""

    def __init__(self, scope: Scope, oid: int, compile_fn: Callable[[exp.Expression], Any],
                 allow: Callable[[int], bool] | None = None) -> None:
        self.scope = scope
        self.oid = oid
        self.compile_fn = compile_fn
        self.consts: dict[int, Any] = {}
        #: which scope columns may be read (default: those of table ``oid``)
        self.allow = allow or (lambda i: scope.columns[i].table_oid == oid)

    def check(self, node: exp.Expression) -> None:
        if isinstance(node, exp.Paren):
            return self.check(node.this)
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                raise _Unsupported
            i = self.scope.find(node.name, node.table or None)
            if i is None or not self.allow(i):
                raise _Unsupported
            return None
        if _is_constant(node):
            self.consts[id(node)] = self.compile_fn(node)
            return None
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.EQ, exp.NEQ, exp.LT, exp.LTE,
                             exp.GT, exp.GTE, exp.And, exp.Or)):
            self.check(node.left)
            self.check(node.right)
            return None
        if isinstance(node, (exp.Not, exp.Neg)):
            return self.check(node.this)
        if isinstance(node, exp.Between):
            for part in (node.this, node.args["low"], node.args["high"]):
                self.check(part)
            return None
        if isinstance(node, exp.In):
            if node.args.get("query") is not None or node.args.get("unnest") is not None:
                raise _Unsupported
            self.check(node.this)
            for e in node.expressions:
                if not _is_constant(e):
                    raise _Unsupported
                self.check(e)
            return None
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return self.check(node.this)
        if isinstance(node, exp.Like) and isinstance(node.expression, exp.Literal) \
                and node.expression.is_string and _like_kind(node.expression.this) is not None:
            self.check(node.this)
            col = node.this.unnest() if isinstance(node.this, exp.Paren) else node.this
            if not isinstance(col, exp.Column):
                raise _Unsupported
            i = self.scope.find(col.name, col.table or None)
            if i is None or self.scope.columns[i].type.oid not in (25, 1043):
                raise _Unsupported  # text/varchar only (char(n) keeps its blanks)
            return None
        raise _Unsupported


def vector_aggregate(planner: Any, node: exp.Select, source: ops.Operator, scope: Scope,
                     agg: Any) -> VectorAggregate | None:
    """A VectorAggregate for this SELECT's aggregation if it is in the supported subset,
    else None (the caller keeps ``operators.Aggregate``)."""
    if node.args.get("joins") or node.args.get("locks"):
        return None
    from_ = node.args.get("from_") or node.args.get("from")
    if from_ is None or not isinstance(from_.this, exp.Table):
        return None
    scan = source.child if isinstance(source, ops.Filter) else source
    if type(scan) is not ops.SeqScan:
        return None
    table = planner.catalog.tables.get(scan.table_oid)
    if table is None or len(scope.columns) != len(table.columns):
        return None
    oid = table.oid
    if any(c.table_oid != oid or c.attnum != i + 1 for i, c in enumerate(scope.columns)):
        return None
    group_cols: list[int] = []
    for g in agg.group_exprs:
        if g.col_index is None:
            return None
        group_cols.append(g.col_index)
    where = node.args.get("where")
    cond = where.this if where is not None else None
    from omendb_server.sql.qcompiler import QueryCompiler

    compiler = QueryCompiler(planner, scope)
    checker = _Checker(scope, oid, lambda n: compiler.compile(n).fn)
    try:
        arg_nodes = aggregate_args(agg, checker)
        if arg_nodes is None:
            return None
        if cond is not None:
            checker.check(cond)
    except (_Unsupported, errors.DBError):
        return None
    # the WHERE the row path applies to delta rows, compiled as the planner does
    pred = compiler.boolean(cond).fn if cond is not None else None
    return VectorAggregate(source, [g.fn for g in agg.group_exprs], agg.aggs,
                           bool(agg.group_nodes), oid, group_cols, cond, arg_nodes, pred, scope,
                           checker.consts)


def aggregate_args(agg: Any, checker: _Checker) -> list[exp.Expression | None] | None:
    """Each aggregate's argument (None for ``count(*)``), checked; None if an aggregate is
    outside the vectorized subset. Raises _Unsupported for an argument it cannot take."""
    arg_nodes: list[exp.Expression | None] = []
    for spec in agg.aggs:
        if spec.name not in _VECTOR_AGGS or spec.extra is not None or spec.distinct:
            return None
        call = getattr(spec, "node", None)
        if spec.star:
            arg_nodes.append(None)
            continue
        if call is None or len(spec.args) != 1:
            return None
        arg = call.this
        if isinstance(arg, exp.Distinct) or arg is None:
            return None
        checker.check(arg)
        arg_nodes.append(arg)
    return arg_nodes


# -- run time ---------------------------------------------------------------------------------------
class _Columns:
    """Arrays of one base for the vector evaluator, converted once per base and cached."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self._vecs: dict[int, Vec] = {}
        self._codes: dict[int, tuple[np.ndarray, int, np.ndarray]] = {}
        self._gids: dict[tuple[int, ...], tuple[np.ndarray, int, list[np.ndarray]]] = {}
        self._max_begin: int | None = None

    @property
    def n(self) -> int:
        return int(self.base.n)

    def column(self, i: int, type_oid: int = 0) -> Vec:
        v = self._vecs.get(i)
        if v is None:
            v = self._vecs[i] = _column_vec(self.base.column(i))
            v.blank_padded = type_oid == 1042
        return v

    def max_begin(self) -> int:
        if self._max_begin is None:
            self._max_begin = int(self.base.begins.max()) if self.base.n else 0
        return self._max_begin

    def group_ids(self, group_cols: tuple[int, ...]) -> tuple[np.ndarray, int, list[np.ndarray]]:
        """(dense group id per row, number of ids, representative rows per column's codes),
        cached: the base's values never change, only its live mask."""
        got = self._gids.get(group_cols)
        if got is None:
            n_groups = 1
            gid = np.zeros(self.base.n, dtype=np.int64)
            reps: list[np.ndarray] = []
            for col in group_cols:
                codes, k, first = self.codes(col)
                if n_groups * k > 1 << 24:
                    raise _Fallback("too many group combinations for dense ids")
                gid = gid * k + codes
                n_groups *= k
                reps.append(first)
            got = self._gids[group_cols] = (gid, n_groups, reps)
        return got

    def codes(self, i: int) -> tuple[np.ndarray, int, np.ndarray]:
        """(code per row, number of codes, one row position per code): NULL has its own code."""
        got = self._codes.get(i)
        if got is None:
            arr = self.base.column(i)
            enc = pc.dictionary_encode(arr)
            idx = enc.indices
            k = len(enc.dictionary)
            codes = np.asarray(idx.fill_null(k), dtype=np.int64)
            n_codes = k + (1 if idx.null_count else 0)
            first = np.full(n_codes, -1, dtype=np.int64)
            # one representative row per code (the first); reversed assignment keeps the first
            first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1, dtype=np.int64)
            got = self._codes[i] = (codes, n_codes, first)
        return got


def _column_vec(arr: pa.Array) -> Vec:
    at = arr.type
    valid = np.asarray(arr.is_valid()) if arr.null_count else None
    if pa.types.is_integer(at):
        # int64 always: numpy would wrap int32 arithmetic silently
        data = np.asarray(arr.fill_null(0) if valid is not None else arr, dtype=np.int64)
        v = Vec("int", data, valid, int_width=at.bit_width // 8)
        v.bound = _abs_max(data)
        return v
    if pa.types.is_floating(at):
        data = np.asarray(arr.fill_null(0) if valid is not None else arr, dtype=np.float64)
        if np.isnan(data).any():
            raise _Fallback("NaN compares above every number in PostgreSQL, not in numpy")
        return Vec("float", data, valid)
    if pa.types.is_decimal128(at) and at.precision <= 18:
        words = np.frombuffer(arr.buffers()[1], dtype=np.int64)
        # contiguous once per base: every later numpy operation on it is faster
        data = np.ascontiguousarray(words[2 * arr.offset:2 * (arr.offset + len(arr)):2])
        if valid is not None:
            data = np.where(valid, data, 0)
        v = Vec("dec", data, valid, scale=at.scale)
        v.bound = _abs_max(data)
        return v
    if pa.types.is_date32(at):
        return Vec("date", np.asarray(arr.cast(pa.int32()).fill_null(0)), valid)
    if pa.types.is_string(at):
        return Vec("text", arr, valid)
    if pa.types.is_boolean(at):
        return Vec("bool", np.asarray(arr.fill_null(False)), valid)
    raise _Fallback(f"column type {at}")


def _like_kind(pattern: str) -> str | None:
    """The shape of a LIKE pattern taken here: equal, prefix, suffix or substring (at most
    a leading and a trailing %, no _ and no escapes); None for any other pattern."""
    if "_" in pattern or "\\" in pattern:
        return None
    starts, ends = pattern.startswith("%"), pattern.endswith("%")
    core = pattern.strip("%")
    if "%" in core:
        return None
    if not core:
        return "all" if starts else "equal"
    return {(True, True): "substring", (True, False): "suffix", (False, True): "prefix",
            (False, False): "equal"}[(starts, ends)]


def _like_mask(arr: pa.Array, pattern: str) -> pa.Array:
    """``arr LIKE pattern`` for the patterns ``_like_kind`` takes (case-sensitive, whole
    value, as the row path's regular expression)."""
    kind = _like_kind(pattern)
    core = pattern.strip("%")
    if kind == "all":
        return pc.is_valid(arr)
    if kind == "prefix":
        return pc.starts_with(arr, core)
    if kind == "suffix":
        return pc.ends_with(arr, core)
    if kind == "substring":
        return pc.match_substring(arr, core)
    if kind == "equal":
        return pc.equal(arr, core)
    raise _Fallback(f"LIKE pattern {pattern!r}")


def _abs_max(data: np.ndarray) -> int:
    if not len(data):
        return 0
    return max(abs(int(data.min())), abs(int(data.max())))


def _scalar(value: Any) -> Vec:
    if value is None:
        return Vec("null", None)
    if isinstance(value, bool):
        return Vec("bool", value)
    if isinstance(value, int):
        return Vec("int", value, int_width=4 if -2**31 <= value < 2**31 else 8)
    if isinstance(value, float):
        return Vec("float", value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Fallback("non-finite numeric")
        exp_ = value.as_tuple().exponent
        scale = max(0, -int(exp_))  # type: ignore[arg-type]
        scaled = int(value.scaleb(scale))
        v = Vec("dec", scaled, scale=scale)
        v.bound = abs(scaled)
        return v
    if isinstance(value, _dt.datetime):
        raise _Fallback("timestamp")
    if isinstance(value, _dt.date):
        return Vec("date", (value - _EPOCH).days)
    if isinstance(value, str):
        return Vec("text", value)
    raise _Fallback(f"constant {type(value).__name__}")


def _and_valid(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _rescale(v: Vec, scale: int) -> Any:
    if v.scale == scale:
        return v.data
    factor = 10 ** (scale - v.scale)
    if isinstance(v.data, np.ndarray):
        bound = v.bound if v.bound is not None else _abs_max(v.data)
        if bound > (2**62) // factor:
            raise _Fallback("rescale overflow")
        return v.data * factor
    return v.data * factor


def _bound_after_rescale(v: Vec, scale: int) -> int | None:
    return None if v.bound is None else v.bound * 10 ** (scale - v.scale)


def _as_float(v: Vec) -> Any:
    if v.kind == "dec":
        return (v.data / (10 ** v.scale)) if isinstance(v.data, np.ndarray) else float(
            Decimal(v.data).scaleb(-v.scale))
    return v.data.astype(np.float64) if isinstance(v.data, np.ndarray) else float(v.data)


def _unify(a: Vec, b: Vec) -> tuple[str, Any, Any, int]:
    """Operands of a numeric operation in one representation: (kind, a, b, scale)."""
    if a.kind == "float" or b.kind == "float":
        return "float", _as_float(a), _as_float(b), 0
    if a.kind == "dec" or b.kind == "dec":
        s = max(a.scale, b.scale)
        return "dec", _rescale(a, s), _rescale(b, s), s
    return "int", a.data, b.data, 0


def _int_check(data: Any, width: int) -> None:
    """PostgreSQL raises 22003 on integer overflow: let the row path raise it."""
    if isinstance(data, np.ndarray) and len(data):
        limit = {2: 2**15 - 1, 4: 2**31 - 1}.get(width, 2**62)
        if data.max() > limit or data.min() < -limit:
            raise _Fallback("integer range")


class _Evaluator:
    """Evaluates a checked expression tree over the base columns."""

    def __init__(self, cols: _Columns, scope: Scope, ctx: ExecContext,
                 consts: dict[int, Any]) -> None:
        self.cols = cols
        self.scope = scope
        self.ctx = ctx
        self.consts = consts
        self.memo: dict[str, Vec] = {}
        #: row positions the values are restricted to (after a selective WHERE), or None
        self.sel: np.ndarray | None = None

    def select(self, positions: np.ndarray) -> None:
        self.sel = positions
        self.memo.clear()  # memoized vectors were full length

    def value(self, node: exp.Expression) -> Vec:
        fn = self.consts.get(id(node))
        if fn is not None:
            return _scalar(fn((), self.ctx))
        if isinstance(node, exp.Paren):
            return self.value(node.this)
        if isinstance(node, exp.Column):
            i = self.scope.find(node.name, node.table or None)
            assert i is not None
            v = self.cols.column(i, self.scope.columns[i].type.oid)
            if self.sel is None:
                return v
            sel = self.sel
            data = v.data.take(pa.array(sel)) if isinstance(v.data, pa.Array) else v.data[sel]
            part = Vec(v.kind, data, None if v.valid is None else v.valid[sel], v.scale,
                       v.int_width)
            part.bound, part.blank_padded = v.bound, v.blank_padded
            return part
        if isinstance(node, exp.Neg):
            v = self.value(node.this)
            if v.kind not in _NUMERIC_KINDS:
                raise _Fallback("negation")
            return Vec(v.kind, -v.data, v.valid, v.scale, v.int_width)
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            key = node.sql()  # one evaluation per distinct subexpression (Q1 repeats some)
            memo = self.memo.get(key)
            if memo is None:
                memo = self.memo[key] = self._arith(node)
            return memo
        raise _Fallback(f"value {type(node).__name__}")

    def _arith(self, node: exp.Expression) -> Vec:
        a, b = self.value(node.left), self.value(node.right)
        if a.kind == "null" or b.kind == "null":
            return Vec("null", None)
        if a.kind == "date" or b.kind == "date":
            raise _Fallback("date arithmetic")
        if a.kind not in _NUMERIC_KINDS or b.kind not in _NUMERIC_KINDS:
            raise _Fallback("arithmetic on non-numbers")
        valid = _and_valid(a.valid, b.valid)
        if isinstance(node, exp.Mul):
            if a.kind == "float" or b.kind == "float":
                return Vec("float", _as_float(a) * _as_float(b), valid)
            kind = "dec" if "dec" in (a.kind, b.kind) else "int"
            out = np.multiply(a.data, b.data) if isinstance(a.data, np.ndarray) or isinstance(
                b.data, np.ndarray) else a.data * b.data
            bound = None if a.bound is None or b.bound is None else a.bound * b.bound
            if bound is None or bound >= 2**62:
                # int64 products can wrap: check in floating point
                approx = np.multiply(np.asarray(a.data, dtype=np.float64),
                                     np.asarray(b.data, dtype=np.float64))
                if np.any(np.abs(approx) > 2.0**62):
                    raise _Fallback("product overflow")
                bound = None
            width = max(a.int_width, b.int_width)
            if kind == "int" and (bound is None or bound >= 2**31):
                _int_check(out, width)
            v = Vec(kind, out, valid, a.scale + b.scale, width)
            v.bound = bound
            return v
        kind, x, y, s = _unify(a, b)
        out = x + y if isinstance(node, exp.Add) else x - y
        width = max(a.int_width, b.int_width)
        ba, bb = _bound_after_rescale(a, s), _bound_after_rescale(b, s)
        bound = None if kind == "float" or ba is None or bb is None else ba + bb
        if kind == "int" and (bound is None or bound >= 2**15):
            _int_check(out, width)
        v = Vec(kind, out, valid, s, width)
        v.bound = bound
        return v

    def boolean(self, node: exp.Expression) -> Bool3:
        n = self.cols.n
        fn = self.consts.get(id(node))
        if fn is not None:  # a constant condition (``1 = 1``, ``$1 > 0``)
            value = fn((), self.ctx)
            if value is None:
                return Bool3(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
            return Bool3(np.full(n, bool(value)), None)
        if isinstance(node, exp.Paren):
            return self.boolean(node.this)
        if isinstance(node, exp.And):
            return self.boolean_and(self.boolean(node.left), self.boolean(node.right))
        if isinstance(node, exp.Or):
            return self.boolean_or(self.boolean(node.left), self.boolean(node.right))
        if isinstance(node, exp.Not):
            a = self.boolean(node.this)
            return Bool3(~a.value, a.known)
        if isinstance(node, exp.Is):
            v = self.value(node.this)
            if v.kind == "null":
                is_null = np.ones(n, dtype=bool)
            elif not isinstance(v.data, (np.ndarray, pa.Array)):
                is_null = np.zeros(n, dtype=bool)
            else:
                is_null = np.zeros(n, dtype=bool) if v.valid is None else ~v.valid
            # sqlglot parses "x IS NOT NULL" as Is(..., negate=True)
            return Bool3(~is_null if node.args.get("negate") else is_null, None)
        if isinstance(node, exp.Between):
            x = self.value(node.this)
            low = self.compare_values(exp.GTE, x, self.value(node.args["low"]))
            high = self.compare_values(exp.LTE, x, self.value(node.args["high"]))
            return self.boolean_and(low, high)
        if isinstance(node, exp.In):
            x = self.value(node.this)
            result: Bool3 | None = None
            for e in node.expressions:
                part = self.compare_values(exp.EQ, x, self.value(e))
                result = part if result is None else self.boolean_or(result, part)
            assert result is not None
            return result
        if isinstance(node, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)):
            return self.compare(node)
        if isinstance(node, exp.Like):
            v = self.value(node.this)
            if v.kind != "text" or not isinstance(v.data, pa.Array):
                raise _Fallback("LIKE over a non-text value")
            hit = np.asarray(_like_mask(v.data, node.expression.this).fill_null(False))
            # sqlglot marks ``x NOT LIKE p`` with negate=True on the Like node itself
            return Bool3(~hit if node.args.get("negate") else hit, v.valid)
        v = self.value(node)
        if v.kind == "null":
            return Bool3(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        if v.kind == "bool" and isinstance(v.data, np.ndarray):
            return Bool3(v.data, v.valid)
        if v.kind == "bool":
            return Bool3(np.full(n, bool(v.data)), None)
        raise _Fallback(f"condition {type(node).__name__}")

    def boolean_and(self, a: Bool3, b: Bool3) -> Bool3:
        value = a.value & b.value
        if a.known is None and b.known is None:
            return Bool3(value, None)
        n = self.cols.n
        ka = a.known if a.known is not None else np.ones(n, dtype=bool)
        kb = b.known if b.known is not None else np.ones(n, dtype=bool)
        false_a, false_b = ka & ~a.value, kb & ~b.value
        return Bool3(value & ka & kb, (ka & kb) | false_a | false_b)

    def boolean_or(self, a: Bool3, b: Bool3) -> Bool3:
        n = self.cols.n
        ka = a.known if a.known is not None else np.ones(n, dtype=bool)
        kb = b.known if b.known is not None else np.ones(n, dtype=bool)
        value = (ka & a.value) | (kb & b.value)
        if a.known is None and b.known is None:
            return Bool3(value, None)
        return Bool3(value, (ka & kb) | value)

    def compare(self, node: exp.Expression) -> Bool3:
        return self.compare_values(type(node), self.value(node.left), self.value(node.right))

    def compare_values(self, op_type: type, a: Vec, b: Vec) -> Bool3:
        n = self.cols.n
        if a.kind == "null" or b.kind == "null":
            return Bool3(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        valid = _and_valid(a.valid, b.valid)
        if a.kind == "text" or b.kind == "text":
            if a.kind != "text" or b.kind != "text":
                raise _Fallback("text compared with a non-text value")
            pad = a.blank_padded or b.blank_padded
            x, y = a.data, b.data
            if pad:
                x = pa.scalar(x.rstrip(" ")) if isinstance(x, str) else pc.utf8_rtrim(
                    x, characters=" ")
                y = pa.scalar(y.rstrip(" ")) if isinstance(y, str) else pc.utf8_rtrim(
                    y, characters=" ")
            fn = {exp.EQ: pc.equal, exp.NEQ: pc.not_equal, exp.LT: pc.less,
                  exp.LTE: pc.less_equal, exp.GT: pc.greater, exp.GTE: pc.greater_equal}[op_type]
            out = fn(x, y)
            if isinstance(out, pa.Scalar):
                raise _Fallback("constant comparison")
            return Bool3(np.asarray(out.fill_null(False)), valid)
        if a.kind == "date" or b.kind == "date":
            if a.kind != b.kind:
                raise _Fallback("date compared with a non-date value")
            x, y = a.data, b.data
        elif a.kind == "bool" or b.kind == "bool":
            raise _Fallback("boolean comparison")
        else:
            _, x, y, _ = _unify(a, b)
        op = {exp.EQ: np.equal, exp.NEQ: np.not_equal, exp.LT: np.less, exp.LTE: np.less_equal,
              exp.GT: np.greater, exp.GTE: np.greater_equal}[op_type]
        out = op(x, y)
        if not isinstance(out, np.ndarray):
            out = np.full(n, bool(out))
        return Bool3(out, valid)


class VectorAggregate(ops.Aggregate):
    """``operators.Aggregate`` whose base rows are aggregated column-at-a-time.

    EXPLAIN shows it as the Aggregate it replaces; ``rows`` yields the same rows."""

    def __init__(self, child: ops.Operator, group_fns: list[Any], aggs: list[AggSpec],
                 grouped: bool, table_oid: int, group_cols: list[int],
                 cond: exp.Expression | None, arg_nodes: list[exp.Expression | None],
                 pred: Any, scope: Scope, consts: dict[int, Any]) -> None:
        super().__init__(child, group_fns, aggs, grouped)
        self.table_oid = table_oid
        self.group_cols = group_cols
        self.cond = cond
        self.arg_nodes = arg_nodes
        self.pred = pred
        self.scope = scope
        #: compiled constant subtrees (literals, parameters, casts), by node identity
        self.consts = consts

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        data = ctx.tm.tables.get(self.table_oid)
        base = data.base if data is not None else None
        if base is None or len(base) - base.promoted < MIN_BASE_ROWS:
            yield from super().rows(ctx)
            return
        try:
            groups = self._base_groups(ctx, data)
        except _Fallback as why:
            log.debug("vectorized aggregate on table %d fell back to the row path: %s",
                      self.table_oid, why)
            yield from super().rows(ctx)
            return
        log.debug("vectorized aggregate over %d base rows of table %d; %d delta versions "
                  "row by row", len(base) - base.promoted, self.table_oid, len(data.delta))
        # the delta, row by row, into the same states
        read_ts, txid = ctx.txn.read_ts, ctx.txn.txid
        pred = self.pred
        gfns = self.group_fns
        aggs = self.aggs
        for v in list(data.delta.values()):
            if not is_visible(v, read_ts, txid):
                continue
            row = v.values
            if pred is not None and pred(row, ctx) is not True:
                continue
            key = tuple(f(row, ctx) for f in gfns)
            states = groups.get(key)
            if states is None:
                states = groups[key] = [ops._AggState(a) for a in aggs]
            for st in states:
                ops._step(st, row, ctx)
        if not groups and not self.grouped:
            groups[()] = [ops._AggState(a) for a in aggs]
        for key, states in groups.items():
            yield key + tuple(ops._final(st) for st in states)

    # -- the base, vectorized --------------------------------------------------------------
    def _base_groups(self, ctx: ExecContext, data: Any) -> dict[tuple, list[Any]]:
        from omendb_server.sql import vector_kernels as K

        base = data.base
        cols = _columns_of(base)
        ev = _Evaluator(cols, self.scope, ctx, self.consts)
        read_ts = ctx.txn.read_ts
        if base.promoted == 0 and cols.max_begin() <= read_ts:
            mask = None  # every base row is live and visible: no per-row stamp test
        else:
            begins = base.begins
            mask = base.live & (begins > 0) & (begins <= read_ts)
        if self.cond is not None:
            where = ev.boolean(self.cond).true()
            mask = where if mask is None else mask & where
        if mask is None:
            mask = np.ones(base.n, dtype=np.bool_)
        gid, n_groups, reps = cols.group_ids(tuple(self.group_cols))
        n = base.n
        if self.cond is not None and n:
            chosen = np.flatnonzero(mask)
            if len(chosen) < n // 4:
                # a selective WHERE: evaluate the aggregate arguments on the chosen rows only
                ev.select(chosen)
                gid = gid[chosen]
                mask = np.ones(len(chosen), dtype=np.bool_)
                n = len(chosen)
        counts = K.group_count(gid, mask, n_groups)
        present = np.flatnonzero(counts)
        if not self.grouped and not len(present):
            present = np.array([0], dtype=np.int64)
        states_by_gid: dict[int, list[Any]] = {
            int(g): [ops._AggState(a) for a in self.aggs] for g in present}
        for j, (spec, arg) in enumerate(zip(self.aggs, self.arg_nodes)):
            if spec.star:
                for g in present:
                    states_by_gid[int(g)][j].count = int(counts[g])
                continue
            v = ev.value(arg)
            seed_states(spec, j, v, gid, mask, n_groups, present, states_by_gid, n, counts)
        # group key values exactly as the row path reads them
        out: dict[tuple, list[Any]] = {}
        getters = base.getters
        for g in present:
            g = int(g)
            key = []
            rest = g
            for col, first in zip(reversed(self.group_cols), reversed(reps)):
                k = len(first)
                code = rest % k
                rest //= k
                key.append(getters[col](int(first[code])))
            out[tuple(reversed(key))] = states_by_gid[g]
        return out



def seed_states(spec: AggSpec, j: int, v: Vec, gid: np.ndarray, mask: np.ndarray,
                n_groups: int, present: np.ndarray, states: dict[int, list[Any]], n: int,
                row_counts: np.ndarray) -> None:
    """Aggregate ``v`` per group (rows where ``mask``) into the row path's state ``j``
    of each present group: what ``ops._step`` would have accumulated."""
    from omendb_server.sql import vector_kernels as K

    if v.kind == "null":
        return
    m = mask if v.valid is None else mask & v.valid
    name = spec.name
    # the rows counted per group already, unless the argument has NULLs to skip
    counts = row_counts if v.valid is None else K.group_count(gid, m, n_groups)
    if name == "count":
        for g in present:
            states[int(g)][j].count = int(counts[g])
        return
    data = v.data
    if not isinstance(data, np.ndarray):
        if v.kind not in _NUMERIC_KINDS:
            raise _Fallback(f"{name} of a constant {v.kind}")
        data = np.full(n, data)
    to_py = _to_python(v, spec)
    if name in ("sum", "avg"):
        if v.kind == "float":
            sums = K.group_sum_f64(gid, m, np.asarray(data, dtype=np.float64), n_groups)
        elif v.kind in ("int", "dec"):
            sums, overflow = K.group_sum_i64(gid, m, np.asarray(data, dtype=np.int64), n_groups)
            if overflow:
                raise _Fallback("sum overflow")
        else:
            raise _Fallback(f"{name} of {v.kind}")
        _seed(states, j, present, counts, sums, to_py)
        return
    if v.kind not in ("int", "dec", "float", "date"):
        raise _Fallback(f"{name} of {v.kind}")
    if v.kind == "float":
        if np.isnan(data[m]).any():
            raise _Fallback("NaN ordering")
        lo, hi = K.group_minmax_f64(gid, m, np.asarray(data, dtype=np.float64), n_groups)
    else:
        lo, hi = K.group_minmax_i64(gid, m, np.asarray(data, dtype=np.int64), n_groups)
    _seed(states, j, present, counts, lo if name == "min" else hi, to_py)


def _seed(states: Any, j: int, present: Any, counts: Any, values: Any,
          to_py: Callable[[Any], Any]) -> None:
    """Aggregate ``j``'s state in every group that has input rows: their count and the
    kernel's value for the group, as the row path's state would hold them."""
    for g in present:
        c = int(counts[g])
        if c:
            st = states[int(g)][j]
            st.count = c
            st.value = to_py(values[g])


def _to_python(v: Vec, spec: AggSpec) -> Callable[[Any], Any]:
    """Kernel result → the value the row path's aggregate state would hold."""
    if v.kind == "dec":
        exp_ = -v.scale
        return lambda x: Decimal(int(x)).scaleb(exp_)
    if v.kind == "float":
        return float
    if v.kind == "date":
        return lambda x: _EPOCH + _dt.timedelta(days=int(x))
    return int


def _columns_of(base: Any) -> _Columns:
    """The per-base column cache (bases are immutable but for their ``live`` mask)."""
    cached = getattr(base, "vector_columns", None)
    if cached is None:
        cached = _Columns(base)
        base.vector_columns = cached
    return cached
