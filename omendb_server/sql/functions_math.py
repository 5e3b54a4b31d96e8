"""Mathematical functions with PostgreSQL's overload resolution.

PostgreSQL picks ``f(double precision)`` for integer arguments when both a float8
and a numeric version exist (float8 is the preferred type of the numeric category),
and ``f(numeric)`` only for numeric arguments; the result type follows. Numeric
results use PostgreSQL's display scale rules (at least 16 significant digits).
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.functions import Call, register

_NUM_MIN_SIG = 16


def _kind(call: Call, ce: Any) -> str:
    """'i' integer, 'n' numeric, 'f' float."""
    oid = ce.type.oid
    if oid in (21, 23, 20):
        return "i"
    if oid == 1700:
        return "n"
    if oid in (700, 701, 705):
        return "f"
    raise call.no_such_function()


def _float_or_numeric(call: Call) -> tuple[list[Any], bool]:
    """Arguments coerced to float8, or to numeric when any argument is numeric."""
    ces = call.compiled()
    kinds = [_kind(call, c) for c in ces]
    numeric = "n" in kinds and "f" not in [k for k, c in zip(kinds, ces) if c.type.oid != 705]
    target = T.NUMERIC if numeric else T.FLOAT8
    return [call.comp.coerce(c, target) for c in ces], numeric


def _dscale(d: Decimal) -> int:
    e = d.as_tuple().exponent
    return -e if isinstance(e, int) and e < 0 else 0


def _scaled(v: Decimal, min_scale: int) -> Decimal:
    """Round to PostgreSQL's result scale: 16 significant digits, at least ``min_scale``."""
    if not v.is_finite():
        return v
    weight = v.adjusted() if v != 0 else 0
    rscale = max(_NUM_MIN_SIG - weight, min_scale, 0)
    rscale = min(rscale, 1000)
    return v.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_HALF_UP)


def _float_fn(call: Call, f: Any, domain: Any = None) -> Any:
    (a,) = call.args([T.FLOAT8])

    def body(v: float) -> float:
        if domain is not None:
            domain(v)
        try:
            return f(v)
        except OverflowError:
            raise errors.NumericValueOutOfRange("value out of range: overflow") from None
        except ValueError:
            raise errors.DBError("input is out of range", "22003") from None

    return call.strict([a], body, T.FLOAT8)


@register("abs")
def _abs(call: Call) -> Any:
    (a,) = call.compiled()
    if a.type.oid == 705:
        a = call.comp.coerce(a, T.FLOAT8)
    if T.is_integer(a.type):
        oid = a.type.oid
        return call.strict([a], lambda v: T.check_int(abs(v), oid), a.type)
    if not T.is_numeric(a.type):
        raise call.no_such_function([a])
    return call.strict([a], abs, a.type)


@register("ceil", "ceiling", "floor")
def _ceil_floor(call: Call) -> Any:
    (a,), numeric = _float_or_numeric(call)
    up = call.name != "floor"
    if numeric:
        rounding = "ROUND_CEILING" if up else ROUND_FLOOR
        return call.strict([a], lambda v: v.quantize(Decimal(1), rounding=rounding) + 0
                           if v.is_finite() else v, T.NUMERIC)
    f = math.ceil if up else math.floor
    return call.strict([a], lambda v: float(f(v)) if math.isfinite(v) else v, T.FLOAT8)


def _round_numeric(v: Decimal, d: int, rounding: str) -> Decimal:
    if not v.is_finite():
        return v
    if d >= 0:
        return v.quantize(Decimal(1).scaleb(-d), rounding=rounding)
    q = v.scaleb(d).quantize(Decimal(1), rounding=rounding).scaleb(-d)
    return q.quantize(Decimal(1))


