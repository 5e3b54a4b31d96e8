"""Aggregate functions as init/step/final objects, shared by GROUP BY and window operators.

An ``AggImpl`` lives in ``AggSpec.extra``; the Aggregate operator (and the window
operator, through the same ``_AggState``/``_step``/``_final`` helpers) calls
``init()`` once per group, ``step()`` per input row and ``final()`` at the end. The
wrapper handles what every aggregate shares — FILTER (WHERE ...), DISTINCT, ORDER BY
inside the call and WITHIN GROUP — so each aggregate below is only its arithmetic.
Plain count/sum/avg/min/max keep the operator's built-in fast path.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, localcontext
from functools import cmp_to_key
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID, DataType, array_of
from omendb_server.datatypes import jsonb as J
from omendb_server.datatypes.arrays import PgArray
from omendb_server.datatypes.misc import is_record
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext

Fn = Callable[[tuple, ExecContext], Any]
#: (sort key fn, descending, nulls first)
SortKey = tuple[Fn, bool, bool]

JSON = TYPES_BY_OID[114]
JSONB = TYPES_BY_OID[3802]

#: Aggregates implemented here (beyond the operator's built-in count/sum/avg/min/max).
ORDERED_SET = {"percentile_cont", "percentile_disc", "mode"}
NAMES = {"stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop",
         "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg", "bit_and", "bit_or",
         "bool_and", "bool_or", "every", "string_agg", "array_agg", "count", "sum", "avg",
         "min", "max", "corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept",
         "regr_r2", "regr_count", "regr_avgx", "regr_avgy", "regr_sxx", "regr_syy",
         "regr_sxy"} | ORDERED_SET


class AggState:
    __slots__ = ("acc", "direct", "rows")

    def __init__(self) -> None:
        self.rows: list[Any] | None = None
        self.direct: tuple[Any, ...] | None = None
        self.acc: Any = None


class AggImpl:
    """One aggregate call: argument closures, FILTER, DISTINCT, ORDER BY, and its kernel."""

    def __init__(self, kernel: Kernel, args: list[Fn], filter_fn: Fn | None, distinct: bool,
                 order: list[SortKey], star: bool = False, direct: list[Fn] | None = None) -> None:
        self.kernel = kernel
        self.args = args
        self.filter_fn = filter_fn
        self.distinct = distinct
        self.order = order
        self.star = star
        #: Direct arguments of an ordered-set aggregate (the fraction of percentile_cont).
        self.direct = direct or []
        self.buffer = bool(order) or distinct

    def init(self) -> AggState:
        st = AggState()
        st.acc = self.kernel.init()
        if self.buffer:
            st.rows = []
        return st

    def step(self, st: AggState, row: tuple, ctx: ExecContext) -> None:
        if self.filter_fn is not None and self.filter_fn(row, ctx) is not True:
            return
        vals = tuple(f(row, ctx) for f in self.args) if not self.star else ()
        if self.direct and st.direct is None:
            st.direct = tuple(f(row, ctx) for f in self.direct)
        if self.buffer:
            if not self.kernel.keeps_nulls and vals and vals[0] is None:
                return
            keys = tuple(k(row, ctx) for k, _, _ in self.order)
            st.rows.append((keys, vals))  # type: ignore[union-attr]
            return
        st.acc = self.kernel.step(st.acc, vals)

    def final(self, st: AggState) -> Any:
        acc = st.acc
        if self.buffer and st.rows is not None:
            # replay into a fresh accumulator: a window may ask for the value repeatedly
            acc = self.kernel.init()
            rows = st.rows
            if self.order:
                rows = sorted(rows, key=cmp_to_key(self._compare))
            elif self.distinct:
                # PostgreSQL removes duplicates by sorting the arguments: ascending, NULLs last
                rows = sorted(rows, key=lambda kv: tuple((1, 0) if v is None else (0, v) for v in kv[1]))
            if self.distinct:
                seen: set[Any] = set()
                uniq = []
                for keys, vals in rows:
                    marker = _hashable(vals)
                    if marker in seen:
                        continue
                    seen.add(marker)
                    uniq.append((keys, vals))
                rows = uniq
            for _, vals in rows:
                acc = self.kernel.step(acc, vals)
        if self.direct or isinstance(self.kernel, Mode):
            return self.kernel.final_direct(acc, st.direct)
        return self.kernel.final(acc)

    def _compare(self, a: Any, b: Any) -> int:
        for (_, desc, nulls_first), x, y in zip(self.order, a[0], b[0]):
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return (-1 if nulls_first else 1) if x is None else (1 if nulls_first else -1)
            if x == y:
                continue
            lt = x < y
            return (1 if lt else -1) if desc else (-1 if lt else 1)
        return 0


def _hashable(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    return v


class Kernel:
    """The arithmetic of one aggregate over argument tuples."""

    keeps_nulls = False

    def init(self) -> Any:
        return None

    def step(self, acc: Any, vals: tuple) -> Any:
        raise NotImplementedError

    def final(self, acc: Any) -> Any:
        return acc

    def final_direct(self, acc: Any, direct: Any) -> Any:
        raise NotImplementedError


class Count(Kernel):
    def __init__(self, star: bool) -> None:
        self.star = star
        self.keeps_nulls = star

    def init(self) -> int:
        return 0

    def step(self, acc: int, vals: tuple) -> int:
        if self.star or vals[0] is not None:
            return acc + 1
        return acc


class SumAvg(Kernel):
    def __init__(self, avg: bool, rtype: DataType) -> None:
        self.avg = avg
        self.rtype = rtype

    def init(self) -> list[Any]:
        return [None, 0]

    def step(self, acc: list[Any], vals: tuple) -> list[Any]:
        v = vals[0]
        if v is not None:
            acc[0] = v if acc[0] is None else acc[0] + v
            acc[1] += 1
        return acc

    def final(self, acc: list[Any]) -> Any:
        total, n = acc
        if total is None:
            return None
        oid = self.rtype.oid
        if self.avg:
            if oid == 701:
                return total / n
            if oid == 1186:
                from omendb_server.sql.functions_datetime import interval_div

                return interval_div(total, n)
            return T.numeric_div(Decimal(total), Decimal(n))
        if oid == 20:
            return T.check_int(total, 20)
        if oid == 1700:
            return Decimal(total)
        return total


class MinMax(Kernel):
    def __init__(self, is_max: bool, nan_aware: bool = False) -> None:
        self.is_max = is_max
        self.nan_aware = nan_aware

    def step(self, acc: Any, vals: tuple) -> Any:
        v = vals[0]
        if v is None:
            return acc
        if acc is None:
            return v
        if self.nan_aware and (T.is_nan(v) or T.is_nan(acc)):
            # NaN sorts above every number in PostgreSQL
            v_nan, acc_nan = T.is_nan(v), T.is_nan(acc)
            if self.is_max:
                return v if v_nan and not acc_nan else acc
            return v if acc_nan and not v_nan else acc
        if v > acc if self.is_max else v < acc:
            return v
        return acc


class BoolAgg(Kernel):
    def __init__(self, is_and: bool) -> None:
        self.is_and = is_and

    def step(self, acc: Any, vals: tuple) -> Any:
        v = vals[0]
        if v is None:
            return acc
        if acc is None:
            return v
        return (acc and v) if self.is_and else (acc or v)


class BitAgg(Kernel):
    def __init__(self, is_and: bool) -> None:
        self.is_and = is_and

    def step(self, acc: Any, vals: tuple) -> Any:
        v = vals[0]
        if v is None:
            return acc
        if acc is None:
            return v
        return (acc & v) if self.is_and else (acc | v)


class StringAgg(Kernel):
    def init(self) -> list[str]:
        return []

    def step(self, acc: list[str], vals: tuple) -> list[str]:
        v = vals[0]
        if v is None:
            return acc
        if acc:
            sep = vals[1] if len(vals) > 1 else None
            if sep is not None:
                acc.append(sep)
        acc.append(v)
        return acc

    def final(self, acc: list[Any]) -> Any:
        if not acc:
            return None
        if isinstance(acc[0], bytes):
            return b"".join(acc)
        return "".join(acc)


class ArrayAgg(Kernel):
    keeps_nulls = True

    def __init__(self, of_arrays: bool = False) -> None:
        #: array_agg(anyarray) builds a higher-dimensional array and rejects NULL inputs
        self.of_arrays = of_arrays

    def init(self) -> list[Any] | None:
        return None

    def step(self, acc: list[Any] | None, vals: tuple) -> list[Any]:
        if acc is None:
            acc = PgArray()
        v = vals[0]
        if isinstance(v, list) and acc and _shape(v) != _shape(acc[0]):
            raise errors.DBError("cannot accumulate arrays of different dimensionality", "2202E")
        if v is None and self.of_arrays:
            raise errors.DBError("cannot accumulate null arrays", "22004")
        acc.append(v)
        return acc


def _shape(v: Any) -> tuple[int, ...]:
    dims = []
    while isinstance(v, list):
        dims.append(len(v))
        v = v[0] if v else None
    return tuple(dims)


class JsonAgg(Kernel):
    keeps_nulls = True

    def __init__(self, binary: bool, oid: int, eoid: int) -> None:
        self.binary = binary
        self.oid = oid
        self.eoid = eoid

    def step(self, acc: list[Any] | None, vals: tuple) -> list[Any]:
        if acc is None:
            acc = []
        acc.append(J.to_json_value(vals[0], self.oid, self.eoid))
        return acc

    def final(self, acc: list[Any] | None) -> Any:
        if acc is None:
            return None
        if self.binary:
            return J.jsonb_out(acc)
        # PostgreSQL puts a newline before every array or composite element after the first
        sep = ", \n " if is_record(self.oid) or self.eoid else ", "
        return "[" + sep.join(J.dump_json_compact(v) for v in acc) + "]"


class JsonObjectAgg(Kernel):
    keeps_nulls = True

    def __init__(self, binary: bool, key_out: Callable[[Any], str], oid: int, eoid: int) -> None:
        self.binary = binary
        self.key_out = key_out
        self.oid = oid
        self.eoid = eoid

    def step(self, acc: list[Any] | None, vals: tuple) -> list[Any]:
        if acc is None:
            acc = []
        k = vals[0]
        if k is None:
            raise errors.InvalidParameterValue("field name must not be null")
        acc.append((self.key_out(k), J.to_json_value(vals[1], self.oid, self.eoid)))
        return acc

    def final(self, acc: list[Any] | None) -> Any:
        if acc is None:
            return None
        if self.binary:
            return J.jsonb_out(dict(acc))
        return "{ " + ", ".join(J.quote(k) + " : " + J.dump_json_compact(v) for k, v in acc) + " }"


class Moments(Kernel):
    """variance/stddev: exact sums for integers and numeric, floats as PostgreSQL does."""

    def __init__(self, name: str, numeric: bool) -> None:
        self.name = name
        self.numeric = numeric

    def init(self) -> list[Any]:
        return [0, 0, 0]

    def step(self, acc: list[Any], vals: tuple) -> list[Any]:
        v = vals[0]
        if v is None:
            return acc
        if self.numeric:
            v = Decimal(v)
        acc[0] += 1
        acc[1] += v
        acc[2] += v * v
        return acc

    def final(self, acc: list[Any]) -> Any:
        n, sx, sxx = acc
        pop = self.name.endswith("_pop")
        if n == 0 or (n == 1 and not pop):
            return None
        if not self.numeric:
            mean = sx / n
            var = max((sxx - sx * mean) / (n if pop else n - 1), 0.0)
            return math.sqrt(var) if self.name.startswith("stddev") else var
        with localcontext() as lc:
            lc.prec = 80
            num = n * sxx - sx * sx
            den = Decimal(n * n if pop else n * (n - 1))
        if num <= 0:
            num = Decimal(0)
        var = T.numeric_div(Decimal(num), den)
        if not self.name.startswith("stddev"):
            return var
        scale = -var.as_tuple().exponent if isinstance(var.as_tuple().exponent, int) else 0
        with localcontext() as lc:
            lc.prec = 80
            root = var.sqrt()
        return root.quantize(Decimal(1).scaleb(-max(scale, 0)))


class TwoVar(Kernel):
    """corr/covar_*/regr_* over (y, x) pairs where both are non-NULL."""

    def __init__(self, name: str) -> None:
        self.name = name

    def init(self) -> list[float]:
        return [0, 0.0, 0.0, 0.0, 0.0, 0.0]

    def step(self, acc: list[Any], vals: tuple) -> list[Any]:
        y, x = vals
        if y is None or x is None:
            return acc
        acc[0] += 1
        acc[1] += x
        acc[2] += y
        acc[3] += x * x
        acc[4] += y * y
        acc[5] += x * y
        return acc

    def final(self, acc: list[Any]) -> Any:
        n, sx, sy, sxx, syy, sxy = acc
        name = self.name
        if name == "regr_count":
            return n
        if n == 0:
            return None
        cxx = sxx - sx * sx / n
        cyy = syy - sy * sy / n
        cxy = sxy - sx * sy / n
        if name == "covar_pop":
            return cxy / n
        if name == "covar_samp":
            return None if n < 2 else cxy / (n - 1)
        if name == "regr_avgx":
            return sx / n
        if name == "regr_avgy":
            return sy / n
        if name == "regr_sxx":
            return cxx
        if name == "regr_syy":
            return cyy
        if name == "regr_sxy":
            return cxy
        if name == "corr":
            if cxx == 0 or cyy == 0:
                return None
            return cxy / math.sqrt(cxx * cyy)
        if name == "regr_slope":
            return None if cxx == 0 else cxy / cxx
        if name == "regr_intercept":
            return None if cxx == 0 else (sy - sx * cxy / cxx) / n
        if name == "regr_r2":
            if cxx == 0:
                return None
            if cyy == 0:
                return 1.0
            return (cxy * cxy) / (cxx * cyy)
        return None


class Percentile(Kernel):
    keeps_nulls = False

    def __init__(self, name: str) -> None:
        self.name = name

    def init(self) -> list[Any]:
        return []

    def step(self, acc: list[Any], vals: tuple) -> list[Any]:
        if vals[0] is not None:
            acc.append(vals[0])
        return acc

    def final_direct(self, acc: list[Any], direct: Any) -> Any:
        if not acc or direct is None:
            return None
        frac = direct[0]
        if frac is None:
            return None
        if isinstance(frac, list):
            return [None if f is None else self._one(acc, f) for f in frac]
        return self._one(acc, frac)

    def _one(self, values: list[Any], frac: float) -> Any:
        if not 0 <= frac <= 1:
            raise errors.DBError(f"percentile value {frac:g} is not between 0 and 1", "22003")
        n = len(values)
        if self.name == "percentile_disc":
            idx = max(math.ceil(frac * n) - 1, 0)
            return values[idx]
        pos = frac * (n - 1)
        lo = math.floor(pos)
        hi = math.ceil(pos)
        a, b = values[lo], values[hi]
        if lo == hi:
            return a
        if hasattr(a, "months"):
            from omendb_server.sql.functions_datetime import interval_add, interval_mul

            return interval_add(a, interval_mul(interval_add(b, a, -1), pos - lo))
        return a + (b - a) * (pos - lo)


class Mode(Kernel):
    def init(self) -> list[Any]:
        return []

    def step(self, acc: list[Any], vals: tuple) -> list[Any]:
        if vals[0] is not None:
            acc.append(vals[0])
        return acc

    def final_direct(self, acc: list[Any], direct: Any) -> Any:
        if not acc:
            return None
        counts = Counter(acc)
        best = max(counts.values())
        for v in acc:  # first in sort order among the most frequent
            if counts[v] == best:
                return v
        return None


def resolve(comp: Any, name: str, args: list[Any], star: bool, direct: list[Any],
            order_types: list[DataType]) -> tuple[DataType, Kernel, list[Any], list[Any]]:
    """Types and kernel of aggregate ``name``: (result type, kernel, coerced args, direct)."""
    from omendb_server.sql.functions import undefined_function

    def no_function() -> errors.DBError:
        return undefined_function(name, [a.type for a in args] if not star else [])

    if name == "count":
        if len(args) > 1:
            raise no_function()
        return T.INT8, Count(star), args, []
    if not args and name not in ORDERED_SET:
        raise no_function()
    if name in ("sum", "avg"):
        a = args[0]
        if a.type.oid == 705:
            args = [comp.coerce(a, T.NUMERIC)]
            a = args[0]
        oid = a.type.oid
        if oid == 1186:
            return T.INTERVAL, SumAvg(name == "avg", T.INTERVAL), args, []
        if oid == 790 and name == "sum":  # sum(money) is money; there is no avg(money)
            return a.type, SumAvg(False, a.type), args, []
        if not T.is_numeric(a.type):
            raise no_function()
        if name == "sum":
            rtype = T.INT8 if oid in (21, 23) else T.NUMERIC if oid in (20, 1700) else \
                T.FLOAT4 if oid == 700 else T.FLOAT8
        else:
            rtype = T.FLOAT8 if oid in (700, 701) else T.NUMERIC
        return rtype, SumAvg(name == "avg", rtype), args, []
    if name in ("min", "max"):
        if args[0].type.oid in (114, 3802, 16, 2950) and len(args) == 1:
            raise no_function()  # PostgreSQL has no min/max for json, jsonb, boolean, uuid
        if args[0].type.oid in (705, 1043, 19):
            args = [comp.coerce(args[0], T.TEXT)]  # min(varchar) resolves to min(text)
        return args[0].type, MinMax(name == "max", args[0].type.oid in (700, 701, 1700)), args, []
    if name in ("bool_and", "bool_or", "every"):
        args = [comp.coerce(a, T.BOOL) for a in args]
        return T.BOOL, BoolAgg(name != "bool_or"), args, []
    if name in ("bit_and", "bit_or"):
        if not T.is_integer(args[0].type):
            raise no_function()
        return args[0].type, BitAgg(name == "bit_and"), args, []
    if name == "string_agg":
        if len(args) != 2:
            raise no_function()
        if args[0].type.oid == 17:
            return args[0].type, StringAgg(), [args[0], comp.coerce(args[1], args[0].type)], []
        if not all(T.is_string(a.type) for a in args):
            raise no_function()
        args = [comp.coerce(a, T.TEXT) if a.type.oid != 25 else a for a in args]
        return T.TEXT, StringAgg(), args, []
    if name == "array_agg":
        a = args[0]
        if a.type.oid == 705:
            args = [comp.coerce(a, T.TEXT)]
            a = args[0]
        return array_of(a.type), ArrayAgg(a.type.category == "A"), args, []
    if name in ("json_agg", "jsonb_agg"):
        a = args[0]
        if a.type.oid == 705:
            args = [comp.coerce(a, T.TEXT)]
            a = args[0]
        eoid = a.type.element.oid if a.type.element is not None else 0
        binary = name == "jsonb_agg"
        return (JSONB if binary else JSON), JsonAgg(binary, a.type.oid, eoid), args, []
    if name in ("json_object_agg", "jsonb_object_agg"):
        if len(args) != 2:
            raise no_function()
        k, v = args
        if k.type.oid == 705:
            k = comp.coerce(k, T.TEXT)
        if v.type.oid == 705:
            v = comp.coerce(v, T.TEXT)
        kt = k.type
        key_out = (lambda x: x) if T.is_string(kt) else (lambda x, out=kt.text_out: out(x))
        eoid = v.type.element.oid if v.type.element is not None else 0
        binary = name == "jsonb_object_agg"
        return (JSONB if binary else JSON), JsonObjectAgg(binary, key_out, v.type.oid, eoid), \
            [k, v], []
    if name in ("corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept", "regr_r2",
                "regr_count", "regr_avgx", "regr_avgy", "regr_sxx", "regr_syy", "regr_sxy"):
        if len(args) != 2 or not all(T.is_numeric(a.type) or a.type.oid == 705 for a in args):
            raise no_function()
        args = [comp.coerce(a, T.FLOAT8) for a in args]
        return (T.INT8 if name == "regr_count" else T.FLOAT8), TwoVar(name), args, []
    if name in ("stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"):
        a = args[0]
        if a.type.oid == 705:
            args = [comp.coerce(a, T.FLOAT8)]
            a = args[0]
        if not T.is_numeric(a.type):
            raise no_function()
        numeric = a.type.oid not in (700, 701)
        kname = {"stddev": "stddev_samp", "variance": "var_samp"}.get(name, name)
        return (T.NUMERIC if numeric else T.FLOAT8), Moments(kname, numeric), args, []
    if name in ("percentile_cont", "percentile_disc"):
        if len(direct) != 1 or len(order_types) != 1:
            raise no_function()
        frac = direct[0]
        is_array = frac.type.category == "A"
        frac = comp.coerce(frac, array_of(T.FLOAT8) if is_array else T.FLOAT8)
        value = args[0]
        if name == "percentile_cont":
            if not (T.is_numeric(value.type) or value.type.oid in (705, 1186)):
                raise undefined_function(name, [direct[0].type, value.type])
            if value.type.oid == 1186:
                rtype = T.INTERVAL
            else:
                value = comp.coerce(value, T.FLOAT8)
                rtype = T.FLOAT8
        else:
            if value.type.oid == 705:
                value = comp.coerce(value, T.TEXT)
            rtype = value.type
        return (array_of(rtype) if is_array else rtype), Percentile(name), [value], [frac]
    if name == "mode":
        if direct or len(order_types) != 1:
            raise no_function()
        value = args[0]
        if value.type.oid == 705:
            value = comp.coerce(value, T.TEXT)
        return value.type, Mode(), [value], []
    raise no_function()
