"""Compile sqlglot expressions into Python closures over a row tuple.

Why closures: an expression is resolved (names, types, operators, casts) once
at plan time; executing it is then one call per row with no tree walking. This
is the row-at-a-time path used for point queries and single-row DML; the
vectorized Arrow path compiles the same bound expressions to pyarrow.compute.

Type inference for ``$n`` parameters happens here: a parameter the client left
untyped (OID 0) takes the type of whatever it is compared with, assigned to or
cast to, as PostgreSQL infers it.
"""

from __future__ import annotations

import math
import operator as _op
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.datatypes import (
    DEFAULT_CONTEXT,
    DataType,
    array_of,
    type_by_name,
    typmod_for,
)
from omendb_server.datatypes.misc import composite_type, is_record
from omendb_server.sql import functions_syntax  # noqa: F401  (parser adjustments, see module)
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext

if TYPE_CHECKING:
    from omendb_server.sql.planner import Planner

Fn = Callable[[tuple, ExecContext], Any]


@dataclass
class CExpr:
    fn: Fn
    type: DataType
    typmod: int = -1
    name: str = "?column?"
    const: bool = False
    #: 1-based parameter number when this is a bare, still-untyped $n.
    param: int = 0
    #: (table oid, attnum) when this is a plain table column (RowDescription).
    source: tuple[int, int] = (0, 0)
    #: Position in the input row when this is a plain column reference (fast projection).
    col_index: int | None = None
    #: (name, type) of each field when this is a row value (whole-row reference, ROW()).
    fields: tuple[tuple[str, DataType], ...] | None = None


@dataclass
class ScopeColumn:
    qualifier: str | None
    name: str
    type: DataType
    typmod: int = -1
    table_oid: int = 0
    attnum: int = 0
    #: OID of the relation the column belongs to when ``table_oid`` is 0 (a pg_catalog
    #: relation), for the ``tableoid`` system column.
    rel_oid: int = 0


@dataclass
class Scope:
    columns: list[ScopeColumn] = field(default_factory=list)
    outer: Scope | None = None

    def find(self, name: str, qualifier: str | None) -> int | None:
        hits = [
            i
            for i, c in enumerate(self.columns)
            if c.name == name and (qualifier is None or c.qualifier == qualifier)
        ]
        if len(hits) > 1:
            raise errors.AmbiguousColumn(f'column reference "{name}" is ambiguous')
        return hits[0] if hits else None

    def has_qualifier(self, qualifier: str) -> bool:
        return any(c.qualifier == qualifier for c in self.columns)


@dataclass
class AggSpec:
    name: str
    args: list[CExpr]
    distinct: bool
    star: bool
    type: DataType
    extra: Any = None


@dataclass
class AggContext:
    """Post-aggregation compile state: group keys and aggregates read from the group row."""

    group_nodes: list[exp.Expression]
    group_exprs: list[CExpr]
    aggs: list[AggSpec] = field(default_factory=list)
    input: ExprCompiler | None = None


AGGREGATES = {"count", "sum", "avg", "min", "max", "string_agg", "array_agg", "bool_and",
              "bool_or", "every", "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp",
              "var_pop", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg",
              "percentile_cont", "percentile_disc", "mode", "bit_and", "bit_or",
              "j_s_o_n_array_agg", "j_s_o_n_b_object_agg", "json_arrayagg", "jsonb_objectagg",
              "logical_and", "logical_or", "corr", "covar_pop", "covar_samp", "regr_slope",
              "regr_intercept", "regr_r2", "regr_count", "regr_avgx", "regr_avgy", "regr_sxx",
              "regr_syy", "regr_sxy"}
#: sqlglot's spellings of some aggregates -> PostgreSQL's names.
_AGG_ALIASES = {"j_s_o_n_array_agg": "json_agg", "json_arrayagg": "json_agg",
                "j_s_o_n_b_object_agg": "jsonb_object_agg", "jsonb_objectagg": "jsonb_object_agg",
                "logical_and": "bool_and", "logical_or": "bool_or"}
#: The operator's built-in fast path (no FILTER / ORDER BY inside the call).
_FAST_AGGS = {"count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every"}


def _const(value: Any, t: DataType, name: str = "?column?", typmod: int = -1) -> CExpr:
    return CExpr(lambda row, ctx: value, t, typmod, name, const=True)


def _datatype_of(node: exp.DataType) -> tuple[DataType, int]:
    """sqlglot DataType node → (DataType, typmod) with PostgreSQL's spelling."""
    sql = node.sql(dialect="postgres")
    # sqlglot prints interval(p) as "INTERVAL p"
    sql = re.sub(r"^(INTERVAL)\s+(\d+)$", r"\1(\2)", sql, flags=re.IGNORECASE)
    base = sql
    args: list[int] = []
    m = re.match(r"^(.*?)\s*\(([^)]*)\)\s*(.*)$", sql)
    if m:
        base = (m.group(1) + (" " + m.group(3) if m.group(3) else "")).strip()
        try:
            args = [int(a) for a in m.group(2).split(",") if a.strip()]
        except ValueError:
            args = []
    is_array = base.endswith("[]")
    if is_array:
        base = base[:-2].strip()
    lowered = base.lower()
    if lowered in ("serial", "serial4"):
        lowered = "int4"
    elif lowered in ("bigserial", "serial8"):
        lowered = "int8"
    elif lowered in ("smallserial", "serial2"):
        lowered = "int2"
    t = type_by_name(lowered)
    if args and t.name in ("float4", "float8") and len(args) == 1:
        # float(p): PostgreSQL picks real for p <= 24, double precision up to 53
        p = args[0]
        if p < 1:
            raise errors.InvalidParameterValue("precision for type float must be at least 1 bit")
        if p > 53:
            raise errors.InvalidParameterValue("precision for type float must be less than 54 bits")
        t, args = type_by_name("float4" if p <= 24 else "float8"), []
    typmod = typmod_for(t.name, args) if args else -1
    if not args and lowered in ("char", "character"):
        typmod = typmod_for(t.name, [1])  # plain char is char(1)
    if not args and lowered == "bit":
        typmod = 1  # plain bit is bit(1)
    if is_array:
        t = array_of(t)
    return t, typmod


def datatype_from_node(node: exp.Expression) -> tuple[DataType, int]:
    if isinstance(node, exp.DataType):
        return _datatype_of(node)
    # ObjectIdentifier (regclass/regtype/oid) and friends
    return type_by_name(node.name.lower()), -1


def _like_regex(pattern: str, escape: str | None = "\\", flags: int = 0) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape:
            i += 1
            if i >= len(pattern):
                # PostgreSQL stops matching before it reaches a dangling escape: no match
                out.append("(?!)")
                break
            out.append(re.escape(pattern[i]))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | flags)


#: Types whose text form depends on session settings (TimeZone, DateStyle, IntervalStyle,
#: bytea_output, extra_float_digits): casts between them and text run per execution,
#: never folded into a cached plan.
_SETTING_DEPENDENT = frozenset((1082, 1083, 1114, 1184, 1186, 17, 700, 701))


def _foldable_cast(src: int, dst: int) -> bool:
    if src == 1184 or dst == 1184:
        return False
    if (src in T.STRING_OIDS) != (dst in T.STRING_OIDS):
        other = dst if src in T.STRING_OIDS else src
        return other not in _SETTING_DEPENDENT
    return True


def _negated_literal(node: exp.Neg) -> CExpr | None:
    """-<number>: PostgreSQL folds the sign into the constant before typing it, so
    -2147483648 is an integer (not a negated bigint) and -(-2147483648) a bigint."""
    sign = -1
    inner = node.this
    while True:
        if isinstance(inner, exp.Paren):
            inner = inner.this
        elif isinstance(inner, exp.Neg):
            sign = -sign
            inner = inner.this
        else:
            break
    if not (isinstance(inner, exp.Literal) and not inner.is_string):
        return None
    text = inner.this
    if re.fullmatch(r"[0-9]+", text):
        v = sign * int(text)
        if -(2**31) <= v <= 2**31 - 1:
            return _const(v, T.INT4)
        if -(2**63) <= v <= 2**63 - 1:
            return _const(v, T.INT8)
        return _const(Decimal(v), T.NUMERIC)
    try:
        d = Decimal(text)
    except ArithmeticError:
        return None
    return _const(-d if sign < 0 else d, T.NUMERIC)


_LIKE_CACHE: dict[tuple[str, str | None, int], re.Pattern[str]] = {}


def _row_reader(idx: list[int], names: tuple[str, ...], types: tuple[DataType, ...],
                level: int) -> Fn:
    from omendb_server.datatypes.misc import RowValue

    if level == 0:
        return lambda r, c: RowValue([r[i] for i in idx], names, types)
    return lambda r, c: RowValue([c.outer[-level][i] for i in idx], names, types)


def _array_shape(v: Any) -> tuple[int, ...]:
    dims = []
    while isinstance(v, list):
        dims.append(len(v))
        v = v[0] if v else None
    return tuple(dims)


def _nan_key(v: Any) -> tuple[int, Any]:
    """PostgreSQL orders NaN above every number and NaN = NaN (float and numeric)."""
    return (1, 0) if T.is_nan(v) else (0, v)


def _rstripped(f: Fn) -> Fn:
    """char(n) compares without its trailing spaces."""
    return lambda r, c: None if (v := f(r, c)) is None else v.rstrip(" ")