@register("round", "trunc", "truncate")
def _round(call: Call) -> Any:
    ces = call.compiled()
    name = "trunc" if call.name != "round" else "round"
    rounding = ROUND_HALF_UP if name == "round" else ROUND_DOWN
    x = ces[0]
    if len(ces) == 1 and x.type.oid in (700, 701, 705, 21, 23, 20):
        # round(int)/trunc(int) resolve to the float8 versions (float8 is preferred)
        x = call.comp.coerce(x, T.FLOAT8)
        if name == "round":
            return call.strict([x], lambda v: math.copysign(float(round(v)), v)
                               if math.isfinite(v) else v, T.FLOAT8, name)
        return call.strict([x], lambda v: math.copysign(float(math.trunc(v)), v)
                           if math.isfinite(v) else v, T.FLOAT8, name)
    if x.type.oid not in (21, 23, 20, 1700, 705):
        raise call.no_such_function(ces)
    x = call.comp.coerce(x, T.NUMERIC)
    if len(ces) == 1:
        return call.strict([x], lambda v: _round_numeric(v, 0, rounding), T.NUMERIC, name)
    digits = call.comp.coerce(ces[1], T.INT4)
    return call.strict([x, digits], lambda v, d: _round_numeric(v, d, rounding), T.NUMERIC, name)


@register("sqrt")
def _sqrt(call: Call) -> Any:
    (a,), numeric = _float_or_numeric(call)

    def check(v: Any) -> None:
        if v < 0:
            raise errors.DBError("cannot take square root of a negative number", "2201F")

    if numeric:
        def nsqrt(v: Decimal) -> Decimal:
            check(v)
            with localcontext() as lc:
                lc.prec = 60
                r = v.sqrt()
            weight = T._num_weight(v)
            sweight = (weight + 1) * 4 // 2 - 1
            rscale = max(_NUM_MIN_SIG - sweight, _dscale(v), 0)
            return r.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_HALF_UP)
        return call.strict([a], nsqrt, T.NUMERIC)

    def fsqrt(v: float) -> float:
        check(v)
        return math.sqrt(v)

    return call.strict([a], fsqrt, T.FLOAT8)


@register("cbrt")
def _cbrt(call: Call) -> Any:
    return _float_fn(call, math.cbrt)  # libm's cbrt, as PostgreSQL calls it


def _ln_check(v: Any) -> None:
    if v == 0:
        raise errors.DBError("cannot take logarithm of zero", "2201E")
    if v < 0:
        raise errors.DBError("cannot take logarithm of a negative number", "2201E")


@register("exp", "ln", "log", "log10")
def _exp_ln(call: Call) -> Any:
    name = call.name
    if name == "log" and call.n == 2:
        ces = [call.comp.coerce(c, T.NUMERIC) for c in call.compiled()]

        def logb(b: Decimal, x: Decimal) -> Decimal:
            _ln_check(b)
            _ln_check(x)
            with localcontext() as lc:
                lc.prec = 50
                lb = b.ln()
                if lb == 0:
                    raise errors.DivisionByZero("division by zero")
                r = x.ln() / lb
            return _scaled(r, max(_dscale(b), _dscale(x)))

        return call.strict(ces, logb, T.NUMERIC)
    (a,), numeric = _float_or_numeric(call)
    if numeric:
        def nfn(v: Decimal) -> Decimal:
            with localcontext() as lc:
                lc.prec = 50
                if name == "exp":
                    try:
                        r = v.exp()
                    except ArithmeticError:
                        raise errors.NumericValueOutOfRange("value overflows numeric format") from None
                else:
                    _ln_check(v)
                    r = v.ln() if name == "ln" else v.log10()
            return _scaled(r, _dscale(v))
        return call.strict([a], nfn, T.NUMERIC)

    def ffn(v: float) -> float:
        if name == "exp":
            try:
                return math.exp(v)
            except OverflowError:
                raise errors.NumericValueOutOfRange("value out of range: overflow") from None
        _ln_check(v)
        if name == "ln":
            return math.log(v)
        r = math.log10(v)
        return r

    return call.strict([a], ffn, T.FLOAT8)


