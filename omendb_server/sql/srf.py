"""Set-returning functions: one registry used in FROM and in the select list.

A resolver sees the compiled arguments (so it can pick types and coerce them) and
returns an ``Srf``: the output columns and a ``produce(values, ctx)`` that yields row
tuples. ``FROM f(...)`` scans those rows (``join_ops.FunctionScan``); ``SELECT f(...)``
runs every SRF of the select list in lock-step, as PostgreSQL 10+ does (``ProjectSet``).

Other modules register their functions here (``register("jsonb_array_elements", ...)``)
instead of teaching the planner about each one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from omendb_server import errors
from omendb_server.datatypes import DataType
from omendb_server.datatypes.arrays import BoundedArray
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext

if TYPE_CHECKING:
    from omendb_server.sql.expr import CExpr, ExprCompiler

Produce = Callable[[list[Any], ExecContext], Iterable[tuple[Any, ...]]]


@dataclass
class Srf:
    #: (name, type) of each output column; a single column is named after the function.
    columns: list[tuple[str, DataType]]
    #: The arguments after coercion (their ``fn`` are evaluated per call).
    args: list[CExpr]
    produce: Produce


Resolver = Callable[["ExprCompiler", list["CExpr"], str], Srf]
REGISTRY: dict[str, Resolver] = {}


def register(name: str, resolver: Resolver) -> None:
    REGISTRY[name] = resolver


def resolve(comp: ExprCompiler, name: str, args: list[CExpr]) -> Srf:
    resolver = REGISTRY.get(name)
    if resolver is None:
        raise errors.UndefinedFunction(f"function {name} does not exist")
    return resolver(comp, args, name)


def _no_function(name: str, args: list[CExpr]) -> errors.DBError:
    labels = ", ".join(T.type_label(a.type) for a in args)
    return errors.UndefinedFunction(
        f"function {name}({labels}) does not exist",
        hint="No function matches the given name and argument types. "
        "You might need to add explicit type casts.")


# -- generate_series ---------------------------------------------------------------------
def _generate_series(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    if len(args) not in (2, 3):
        raise _no_function(name, args)
    if all(a.type.oid == 705 for a in args):
        # int4, int8, numeric (and, with three, the timestamp forms) fit equally well
        raise errors.DBError(
            f"function {name}({', '.join(['unknown'] * len(args))}) is not unique", "42725",
            hint="Could not choose a best candidate function. You might need to add explicit type casts.")
    types = [a.type for a in args[:2]]
    known = [t for t in types if t.oid != 705]
    if known and all(t.oid in (1082, 1114, 1184) for t in known):
        # date → timestamptz, PostgreSQL's preferred type of the category, unless a
        # timestamp argument makes (timestamp, timestamp, interval) the closer match
        t = T.TIMESTAMP if any(x.oid == 1114 for x in known) and \
            not any(x.oid == 1184 for x in known) else T.TIMESTAMPTZ
        if len(args) != 3:
            raise _no_function(name, args)
        bounds = [comp.coerce(a, t) for a in args[:2]]
        step = comp.coerce(args[2], T.INTERVAL)
        from omendb_server.sql.functions_datetime import ts_plus_interval, zone

        def ts_series(values: list[Any], ctx: ExecContext) -> Iterable[tuple[Any, ...]]:
            a, b, st = values
            if a is None or b is None or st is None:
                return
            tz = zone(ctx) if t is T.TIMESTAMPTZ else None
            nxt = ts_plus_interval(a, st, tz)
            if nxt == a:
                raise errors.InvalidParameterValue("step size cannot equal zero")
            v = a
            if nxt > a:
                while v <= b:
                    yield (v,)
                    v = ts_plus_interval(v, st, tz)
            else:
                while v >= b:
                    yield (v,)
                    v = ts_plus_interval(v, st, tz)

        return Srf([(name, t)], bounds + [step], ts_series)
    t = comp._unify([a.type for a in args])
    if t.oid == 705 or T.is_integer(t):
        t = T.INT8 if any(a.type.oid == 20 for a in args) else T.INT4
    elif t.oid != 1700:
        raise _no_function(name, args)
    coerced = [comp.coerce(a, t) for a in args]

    def series(values: list[Any], ctx: ExecContext) -> Iterable[tuple[Any, ...]]:
        a, b = values[0], values[1]
        step = values[2] if len(values) > 2 else 1
        if a is None or b is None or step is None:
            return
        if step == 0:
            raise errors.InvalidParameterValue("step size cannot equal zero")
        if isinstance(a, Decimal) and (a.is_nan() or b.is_nan()):
            raise errors.InvalidParameterValue("start value cannot be NaN")
        v = a
        if step > 0:
            while v <= b:
                yield (v,)
                v += step
        else:
            while v >= b:
                yield (v,)
                v += step

    return Srf([(name, t)], coerced, series)


def _generate_subscripts(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    if len(args) not in (2, 3) or args[0].type.category != "A":
        raise _no_function(name, args)
    dim = comp.coerce(args[1], T.INT4)
    rest = [comp.coerce(args[2], T.BOOL)] if len(args) == 3 else []
    # int2vector / oidvector subscripts start at 0 (pg_index.indkey[0] is the first column)
    low = 0 if args[0].type.oid in (22, 30) else 1

    def subscripts(values: list[Any], ctx: ExecContext) -> Iterable[tuple[Any, ...]]:
        arr, d = values[0], values[1]
        if arr is None or d != 1 or not arr:
            return
        first = arr.lbounds[0] if type(arr) is BoundedArray else low  # '[0:2]={...}'
        idx = range(first, len(arr) + first)
        if len(values) > 2 and values[2]:
            idx = range(len(arr) + first - 1, first - 1, -1)
        for i in idx:
            yield (i,)

    return Srf([(name, T.INT4)], [args[0], dim] + rest, subscripts)


# -- unnest --------------------------------------------------------------------------------
def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for v in value:
        if isinstance(v, list):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def _unnest(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    if not args:
        raise _no_function(name, args)
    cols: list[tuple[str, DataType]] = []
    coerced = []
    for a in args:
        if a.type.oid == 705:
            raise errors.IndeterminateDatatype("could not determine polymorphic type because "
                                               "input has type unknown")
        if a.type.oid in (22, 30):  # int2vector / oidvector: arrays of int2 / oid
            cols.append((name, T.TYPES_BY_OID[21] if a.type.oid == 22 else T.OID))
            coerced.append(a)
            continue
        if a.type.category != "A" or a.type.element is None:
            raise _no_function(name, args)
        cols.append((name, a.type.element))
        coerced.append(a)

    def unnest(values: list[Any], ctx: ExecContext) -> Iterable[tuple[Any, ...]]:
        lists = [_flatten(v) if v is not None else [] for v in values]
        n = max((len(x) for x in lists), default=0)
        for i in range(n):
            yield tuple(x[i] if i < len(x) else None for x in lists)

    return Srf(cols, coerced, unnest)


register("generate_series", _generate_series)
register("generate_subscripts", _generate_subscripts)
register("unnest", _unnest)

# functions over other types register themselves here (imported last: they use ``register``)
from omendb_server.sql import srf_builtin  # noqa: F401