def _dangling_escape(pattern: str, escape: str | None) -> bool:
    if not escape or not pattern.endswith(escape):
        return False
    run = len(pattern) - len(pattern.rstrip(escape))
    return run % 2 == 1


def _like_match(text: str, pattern: str, escape: str | None, flags: int) -> bool:
    """LIKE with PostgreSQL's dangling-escape rule: an error only if matching reaches it."""
    key = (pattern, escape, flags)
    rx = _LIKE_CACHE.get(key)
    if rx is None:
        if len(_LIKE_CACHE) > 1024:
            _LIKE_CACHE.clear()
        rx = _LIKE_CACHE[key] = _like_regex(pattern, escape, flags)
    if rx.fullmatch(text) is not None:
        return True
    if _dangling_escape(pattern, escape):
        head = _like_regex(pattern[:-1], escape, flags)
        m = head.match(text)
        if m is not None and m.end() < len(text):
            raise errors.DBError("LIKE pattern must not end with escape character", "22025")
    return False


def _div(a: Any, b: Any, t: DataType) -> Any:
    if b == 0:
        if t.oid in (700, 701, 1700) and T.is_nan(a):  # NaN / 0 is NaN
            return a
        raise errors.DivisionByZero("division by zero")
    if T.is_integer(t):
        q = abs(a) // abs(b)
        return T.check_int(q if (a >= 0) == (b >= 0) else -q, t.oid)
    if t.oid == 1700:
        return T.numeric_div(Decimal(a), Decimal(b))
    return a / b


def _mod(a: Any, b: Any, t: DataType) -> Any:
    if t.oid == 1700 and (T.is_nan(a) or T.is_nan(b)):  # NaN % x is NaN
        from omendb_server.datatypes.numeric import NUMERIC_NAN

        return NUMERIC_NAN
    if b == 0:
        raise errors.DivisionByZero("division by zero")
    if T.is_integer(t):
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    if t.oid == 1700:
        return Decimal(a) % Decimal(b)
    import math

    return math.fmod(a, b)


_DT_OIDS = frozenset((1082, 1083, 1114, 1184, 1186))
_CMP_SYMBOLS = {_op.eq: "=", _op.ne: "<>", _op.lt: "<", _op.le: "<=", _op.gt: ">", _op.ge: ">="}
_INF = float("inf")
_NINF = float("-inf")
_FLT_MAX = 3.4028234663852886e38


def _to_float4(v: float) -> float:
    """A float8 result narrowed to real, with real's overflow (PostgreSQL's float4 ops)."""
    if math.isnan(v) or v in (_INF, _NINF):
        return v
    if abs(v) > _FLT_MAX:
        return _INF if v > 0 else _NINF
    from omendb_server.datatypes.floats import to_float4

    try:
        return to_float4(v)
    except OverflowError:
        return _INF if v > 0 else _NINF

_ARITH = {
    exp.Add: ("+", _op.add),
    exp.Sub: ("-", _op.sub),
    exp.Mul: ("*", _op.mul),
}
_CMP = {
    exp.EQ: _op.eq,
    exp.NEQ: _op.ne,
    exp.GT: _op.gt,
    exp.GTE: _op.ge,
    exp.LT: _op.lt,
    exp.LTE: _op.le,
}


