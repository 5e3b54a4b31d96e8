"""money arithmetic, as PostgreSQL's cash.c: money ± money, money * / number (rounded to
cents), number * money, money / money (float8); sum(money) is in functions_aggregate."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.money import Money
from omendb_server.sql import types as T

MONEY_OID = 790
_MIN, _MAX = -(1 << 63), (1 << 63) - 1


def _checked(cents: int) -> Money:
    if not _MIN <= cents <= _MAX:
        raise errors.NumericValueOutOfRange("money out of range")
    return Money(cents)


def _scaled(cents: int, factor: Any, divide: bool) -> Money:
    if divide and factor == 0:
        raise errors.DivisionByZero("division by zero")
    if isinstance(factor, float):
        # cash_mul_flt8 / cash_div_flt8: rint(cents * f) in double precision
        return _checked(round(cents / factor if divide else cents * factor))
    if divide and isinstance(factor, int):  # cash_div_int8: C division, toward zero
        q = abs(cents) // abs(factor)
        return _checked(q if (cents >= 0) == (factor > 0) else -q)
    d = Decimal(cents) / Decimal(factor) if divide else Decimal(cents) * Decimal(factor)
    return _checked(int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def money_arith(comp: Any, sym: str, left: Any, right: Any) -> Any:
    """``left sym right`` when an operand is money; raises 42883 for what PostgreSQL lacks."""
    money = left.type if left.type.oid == MONEY_OID else right.type
    if left.type.oid == 705:
        left = comp.coerce(left, money)
    if right.type.oid == 705:
        right = comp.coerce(right, money if sym in "+-" or sym == "/" and left.type.oid != MONEY_OID
                            else T.FLOAT8)
    lt, rt = left.type.oid, right.type.oid
    lf, rf = left.fn, right.fn

    def binop(body: Callable[[Any, Any], Any], t: Any) -> Any:
        from omendb_server.sql.functions_bits import strict_binop

        return strict_binop(lf, rf, body, t)

    if lt == MONEY_OID and rt == MONEY_OID:
        if sym == "+":
            return binop(lambda a, b: _checked(a + b), money)
        if sym == "-":
            return binop(lambda a, b: _checked(a - b), money)
        if sym == "/":
            def ratio(a: int, b: int) -> float:
                if b == 0:
                    raise errors.DivisionByZero("division by zero")
                return a / b
            return binop(ratio, T.FLOAT8)
    elif lt == MONEY_OID and T.is_numeric(right.type) and sym in "*/":
        return binop(lambda a, b: _scaled(a, b, sym == "/"), money)
    elif rt == MONEY_OID and T.is_numeric(left.type) and sym == "*":
        return binop(lambda a, b: _scaled(b, a, False), money)
    raise errors.UndefinedFunction(
        f"operator does not exist: {T.type_label(left.type)} {sym} {T.type_label(right.type)}",
        hint="No operator matches the given name and argument types. "
        "You might need to add explicit type casts.")