@register("sign")
def _sign(call: Call) -> Any:
    (a,), numeric = _float_or_numeric(call)
    if numeric:
        return call.strict([a], lambda v: Decimal((v > 0) - (v < 0)) if not v.is_nan() else v,
                           T.NUMERIC)
    return call.strict([a], lambda v: float((v > 0) - (v < 0)), T.FLOAT8)


@register("pi")
def _pi(call: Call) -> Any:
    return call.make(lambda r, c: math.pi, T.FLOAT8)


@register("degrees", "radians", "sin", "cos", "tan", "asin", "acos", "atan", "cot")
def _trig(call: Call) -> Any:
    fns = {"degrees": math.degrees, "radians": math.radians, "sin": math.sin, "cos": math.cos,
           "tan": math.tan, "asin": math.asin, "acos": math.acos, "atan": math.atan,
           "cot": lambda v: 1 / math.tan(v)}
    return _float_fn(call, fns[call.name])


@register("atan2")
def _atan2(call: Call) -> Any:
    ces = call.args([T.FLOAT8, T.FLOAT8])
    return call.strict(ces, math.atan2, T.FLOAT8)


@register("power", "pow")
def _power(call: Call) -> Any:
    ces, numeric = _float_or_numeric(call)

    def fpow(a: float, b: float) -> float:
        if a == 0 and b < 0:
            raise errors.DBError("zero raised to a negative power is undefined", "2201F")
        if a < 0 and b != int(b):
            raise errors.DBError("a negative number raised to a non-integer power yields a "
                                 "complex result", "2201F")
        try:
            return math.pow(a, b)
        except OverflowError:
            raise errors.NumericValueOutOfRange("value out of range: overflow") from None

    if not numeric:
        return call.strict(ces, fpow, T.FLOAT8, "power")
    return call.strict(ces, numeric_power, T.NUMERIC, "power")


def numeric_power(a: Decimal, b: Decimal) -> Decimal:
    if a == 0 and b < 0:
        raise errors.DBError("zero raised to a negative power is undefined", "2201F")
    if a < 0 and b != b.to_integral_value():
        raise errors.DBError("a negative number raised to a non-integer power yields a "
                             "complex result", "2201F")
    with localcontext() as lc:
        lc.prec = 60
        try:
            r = a ** b
        except ArithmeticError:
            raise errors.NumericValueOutOfRange("value overflows numeric format") from None
    return _scaled(r, max(_dscale(a), _dscale(b)))


@register("mod")
def _mod_call(call: Call) -> Any:
    from omendb_server.sql.expr import CExpr

    if call.n != 2:
        raise call.no_such_function()
    ce = call.comp.compile(exp.Mod(this=call.arg_nodes[0], expression=call.arg_nodes[1]))
    return CExpr(ce.fn, ce.type, -1, "mod")


@register("div")
def _div(call: Call) -> Any:
    ces = [call.comp.coerce(c, T.NUMERIC) for c in call.compiled()]

    def div(a: Decimal, b: Decimal) -> Decimal:
        if b == 0:
            raise errors.DivisionByZero("division by zero")
        with localcontext() as lc:
            lc.prec = 100
            return (a / b).to_integral_value(rounding=ROUND_DOWN)

    return call.strict(ces, div, T.NUMERIC)


@register("width_bucket")
def _width_bucket(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) != 4:
        raise call.no_such_function(ces)
    numeric = any(c.type.oid == 1700 for c in ces[:3]) and not any(
        c.type.oid in (700, 701) for c in ces[:3])
    t = T.NUMERIC if numeric else T.FLOAT8
    args = [call.comp.coerce(c, t) for c in ces[:3]] + [call.comp.coerce(ces[3], T.INT4)]

    def wb(x: Any, lo: Any, hi: Any, n: int) -> int:
        if n <= 0:
            raise errors.DBError("count must be greater than zero", "2201G")
        if lo == hi:
            raise errors.DBError("lower bound cannot equal upper bound", "2201G")
        if lo < hi:
            if x < lo:
                return 0
            if x >= hi:
                return T.check_int(n + 1, 23)
            return int((x - lo) * n / (hi - lo)) + 1
        if x > lo:
            return 0
        if x <= hi:
            return T.check_int(n + 1, 23)
        return int((lo - x) * n / (lo - hi)) + 1

    return call.strict(args, wb, T.INT4)