class ExprCompiler:
    """Resolves and compiles expressions against one scope."""

    def __init__(self, planner: Planner, scope: Scope, agg: AggContext | None = None,
                 depth: int = 0) -> None:
        self.planner = planner
        self.scope = scope
        self.agg = agg
        #: Set when compiling resolved a column of an enclosing query.
        self.correlated = False

    # -- entry points ----------------------------------------------------------
    def compile(self, node: exp.Expression) -> CExpr:
        if self.agg is not None:
            hit = self._agg_lookup(node)
            if hit is not None:
                return hit
        method = getattr(self, "_c_" + type(node).__name__, None)
        if method is not None:
            return method(node)
        if isinstance(node, exp.Func):
            return self._function(node)
        raise errors.FeatureNotSupported(
            f"expression not supported yet: {node.sql(dialect='postgres')[:200]}"
        )

    def coerce(self, ce: CExpr, target: DataType, typmod: int = -1, explicit: bool = False
               ) -> CExpr:
        """Bring ``ce`` to ``target`` (implicit assignment/comparison or explicit cast)."""
        if ce.param and ce.type.oid == 705 and target.oid in (2205, 2206):
            # $1::regclass: clients send a relation name, bound as text and looked up
            return self.coerce(self.coerce(ce, T.TEXT), target, typmod, explicit)
        if ce.param and ce.type.oid == 705:
            self.planner.param_types[ce.param - 1] = target
            idx = ce.param - 1
            fn: Fn = lambda row, ctx: ctx.params[idx]
            if typmod >= 0:
                apply = target.apply_typmod
                fn = lambda row, ctx: (
                    None if ctx.params[idx] is None else apply(ctx.params[idx], typmod)
                )
            return CExpr(fn, target, typmod, ce.name)
        if ce.type.oid == target.oid and (typmod < 0 or typmod == ce.typmod):
            return ce
        if ce.type.oid in T.REG_OIDS or target.oid in T.REG_OIDS:
            cast = T.cast_function(ce.type, target, typmod, self.planner.regclass_lookup,
                                   self.planner.regclass_name,
                                   regtype_name=getattr(self.planner, "regtype_name", None),
                                   regtype_lookup=getattr(self.planner, "regtype_lookup", None))
        else:
            cast = T.cached_cast(ce.type, target, typmod)
        if ce.const:
            value = ce.fn((), None)  # type: ignore[arg-type]
            if value is not None and _foldable_cast(ce.type.oid, target.oid):
                value = cast(value, DEFAULT_CONTEXT)
                return CExpr(lambda row, ctx: value, target, typmod, ce.name, const=True)
            if value is not None:
                # depends on session settings: convert once per settings object, not per row
                # one (settings, value) tuple, replaced atomically: sessions share the plan
                memo: list[tuple[Any, Any]] = [(None, None)]

                def per_settings(row: tuple, ctx: ExecContext) -> Any:
                    fmt = ctx.fmt
                    seen, v = memo[0]
                    if seen is not fmt:
                        v = cast(value, fmt)
                        memo[0] = (fmt, v)
                    return v

                return CExpr(per_settings, target, typmod, ce.name)
        inner = ce.fn

        def run(row: tuple, ctx: ExecContext) -> Any:
            v = inner(row, ctx)
            return None if v is None else cast(v, ctx.fmt)

        return CExpr(run, target, typmod, ce.name)

    # -- aggregates --------------------------------------------------------------
    def _agg_lookup(self, node: exp.Expression) -> CExpr | None:
        agg = self.agg
        assert agg is not None
        for i, g in enumerate(agg.group_nodes):
            if node == g:
                ge = agg.group_exprs[i]
                return CExpr(lambda row, ctx, i=i: row[i], ge.type, ge.typmod, ge.name,
                             source=ge.source)
        if isinstance(node, exp.Filter) and isinstance(node.this, (exp.Func, exp.Anonymous)):
            fname = self._func_name(node.this)
            if fname in AGGREGATES:
                cond = node.expression
                cond = cond.this if isinstance(cond, exp.Where) else cond
                return self._aggregate(node.this, fname, filter_node=cond)
        if isinstance(node, exp.WithinGroup) and isinstance(node.this, (exp.Func, exp.Anonymous)):
            fname = self._func_name(node.this)
            if fname in AGGREGATES:
                return self._aggregate(node.this, fname, within=node.expression)
        name = self._func_name(node)
        if name in AGGREGATES and isinstance(node, (exp.Func, exp.Anonymous)):
            return self._aggregate(node, name)
        if isinstance(node, exp.Column):
            col = node.sql(dialect="postgres")
            # allowed only when it's an outer reference
            idx = None
            try:
                idx = self.agg.input.scope.find(node.name, node.table or None) if self.agg.input else None
            except errors.AmbiguousColumn:
                idx = 1
            if idx is not None:
                raise errors.GroupingError(
                    f'column "{col}" must appear in the GROUP BY clause or be used in an '
                    "aggregate function"
                )
        return None

    def _aggregate(self, node: exp.Expression, name: str, filter_node: exp.Expression | None = None,
                   within: exp.Expression | None = None) -> CExpr:
        """Compile one aggregate call into an AggSpec read back from the group row.

        Plain count/sum/avg/min/max/bool_* use the operator's built-in loop; anything
        with FILTER, ORDER BY inside the call, WITHIN GROUP or another aggregate gets an
        ``AggImpl`` (sql/functions_aggregate.py) in ``AggSpec.extra``."""
        from omendb_server.sql import functions_aggregate as FA

        agg = self.agg
        assert agg is not None and agg.input is not None
        inner = agg.input
        name = _AGG_ALIASES.get(name, name)
        distinct = False
        star = False
        order_node: exp.Expression | None = None
        if isinstance(node, exp.Anonymous):
            args_nodes = list(node.expressions)
        else:
            this = node.this
            if isinstance(this, exp.Distinct):
                distinct = True
                args_nodes = list(this.expressions)
            elif isinstance(this, exp.Star) or (this is None and name == "count"):
                star = True
                args_nodes = []
            else:
                args_nodes = [this] if this is not None else []
                if isinstance(node, exp.Count):
                    args_nodes.extend(node.args.get("expressions") or [])
            if isinstance(node, exp.GroupConcat) and node.args.get("separator") is not None:
                args_nodes.append(node.args["separator"])
            elif not isinstance(node, (exp.Count, exp.GroupConcat, exp.ArrayAgg)):
                for key in ("expression",):
                    if node.args.get(key) is not None:
                        args_nodes.append(node.args[key])
                args_nodes.extend(node.args.get("expressions") or [])
        if args_nodes and isinstance(args_nodes[0], exp.Distinct):
            distinct = True
            args_nodes = list(args_nodes[0].expressions) + args_nodes[1:]
        if len(args_nodes) == 1 and isinstance(args_nodes[0], exp.Star):
            star, args_nodes = True, []
        # ORDER BY inside the call is attached to one argument by the parser
        unwrapped = []
        for a in args_nodes:
            if isinstance(a, exp.Order):
                order_node = a
                a = a.this
            if isinstance(a, exp.Distinct):
                distinct = True
                unwrapped.extend(a.expressions)
                continue
            unwrapped.append(a)
        args_nodes = unwrapped
        direct: list[CExpr] = []
        order_keys: list[tuple[Fn, bool, bool]] = []
        order_types: list[DataType] = []
        if within is not None:
            if name not in FA.ORDERED_SET:
                raise errors.DBError(f"{name} is not an ordered-set aggregate, so it cannot have "
                                     "WITHIN GROUP", "42809")
            direct = [inner.compile(a) for a in args_nodes]
            ordered = list(within.expressions)
            args_nodes = [o.this for o in ordered]
            order_node = within
        elif name in FA.ORDERED_SET:
            from omendb_server.sql.functions import undefined_function

            raise undefined_function(name, [inner.compile(a).type for a in args_nodes])
        args = [inner.compile(a) for a in args_nodes]
        rtype, kernel, args, direct = FA.resolve(inner, name, args, star, direct,
                                                 [a.type for a in args] if within is not None
                                                 else [])
        if order_node is not None:
            for i, o in enumerate(order_node.expressions):
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                key = args[i] if within is not None and i < len(args) else inner.compile(o.this)
                if key.type.oid == 705:
                    key = inner.coerce(key, T.TEXT)
                order_keys.append((key.fn, desc, desc if nf is None else bool(nf)))
                order_types.append(key.type)
        filter_fn = inner.boolean(filter_node, "FILTER").fn if filter_node is not None else None
        impl = None
        if distinct and order_keys and within is None:
            arg_sql = {a.sql() for a in args_nodes}
            if any(o.this.sql() not in arg_sql for o in order_node.expressions):  # type: ignore[union-attr]
                raise errors.DBError("in an aggregate with DISTINCT, ORDER BY expressions must "
                                     "appear in argument list", "42P10")
        # min/max over float/numeric stay on the fast path: NaN read from input is a
        # PostgreSQL-ordered singleton (datatypes.floats/numeric), so plain < and > hold
        slow_type = any(a.type.oid == 1186 for a in args)
        if not (name in _FAST_AGGS and filter_fn is None and not order_keys and not slow_type):
            impl = FA.AggImpl(kernel, [a.fn for a in args], filter_fn, distinct, order_keys,
                              star, [d.fn for d in direct])
        spec = AggSpec(name, args, distinct, star, rtype, impl)
        spec.node = node  # type: ignore[attr-defined]  # the call's AST, for sql/vectorized.py
        pos = len(agg.group_nodes) + len(agg.aggs)
        agg.aggs.append(spec)
        return CExpr(lambda row, ctx: row[pos], rtype, -1, name)

    # -- leaves ------------------------------------------------------------------
    def _c_Literal(self, node: exp.Literal) -> CExpr:
        text = node.this
        if node.is_string:
            return _const(text, T.UNKNOWN)
        if re.fullmatch(r"[0-9]+", text):
            v = int(text)
            if v <= 2**31 - 1:
                return _const(v, T.INT4)
            if v <= 2**63 - 1:
                return _const(v, T.INT8)
            return _const(Decimal(v), T.NUMERIC)
        if text.lower().startswith("0x"):
            return _const(int(text, 16), T.INT8)
        return _const(Decimal(text), T.NUMERIC)

    def _c_ByteString(self, node: exp.ByteString) -> CExpr:  # E'...' strings
        return _const(node.this, T.UNKNOWN)

    def _c_UnicodeString(self, node: exp.Expression) -> CExpr:
        """U&'d\\0061t\\+000061' [UESCAPE '!']: \\XXXX and \\+XXXXXX code points."""
        esc_node = node.args.get("escape")
        esc = esc_node.this if isinstance(esc_node, exp.Literal) else "\\"
        text = node.this
        out = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == esc:
                if text.startswith(esc, i + 1):
                    out.append(esc)
                    i += 2
                    continue
                if text.startswith("+", i + 1) and re.fullmatch(r"[0-9a-fA-F]{6}", text[i + 2:i + 8]):
                    out.append(chr(int(text[i + 2:i + 8], 16)))
                    i += 8
                    continue
                if re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 1:i + 5]):
                    out.append(chr(int(text[i + 1:i + 5], 16)))
                    i += 5
                    continue
                raise errors.SyntaxError("invalid Unicode escape",
                                         hint="Unicode escapes must be \\XXXX or \\+XXXXXX.")
            out.append(ch)
            i += 1
        return _const("".join(out), T.UNKNOWN)

    def _c_BitString(self, node: exp.Expression) -> CExpr:
        from omendb_server.datatypes.bits import parse_bits

        return _const(parse_bits(str(node.this)), type_by_name("bit"))  # B'101'

    def _c_HexString(self, node: exp.Expression) -> CExpr:
        from omendb_server.datatypes.bits import parse_bits

        return _const(parse_bits("x" + str(node.this)), type_by_name("bit"))  # X'1F

    def _c_RawString(self, node: exp.Expression) -> CExpr:
        return _const(node.this, T.UNKNOWN)

    def _c_National(self, node: exp.Expression) -> CExpr:
        return _const(node.this, T.UNKNOWN)

    def _c_Boolean(self, node: exp.Boolean) -> CExpr:
        return _const(bool(node.this), T.BOOL)

    def _c_Null(self, node: exp.Null) -> CExpr:
        return _const(None, T.UNKNOWN)

    def _c_Paren(self, node: exp.Paren) -> CExpr:
        return self.compile(node.this)

    def _c_Parameter(self, node: exp.Parameter) -> CExpr:
        inner = node.this
        if not isinstance(inner, (exp.Literal, exp.Var, exp.Identifier)) or \
                not str(inner.this if isinstance(inner, exp.Literal) else node.name).isdigit():
            # "@ expr" is PostgreSQL's absolute-value operator; sqlglot reads a parameter
            from omendb_server.sql.functions import compile_function

            ce = compile_function(self, exp.Anonymous(this="abs", expressions=[inner]), "abs")
            return CExpr(ce.fn, ce.type, -1, "?column?")
        n = int(node.this.this if isinstance(node.this, exp.Literal) else node.name)
        return self.planner.param_expr(n)

    def _c_Placeholder(self, node: exp.Placeholder) -> CExpr:
        try:
            n = int(node.name)
        except (TypeError, ValueError):
            raise errors.SyntaxError("syntax error at or near \"?\"") from None
        return self.planner.param_expr(n)

    def _c_Column(self, node: exp.Column) -> CExpr:
        name = node.name
        if isinstance(node.this, exp.Star):
            raise errors.FeatureNotSupported("qualified * is only allowed in a select list")
        qualifier = node.table or None
        scope: Scope | None = self.scope
        level = 0
        while scope is not None:
            if qualifier is None or scope.has_qualifier(qualifier):
                idx = scope.find(name, qualifier)
                if idx is not None:
                    col = scope.columns[idx]
                    if level == 0:
                        return CExpr(lambda row, ctx, i=idx: row[i], col.type, col.typmod,
                                     col.name, source=(col.table_oid, col.attnum), col_index=idx)
                    self.correlated = True

                    def outer_ref(row: tuple, ctx: ExecContext, i: int = idx,
                                  lvl: int = level) -> Any:
                        return ctx.outer[-lvl][i]

                    return CExpr(outer_ref, col.type, col.typmod, col.name)
            scope = scope.outer
            level += 1
        if qualifier is None and name in ("current_user", "session_user", "user",
                                          "current_role", "current_catalog",
                                          "current_schema"):
            return self._function(exp.Anonymous(this=name, expressions=[]))
        if qualifier is None:
            whole = self._whole_row(name)
            if whole is not None:
                return whole
        if name == "tableoid":
            oid = self._tableoid(qualifier)
            if oid is not None:
                return _const(oid, type_by_name("oid"), "tableoid")
        if qualifier is not None and not self._any_scope_has(qualifier):
            raise errors.UndefinedTable(
                f'missing FROM-clause entry for table "{qualifier}"'
            )
        shown = f"{qualifier}.{name}" if qualifier else f'"{name}"'
        raise errors.UndefinedColumn(f'column {shown} does not exist')

    def _tableoid(self, qualifier: str | None) -> int | None:
        """The ``tableoid`` system column every PostgreSQL relation has: the OID of the
        (one) relation ``qualifier`` names, or of the only relation in scope."""
        scope: Scope | None = self.scope
        while scope is not None:
            rels = {(c.qualifier, c.table_oid or c.rel_oid) for c in scope.columns
                    if (qualifier is None or c.qualifier == qualifier)
                    and (c.table_oid or c.rel_oid)}
            if len({q for q, _ in rels}) > 1:
                raise errors.AmbiguousColumn('column reference "tableoid" is ambiguous')
            if rels:
                return next(iter(rels))[1]
            scope = scope.outer
        return None

    def _whole_row(self, alias: str) -> CExpr | None:
        """``t`` naming a FROM item: a record of its columns (to_json(t), row_to_json(t))."""
        scope: Scope | None = self.scope
        level = 0
        while scope is not None:
            idx = [i for i, c in enumerate(scope.columns) if c.qualifier == alias]
            if idx:
                names = tuple(scope.columns[i].name for i in idx)
                types = tuple(scope.columns[i].type for i in idx)
                if level:
                    self.correlated = True
                return CExpr(_row_reader(idx, names, types, level), self._row_type(scope, idx), -1,
                             alias, fields=tuple(zip(names, types)))
            scope = scope.outer
            level += 1
        return None

    def _row_type(self, scope: Scope, idx: list[int]) -> DataType:
        """A table's own row type when ``idx`` are all the columns of one table (PostgreSQL
        types ``SELECT t FROM t`` as t's composite type), else record."""
        owners = {scope.columns[i].table_oid for i in idx}
        if len(owners) == 1 and 0 not in owners:
            table = self.planner.catalog.tables.get(next(iter(owners)))
            if table is not None and getattr(table, "rowtype_oid", 0) and \
                    [scope.columns[i].attnum for i in idx] == list(range(1, len(table.columns) + 1)):
                return composite_type(table.name, table.rowtype_oid)
        return type_by_name("record")

    def _any_scope_has(self, qualifier: str) -> bool:
        scope: Scope | None = self.scope
        while scope is not None:
            if scope.has_qualifier(qualifier):
                return True
            scope = scope.outer
        return False

    def _c_Dot(self, node: exp.Dot) -> CExpr:
        # schema-qualified function: pg_catalog.version()
        inner = node.expression
        if isinstance(node.this, (exp.Identifier, exp.Var)) and isinstance(inner, (exp.Func, exp.Anonymous)):
            return self.compile(inner)
        if isinstance(node.this, exp.Paren) and isinstance(inner, (exp.Identifier, exp.Var,
                                                                    exp.Column)):
            # (row).field: a field of a row value
            row = self.compile(node.this.this)
            field = inner.name
            if row.fields is None:
                raise errors.DBError(f"column notation .{field} applied to type "
                                     f"{T.type_label(row.type)}, which is not a composite type",
                                     "42809")
            for i, (fname, ftype) in enumerate(row.fields):
                if fname == field:
                    return CExpr(lambda r, c, i=i, rf=row.fn: None if (v := rf(r, c)) is None
                                 else v[i], ftype, -1, field)
            raise errors.UndefinedColumn(f'column "{field}" not found in data type record')
        raise errors.FeatureNotSupported(f"expression not supported yet: {node.sql()}")

    def _c_Alias(self, node: exp.Alias) -> CExpr:
        ce = self.compile(node.this)
        return CExpr(ce.fn, ce.type, ce.typmod, node.alias, ce.const, ce.param, ce.source)

    # -- operators ---------------------------------------------------------------
    def _c_Neg(self, node: exp.Neg) -> CExpr:
        folded = _negated_literal(node)
        if folded is not None:
            return folded
        inner = self.compile(node.this)
        if inner.param and inner.type.oid == 705:
            inner = self.coerce(inner, T.NUMERIC)
        if not T.is_numeric(inner.type) and inner.type.oid != 1186:
            if inner.type.oid != 705:
                raise errors.UndefinedFunction(
                    f"operator does not exist: - {T.type_label(inner.type)}",
                    hint="No operator matches the given name and argument type. "
                    "You might need to add an explicit type cast.")
            inner = self.coerce(inner, T.NUMERIC)
        if inner.const and T.is_integer(inner.type):
            v = inner.fn((), None)  # type: ignore[arg-type]
            return _const(-v if v is not None else None, inner.type)
        if inner.const and inner.type.oid == 1700:
            v = inner.fn((), None)  # type: ignore[arg-type]
            return _const(-v if v is not None else None, inner.type)
        f, t = inner.fn, inner.type
        if T.is_integer(t):
            oid = t.oid
            return CExpr(lambda r, c: None if (v := f(r, c)) is None else T.check_int(-v, oid), t)
        return CExpr(lambda r, c: None if (v := f(r, c)) is None else -v, t)

    def _arith(self, node: exp.Binary, sym: str, py: Callable[[Any, Any], Any]) -> CExpr:
        left, right = self.compile(node.this), self.compile(node.expression)
        lt, rt = left.type, right.type
        if lt.oid in _DT_OIDS or rt.oid in _DT_OIDS:
            from omendb_server.sql.functions_datetime import datetime_arith

            return datetime_arith(self, sym, left, right)
        if lt.oid == 790 or rt.oid == 790:
            from omendb_server.sql.functions_money import money_arith

            return money_arith(self, sym, left, right)
        if lt.category in ("A",) or rt.category == "A" or lt.oid in (114, 3802) or rt.oid in (114, 3802):
            from omendb_server.sql.functions_array import container_operator

            hit = container_operator(self, sym, left, right)
            if hit is not None:
                return hit
        # date/time arithmetic
        if lt.oid == 1082 and T.is_integer(rt) and sym in "+-":
            import datetime as _dt

            lf, rf = left.fn, right.fn
            sign = 1 if sym == "+" else -1

            def date_add(r: tuple, c: ExecContext) -> Any:
                a, b = lf(r, c), rf(r, c)
                if a is None or b is None:
                    return None
                return a + _dt.timedelta(days=sign * b)

            return CExpr(date_add, T.DATE)
        if lt.oid == 1082 and rt.oid == 1082 and sym == "-":
            lf, rf = left.fn, right.fn
            return CExpr(lambda r, c: None if (a := lf(r, c)) is None or (b := rf(r, c)) is None
                         else (a - b).days, T.INT4)
        if lt.oid == 705 and rt.oid == 705:
            if left.param or right.param:
                raise errors.IndeterminateDatatype("could not determine data type of parameter")
            if left.const and right.const and isinstance(node.this, exp.Literal) and \
                    isinstance(node.expression, exp.Literal):
                raise errors.DBError(
                    f"operator is not unique: unknown {sym} unknown", "42725",
                    hint="Could not choose a best candidate operator. "
                    "You might need to add explicit type casts.")
            left = self.coerce(left, T.NUMERIC if left.const else T.TEXT)
            right = self.coerce(right, T.NUMERIC if right.const else T.TEXT)
        elif lt.oid == 705:
            left = self.coerce(left, rt if T.is_numeric(rt) else T.NUMERIC)
        elif rt.oid == 705:
            right = self.coerce(right, lt if T.is_numeric(lt) else T.NUMERIC)
        lt, rt = left.type, right.type
        if not (T.is_numeric(lt) and T.is_numeric(rt)):
            raise errors.UndefinedFunction(
                f"operator does not exist: {T.type_label(lt)} {sym} {T.type_label(rt)}",
                hint="No operator matches the given name and argument types. "
                "You might need to add explicit type casts.",
            )
        rtype = T.arithmetic_result(lt, rt)
        if rtype.oid != lt.oid:
            left = self.coerce(left, rtype)
        if rtype.oid != rt.oid:
            right = self.coerce(right, rtype)
        lf, rf = left.fn, right.fn
        if T.is_integer(rtype):
            oid = rtype.oid
            lo, hi, label = T.INT_RANGES[oid]

            def int_op(r: tuple, c: ExecContext) -> Any:
                a = lf(r, c)
                if a is None:
                    return None
                b = rf(r, c)
                if b is None:
                    return None
                v = py(a, b)
                if v < lo or v > hi:
                    raise errors.NumericValueOutOfRange(f"{label} out of range")
                return v

            return CExpr(int_op, rtype)
        if rtype.oid in (700, 701):
            label = "double precision" if rtype.oid == 701 else "real"

            def float_op(r: tuple, c: ExecContext) -> Any:
                a = lf(r, c)
                if a is None:
                    return None
                b = rf(r, c)
                if b is None:
                    return None
                v = py(a, b)
                if single:
                    v = _to_float4(v)
                if v in (_INF, _NINF) and a not in (_INF, _NINF) and b not in (_INF, _NINF):
                    raise errors.NumericValueOutOfRange("value out of range: overflow")
                if v == 0.0 and checks_underflow and a != 0.0 and b != 0.0 \
                        and a not in (_INF, _NINF) and b not in (_INF, _NINF):
                    raise errors.NumericValueOutOfRange("value out of range: underflow")
                return v

            single = rtype.oid == 700
            checks_underflow = sym in ("*", "/")
            return CExpr(float_op, rtype)

        def num_op(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            if a is None:
                return None
            b = rf(r, c)
            if b is None:
                return None
            return py(a, b)

        return CExpr(num_op, rtype)

    def _c_Add(self, node: exp.Add) -> CExpr:
        return self._arith(node, "+", _op.add)

    def _c_Sub(self, node: exp.Sub) -> CExpr:
        return self._arith(node, "-", _op.sub)

    def _c_Mul(self, node: exp.Mul) -> CExpr:
        return self._arith(node, "*", _op.mul)

    def _c_Div(self, node: exp.Div) -> CExpr:
        # _arith resolves the operand types; the result type then picks the division rule
        # (integer division truncates toward zero, numeric uses PostgreSQL's result scale).
        holder: list[DataType] = []
        ce = self._arith(node, "/", lambda a, b: _div(a, b, holder[0]))
        holder.append(ce.type)
        return ce

    def _c_Mod(self, node: exp.Mod) -> CExpr:
        holder: list[DataType] = []
        ce = self._arith(node, "%", lambda a, b: _mod(a, b, holder[0]))
        holder.append(ce.type)
        return ce

    def _c_Pow(self, node: exp.Pow) -> CExpr:
        from omendb_server.sql.functions import compile_function

        ce = compile_function(self, exp.Anonymous(this="power", expressions=[node.this, node.expression]),
                              "power")
        return CExpr(ce.fn, ce.type, -1, "?column?")  # the ^ operator; power() is a call

    def _c_AtTimeZone(self, node: exp.AtTimeZone) -> CExpr:
        from omendb_server.sql.functions_datetime import at_time_zone

        return at_time_zone(self, node)

    def _bitwise(self, node: exp.Expression, sym: str, py: Callable[[Any, Any], Any] | None
                 ) -> CExpr:
        left, right = self.compile(node.this), self.compile(node.expression)
        if left.type.oid in (1560, 1562) or right.type.oid in (1560, 1562):
            from omendb_server.sql.functions_bits import bit_operator

            hit = bit_operator(self, sym, left, right)
            if hit is not None:
                return hit
        if left.type.oid == 705:
            left = self.coerce(left, right.type if T.is_integer(right.type) else T.INT4)
        if right.type.oid == 705:
            right = self.coerce(right, left.type if T.is_integer(left.type) else T.INT4)
        if not (T.is_integer(left.type) and T.is_integer(right.type)):
            raise errors.UndefinedFunction(
                f"operator does not exist: {T.type_label(left.type)} {sym} {T.type_label(right.type)}",
                hint="No operator matches the given name and argument types. "
                "You might need to add explicit type casts.")
        if sym in ("<<", ">>"):
            rtype = left.type
            right = self.coerce(right, T.INT4)
        else:
            rtype = T.numeric_result(left.type, right.type)
            left, right = self.coerce(left, rtype), self.coerce(right, rtype)
        lf, rf = left.fn, right.fn
        bits = {21: 16, 23: 32, 20: 64}[rtype.oid]
        if py is None:
            # C shifts on x86: the count is taken modulo the (promoted) operand width
            width = 64 if bits == 64 else 32
            py = (lambda a, b: a << (b % width)) if sym == "<<" else (lambda a, b: a >> (b % width))

        def wrap(v: int) -> int:
            v &= (1 << bits) - 1
            return v - (1 << bits) if v >> (bits - 1) else v

        return CExpr(lambda r, c: None if (a := lf(r, c)) is None or (b := rf(r, c)) is None
                     else wrap(py(a, b)), rtype)

    def _c_BitwiseAnd(self, node: exp.Expression) -> CExpr:
        return self._bitwise(node, "&", _op.and_)

    def _c_BitwiseOr(self, node: exp.Expression) -> CExpr:
        return self._bitwise(node, "|", _op.or_)

    def _c_BitwiseXor(self, node: exp.Expression) -> CExpr:
        return self._bitwise(node, "#", _op.xor)

    def _c_BitwiseLeftShift(self, node: exp.Expression) -> CExpr:
        return self._bitwise(node, "<<", None)

    def _c_BitwiseRightShift(self, node: exp.Expression) -> CExpr:
        return self._bitwise(node, ">>", None)

    def _c_BitwiseNot(self, node: exp.Expression) -> CExpr:
        inner = self.compile(node.this)
        if inner.type.oid in (1560, 1562):
            from omendb_server.sql.functions_bits import bit_not

            return bit_not(inner)
        if inner.type.oid == 705:
            inner = self.coerce(inner, T.INT4)
        if not T.is_integer(inner.type):
            raise errors.UndefinedFunction(
                f"operator does not exist: ~ {T.type_label(inner.type)}",
                hint="No operator matches the given name and argument type. "
                "You might need to add an explicit type cast.")
        f = inner.fn
        return CExpr(lambda r, c: None if (v := f(r, c)) is None else ~v, inner.type)

    def _c_Interval(self, node: exp.Interval) -> CExpr:
        from omendb_server.sql.functions_datetime import interval_literal

        return interval_literal(self, node)

    def _c_Extract(self, node: exp.Extract) -> CExpr:
        from omendb_server.sql.functions_datetime import compile_extract

        return compile_extract(self, node)

    def _c_IntDiv(self, node: exp.IntDiv) -> CExpr:
        from omendb_server.sql.functions import compile_function

        return compile_function(self, exp.Anonymous(this="div", expressions=[node.this, node.expression]),
                                "div")

    def _c_SimilarTo(self, node: exp.SimilarTo, escape: str | None = "\\") -> CExpr:
        from omendb_server.sql.functions_regex import similar_to_regex

        pat_node = node.expression
        left = self._as_text_like(self.compile(node.this))
        pattern = self._as_text_like(self.compile(pat_node))
        lf, pf = left.fn, pattern.fn

        def similar(r: tuple, c: ExecContext) -> Any:
            a, p = lf(r, c), pf(r, c)
            if a is None or p is None:
                return None
            return similar_to_regex(p, escape).fullmatch(a) is not None

        return CExpr(similar, T.BOOL)

    def _c_DPipe(self, node: exp.DPipe) -> CExpr:
        left, right = self.compile(node.this), self.compile(node.expression)
        if 17 in (left.type.oid, right.type.oid) and {left.type.oid, right.type.oid} <= {17, 705}:
            left, right = self.coerce(left, T.BYTEA), self.coerce(right, T.BYTEA)
            blf, brf = left.fn, right.fn
            return CExpr(lambda r, c: None if (a := blf(r, c)) is None or (b := brf(r, c)) is None
                         else bytes(a) + bytes(b), T.BYTEA)
        if left.type.oid in (1560, 1562) and right.type.oid in (1560, 1562, 705) or \
                right.type.oid in (1560, 1562) and left.type.oid == 705:
            from omendb_server.sql.functions_bits import bit_operator

            return bit_operator(self, "||", left, right)
        if left.type.category == "A" or right.type.category == "A" or \
                3802 in (left.type.oid, right.type.oid):
            from omendb_server.sql.functions_array import container_operator

            hit = container_operator(self, "||", left, right)
            if hit is not None:
                return hit
        lf = self._as_text(left).fn
        rf = self._as_text(right).fn
        return CExpr(lambda r, c: None if (a := lf(r, c)) is None or (b := rf(r, c)) is None
                     else a + b, T.TEXT)

    def _as_text(self, ce: CExpr) -> CExpr:
        if T.is_string(ce.type) and ce.type.oid not in (705, 1042):
            return ce
        return self.coerce(ce, T.TEXT, explicit=True)

    def compare_pair(self, left: CExpr, right: CExpr, op: str = "=") -> tuple[CExpr, CExpr]:
        lt, rt = left.type, right.type
        if lt.oid == 705 and rt.oid == 705:
            return self.coerce(left, T.TEXT), self.coerce(right, T.TEXT)
        if lt.category == "A" and rt.oid == 705:
            return left, self.coerce(right, lt)
        target = T.common_type(lt, rt, op)
        return self.coerce(left, target), self.coerce(right, target)

    def _c_Tuple(self, node: exp.Tuple) -> CExpr:
        from omendb_server.sql.functions import compile_function

        return compile_function(self, exp.Anonymous(this="row", expressions=list(node.expressions)),
                                "row")

    def _row_compare(self, node: exp.Binary, py: Callable[[Any, Any], bool]) -> CExpr:
        """(a, b) op (c, d): PostgreSQL's row comparison, field by field, NULL-aware."""
        lefts, rights = node.this.expressions, node.expression.expressions
        if len(lefts) != len(rights):
            raise errors.SyntaxError("unequal number of entries in row expressions")
        pairs = [self.compare_pair(self.compile(a), self.compile(b)) for a, b in zip(lefts, rights)]
        fns = [(a.fn, b.fn) for a, b in pairs]
        op = py

        def row_cmp(r: tuple, c: ExecContext) -> Any:
            if op in (_op.eq, _op.ne):
                saw_null = False
                for lf, rf in fns:
                    a, b = lf(r, c), rf(r, c)
                    if a is None or b is None:
                        saw_null = True
                    elif a != b:
                        return op is _op.ne
                return None if saw_null else op is _op.eq
            for lf, rf in fns:
                a, b = lf(r, c), rf(r, c)
                if a is None or b is None:
                    return None
                if a != b:
                    return op(a, b)
            return op(0, 0)

        return CExpr(row_cmp, T.BOOL)

    def _compare(self, node: exp.Binary, py: Callable[[Any, Any], bool]) -> CExpr:
        right_node = node.expression
        if isinstance(node.this, exp.Tuple) and isinstance(right_node, exp.Tuple):
            return self._row_compare(node, py)
        if isinstance(right_node, exp.Anonymous) and str(right_node.this).lower() == "all" \
                and len(right_node.expressions) == 1:
            # sqlglot reads "x op ALL(array)" as a call of a function named all
            right_node = exp.All(this=right_node.expressions[0])
        if isinstance(right_node, (exp.Any, exp.All)):
            return self._quantified(node.this, right_node, py)
        left, right = self.compare_pair(self.compile(node.this), self.compile(right_node),
                                        _CMP_SYMBOLS.get(py, "="))
        lf, rf = left.fn, right.fn
        if left.type.oid in (700, 701, 1700):
            # NaN = NaN and NaN sorts above every number (checked inline: a hot path)
            def cmp_num(r: tuple, c: ExecContext) -> Any:
                a = lf(r, c)
                if a is None:
                    return None
                b = rf(r, c)
                if b is None:
                    return None
                if a != a or b != b:  # noqa: PLR0124 (plain NaN; PostgreSQL-ordered NaN sorts itself)
                    return py(_nan_key(a), _nan_key(b))
                return py(a, b)

            return CExpr(cmp_num, T.BOOL)
        if left.type.oid == 1042:
            lf = _rstripped(lf)
            rf = _rstripped(rf)

        def cmp(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            if a is None:
                return None
            b = rf(r, c)
            if b is None:
                return None
            return py(a, b)

        return CExpr(cmp, T.BOOL)

    def _quantified(self, left_node: exp.Expression, q: exp.Expression,
                    py: Callable[[Any, Any], bool]) -> CExpr:
        is_all = isinstance(q, exp.All)
        inner = q.this
        if isinstance(inner, exp.Paren):
            inner = inner.this
        left = self.compile(left_node)
        if isinstance(inner, (exp.Select, exp.Union, exp.Subquery)):
            values_fn, elem_type = self._subquery_column(inner)
        else:
            arr = self.compile(inner)
            if arr.type.oid == 705:
                target = array_of(left.type if left.type.oid != 705 else T.TEXT)
                arr = self.coerce(arr, target)
            if arr.type.category != "A" or arr.type.element is None:
                raise errors.DBError("op ANY/ALL (array) requires array on right side", "42809")
            elem_type = arr.type.element
            values_fn = arr.fn
        target = T.common_type(left.type, elem_type) if left.type.oid != 705 else elem_type
        left = self.coerce(left, target)
        conv = None
        if target.oid != elem_type.oid:
            conv = T.cast_function(elem_type, target)
        lf = left.fn

        def quant(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            values = values_fn(r, c)
            if values is None:
                return None
            if not values:  # ANY over no rows is false, ALL true, whatever the left side
                return is_all
            saw_null = False
            for v in values:
                if v is None or a is None:
                    saw_null = True
                    continue
                if conv is not None:
                    v = conv(v, c.fmt)
                hit = py(a, v)
                if is_all and not hit:
                    return False
                if not is_all and hit:
                    return True
            if saw_null:
                return None
            return is_all

        return CExpr(quant, T.BOOL)

    def _c_EQ(self, node: exp.EQ) -> CExpr:
        return self._compare(node, _op.eq)

    def _c_NEQ(self, node: exp.NEQ) -> CExpr:
        return self._compare(node, _op.ne)

    def _c_GT(self, node: exp.GT) -> CExpr:
        return self._compare(node, _op.gt)

    def _c_GTE(self, node: exp.GTE) -> CExpr:
        return self._compare(node, _op.ge)

    def _c_LT(self, node: exp.LT) -> CExpr:
        return self._compare(node, _op.lt)

    def _c_LTE(self, node: exp.LTE) -> CExpr:
        return self._compare(node, _op.le)

    def _c_NullSafeEQ(self, node: exp.NullSafeEQ) -> CExpr:
        left, right = self.compare_pair(self.compile(node.this), self.compile(node.expression))
        lf, rf = left.fn, right.fn
        return CExpr(lambda r, c: lf(r, c) == rf(r, c), T.BOOL)

    def _c_NullSafeNEQ(self, node: exp.NullSafeNEQ) -> CExpr:
        left, right = self.compare_pair(self.compile(node.this), self.compile(node.expression))
        lf, rf = left.fn, right.fn
        return CExpr(lambda r, c: lf(r, c) != rf(r, c), T.BOOL)

    def _bool(self, node: exp.Expression) -> CExpr:
        ce = self.compile(node)
        if ce.type.oid != 16:
            if ce.type.oid == 705:
                return self.coerce(ce, T.BOOL)
            raise errors.DatatypeMismatch(
                f"argument of WHERE must be type boolean, not type {T.type_label(ce.type)}"
            )
        return ce

    def boolean(self, node: exp.Expression, clause: str = "WHERE") -> CExpr:
        ce = self.compile(node)
        if ce.type.oid == 705:
            return self.coerce(ce, T.BOOL)
        if ce.type.oid != 16:
            raise errors.DatatypeMismatch(
                f"argument of {clause} must be type boolean, not type {T.type_label(ce.type)}"
            )
        return ce

    def _c_And(self, node: exp.And) -> CExpr:
        lf, rf = self._bool(node.this).fn, self._bool(node.expression).fn

        def and_(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            if a is False:
                return False
            b = rf(r, c)
            if b is False:
                return False
            if a is None or b is None:
                return None
            return True

        return CExpr(and_, T.BOOL)

    def _c_Or(self, node: exp.Or) -> CExpr:
        lf, rf = self._bool(node.this).fn, self._bool(node.expression).fn

        def or_(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            if a is True:
                return True
            b = rf(r, c)
            if b is True:
                return True
            if a is None or b is None:
                return None
            return False

        return CExpr(or_, T.BOOL)

    def _c_Not(self, node: exp.Not) -> CExpr:
        f = self._bool(node.this).fn
        return CExpr(lambda r, c: None if (v := f(r, c)) is None else not v, T.BOOL)

    def _c_Is(self, node: exp.Is) -> CExpr:
        if node.args.get("negate") and isinstance(node.expression, exp.Null):
            inner = self.compile(node.this)
            if is_record(inner.type.oid):
                rf0 = inner.fn

                def row_not_null(r: tuple, c: ExecContext) -> bool:
                    v = rf0(r, c)
                    return v is not None and all(x is not None for x in v)
                return CExpr(row_not_null, T.BOOL)
        if node.args.get("negate"):
            plain = exp.Is(this=node.this, expression=node.expression)
            f0 = self._c_Is(plain).fn
            return CExpr(lambda r, c: not f0(r, c), T.BOOL)
        target = node.expression
        inner = self.compile(node.this)
        f = inner.fn
        if isinstance(target, exp.Null):
            if is_record(inner.type.oid):
                # a row IS NULL when every field is; IS NOT NULL (negated) is not its inverse
                def row_is_null(r: tuple, c: ExecContext) -> bool:
                    v = f(r, c)
                    return v is None or all(x is None for x in v)
                return CExpr(row_is_null, T.BOOL)
            return CExpr(lambda r, c: f(r, c) is None, T.BOOL)
        if isinstance(target, exp.Boolean):
            want = bool(target.this)
            if inner.type.oid == 705:
                f = self.coerce(inner, T.BOOL).fn
            return CExpr(lambda r, c: f(r, c) is want, T.BOOL)
        raise errors.FeatureNotSupported(f"IS {target.sql()} is not supported yet")

    def _c_Between(self, node: exp.Between) -> CExpr:
        x = self.compile(node.this)
        lo, hi = self.compile(node.args["low"]), self.compile(node.args["high"])
        x1, lo = self.compare_pair(x, lo)
        x2, hi = self.compare_pair(x, hi)
        xf, lof, hif = x1.fn, lo.fn, hi.fn
        x2f = x2.fn

        def between(r: tuple, c: ExecContext) -> Any:
            v, a, b = xf(r, c), lof(r, c), hif(r, c)
            v2 = x2f(r, c)
            ge = None if v is None or a is None else v >= a
            le = None if v2 is None or b is None else v2 <= b
            if ge is False or le is False:
                return False
            if ge is None or le is None:
                return None
            return True

        return CExpr(between, T.BOOL)

    def _c_In(self, node: exp.In) -> CExpr:
        left = self.compile(node.this)
        query = node.args.get("query")
        if query is not None:
            values_fn, elem_type = self._subquery_column(query.this if isinstance(query, exp.Subquery) else query)
            target = T.common_type(left.type, elem_type) if left.type.oid != 705 else elem_type
            left = self.coerce(left, target)
            conv = T.cast_function(elem_type, target) if target.oid != elem_type.oid else None
            lf = left.fn

            def in_query(r: tuple, c: ExecContext) -> Any:
                a = lf(r, c)
                values = values_fn(r, c)
                if a is None:
                    return None if values else False
                saw_null = False
                for v in values:
                    if v is None:
                        saw_null = True
                    elif (conv(v, c.fmt) if conv else v) == a:
                        return True
                return None if saw_null else False

            return CExpr(in_query, T.BOOL)
        items = [self.compile(e) for e in node.expressions]
        target = left.type
        for it in items:
            if target.oid == 705:
                target = it.type
            elif it.type.oid != 705:
                target = T.common_type(target, it.type)
        if target.oid == 705:
            target = T.TEXT
        left = self.coerce(left, target)
        items = [self.coerce(it, target) for it in items]
        lf = left.fn
        if target.oid == 1042:  # char(n) compares without trailing spaces
            lf = _rstripped(lf)
            items = [CExpr(_rstripped(it.fn), it.type, it.typmod, it.name, it.const)
                     for it in items]
        if all(it.const for it in items):
            consts = [it.fn((), None) for it in items]  # type: ignore[arg-type]
            has_null = any(v is None for v in consts)
            try:
                lookup: Any = frozenset(v for v in consts if v is not None)
            except TypeError:
                lookup = [v for v in consts if v is not None]

            def in_const(r: tuple, c: ExecContext) -> Any:
                a = lf(r, c)
                if a is None:
                    return None
                if a in lookup:
                    return True
                return None if has_null else False

            return CExpr(in_const, T.BOOL)
        fns = [it.fn for it in items]

        def in_list(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            if a is None:
                return None
            saw_null = False
            for f in fns:
                v = f(r, c)
                if v is None:
                    saw_null = True
                elif v == a:
                    return True
            return None if saw_null else False

        return CExpr(in_list, T.BOOL)

    def _like(self, node: exp.Expression, case_insensitive: bool, escape: str | None = "\\") -> CExpr:
        if escape is not None and len(escape) > 1:
            raise errors.DBError("invalid escape string", "22025",
                                 hint="Escape string must be empty or one character.")
        if isinstance(node.expression, (exp.Any, exp.All)):
            return self._like_quantified(node, case_insensitive, escape)
        left = self._as_text_like(self.compile(node.this))
        pattern = self._as_text_like(self.compile(node.expression))
        flags = re.IGNORECASE if case_insensitive else 0
        lf, pf = left.fn, pattern.fn
        if pattern.const:
            pv = pf((), None)  # type: ignore[arg-type]
            if pv is None:
                return _const(None, T.BOOL)
            if _dangling_escape(pv, escape):
                return CExpr(lambda r, c: None if (a := lf(r, c)) is None else
                             _like_match(a, pv, escape, flags), T.BOOL)
            rx = _like_regex(pv, escape, flags)
            return CExpr(lambda r, c: None if (a := lf(r, c)) is None else rx.fullmatch(a) is not None, T.BOOL)

        def like(r: tuple, c: ExecContext) -> Any:
            a, p = lf(r, c), pf(r, c)
            if a is None or p is None:
                return None
            return _like_match(a, p, escape, flags)

        return CExpr(like, T.BOOL)

    def _like_quantified(self, node: exp.Expression, case_insensitive: bool,
                         escape: str | None) -> CExpr:
        """x LIKE ANY (array) / x LIKE ALL (array)."""
        q = node.expression
        is_all = isinstance(q, exp.All)
        inner = q.this.this if isinstance(q.this, exp.Paren) else q.this
        left = self._as_text_like(self.compile(node.this))
        arr = self.compile(inner)
        if arr.type.oid == 705:
            arr = self.coerce(arr, array_of(T.TEXT))
        if arr.type.category != "A":
            raise errors.DBError("op ANY/ALL (array) requires array on right side", "42809")
        flags = re.IGNORECASE if case_insensitive else 0
        lf, af = left.fn, arr.fn

        def like_q(r: tuple, c: ExecContext) -> Any:
            a, pats = lf(r, c), af(r, c)
            if pats is None:
                return None
            saw_null = False
            for p in pats:
                if a is None or p is None:
                    saw_null = True
                    continue
                hit = _like_match(a, p, escape, flags)
                if is_all and not hit:
                    return False
                if not is_all and hit:
                    return True
            return None if saw_null else is_all

        return CExpr(like_q, T.BOOL)

    def _as_text_like(self, ce: CExpr) -> CExpr:
        if ce.type.oid == 705:
            return self.coerce(ce, T.TEXT)
        if not T.is_string(ce.type):
            raise errors.UndefinedFunction(
                f"operator does not exist: {T.type_label(ce.type)} ~~ unknown",
                hint="No operator matches the given name and argument types. "
                "You might need to add explicit type casts.",
            )
        return ce

    def _c_Like(self, node: exp.Like) -> CExpr:
        return self._negated(node, self._like(node, False))

    def _c_ILike(self, node: exp.ILike) -> CExpr:
        return self._negated(node, self._like(node, True))

    @staticmethod
    def _negated(node: exp.Expression, ce: CExpr) -> CExpr:
        """sqlglot marks ``x NOT LIKE p`` with negate=True on the Like node itself."""
        if not node.args.get("negate"):
            return ce
        f = ce.fn
        return CExpr(lambda r, c: None if (v := f(r, c)) is None else not v, T.BOOL)

    def _c_Escape(self, node: exp.Escape) -> CExpr:
        esc_node = node.expression
        esc = esc_node.this if isinstance(esc_node, exp.Literal) else "\\"
        inner = node.this
        if isinstance(inner, exp.SimilarTo):
            return self._c_SimilarTo(inner, esc or None)
        return self._negated(inner, self._like(inner, isinstance(inner, exp.ILike), esc or None))

    def _regex(self, node: exp.Expression, flags: int) -> CExpr:
        from omendb_server.sql.functions_regex import compile_regex

        left = self._as_text_like(self.compile(node.this))
        pattern = self._as_text_like(self.compile(node.expression))
        lf, pf = left.fn, pattern.fn
        cache: dict[str, re.Pattern[str]] = {}

        def match(r: tuple, c: ExecContext) -> Any:
            a, p = lf(r, c), pf(r, c)
            if a is None or p is None:
                return None
            rx = cache.get(p)
            if rx is None:
                rx = cache[p] = compile_regex(p, flags)
            return rx.search(a) is not None

        return CExpr(match, T.BOOL)

    def _c_RegexpLike(self, node: exp.RegexpLike) -> CExpr:
        return self._regex(node, 0)

    def _c_RegexpILike(self, node: exp.RegexpILike) -> CExpr:
        return self._regex(node, re.IGNORECASE)

    def _c_Operator(self, node: exp.Operator) -> CExpr:
        op = str(node.args.get("operator", "")).replace("pg_catalog.", "").strip()
        mapping = {"~": exp.RegexpLike, "~*": exp.RegexpILike, "=": exp.EQ, "<>": exp.NEQ,
                   "<": exp.LT, ">": exp.GT, "<=": exp.LTE, ">=": exp.GTE, "~~": exp.Like,
                   "~~*": exp.ILike}
        if op in ("!~", "!~*"):
            cls = exp.RegexpLike if op == "!~" else exp.RegexpILike
            return self.compile(exp.Not(this=cls(this=node.this, expression=node.expression)))
        cls = mapping.get(op)
        if cls is None:
            raise errors.UndefinedFunction(f"operator does not exist: {op}")
        return self.compile(cls(this=node.this, expression=node.expression))

    # -- casts, CASE, arrays ----------------------------------------------------
    def _c_Cast(self, node: exp.Cast) -> CExpr:
        inner = self.compile(node.this)
        target, typmod = datatype_from_node(node.args["to"])
        if typmod >= 0 and target.oid in (1042, 1043) and not inner.param:
            # an explicit cast to char(n)/varchar(n) truncates instead of raising 22001
            out = self._truncating_cast(inner, target, typmod)
        elif typmod >= 0 and target.oid in (1560, 1562) and not inner.param and not T.is_integer(inner.type):
            # an explicit cast to bit(n) pads or truncates, to varbit(n) truncates
            from omendb_server.datatypes.bits import explicit_length

            bits = self.coerce(inner, target, -1, explicit=True)
            bf, varying = bits.fn, target.oid == 1562
            out = CExpr(lambda r, c: None if (v := bf(r, c)) is None else explicit_length(v, typmod, varying),
                        target, typmod, bits.name)
        else:
            out = self.coerce(inner, target, typmod, explicit=True)
        # PostgreSQL's FigureColname: a column or function keeps its name through casts,
        # anything else is named after the (outermost) type.
        base = node.this
        while isinstance(base, (exp.Cast, exp.Paren)):
            base = base.this
        name = inner.name if isinstance(base, exp.Column) else (
            target.element.name if target.element is not None and target.category == "A"
            else target.name)
        if isinstance(base, (exp.Func, exp.IntDiv, exp.AtTimeZone)) and inner.name != "?column?":
            name = inner.name
        return CExpr(out.fn, target, typmod, name, out.const, 0, (0, 0))

    _c_TryCast = _c_Cast

    def _truncating_cast(self, inner: CExpr, target: DataType, typmod: int) -> CExpr:
        plain = self.coerce(inner, target, -1, explicit=True)
        n = typmod - 4
        apply = target.apply_typmod
        f = plain.fn
        if plain.const:
            v = f((), None)  # type: ignore[arg-type]
            value = None if v is None else apply(v[:n], typmod)
            return CExpr(lambda r, c: value, target, typmod, plain.name, const=True)
        return CExpr(lambda r, c: None if (v := f(r, c)) is None else apply(v[:n], typmod),
                     target, typmod, plain.name)

    def _c_Case(self, node: exp.Case) -> CExpr:
        subject = self.compile(node.this) if node.this is not None else None
        conds: list[Fn] = []
        results: list[CExpr] = []
        for branch in node.args.get("ifs") or []:
            if subject is not None:
                l, r = self.compare_pair(subject, self.compile(branch.this))
                lf, rf = l.fn, r.fn
                conds.append(lambda row, c, lf=lf, rf=rf: (a := lf(row, c)) is not None
                             and (b := rf(row, c)) is not None and a == b)
            else:
                conds.append(self.boolean(branch.this, "CASE").fn)
            results.append(self.compile(branch.args["true"]))
        default = self.compile(node.args["default"]) if node.args.get("default") is not None else None
        all_results = results + ([default] if default is not None else [])
        rtype = self._unify([r.type for r in all_results])
        results = [self.coerce(r, rtype) for r in results]
        dfn = self.coerce(default, rtype).fn if default is not None else (lambda r, c: None)
        pairs = [(cf, rr.fn) for cf, rr in zip(conds, results)]

        def case(r: tuple, c: ExecContext) -> Any:
            for cf, rf in pairs:
                if cf(r, c):
                    return rf(r, c)
            return dfn(r, c)

        # FigureColname: CASE takes the name of its ELSE expression when that is a column
        name = "case"
        dnode = node.args.get("default")
        if default is not None and isinstance(dnode, exp.Column):
            name = default.name
        return CExpr(case, rtype, -1, name)

    def _unify(self, types: list[DataType]) -> DataType:
        rtype = T.UNKNOWN
        for t in types:
            if rtype.oid == 705:
                rtype = t
            elif t.oid != 705 and t.oid != rtype.oid:
                rtype = T.common_type(rtype, t)
        return T.TEXT if rtype.oid == 705 else rtype

    def _c_Coalesce(self, node: exp.Coalesce) -> CExpr:
        args = [self.compile(node.this)] + [self.compile(e) for e in node.expressions]
        rtype = self._unify([a.type for a in args])
        fns = [self.coerce(a, rtype).fn for a in args]

        def coalesce(r: tuple, c: ExecContext) -> Any:
            for f in fns:
                v = f(r, c)
                if v is not None:
                    return v
            return None

        return CExpr(coalesce, rtype, -1, "coalesce")

    def _c_Nullif(self, node: exp.Nullif) -> CExpr:
        first = self.compile(node.this)
        a, b = self.compare_pair(first, self.compile(node.expression))
        af, bf = a.fn, b.fn
        if first.type.oid in (705, a.type.oid):
            return CExpr(lambda r, c: None if (v := af(r, c)) is not None and v == bf(r, c)
                         else v, a.type, a.typmod, "nullif")
        # NULLIF keeps its first argument's type; only the comparison uses the common type
        ff = first.fn
        conv = T.cached_cast(first.type, a.type)

        def nullif(r: tuple, c: ExecContext) -> Any:
            v = ff(r, c)
            if v is None:
                return None
            w = bf(r, c)
            return None if w is not None and conv(v, c.fmt) == w else v

        return CExpr(nullif, first.type, first.typmod, "nullif")

    def _greatest_least(self, node: exp.Expression, pick: Callable[..., Any], name: str) -> CExpr:
        args = [self.compile(node.this)] + [self.compile(e) for e in node.expressions]
        rtype = self._unify([a.type for a in args])
        fns = [self.coerce(a, rtype).fn for a in args]

        def gl(r: tuple, c: ExecContext) -> Any:
            vals = [v for f in fns if (v := f(r, c)) is not None]
            return pick(vals) if vals else None

        return CExpr(gl, rtype, -1, name)

    def _c_Greatest(self, node: exp.Greatest) -> CExpr:
        return self._greatest_least(node, max, "greatest")

    def _c_Least(self, node: exp.Least) -> CExpr:
        return self._greatest_least(node, min, "least")

    def _c_Array(self, node: exp.Array) -> CExpr:
        if len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Query):
            # ARRAY(SELECT ...): the subquery's single column as an array ('{}' for no rows)
            values, t = self._subquery_column(node.expressions[0])
            return CExpr(lambda r, c: list(values(r, c)), array_of(t), -1, "array")
        items = [self.compile(e) for e in node.expressions]
        etype = self._unify([i.type for i in items]) if items else T.TEXT
        fns = [self.coerce(i, etype).fn for i in items]
        from omendb_server.datatypes.arrays import PgArray

        if etype.category == "A":
            def nested(r: tuple, c: ExecContext) -> Any:
                vals = [f(r, c) for f in fns]
                shapes = {_array_shape(v) for v in vals if v is not None}
                if len(shapes) > 1 or (shapes and None in vals):
                    raise errors.DBError("multidimensional arrays must have array expressions "
                                         "with matching dimensions", "2202E")
                return PgArray(vals)
            return CExpr(nested, array_of(etype), -1, "array")
        return CExpr(lambda r, c: PgArray([f(r, c) for f in fns]), array_of(etype), -1, "array")

    def _c_Bracket(self, node: exp.Bracket) -> CExpr:
        from omendb_server.sql.functions_array import subscript

        return subscript(self, node)

    # -- array and json operators (functions_array / functions_json) ---------------------
    def _c_ArrayContainsAll(self, node: exp.Expression) -> CExpr:
        from omendb_server.sql.functions_array import array_containment

        return array_containment(self, node, "contains")

    _c_ArrayContains = _c_ArrayContainsAll

    def _c_ArrayContainedBy(self, node: exp.Expression) -> CExpr:
        from omendb_server.sql.functions_array import array_containment

        return array_containment(self, node, "contained")

    def _c_ArrayOverlaps(self, node: exp.Expression) -> CExpr:
        from omendb_server.sql.functions_array import array_containment

        return array_containment(self, node, "overlaps")

    def _json_extract(self, node: exp.Expression, as_text: bool, path: bool) -> CExpr:
        from omendb_server.sql.functions_json import extract

        return extract(self, node, as_text, path)

    def _c_Lambda(self, node: exp.Lambda) -> CExpr:
        # sqlglot reads "col -> 'key'" inside a call's arguments as a lambda
        params = node.expressions
        if len(params) == 1 and isinstance(params[0], exp.Identifier):
            col = exp.Column(this=params[0].copy())
            return self._json_extract(exp.JSONExtract(this=col, expression=node.this.copy()),
                                      False, False)
        raise errors.FeatureNotSupported(f"expression not supported yet: {node.sql()[:200]}")

    def _c_Overlaps(self, node: exp.Expression) -> CExpr:
        from omendb_server.sql.functions_datetime import overlaps

        return overlaps(self, node)

    def _c_JSONExtract(self, node: exp.Expression) -> CExpr:
        return self._json_extract(node, False, False)

    def _c_JSONExtractScalar(self, node: exp.Expression) -> CExpr:
        return self._json_extract(node, True, False)

    def _c_JSONBExtract(self, node: exp.Expression) -> CExpr:
        return self._json_extract(node, False, True)

    def _c_JSONBExtractScalar(self, node: exp.Expression) -> CExpr:
        return self._json_extract(node, True, True)

    def _json_keys(self, node: exp.Expression, mode: str) -> CExpr:
        from omendb_server.sql.functions_json import key_exists

        return key_exists(self, node, mode)

    def _c_JSONBContainsTopKey(self, node: exp.Expression) -> CExpr:
        return self._json_keys(node, "one")

    def _c_JSONBContainsAnyTopKeys(self, node: exp.Expression) -> CExpr:
        return self._json_keys(node, "any")

    def _c_JSONBContainsAllTopKeys(self, node: exp.Expression) -> CExpr:
        return self._json_keys(node, "all")

    def _c_JSONBDeleteAtPath(self, node: exp.Expression) -> CExpr:
        from omendb_server.sql.functions_array import container_operator

        left, right = self.compile(node.this), self.compile(node.expression)
        hit = container_operator(self, "#-", left, right)
        if hit is None:
            raise errors.UndefinedFunction(
                f"operator does not exist: {T.type_label(left.type)} #- {T.type_label(right.type)}",
                hint="No operator matches the given name and argument types. "
                "You might need to add explicit type casts.")
        return hit

    # -- subqueries ----------------------------------------------------------------
    def _subquery_column(self, query: exp.Expression) -> tuple[Fn, DataType]:
        plan, correlated = self.planner.subquery(query, self.scope)
        if len(plan.columns) != 1:
            raise errors.SyntaxError("subquery has too many columns")
        key = id(plan)

        def values(r: tuple, c: ExecContext) -> list[Any]:
            if not correlated:
                cached = c.subquery_cache.get(key)
                if cached is not None:
                    return cached
            c.outer.append(r)
            try:
                out = [row[0] for row in plan.rows(c)]
            finally:
                c.outer.pop()
            if not correlated:
                c.subquery_cache[key] = out
            return out

        return values, plan.columns[0].type

    def _c_Subquery(self, node: exp.Subquery) -> CExpr:
        values, t = self._subquery_column(node.this)

        def scalar(r: tuple, c: ExecContext) -> Any:
            vals = values(r, c)
            if len(vals) > 1:
                raise errors.DBError("more than one row returned by a subquery used as an expression", "21000")
            return vals[0] if vals else None

        return CExpr(scalar, t)

    def _c_Exists(self, node: exp.Exists) -> CExpr:
        query = node.this
        plan, correlated = self.planner.subquery(query, self.scope)
        key = id(plan)

        def exists(r: tuple, c: ExecContext) -> bool:
            if not correlated and key in c.subquery_cache:
                return c.subquery_cache[key]
            c.outer.append(r)
            try:
                found = next(iter(plan.rows(c)), None) is not None
            finally:
                c.outer.pop()
            if not correlated:
                c.subquery_cache[key] = found
            return found

        return CExpr(exists, T.BOOL, -1, "exists")

    # -- functions -------------------------------------------------------------------
    @staticmethod
    def _func_name(node: exp.Expression) -> str:
        if isinstance(node, exp.Anonymous):
            return str(node.this).lower()
        if isinstance(node, exp.Count):
            return "count"
        if isinstance(node, exp.GroupConcat):
            return "string_agg"
        if isinstance(node, exp.ArrayAgg):
            return "array_agg"
        if isinstance(node, exp.Func):
            return node.sql_name().lower()
        return ""

    def _function(self, node: exp.Expression) -> CExpr:
        from omendb_server.sql.functions import compile_function

        name = self._func_name(node)
        if name in AGGREGATES:
            raise errors.GroupingError(
                "aggregate functions are not allowed in this context"
            )
        return compile_function(self, node, name)


def _load_function_modules() -> None:
    """Import the functions_* modules once ExprCompiler exists: they register scalar
    functions and set-returning functions (the planner's SRF registry) at import time."""
    from omendb_server.sql import functions

    functions._load_modules()


_load_function_modules()
