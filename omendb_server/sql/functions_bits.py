"""bit / bit varying operators and functions, as PostgreSQL's varbit.c.

Operators: & | # (same lengths, else 22026), ~, << and >> (length kept, zero filled),
|| (varbit). Functions: length/bit_length, octet_length, get_bit, set_bit. Casts to and
from integers are in ``sql/types.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import type_by_name
from omendb_server.datatypes.bits import BitString
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.functions import Call, register

BIT_OIDS = (1560, 1562)
_NAMES = {"&": "AND", "|": "OR", "#": "XOR"}


def _is_bits(ce: Any) -> bool:
    return ce.type.oid in BIT_OIDS


def strict_binop(lf: Any, rf: Any, body: Callable[[Any, Any], Any], t: Any) -> Any:
    """``body(a, b)`` of two compiled operands, NULL if either is (a strict operator)."""
    from omendb_server.sql.expr import CExpr

    def run(r: tuple, c: ExecContext) -> Any:
        a = lf(r, c)
        if a is None:
            return None
        b = rf(r, c)
        return None if b is None else body(a, b)

    return CExpr(run, t)


def bit_operator(comp: Any, sym: str, left: Any, right: Any) -> Any:
    """``left sym right`` when an operand is a bit string; None when neither is."""
    if not (_is_bits(left) or _is_bits(right)):
        return None
    if sym in ("<<", ">>") and _is_bits(left):
        right = comp.coerce(right, T.INT4)

        def shift(a: str, n: int) -> BitString:
            width = len(a)
            if sym == ">>":
                n = -n
            if n >= 0:  # left
                return BitString((a[n:] + "0" * min(n, width))[:width]) if n < width else BitString("0" * width)
            n = -n
            return BitString(("0" * min(n, width) + a)[:width])

        return strict_binop(left.fn, right.fn, shift, left.type)
    if left.type.oid == 705:
        left = comp.coerce(left, right.type)
    if right.type.oid == 705:
        right = comp.coerce(right, left.type)
    if not (_is_bits(left) and _is_bits(right)):
        raise errors.UndefinedFunction(
            f"operator does not exist: {T.type_label(left.type)} {sym} {T.type_label(right.type)}",
            hint="No operator matches the given name and argument types. "
            "You might need to add explicit type casts.")
    if sym == "||":
        return strict_binop(left.fn, right.fn, lambda a, b: BitString(a + b), type_by_name("varbit"))
    if sym not in _NAMES:
        return None

    def logic(a: str, b: str) -> BitString:
        if len(a) != len(b):
            raise errors.DBError(f"cannot {_NAMES[sym]} bit strings of different sizes", "22026")
        if sym == "&":
            return BitString("".join("1" if x == "1" and y == "1" else "0" for x, y in zip(a, b)))
        if sym == "|":
            return BitString("".join("1" if "1" in (x, y) else "0" for x, y in zip(a, b)))
        return BitString("".join("1" if x != y else "0" for x, y in zip(a, b)))

    return strict_binop(left.fn, right.fn, logic, left.type)


def bit_not(inner: Any) -> Any:
    from omendb_server.sql.expr import CExpr

    f = inner.fn
    flip = str.maketrans("01", "10")
    return CExpr(lambda r, c: None if (v := f(r, c)) is None else BitString(v.translate(flip)),
                 inner.type)


def bit_length_call(call: Call, ces: list[Any], name: str) -> Any:
    """length()/bit_length()/octet_length() of a bit string (None: not bits)."""
    if len(ces) != 1 or not _is_bits(ces[0]):
        return None
    if name == "octet_length":
        return call.strict(ces, lambda v: (len(v) + 7) // 8, T.INT4)
    return call.strict(ces, len, T.INT4)


@register("get_bit", "getbit")
def _get_bit(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) != 2 or not _is_bits(ces[0]):
        raise call.no_such_function(ces)
    idx = call.comp.coerce(ces[1], T.INT4)

    def get_bit(v: str, n: int) -> int:
        if not 0 <= n < len(v):
            raise errors.DBError(f"bit index {n} out of valid range (0..{len(v) - 1})", "2202E")
        return int(v[n])

    call.name = "get_bit"
    return call.strict([ces[0], idx], get_bit, T.INT4)


@register("set_bit", "setbit")
def _set_bit(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) != 3 or not _is_bits(ces[0]):
        raise call.no_such_function(ces)
    idx, val = call.comp.coerce(ces[1], T.INT4), call.comp.coerce(ces[2], T.INT4)

    def set_bit(v: str, n: int, b: int) -> BitString:
        if not 0 <= n < len(v):
            raise errors.DBError(f"bit index {n} out of valid range (0..{len(v) - 1})", "2202E")
        if b not in (0, 1):
            raise errors.InvalidParameterValue("new bit must be 0 or 1")
        return BitString(v[:n] + str(b) + v[n + 1:])

    call.name = "set_bit"
    return call.strict([ces[0], idx, val], set_bit, ces[0].type)