@register("gcd", "lcm")
def _gcd(call: Call) -> Any:
    ces = call.compiled()
    t = T.INT8 if any(c.type.oid == 20 for c in ces) else T.INT4
    if any(c.type.oid == 1700 for c in ces):
        raise call.no_such_function(ces)
    ces = [call.comp.coerce(c, t) for c in ces]
    fn = math.gcd if call.name == "gcd" else math.lcm
    return call.strict(ces, lambda a, b: T.check_int(fn(a, b), t.oid), t)


@register("factorial")
def _factorial(call: Call) -> Any:
    (a,) = call.args([T.INT8])

    def fact(n: int) -> Decimal:
        if n < 0:
            raise errors.NumericValueOutOfRange("factorial of a negative number is undefined")
        return Decimal(math.factorial(n))

    return call.strict([a], fact, T.NUMERIC)


@register("random")
def _random(call: Call) -> Any:
    import random

    call.comp.planner.volatile = True
    return call.make(lambda r, c: random.random(), T.FLOAT8)


@register("setseed")
def _setseed(call: Call) -> Any:
    import random

    (a,) = call.args([T.FLOAT8])

    def setseed(r: tuple, c: ExecContext) -> Any:
        v = a.fn(r, c)
        if v is not None and not -1 <= v <= 1:
            raise errors.InvalidParameterValue(f"setseed parameter {v} is out of allowed range "
                                               "[-1,1]")
        random.seed(v)
        return None

    return call.make(setseed, T.VOID)


@register("scale")
def _scale(call: Call) -> Any:
    (a,) = call.args([T.NUMERIC])
    return call.strict([a], lambda v: _dscale(v) if v.is_finite() else None, T.INT4)


@register("min_scale", "trim_scale")
def _min_scale(call: Call) -> Any:
    from omendb_server.datatypes.numeric import normalize

    (a,) = call.args([T.NUMERIC])

    def trimmed(v: Decimal) -> Decimal:
        if not v.is_finite():
            return v
        t = v.normalize()
        return normalize(t) if _dscale(t) >= 0 else t

    if call.name == "min_scale":
        return call.strict([a], lambda v: _dscale(trimmed(v)) if v.is_finite() else None, T.INT4)
    return call.strict([a], trimmed, T.NUMERIC)


@register("to_number")
def _to_number(call: Call) -> Any:
    ces = call.args([T.TEXT, T.TEXT])

    def to_number(s: str, fmt: str) -> Decimal:
        digits = []
        negative = False
        frac_digits = None
        point_pos = None
        upper = fmt.upper().replace("FM", "")
        for ch in upper:
            if ch in "D.":
                point_pos = True
        text = s.strip()
        seen_point = False
        for ch in text:
            if ch.isdigit():
                digits.append(ch)
                if seen_point:
                    frac_digits = (frac_digits or 0) + 1
            elif ch == "." and point_pos:
                seen_point = True
            elif ch == "-" or ch == "(":
                negative = True
        if not digits:
            raise errors.InvalidTextRepresentation('invalid input syntax for type numeric: " "')
        allowed_frac = 0
        if point_pos:
            allowed_frac = sum(1 for ch in upper.split("D" if "D" in upper else ".", 1)[1]
                               if ch in "90")
        value = Decimal("".join(digits))
        if frac_digits:
            value = value.scaleb(-frac_digits)
        if point_pos:
            value = value.quantize(Decimal(1).scaleb(-allowed_frac))
        return -value if negative else value

    return call.strict(ces, to_number, T.NUMERIC)
